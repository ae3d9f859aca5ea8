"""Helpers of the Kafka sink tests: an independent reader of topics and Kafka's partitioner."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))

import toy_pack  # noqa: E402


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash (the Java client's default partitioner), as a signed 32-bit int."""
    m, r, mask = 0x5BD1E995, 24, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    for i in range(0, length - length % 4, 4):
        k = data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    tail = length & ~3
    rest = length % 4
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def kafka_partition(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (and librdkafka's murmur2_random) picks."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


_QUIET = logging.getLogger("datagen.kafka.tests")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    key: Any
    value: Any
    headers: dict[str, bytes]


def read_topic(bootstrap: str, topic: str, *, consumer_conf: dict[str, Any] | None = None,
               deserializing: bool = False, timeout: float = 60.0) -> list[Message]:
    """Every message of ``topic`` from the beginning to the current end, by partition and offset.

    Reads with its own consumer (no group membership: partitions are assigned explicitly), so
    it sees exactly what the broker stored.
    """
    from confluent_kafka import Consumer, DeserializingConsumer, TopicPartition

    conf = {"bootstrap.servers": bootstrap, "group.id": f"datagen-test-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False, "auto.offset.reset": "earliest", **(consumer_conf or {})}
    consumer: Any = DeserializingConsumer(conf) if deserializing else Consumer(conf)
    try:
        md = consumer.list_topics(topic, timeout=10)
        if topic not in md.topics or md.topics[topic].error is not None:
            raise AssertionError(f"topic {topic} does not exist")
        ends: dict[int, int] = {}
        assign = []
        for p in md.topics[topic].partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high > low:
                ends[p] = high
                assign.append(TopicPartition(topic, p, low))
        out: list[Message] = []
        if not assign:
            return out
        consumer.assign(assign)
        deadline = time.monotonic() + timeout
        done: set[int] = set()
        while len(done) < len(ends):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out reading {topic}: {len(out)} messages read")
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                raise AssertionError(f"consumer error on {topic}: {msg.error()}")
            out.append(Message(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(),
                               dict(msg.headers() or [])))
            if msg.offset() + 1 >= ends[msg.partition()]:
                done.add(msg.partition())
        out.sort(key=lambda m: (m.partition, m.offset))
        return out
    finally:
        consumer.close()


def delete_topics(bootstrap: str, prefix: str) -> None:
    """Delete every topic whose name starts with ``prefix`` (test clean-up)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": _QUIET})
    names = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
    if names:
        for fut in admin.delete_topics(names, operation_timeout=30).values():
            with contextlib.suppress(Exception):
                fut.result(30)


SESSION = uuid.uuid4().hex[:6]
"""Every topic a test session creates starts with ``t-<SESSION>-`` (dropped at session end)."""


def unique_prefix(label: str) -> str:
    """A topic prefix no other test (or session) uses."""
    return f"t-{SESSION}-{label}-{uuid.uuid4().hex[:6]}."


def toy_plugins() -> list[Any]:
    import datagen_plugin_json.plugin as json_plugin
    import datagen_plugin_kafka.plugin as kafka_plugin

    return [toy_pack, json_plugin, kafka_plugin]


def cli_runner(plugins: Sequence[Any]) -> Callable[[Iterable[str]], Any]:
    """``invoke(args)`` running the datagen CLI on a host with exactly ``plugins``."""
    from click.testing import CliRunner

    from datagen_kernel.cli import make_cli
    from datagen_kernel.plugins import make_plugin_host

    host = make_plugin_host(entrypoints=False, plugins=list(plugins))

    def invoke(args: Iterable[str]) -> Any:
        return CliRunner().invoke(make_cli(lambda: host), list(args))

    return invoke
