"""The kafka sink against the real broker (scripts/stack up): read back by an independent consumer."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafkatest_support import (
    SESSION,
    cli_runner,
    kafka_partition,
    read_topic,
    toy_pack,
    toy_plugins,
    unique_prefix,
)

from datagen_kernel import EntitySpec, Kind
from datagen_kernel.testing import SinkConformance

pytestmark = pytest.mark.integration

TOY = {s.name: s for s in (toy_pack.TEAM, toy_pack.MEMBER, toy_pack.SCORE)}


class TestKafkaSinkConformance(SinkConformance):
    sink_name = "kafka"
    customers = 23

    @property
    def plugins(self) -> Sequence[Any]:  # type: ignore[override]
        import datagen_plugin_kafka.plugin as kafka_plugin

        return (kafka_plugin,)

    @pytest.fixture
    def conformance_options(self, kafka_bootstrap: str) -> Mapping[str, str]:
        self.bootstrap = kafka_bootstrap
        return {"bootstrap_servers": kafka_bootstrap, "topic_prefix": f"t-{SESSION}-conf-{{run}}.",
                "preset": "reliable"}

    def read_back(self, config: Mapping[str, Any], entities: Mapping[str, EntitySpec]) -> Mapping[str, Sequence[Any]]:
        admin = AdminClient({"bootstrap.servers": config["bootstrap_servers"]})
        existing = admin.list_topics(timeout=10).topics
        held: dict[str, list[Any]] = {}
        for name, spec in entities.items():
            topic = config["topic_prefix"] + spec.topic_name
            if topic in existing:
                msgs = read_topic(config["bootstrap_servers"], topic)
                held[name] = [(m.partition, m.key, m.value, sorted(m.headers.items())) for m in msgs]
        return held

    def test_failed_run_leaves_no_complete_output(self, conformance: Any) -> None:
        """Kafka shows messages as they are acknowledged (no transactions): a failed run cannot
        take them back. What the sink guarantees instead: close(ok=False) still waits for the
        delivery reports, so every record is counted as acknowledged or failed."""
        sink, counts = conformance.drive(batch_size=10, close_ok=False)
        for name, count in counts.items():
            assert sink.stats.acknowledged[name] + sink.stats.failed[name] == count


def _run_json(tmp_path: Path, customers: int, seed: int) -> dict[str, list[bytes]]:
    out = tmp_path / "json"
    result = cli_runner(toy_plugins())(["run", "--customers", str(customers), "--seed", str(seed), "--sink", "json",
                                        "-o", f"json.path={out}", "-q"])
    assert result.exit_code == 0, result.output
    return {p.name.split(".")[0]: p.read_bytes().splitlines() for p in out.glob("*.jsonl")}


def test_toy_round_trip_matches_json_output(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = unique_prefix("toy")
    summary_file = tmp_path / "summary.json"
    result = cli_runner(toy_plugins())([
        "run", "--customers", "1200", "--seed", "11", "--sink", "kafka", "--workers", "2", "--batch-size", "700",
        "-o", f"kafka.bootstrap_servers={kafka_bootstrap}", "-o", f"kafka.topic_prefix={prefix}",
        "-o", "kafka.partitions=5", "-o", "kafka.retention_ms=86400000", "--summary-json", str(summary_file), "-q",
    ])
    assert result.exit_code == 0, result.output
    summary = json.loads(summary_file.read_text())
    assert summary["ok"] and summary["acknowledged"] == summary["generated"]
    expected = _run_json(tmp_path, 1200, 11)
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    for name, spec in TOY.items():
        topic = prefix + spec.topic_name
        msgs = read_topic(kafka_bootstrap, topic)
        lines = expected[name]
        assert len(msgs) == len(lines) > 0, f"{topic}: {len(msgs)} messages, {len(lines)} json lines"
        assert sorted(m.value for m in msgs) == sorted(lines), f"{topic}: values differ from the json sink's"
        by_id = {json.loads(line)[spec.primary_key]: json.loads(line) for line in lines}
        partitions_of: dict[bytes, set[int]] = {}
        for m in msgs:
            record = by_id[json.loads(m.value)[spec.primary_key]]
            assert m.key == str(record[spec.message_key]).encode()
            assert m.partition == kafka_partition(m.key, 5), "partition does not follow the key (murmur2)"
            partitions_of.setdefault(m.key, set()).add(m.partition)
            h = m.headers
            assert h["ce_specversion"] == b"1.0" and h["content-type"] == b"application/json"
            assert h["ce_id"] == record[spec.primary_key].encode() and h["ce_subject"] == m.key
        assert all(len(p) == 1 for p in partitions_of.values())
        assert len({m.headers["ce_id"] for m in msgs}) == len(msgs)
        md = admin.list_topics(topic, timeout=10).topics[topic]
        assert len(md.partitions) == 5
        config = admin.describe_configs([ConfigResource("topic", topic)])
        values = next(iter(config.values())).result()
        if spec.kind == Kind.EVENT:
            assert values["cleanup.policy"].value == "delete"
            assert values["retention.ms"].value == "86400000"
        else:
            assert values["cleanup.policy"].value == "compact"
    # the event topic is the catalog topic under the prefix
    assert prefix + "toy.scores" in admin.list_topics(timeout=10).topics


@pytest.mark.parametrize("preset", ["reliable", "fast", "bulk", "streaming"])
def test_every_preset_delivers_and_counts(kafka_bootstrap: str, tmp_path: Path, preset: str) -> None:
    prefix = unique_prefix(preset)
    summary_file = tmp_path / "summary.json"
    result = cli_runner(toy_plugins())([
        "run", "--customers", "300", "--sink", "kafka:event", "-o", f"kafka.bootstrap_servers={kafka_bootstrap}",
        "-o", f"kafka.topic_prefix={prefix}", "-o", f"kafka.preset={preset}", "-o", "kafka.producer=linger.ms=1",
        "--summary-json", str(summary_file), "-q",
    ])
    assert result.exit_code == 0, result.output
    summary = json.loads(summary_file.read_text())
    (row,) = summary["rows"]
    assert row["entity"] == "score" and row["acknowledged"] == row["generated"] > 0 and row["failed"] == 0
    assert len(read_topic(kafka_bootstrap, prefix + "toy.scores")) == row["generated"]


def test_missing_topic_without_create_topics_fails_at_start(kafka_bootstrap: str) -> None:
    prefix = unique_prefix("nocreate")
    start = time.monotonic()
    result = cli_runner(toy_plugins())([
        "run", "--customers", "10", "--sink", "kafka:event", "-o", f"kafka.bootstrap_servers={kafka_bootstrap}",
        "-o", f"kafka.topic_prefix={prefix}", "-o", "kafka.create_topics=false", "-q",
    ])
    assert result.exit_code != 0
    assert time.monotonic() - start < 20
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert f"{prefix}toy.scores" in errors[0] and "create_topics is false" in errors[0]
    assert f"{prefix}toy.scores" not in AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(
        timeout=10).topics


def test_existing_topics_are_used_when_create_topics_is_false(kafka_bootstrap: str) -> None:
    prefix = unique_prefix("existing")
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    for fut in admin.create_topics([NewTopic(prefix + "toy.scores", 2, 1)]).values():
        fut.result(30)
    result = cli_runner(toy_plugins())([
        "run", "--customers", "50", "--sink", "kafka:event", "-o", f"kafka.bootstrap_servers={kafka_bootstrap}",
        "-o", f"kafka.topic_prefix={prefix}", "-o", "kafka.create_topics=false", "-q",
    ])
    assert result.exit_code == 0, result.output
    msgs = read_topic(kafka_bootstrap, prefix + "toy.scores")
    assert msgs and all(m.partition == kafka_partition(m.key, 2) for m in msgs)


def test_refused_messages_fail_the_run_with_count_and_reason(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = unique_prefix("refused")
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    topic = NewTopic(prefix + "toy.scores", 1, 1, config={"max.message.bytes": "64"})
    for fut in admin.create_topics([topic]).values():
        fut.result(30)
    summary_file = tmp_path / "summary.json"
    result = cli_runner(toy_plugins())([
        "run", "--customers", "40", "--sink", "kafka", "-o", f"kafka.bootstrap_servers={kafka_bootstrap}",
        "-o", f"kafka.topic_prefix={prefix}", "-o", "kafka.preset=fast", "--summary-json", str(summary_file), "-q",
    ])
    assert result.exit_code != 0
    summary = json.loads(summary_file.read_text())
    rows = {r["entity"]: r for r in summary["rows"]}
    assert rows["score"]["generated"] > 0
    assert rows["score"]["acknowledged"] == 0 and rows["score"]["failed"] == rows["score"]["generated"]
    assert rows["member"]["acknowledged"] == rows["member"]["generated"]
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert f"{rows['score']['generated']:,} of" in errors[0] and "too large" in errors[0].lower(), errors[0]


def test_stream_mode_delivers_and_stamps_ce_time_now(kafka_bootstrap: str, tmp_path: Path) -> None:
    import datetime as dt

    prefix = unique_prefix("stream")
    summary_file = tmp_path / "summary.json"
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    result = cli_runner(toy_plugins())([
        "run", "--customers", "200", "--stream", "--rate", "400", "--duration", "2", "--sink", "kafka:event",
        "-o", f"kafka.bootstrap_servers={kafka_bootstrap}", "-o", f"kafka.topic_prefix={prefix}",
        "-o", "kafka.preset=streaming", "--summary-json", str(summary_file), "-q",
    ])
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert result.exit_code == 0, result.output
    summary = json.loads(summary_file.read_text())
    (row,) = summary["rows"]
    assert row["acknowledged"] == row["generated"] > 0 and row["failed"] == 0
    msgs = read_topic(kafka_bootstrap, prefix + "toy.scores")
    assert len(msgs) == row["generated"]
    for m in msgs:
        at = dt.datetime.fromisoformat(m.headers["ce_time"].decode().replace("Z", "+00:00"))
        assert before <= at <= after


def test_topics_the_cluster_cannot_create_are_one_clear_error(kafka_bootstrap: str) -> None:
    prefix = unique_prefix("rf")
    result = cli_runner(toy_plugins())([
        "run", "--customers", "5", "--sink", "kafka:event", "-o", f"kafka.bootstrap_servers={kafka_bootstrap}",
        "-o", f"kafka.topic_prefix={prefix}", "-o", "kafka.replication_factor=3", "-q",
    ])
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "cannot create topic(s)" in errors[0] and f"{prefix}toy.scores" in errors[0]
    assert "replication" in errors[0].lower()
