"""Score a consumer's dead-letter queue against the poison-pill manifest.

Reads a topic a poisoned run wrote (``datagen run --sink kafka --transform poison ...``), passes
every message through a small validating consumer that sends what it rejects to a dead-letter
queue, and compares that queue with the run's manifest: precision (how much of the queue is
poison) and recall (how much of the poison reached the queue), overall and per kind.

The consumer here checks what a schema can check: the value decodes as JSON, every field of the
entity is present with the right type (nulls only where allowed), no unknown field, and an id it
has seen already is a duplicate. It has no notion of time, references or ranges, so it misses
late, out-of-order, orphan, extreme, time-zone and encoding pills: replace ``check`` with your
pipeline's rules (or read your real dead-letter queue) and see what it catches.

    python examples/poison-scoring/score_dead_letter_queue.py --bootstrap 127.0.0.1:9092 \\
        --topic banking.transactions --entity transaction --manifest out/datagen-poison.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from datagen_kernel import make_plugin_host
from datagen_kernel.api import Bool, Date, Decimal, EntitySpec, Enum, Float, Int, String, Timestamp, Uuid

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def read_topic(bootstrap: str, topic: str) -> Iterator[Any]:
    """Every message of ``topic``, partition by partition, from the beginning to the current end."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"dlq-score-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        for p in sorted(partitions):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high <= low:
                continue
            consumer.assign([TopicPartition(topic, p, low)])
            while True:
                msg = consumer.poll(10.0)
                if msg is None:
                    raise SystemExit(f"timed out reading {topic} partition {p}")
                if msg.error():
                    raise SystemExit(f"error reading {topic}: {msg.error()}")
                yield msg
                if msg.offset() + 1 >= high:
                    break
    finally:
        consumer.close()


def field_ok(kind: Any, value: Any) -> bool:
    if isinstance(kind, Decimal):
        return isinstance(value, str) and re.fullmatch(rf"-?\d+\.\d{{{kind.scale}}}", value) is not None
    if isinstance(kind, Timestamp):
        return isinstance(value, str) and ISO.match(value) is not None
    if isinstance(kind, Date):
        return isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value) is not None
    if isinstance(kind, Bool):
        return isinstance(value, bool)
    if isinstance(kind, Int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(kind, Float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(kind, Enum):
        return value in kind.symbols
    if isinstance(kind, (String, Uuid)):
        return isinstance(value, str)
    return True


def check(spec: EntitySpec, value: bytes | None, seen: set[Any]) -> str | None:
    """Why the consumer rejects a message (None: it accepts it)."""
    if value is None:
        return "null value"
    try:
        record = json.loads(value)
    except ValueError:
        return "not JSON"
    for f in spec.fields:
        if f.name not in record:
            return f"missing {f.name}"
        if record[f.name] is None:
            if not f.nullable:
                return f"null {f.name}"
        elif not field_ok(f.type, record[f.name]):
            return f"bad {f.name}"
    extra = set(record) - set(spec.field_names)
    if extra:
        return f"unknown field {sorted(extra)[0]}"
    key = record[spec.primary_key]
    if key in seen:
        return "duplicate id"
    seen.add(key)
    return None


def identity(spec: EntitySpec, msg: Any) -> tuple[str, Any]:
    """What the manifest calls a message: its record's id, or its key for a null value."""
    if msg.value() is None:
        return ("message_key", (msg.key() or b"").decode())
    try:
        return ("key", json.loads(msg.value()).get(spec.primary_key))
    except ValueError:
        return ("key", None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--entity", required=True, help="The entity the topic holds (datagen entities).")
    parser.add_argument("--manifest", required=True, help="The run's poison manifest (JSON Lines).")
    parser.add_argument("--sink", default="kafka", help="The sink the manifest rows name (default kafka).")
    args = parser.parse_args(argv)
    spec = make_plugin_host().registry.entity_specs()[args.entity]
    with open(args.manifest, encoding="utf-8") as fh:
        pills = [row for row in map(json.loads, fh) if row["sink"] == args.sink and row["entity"] == args.entity]
    open_pills: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for row in pills:
        ident = ("message_key", row.get("message_key")) if row["kind"] == "tombstone" else ("key", row["key"])
        open_pills.setdefault(ident, []).append(row)
    seen: set[Any] = set()
    messages = dlq = tp = 0
    caught: Counter[str] = Counter()
    for msg in read_topic(args.bootstrap, args.topic):
        messages += 1
        if check(spec, msg.value(), seen) is None:
            continue
        dlq += 1
        waiting = open_pills.get(identity(spec, msg))
        if waiting:
            row = waiting.pop(0)
            caught[row["kind"]] += 1
            tp += 1
    by_kind = Counter(row["kind"] for row in pills)
    precision = tp / dlq if dlq else 1.0
    recall = tp / len(pills) if pills else 1.0
    print(f"messages {messages}, pills {len(pills)}, dead-letter queue {dlq}, true positives {tp}")
    print(f"precision {precision:.3f}  recall {recall:.3f}")
    for kind in sorted(by_kind):
        print(f"  {kind:<17} recall {caught[kind] / by_kind[kind]:.3f}  ({caught[kind]} of {by_kind[kind]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
