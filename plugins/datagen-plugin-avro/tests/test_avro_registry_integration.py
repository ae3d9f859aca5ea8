"""kafka-avro against the real broker and Schema Registry: subjects, ids, evolution, errors."""

from __future__ import annotations

import datetime as dt
import json
import struct
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import StringDeserializer
from kafkatest_support import SESSION, cli_runner, read_topic, toy_pack, toy_plugins, unique_prefix

from datagen_kernel import EntitySpec, Field, Int, String, hookimpl
from datagen_kernel.testing import SinkConformance

pytestmark = pytest.mark.integration


def _plugins(*extra: Any) -> list[Any]:
    import datagen_plugin_avro.plugin as avro_plugin

    return [*toy_plugins(), avro_plugin, *extra]


def _flags(kafka_bootstrap: str, registry: str, prefix: str, *more: str) -> list[str]:
    flags = ["-o", f"kafka-avro.bootstrap_servers={kafka_bootstrap}", "-o", f"kafka-avro.topic_prefix={prefix}",
             "-o", f"avro.schema_registry_url={registry}"]
    for item in more:
        flags += ["-o", item]
    return flags


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


class TestKafkaAvroSinkConformance(SinkConformance):
    sink_name = "kafka-avro"

    @property
    def plugins(self) -> Sequence[Any]:  # type: ignore[override]
        import datagen_plugin_avro.plugin as avro_plugin
        import datagen_plugin_kafka.plugin as kafka_plugin

        return (kafka_plugin, avro_plugin)

    @pytest.fixture
    def conformance_options(self, kafka_bootstrap: str, schema_registry_url: str,
                            monkeypatch: pytest.MonkeyPatch) -> Mapping[str, str]:
        # the serializer's options live in the avro namespace; the harness clears DATAGEN_* after
        # this fixture, so the registry URL reaches the serializer through its declared default
        import datagen_plugin_avro.serializer as serializer_module

        monkeypatch.setattr(serializer_module, "default_registry_url", lambda: schema_registry_url)
        return {"bootstrap_servers": kafka_bootstrap, "topic_prefix": f"t-{SESSION}-aconf-{{run}}.",
                "preset": "reliable"}

    def read_back(self, config: Mapping[str, Any], entities: Mapping[str, EntitySpec]) -> Mapping[str, Sequence[Any]]:
        from confluent_kafka.admin import AdminClient

        existing = AdminClient({"bootstrap.servers": config["bootstrap_servers"]}).list_topics(timeout=10).topics
        held: dict[str, list[Any]] = {}
        for name, spec in entities.items():
            topic = config["topic_prefix"] + spec.topic_name
            if topic in existing:
                msgs = read_topic(config["bootstrap_servers"], topic)
                held[name] = [(m.partition, m.key, m.value) for m in msgs]
        return held

    def test_failed_run_leaves_no_complete_output(self, conformance: Any) -> None:
        """Kafka cannot take acknowledged messages back; every record is still accounted for."""
        sink, counts = conformance.drive(batch_size=10, close_ok=False)
        for name, count in counts.items():
            assert sink.stats.acknowledged[name] + sink.stats.failed[name] == count


@pytest.mark.parametrize(("strategy", "subject"), [
    ("topic", "{prefix}toy.scores-value"),
    ("record", "br.com.datagen.Score"),
    ("topic_record", "{prefix}toy.scores-br.com.datagen.Score"),
])
def test_values_carry_the_id_registered_under_the_subject(
    kafka_bootstrap: str, schema_registry_url: str, strategy: str, subject: str
) -> None:
    prefix = unique_prefix(f"sub-{strategy}")
    subject = subject.format(prefix=prefix)
    result = cli_runner(_plugins())(["run", "--customers", "60", "--sink", "kafka-avro:event", "-q",
                                     *_flags(kafka_bootstrap, schema_registry_url, prefix,
                                             f"avro.subject_strategy={strategy}")])
    assert result.exit_code == 0, result.output
    client = SchemaRegistryClient({"url": schema_registry_url, "timeout": 30})
    latest = client.get_latest_version(subject)
    assert json.loads(latest.schema.schema_str)["name"] == "Score"
    msgs = read_topic(kafka_bootstrap, prefix + "toy.scores")
    assert msgs
    for m in msgs:
        assert m.value[:1] == b"\x00"
        assert struct.unpack(">I", m.value[1:5])[0] == latest.schema_id
        assert m.headers["content-type"] == b"application/avro"


