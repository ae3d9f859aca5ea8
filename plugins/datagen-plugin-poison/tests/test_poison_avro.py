"""Poison pills on a Kafka topic with Avro values: decoded with the registry's schemas by an
independent consumer, undecodable payloads counted as such, a second schema version registered."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import datagen_plugin_avro.plugin as avro_plugin
import fastavro
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from datagen_plugin_poison import plugin as poison_plugin
from datagen_plugin_poison.poison import HEADER, KINDS, NEW_FIELD
from kafkatest_support import cli_runner, read_topic, toy_plugins, unique_prefix
from poison_support import manifest

pytestmark = pytest.mark.integration


def test_every_kind_on_an_avro_topic(kafka_bootstrap: str, schema_registry_url: str, tmp_path: Path) -> None:
    prefix = unique_prefix("poison-avro")
    cli = cli_runner([*toy_plugins(), avro_plugin, poison_plugin])
    rates = [x for k in KINDS for x in ("-o", f"poison.{k}=0.04")]
    result = cli(["run", "-q", "--customers", "150", "--sink", "kafka-avro", "--transform", "poison",
                  "-o", "poison.entities=score", "-o", f"poison.manifest={tmp_path / 'm.jsonl'}",
                  "-o", f"kafka-avro.bootstrap_servers={kafka_bootstrap}", "-o", f"kafka-avro.topic_prefix={prefix}",
                  "-o", f"avro.schema_registry_url={schema_registry_url}",
                  "--summary-json", str(tmp_path / "s.json"), *rates])
    assert result.exit_code == 0, result.output
    topic = f"{prefix}toy.scores"
    rows = [r for r in manifest(tmp_path / "m.jsonl") if r["sink"] == "kafka-avro"]
    registry = SchemaRegistryClient({"url": schema_registry_url})
    subject = f"{topic}-value"
    versions = registry.get_versions(subject)
    assert len(versions) == 2
    assert registry.get_compatibility(subject) == "BACKWARD"
    schemas: dict[int, object] = {}

    def decode(value: bytes) -> dict[str, object] | None:
        """The record, or None when the message does not decode with a registered schema."""
        if len(value) < 5 or value[0] != 0:
            return None
        sid = int.from_bytes(value[1:5], "big")
        if sid not in schemas:
            try:
                schemas[sid] = fastavro.parse_schema(json.loads(registry.get_schema(sid).schema_str))
            except Exception:
                return None
        buf = io.BytesIO(value[5:])
        try:
            record = fastavro.schemaless_reader(buf, schemas[sid], None)
        except Exception:
            return None
        return record if buf.tell() == len(value) - 5 else None

    messages = read_topic(kafka_bootstrap, topic)
    undecodable = Counter()
    kinds = Counter()
    for m in messages:
        kind = m.headers.get(HEADER, b"").decode() or None
        if kind:
            kinds[kind] += 1
        if m.value is None:
            assert kind == "tombstone"
            continue
        record = decode(m.value)
        if record is None:
            undecodable[kind] += 1
            continue
        assert kind not in ("malformed", "nulls")
        assert (NEW_FIELD in record) == (kind == "schema_evolution")
    assert kinds == Counter(r["kind"] for r in rows)
    assert set(undecodable) == {"malformed", "nulls"}  # every other message decodes
    assert undecodable == Counter(r["kind"] for r in rows if r.get("payload") == "undecodable")
    assert {"duplicate", "late", "out_of_order", "schema_evolution", "orphan", "timezone", "tombstone"} <= set(kinds)
    evolved = {r["schema_id"] for r in rows if r["kind"] == "schema_evolution"}
    assert evolved == {registry.get_latest_version(subject).schema_id}  # the second version
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["ok"] is True
    assert summary["transforms"]["poison"]["counts"] == {k: {"kafka-avro": n} for k, n in sorted(kinds.items())}
