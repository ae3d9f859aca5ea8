"""Checks shared by the Avro integration tests: a topic read back against the json sink's output."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from datagen_plugin_kafka.cloudevents import event_source, event_type
from kafkatest_support import Message, kafka_partition, read_topic

from datagen_kernel import EntitySpec
from datagen_kernel.api.schema import Date, Decimal, Field, Timestamp
from datagen_kernel.api.schema import Record as RecordType
from datagen_kernel.codecs.text import format_decimal, format_timestamps

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def avro_to_json_form(fields: Sequence[Field], value: dict[str, Any], tz: dt.tzinfo) -> dict[str, Any]:
    """A value decoded by AvroDeserializer, in the json serializer's representation (timestamps
    in ``tz``, the run's time zone)."""
    out: dict[str, Any] = {}
    for f in fields:
        v = value[f.name]
        if v is None:
            out[f.name] = None
        elif isinstance(f.type, Decimal):
            assert isinstance(v, decimal.Decimal), f"{f.name}: {v!r}"
            out[f.name] = format_decimal(int(v.scaleb(f.type.scale)), f.type.scale)
        elif isinstance(f.type, Timestamp):
            assert isinstance(v, dt.datetime) and v.tzinfo is not None, f"{f.name}: {v!r}"
            out[f.name] = format_timestamps([(v - EPOCH) // dt.timedelta(milliseconds=1)], tz)[0]
        elif isinstance(f.type, Date):
            out[f.name] = v.isoformat()
        elif isinstance(f.type, RecordType):
            out[f.name] = avro_to_json_form(f.type.fields, v, tz)
        elif isinstance(v, uuid.UUID):
            out[f.name] = str(v)
        else:
            out[f.name] = v
    return out


def assert_topic_matches_json(bootstrap: str, registry_url: str | None, topic: str, spec: EntitySpec,
                              json_file: Path, *, partitions: int, content_type: bytes,
                              timezone: dt.tzinfo) -> list[dict[str, Any]]:
    """Read ``topic`` with an independent consumer and check it against the json sink's file.

    ``timezone``: the zone of the run that wrote ``json_file`` (its timestamps' offset).

    Counts, values (decoded through the registry for Avro, byte for byte for JSON), keys,
    partition by key (murmur2), CloudEvents headers. Returns the records in json form.
    """
    lines = json_file.read_bytes().splitlines()
    expected = {}
    for line in lines:
        obj = json.loads(line)
        expected[obj[spec.primary_key]] = obj
    assert len(expected) == len(lines), f"{json_file}: duplicate primary keys"
    if registry_url is None:
        msgs = read_topic(bootstrap, topic)
        assert sorted(m.value for m in msgs) == sorted(lines), f"{topic}: values differ from the json sink's"
        decoded = [json.loads(m.value) for m in msgs]
    else:
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.schema_registry.avro import AvroDeserializer
        from confluent_kafka.serialization import StringDeserializer

        client = SchemaRegistryClient({"url": registry_url, "timeout": 30})
        conf = {"key.deserializer": StringDeserializer(), "value.deserializer": AvroDeserializer(client)}
        msgs = read_topic(bootstrap, topic, consumer_conf=conf, deserializing=True)
        decoded = [avro_to_json_form(spec.fields, m.value, timezone) for m in msgs]
    assert len(msgs) == len(lines) > 0, f"{topic}: {len(msgs)} messages, {len(lines)} json records"
    seen: set[str] = set()
    for m, value in zip(msgs, decoded, strict=True):
        pk = value[spec.primary_key]
        assert pk not in seen, f"{topic}: {pk} delivered twice"
        seen.add(pk)
        assert value == expected[pk], f"{topic}: {pk} decodes to {value}, json sink wrote {expected[pk]}"
        _check_message(m, spec, expected[pk], partitions, content_type)
    return decoded


def _check_message(m: Message, spec: EntitySpec, record: dict[str, Any], partitions: int,
                   content_type: bytes) -> None:
    key = str(record[spec.message_key]).encode()
    got_key = m.key.encode() if isinstance(m.key, str) else m.key
    assert got_key == key, f"{m.topic}: key {got_key!r}, expected {key!r} ({spec.message_key})"
    assert m.partition == kafka_partition(key, partitions), f"{m.topic}: key {key!r} on the wrong partition"
    h = m.headers
    assert h["ce_specversion"] == b"1.0"
    assert h["ce_id"] == str(record[spec.primary_key]).encode()
    assert h["ce_subject"] == key
    assert h["ce_type"] == event_type(spec).encode()
    assert h["ce_source"] == event_source(spec).encode()
    assert h["content-type"] == content_type