class _AddOptionalField:
    """A plugin adding an optional field to ``score`` (and filling it): a BACKWARD-compatible change."""

    @hookimpl
    def datagen_register_entities(self, register: Any) -> None:
        register.extend("score", Field("coach", String(40), nullable=True, doc="Added by a later plugin."))

    @hookimpl
    def datagen_register_generators(self, register: Any) -> None:
        def wrap(ctx: Any, inner: Any) -> list[dict[str, Any]]:
            return [{**r, "coach": None if r["points"] % 2 else f"coach {r['points']}"} for r in inner(ctx)]

        register.wrap("score", wrap)


class _AddRequiredField:
    """A plugin adding a required field without a default: readers of old data cannot fill it."""

    @hookimpl
    def datagen_register_entities(self, register: Any) -> None:
        register.extend("score", Field("level", Int(minimum=0, maximum=9)))

    @hookimpl
    def datagen_register_generators(self, register: Any) -> None:
        register.wrap("score", lambda ctx, inner: [{**r, "level": 1} for r in inner(ctx)])


def test_schema_evolution_under_backward_compatibility(kafka_bootstrap: str, schema_registry_url: str) -> None:
    prefix = unique_prefix("evolve")
    subject = f"{prefix}toy.scores-value"
    flags = _flags(kafka_bootstrap, schema_registry_url, prefix)
    base = cli_runner(_plugins())(["run", "--customers", "30", "--seed", "1", "--sink", "kafka-avro:event", "-q",
                                   *flags])
    assert base.exit_code == 0, base.output
    client = SchemaRegistryClient({"url": schema_registry_url, "timeout": 30})
    client.set_compatibility(subject, "BACKWARD")
    assert client.get_versions(subject) == [1]
    first = len(read_topic(kafka_bootstrap, prefix + "toy.scores"))

    # an optional field with a null default: accepted as version 2
    evolved = cli_runner(_plugins(_AddOptionalField()))(["run", "--customers", "30", "--seed", "2", "--sink",
                                                         "kafka-avro:event", "-q", *flags])
    assert evolved.exit_code == 0, evolved.output
    assert client.get_versions(subject) == [1, 2]
    v2 = client.get_version(subject, 2)
    coach = next(f for f in json.loads(v2.schema.schema_str)["fields"] if f["name"] == "coach")
    assert coach["type"] == ["null", "string"] and coach["default"] is None
    deserializing = {"key.deserializer": StringDeserializer(), "value.deserializer": AvroDeserializer(client)}
    msgs = read_topic(kafka_bootstrap, prefix + "toy.scores", consumer_conf=deserializing, deserializing=True)
    old = [m.value for m in msgs if "coach" not in m.value]
    new = [m.value for m in msgs if "coach" in m.value]
    assert len(old) == first and new and any(v["coach"] for v in new)

    # a required field without a default: refused, naming the subject and the rule; nothing produced
    refused = cli_runner(_plugins(_AddRequiredField()))(["run", "--customers", "30", "--seed", "3", "--sink",
                                                         "kafka-avro:event", "-q", *flags])
    assert refused.exit_code != 0
    errors = _error_lines(refused.output)
    assert len(errors) == 1, refused.output
    assert f"subject {subject!r}" in errors[0] and "BACKWARD" in errors[0] and "'score'" in errors[0], errors[0]
    assert "Traceback" not in refused.output
    assert client.get_versions(subject) == [1, 2]
    assert len(read_topic(kafka_bootstrap, prefix + "toy.scores")) == len(msgs)


