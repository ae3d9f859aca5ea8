"""Helpers of the dask executor tests: a datagen CLI on the installed plugins, and an
independent reader of Kafka topics and PostgreSQL tables."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner


def datagen(*args: str) -> str:
    """``datagen ARGS`` in this process on the installed plugins; the output (fails unless exit 0)."""
    from datagen_kernel.cli import make_cli
    from datagen_kernel.engine.plugins import make_plugin_host

    host = make_plugin_host()
    if "customer" not in host.registry.entities:
        pytest.skip("the banking pack is not installed")
    result = CliRunner().invoke(make_cli(lambda: host), list(args))
    assert result.exit_code == 0, result.output
    return result.output


def read_dir(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())
            if p.is_file() and p.name != "_datagen-run.json"}  # the run manifest names its run


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """``os.environ`` with ``values`` set (inherited by the processes started meanwhile)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def unique(label: str) -> str:
    return f"dk{label}{uuid.uuid4().hex[:8]}"


def read_topics(bootstrap: str, prefix: str, committed: bool = True) -> dict[str, list[tuple[Any, bytes]]]:
    """Every message (key, value) of every topic starting with ``prefix``, by topic without the
    prefix, in partition and offset order, read to each partition's end by a consumer of its
    own (``read_committed`` unless ``committed`` is False)."""
    from confluent_kafka import Consumer, KafkaError, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("reader"), "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "enable.partition.eof": True,
                         "isolation.level": "read_committed" if committed else "read_uncommitted"})
    try:
        topics = {name: t for name, t in consumer.list_topics(timeout=10).topics.items() if name.startswith(prefix)}
        assign = [TopicPartition(name, p, 0) for name, t in sorted(topics.items()) for p in t.partitions]
        out: dict[str, list[tuple[int, int, Any, bytes]]] = defaultdict(list)
        consumer.assign(assign)
        pending = {(tp.topic, tp.partition) for tp in assign}
        while pending:
            msg = consumer.poll(10.0)
            assert msg is not None, f"no message nor end of partition within 10 s; still to read: {sorted(pending)}"
            if msg.error():
                assert msg.error().code() == KafkaError._PARTITION_EOF, msg.error()
                pending.discard((msg.topic(), msg.partition()))
                continue
            out[msg.topic()[len(prefix):]].append((msg.partition(), msg.offset(), msg.key(), msg.value()))
        return {topic: [(k, v) for _, _, k, v in sorted(rows, key=lambda r: (r[0], r[1]))]
                for topic, rows in out.items()}
    finally:
        consumer.close()


def same_events(local: dict[str, list[tuple[Any, bytes]]], other: dict[str, list[tuple[Any, bytes]]],
                avro: bool = True) -> None:
    """Per topic the same messages as multisets, and per key in the same order (an Avro value's
    schema id, 5 bytes, is left out: each topic prefix registers its own subjects)."""
    def strip(value: bytes) -> bytes:
        return value[5:] if avro else value

    assert sorted(local) == sorted(other) and local
    for topic in local:
        a = [(k, strip(v)) for k, v in local[topic]]
        b = [(k, strip(v)) for k, v in other[topic]]
        assert Counter(a) == Counter(b), f"{topic}: {len(a)} messages locally, {len(b)} here"
        per_key_a: dict[Any, list[bytes]] = defaultdict(list)
        per_key_b: dict[Any, list[bytes]] = defaultdict(list)
        for k, v in a:
            per_key_a[k].append(v)
        for k, v in b:
            per_key_b[k].append(v)
        assert per_key_a == per_key_b, f"{topic}: the order of some key's messages differs"


def tables(url: str, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of ``schema``, sorted."""
    import psycopg

    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", (schema,))]
        return {name: sorted(conn.execute(f'SELECT * FROM "{schema}"."{name}"').fetchall(), key=repr)
                for name in names}


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def delete_topics(bootstrap: str, prefix: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
    for fut in (admin.delete_topics(names, operation_timeout=30) if names else {}).values():
        with contextlib.suppress(Exception):
            fut.result(30)
