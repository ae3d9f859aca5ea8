"""Smoke tests proving each server of the stack is the real thing.

Kafka: a record produced through confluent-kafka is consumed back. Schema Registry: an Avro schema
is registered and fetched through confluent-kafka's SchemaRegistryClient, and BACKWARD
compatibility really rejects an incompatible change. PostgreSQL: create, insert and select through
psycopg 3. The last test runs Avro with the registry through Kafka end to end.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import time
import types
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def _client_module(name: str, install_hint: str) -> types.ModuleType:
    """Import a client library; without it the test cannot prove anything, so skip (or fail)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        reason = f"{name} is not importable ({exc}); install {install_hint}"
        if os.environ.get("DATAGEN_REQUIRE_STACK"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
        raise  # pragma: no cover


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# ----------------------------------------------------------------------------- Kafka


@pytest.fixture
def kafka_topic(kafka_bootstrap: str) -> Iterator[str]:
    """A fresh single-partition topic, deleted afterwards."""
    kafka = _client_module("confluent_kafka", "confluent-kafka")
    admin_mod = _client_module("confluent_kafka.admin", "confluent-kafka")
    admin = admin_mod.AdminClient({"bootstrap.servers": kafka_bootstrap})
    topic = _unique("smoke")
    futures = admin.create_topics([admin_mod.NewTopic(topic, num_partitions=1, replication_factor=1)])
    futures[topic].result(timeout=30)
    yield topic
    with contextlib.suppress(kafka.KafkaException):
        admin.delete_topics([topic])[topic].result(timeout=30)


def _consume_one(kafka_bootstrap: str, topic: str, timeout_s: float = 30.0) -> Any:
    kafka = _client_module("confluent_kafka", "confluent-kafka")
    consumer = kafka.Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": _unique("smoke-group"),
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            return msg
        pytest.fail(f"no record read back from {topic} within {timeout_s:.0f}s")
    finally:
        consumer.close()


def test_kafka_produce_and_consume(kafka_bootstrap: str, kafka_topic: str) -> None:
    kafka = _client_module("confluent_kafka", "confluent-kafka")
    producer = kafka.Producer({"bootstrap.servers": kafka_bootstrap, "acks": "all"})
    delivered = []
    payload = json.dumps({"id": uuid.uuid4().hex, "amount_cents": 12345}).encode()
    producer.produce(
        kafka_topic,
        key=b"customer-1",
        value=payload,
        headers=[("source", b"smoke")],
        on_delivery=lambda err, msg: delivered.append((err, msg)),
    )
    assert producer.flush(30) == 0, "producer still had messages in flight after 30 s"
    assert len(delivered) == 1 and delivered[0][0] is None, delivered
    assert delivered[0][1].offset() == 0

    msg = _consume_one(kafka_bootstrap, kafka_topic)
    assert msg.key() == b"customer-1"
    assert msg.value() == payload
    assert msg.headers() == [("source", b"smoke")]
    assert (msg.partition(), msg.offset()) == (0, 0)


def test_kafka_reports_cluster_metadata(kafka_bootstrap: str) -> None:
    admin_mod = _client_module("confluent_kafka.admin", "confluent-kafka")
    metadata = admin_mod.AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=15)
    assert metadata.cluster_id, "a real broker reports its cluster id"
    assert metadata.brokers, "at least one broker in the metadata"


# ----------------------------------------------------------------------------- Schema Registry

RECORD_V1 = {
    "type": "record",
    "name": "SmokeCustomer",
    "namespace": "datagen.smoke",
    "fields": [
        {"name": "customer_id", "type": "string"},
        {"name": "income_cents", "type": "long"},
    ],
}
# adds a field without a default: readers of v2 cannot read v1 data, so BACKWARD must refuse it
RECORD_V2_INCOMPATIBLE = {
    **RECORD_V1,
    "fields": [*RECORD_V1["fields"], {"name": "segment", "type": "string"}],
}
# the same field with a default is a BACKWARD-compatible change
RECORD_V2_COMPATIBLE = {
    **RECORD_V1,
    "fields": [*RECORD_V1["fields"], {"name": "segment", "type": "string", "default": "retail"}],
}


@pytest.fixture
def registry_client(schema_registry_url: str) -> Any:
    sr = _client_module("confluent_kafka.schema_registry", "confluent-kafka[schemaregistry]")
    return sr.SchemaRegistryClient({"url": schema_registry_url, "timeout": 30})


@pytest.fixture
def subject(registry_client: Any) -> Iterator[str]:
    name = _unique("smoke") + "-value"
    yield name
    for permanent in (False, True):  # clean-up only: soft delete, then permanent delete
        with contextlib.suppress(Exception):
            registry_client.delete_subject(name, permanent=permanent)


