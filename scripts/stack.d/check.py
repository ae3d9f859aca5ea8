"""Readiness probes used by scripts/stack.

    python check.py kafka BOOTSTRAP [TIMEOUT_S]

Produces one uniquely tagged message to the topic ``datagen-stack-check`` and reads that very
record back (same partition and offset), so a zero exit means the broker really accepted, stored
and served data. Exit codes: 0 ready, 1 not ready within the timeout (reason on stderr),
3 confluent-kafka is not importable (the caller falls back to Kafka's Java console tools).
"""

from __future__ import annotations

import os
import sys
import time
import uuid

TOPIC = "datagen-stack-check"
EXIT_NO_CLIENT = 3


def check_kafka(bootstrap: str, timeout_s: float) -> int:
    try:
        from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
    except ImportError:
        return EXIT_NO_CLIENT

    deadline = time.monotonic() + timeout_s
    token = f"ready-{os.getpid()}-{uuid.uuid4().hex}".encode()
    last_error = "no attempt finished"

    while time.monotonic() < deadline:
        remaining_ms = max(1000, int((deadline - time.monotonic()) * 1000))
        delivered: list = []
        producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "acks": "all",
                "message.timeout.ms": min(10000, remaining_ms),
                "socket.connection.setup.timeout.ms": 3000,
                "log_level": 0,
            }
        )
        producer.produce(TOPIC, value=token, on_delivery=lambda err, msg, out=delivered: out.append((err, msg)))
        producer.flush(min(12.0, remaining_ms / 1000 + 2))
        if not delivered:
            last_error = "produce: no delivery report"
            time.sleep(1)
            continue
        err, msg = delivered[0]
        if err is not None:
            last_error = f"produce: {err}"
            time.sleep(1)
            continue

        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": "datagen-stack-check",
                "enable.auto.commit": False,
                "log_level": 0,
            }
        )
        try:
            consumer.assign([TopicPartition(TOPIC, msg.partition(), msg.offset())])
            read_deadline = min(deadline, time.monotonic() + 15)
            while time.monotonic() < read_deadline:
                got = consumer.poll(1.0)
                if got is None:
                    continue
                if got.error():
                    last_error = f"consume: {got.error()}"
                    continue
                if got.value() == token:
                    return 0
            last_error = f"consume: record at {TOPIC}[{msg.partition()}]@{msg.offset()} not read back"
        except KafkaException as exc:
            last_error = f"consume: {exc}"
        finally:
            consumer.close()
    print(f"kafka at {bootstrap} not ready after {timeout_s:.0f}s: {last_error}", file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "kafka":
        print(__doc__, file=sys.stderr)
        return 2
    timeout_s = float(argv[2]) if len(argv) > 2 else 60.0
    return check_kafka(argv[1], timeout_s)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
