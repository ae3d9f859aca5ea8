"""Helpers of the Kafka sink tests: an independent reader of topics and Kafka's partitioner."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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
    from datagen_kernel.engine.plugins import make_plugin_host

    host = make_plugin_host(entrypoints=False, plugins=list(plugins))

    def invoke(args: Iterable[str]) -> Any:
        return CliRunner().invoke(make_cli(lambda: host), list(args))

    return invoke


# --- the stack fixtures -------------------------------------------------------------------------

_STACK = REPO / "tests" / "integration" / "conftest.py"


def stack_fixtures(label: str) -> dict[str, Any]:
    """``kafka_bootstrap``, ``schema_registry_url``, ``postgres_url`` for a plugin's conftest.

    The fixtures of tests/integration/conftest.py when it is there (a conftest only serves its
    own folder, so plugin test folders re-export them); else the same contract in brief:
    skip when the service does not answer, fail when DATAGEN_REQUIRE_STACK is set.
    """
    if _STACK.exists():
        spec = importlib.util.spec_from_file_location(f"datagen_stack_fixtures_for_{label}", _STACK)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found = {name: value for name in dir(module) if not name.startswith("_")
                 and (hasattr(value := getattr(module, name), "_fixture_function_marker")
                      or hasattr(value, "_pytestfixturefunction"))}
        if {"kafka_bootstrap", "schema_registry_url", "postgres_url"} <= set(found):
            return found
    return {"kafka_bootstrap": _kafka_bootstrap, "schema_registry_url": _schema_registry_url,
            "postgres_url": _postgres_url}


def _stack_missing(what: str) -> None:
    if os.environ.get("DATAGEN_REQUIRE_STACK"):
        pytest.fail(f"{what} is not reachable and DATAGEN_REQUIRE_STACK is set (scripts/stack up)")
    pytest.skip(f"{what} is not reachable (scripts/stack up)")


@pytest.fixture(scope="session", name="kafka_bootstrap")
def _kafka_bootstrap() -> str:
    from confluent_kafka.admin import AdminClient

    bootstrap = os.environ.get("DATAGEN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    try:
        AdminClient({"bootstrap.servers": bootstrap, "logger": _QUIET}).list_topics(timeout=5)
    except Exception:
        _stack_missing(f"Kafka at {bootstrap}")
    return bootstrap


@pytest.fixture(scope="session", name="schema_registry_url")
def _schema_registry_url() -> str:
    import urllib.request

    url = os.environ.get("DATAGEN_SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7")
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/subjects", timeout=5) as response:
            response.read()
    except Exception:
        _stack_missing(f"the Schema Registry at {url}")
    return url


@pytest.fixture(scope="session", name="postgres_url")
def _postgres_url() -> str:
    url = os.environ.get("DATAGEN_POSTGRES_URL", "postgresql://postgres:postgres@127.0.0.1:5432/datagen")
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=5).close()
    except Exception:
        _stack_missing(f"PostgreSQL at {url}")
    return url


def encode(sink: Any, spec: Any, records: Any) -> Any:
    """The batch the engine hands ``sink`` for ``records``: its serializer's values, the message
    keys and the sink's headers, made as in a worker."""
    from datagen_kernel.api import EncodedBatch
    from datagen_kernel.engine.blocks import message_keys

    topic = sink.destination(spec)
    values = sink.serializer.encode(spec, records, topic)
    return EncodedBatch(spec.name, len(records), values, message_keys(sink, spec, records), sink.headers(spec, records))