def test_registry_register_and_fetch_avro(registry_client: Any, subject: str) -> None:
    sr = _client_module("confluent_kafka.schema_registry", "confluent-kafka[schemaregistry]")
    schema_id = registry_client.register_schema(subject, sr.Schema(json.dumps(RECORD_V1), "AVRO"))
    assert isinstance(schema_id, int) and schema_id > 0

    latest = registry_client.get_latest_version(subject)
    assert latest.version == 1
    assert latest.schema_id == schema_id
    assert json.loads(latest.schema.schema_str)["name"] == "SmokeCustomer"

    by_id = registry_client.get_schema(schema_id)
    assert json.loads(by_id.schema_str)["fields"][1]["name"] == "income_cents"
    assert subject in registry_client.get_subjects()

    # registering the same schema again is idempotent: same id, still one version
    assert registry_client.register_schema(subject, sr.Schema(json.dumps(RECORD_V1), "AVRO")) == schema_id
    assert registry_client.get_versions(subject) == [1]


def test_registry_backward_rejects_incompatible_change(registry_client: Any, subject: str) -> None:
    sr = _client_module("confluent_kafka.schema_registry", "confluent-kafka[schemaregistry]")
    errors = _client_module("confluent_kafka.schema_registry.error", "confluent-kafka[schemaregistry]")
    registry_client.register_schema(subject, sr.Schema(json.dumps(RECORD_V1), "AVRO"))
    registry_client.set_compatibility(subject, "BACKWARD")
    assert registry_client.get_compatibility(subject) == "BACKWARD"

    incompatible = sr.Schema(json.dumps(RECORD_V2_INCOMPATIBLE), "AVRO")
    compatible = sr.Schema(json.dumps(RECORD_V2_COMPATIBLE), "AVRO")
    assert registry_client.test_compatibility(subject, incompatible) is False
    assert registry_client.test_compatibility(subject, compatible) is True

    with pytest.raises(errors.SchemaRegistryError) as rejected:
        registry_client.register_schema(subject, incompatible)
    assert rejected.value.http_status_code == 409
    assert registry_client.get_versions(subject) == [1]

    registry_client.register_schema(subject, compatible)
    assert registry_client.get_versions(subject) == [1, 2]


# ----------------------------------------------------------------------------- PostgreSQL


def test_postgres_create_insert_select(postgres_url: str) -> None:
    psycopg = _client_module("psycopg", "psycopg[binary]")
    table = _unique("smoke").replace("-", "_")
    expected_db = urllib.parse.urlsplit(postgres_url).path.lstrip("/")
    with psycopg.connect(postgres_url, connect_timeout=10) as conn:
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT current_database(), current_setting('server_version_num')::int")
                database, version_num = cur.fetchone()
                assert database == expected_db
                assert version_num >= 120000
                cur.execute(
                    f"CREATE TABLE {table} (id bigint PRIMARY KEY, name text NOT NULL,"
                    " balance_cents bigint NOT NULL, opened_on date NOT NULL)"
                )
                rows = [(1, "Ana", 150000, "2024-01-02"), (2, "João", -2500, "2024-03-04")]
                cur.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s)", rows)
                conn.commit()
                cur.execute(f"SELECT id, name, balance_cents, opened_on::text FROM {table} ORDER BY id")
                assert cur.fetchall() == rows
                cur.execute(f"SELECT sum(balance_cents) FROM {table}")
                assert cur.fetchone()[0] == 147500
        finally:
            conn.rollback()
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.commit()


# ----------------------------------------------------------------------------- all together


def test_avro_through_kafka_with_registry(kafka_bootstrap: str, kafka_topic: str, schema_registry_url: str) -> None:
    """Confluent wire format end to end: serializer registers the schema, Kafka carries the bytes,
    the deserializer resolves the schema id in the registry."""
    kafka = _client_module("confluent_kafka", "confluent-kafka")
    sr = _client_module("confluent_kafka.schema_registry", "confluent-kafka[schemaregistry]")
    avro = _client_module("confluent_kafka.schema_registry.avro", "confluent-kafka[avro]")
    serialization = _client_module("confluent_kafka.serialization", "confluent-kafka")

    client = sr.SchemaRegistryClient({"url": schema_registry_url, "timeout": 30})
    serializer = avro.AvroSerializer(client, json.dumps(RECORD_V1))
    deserializer = avro.AvroDeserializer(client)
    context = serialization.SerializationContext(kafka_topic, serialization.MessageField.VALUE)
    record = {"customer_id": "c-000001", "income_cents": 987654}
    try:
        value = serializer(record, context)
        assert value[:1] == b"\x00", "Confluent wire format starts with the magic byte 0"

        producer = kafka.Producer({"bootstrap.servers": kafka_bootstrap, "acks": "all"})
        producer.produce(kafka_topic, value=value)
        assert producer.flush(30) == 0

        msg = _consume_one(kafka_bootstrap, kafka_topic)
        assert deserializer(msg.value(), context) == record
        assert client.get_latest_version(f"{kafka_topic}-value").version == 1
    finally:
        for permanent in (False, True):
            with contextlib.suppress(Exception):
                client.delete_subject(f"{kafka_topic}-value", permanent=permanent)