def test_without_auto_register_an_unknown_schema_is_a_clear_error(kafka_bootstrap: str,
                                                                   schema_registry_url: str) -> None:
    prefix = unique_prefix("noauto")
    result = cli_runner(_plugins())(["run", "--customers", "5", "--sink", "kafka-avro:event", "-q",
                                     *_flags(kafka_bootstrap, schema_registry_url, prefix, "avro.auto_register=false")])
    assert result.exit_code != 0
    errors = _error_lines(result.output)
    assert len(errors) == 1, result.output
    assert f"{prefix}toy.scores-value" in errors[0] and "auto_register is false" in errors[0]


def test_without_auto_register_a_registered_schema_is_used(kafka_bootstrap: str, schema_registry_url: str) -> None:
    prefix = unique_prefix("preregistered")
    flags = _flags(kafka_bootstrap, schema_registry_url, prefix)
    first = cli_runner(_plugins())(["run", "--customers", "5", "--sink", "kafka-avro:event", "-q", *flags])
    assert first.exit_code == 0, first.output
    again = cli_runner(_plugins())(["run", "--customers", "5", "--sink", "kafka-avro:event", "-q", *flags,
                                    "-o", "avro.auto_register=false"])
    assert again.exit_code == 0, again.output


def test_unreachable_registry_fails_at_start(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = unique_prefix("noregistry")
    start = time.monotonic()
    result = cli_runner(_plugins())(["run", "--customers", "5", "--sink", "kafka-avro:event", "-q",
                                     *_flags(kafka_bootstrap, "http://127.0.0.1:1", prefix, "avro.timeout_s=2")])
    assert result.exit_code != 0
    assert time.monotonic() - start < 20
    errors = _error_lines(result.output)
    assert len(errors) == 1, result.output
    assert "cannot reach the Schema Registry at http://127.0.0.1:1" in errors[0]
    assert "Traceback" not in result.output


def test_unreachable_broker_fails_within_seconds(schema_registry_url: str) -> None:
    start = time.monotonic()
    result = cli_runner(_plugins())(["run", "--customers", "5", "--sink", "kafka-avro", "-q",
                                     *_flags("127.0.0.1:1", schema_registry_url, "x.",
                                             "kafka-avro.connect_timeout_s=2")])
    assert result.exit_code != 0
    assert time.monotonic() - start < 15
    errors = _error_lines(result.output)
    assert len(errors) == 1 and "cannot reach Kafka at 127.0.0.1:1" in errors[0], result.output


def test_toy_values_decode_to_the_json_sinks_records(kafka_bootstrap: str, schema_registry_url: str,
                                                     tmp_path: Path) -> None:
    from avrotest_support import assert_topic_matches_json

    prefix = unique_prefix("toyjson")
    result = cli_runner(_plugins())(["run", "--customers", "700", "--seed", "21", "--sink", "kafka-avro",
                                     "--workers", "2", "-q", *_flags(kafka_bootstrap, schema_registry_url, prefix)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "json"
    result = cli_runner(toy_plugins())(["run", "--customers", "700", "--seed", "21", "--sink", "json",
                                        "-o", f"json.path={out}", "-q"])
    assert result.exit_code == 0, result.output
    for spec in (toy_pack.TEAM, toy_pack.MEMBER, toy_pack.SCORE):
        assert_topic_matches_json(kafka_bootstrap, schema_registry_url, prefix + spec.topic_name, spec,
                                  out / f"{spec.name}.jsonl", partitions=3, content_type=b"application/avro",
                                  timezone=toy_pack.DOMAIN.timezone or dt.UTC)


def test_basic_auth_options_reach_the_registry_and_stay_secret(kafka_bootstrap: str,
                                                               schema_registry_url: str) -> None:
    """The local registry does not check credentials: the run works and the password is never shown."""
    prefix = unique_prefix("auth")
    result = cli_runner(_plugins())(["run", "--customers", "5", "--sink", "kafka-avro:event",
                                     *_flags(kafka_bootstrap, schema_registry_url, prefix,
                                             "avro.basic_auth_user=datagen", "avro.basic_auth_password=pw-9f3c")])
    assert result.exit_code == 0, result.output
    assert "pw-9f3c" not in result.output
