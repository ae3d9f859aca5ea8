"""Poison pills on a real Kafka topic: an independent consumer finds exactly the manifest's pills."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import orjson
import pytest
from datagen_plugin_poison import plugin as poison_plugin
from datagen_plugin_poison.poison import HEADER, KINDS
from kafkatest_support import cli_runner, read_topic, toy_plugins, unique_prefix
from poison_support import manifest

pytestmark = pytest.mark.integration


def test_every_kind_on_a_kafka_json_topic_matches_the_manifest(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = unique_prefix("poison")
    cli = cli_runner([*toy_plugins(), poison_plugin])
    rates = [x for k in KINDS for x in ("-o", f"poison.{k}=0.04")]
    result = cli(["run", "-q", "--customers", "150", "--sink", "kafka", "--transform", "poison",
                  "-o", "poison.entities=score", "-o", f"poison.manifest={tmp_path / 'm.jsonl'}",
                  "-o", f"kafka.bootstrap_servers={kafka_bootstrap}", "-o", f"kafka.topic_prefix={prefix}",
                  "--summary-json", str(tmp_path / "s.json"), *rates])
    assert result.exit_code == 0, result.output
    rows = [r for r in manifest(tmp_path / "m.jsonl") if r["sink"] == "kafka"]
    messages = read_topic(kafka_bootstrap, f"{prefix}toy.scores")
    labelled = [m for m in messages if HEADER in m.headers]
    found = Counter(m.headers[HEADER].decode() for m in labelled)
    assert found == Counter(r["kind"] for r in rows)
    # the kinds the toy score can carry (it has no amount and no free text)
    assert {"duplicate", "late", "out_of_order", "schema_evolution", "orphan", "timezone", "tombstone",
            "nulls", "malformed"} <= set(found)
    # tombstones are null values, and only they are
    assert all((m.value is None) == (m.headers[HEADER] == b"tombstone") for m in labelled)
    assert all(m.value is not None for m in messages if HEADER not in m.headers)
    # each pill is the record the manifest names, with the changed values
    by_kind_key = Counter((r["kind"], r["key"]) for r in rows if r["kind"] != "tombstone")
    seen = Counter((m.headers[HEADER].decode(), orjson.loads(m.value)["score_id"]) for m in labelled
                   if m.value is not None)
    assert seen == by_kind_key
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["transforms"]["poison"]["counts"] == {k: {"kafka": n} for k, n in sorted(found.items())}
    assert summary["ok"] is True


def test_a_stream_to_kafka_carries_the_pills_headers_and_tombstones(kafka_bootstrap: str, tmp_path: Path) -> None:
    from datagen_kernel.engine.stream import ManualClock, use_clock

    prefix = unique_prefix("poisonstream")
    cli = cli_runner([*toy_plugins(), poison_plugin])
    rates = [x for k in ("duplicate", "late", "tombstone", "nulls") for x in ("-o", f"poison.{k}=0.05")]
    with use_clock(ManualClock()):  # simulated seconds
        result = cli(["run", "-q", "--customers", "150", "--sink", "kafka", "--transform", "poison",
                      "--stream", "--stream-clock", "replay", "--rate", "400", "--duration", "5",
                      "-o", "poison.entities=score", "-o", f"poison.manifest={tmp_path / 'm.jsonl'}",
                      "-o", f"kafka.bootstrap_servers={kafka_bootstrap}", "-o", f"kafka.topic_prefix={prefix}",
                      *rates])
    assert result.exit_code == 0, result.output
    rows = [r for r in manifest(tmp_path / "m.jsonl") if r["sink"] == "kafka"]
    labelled = [m for m in read_topic(kafka_bootstrap, f"{prefix}toy.scores") if HEADER in m.headers]
    assert Counter(m.headers[HEADER].decode() for m in labelled) == Counter(r["kind"] for r in rows)
    assert {"duplicate", "late", "tombstone", "nulls"} <= {r["kind"] for r in rows}
    assert all((m.value is None) == (m.headers[HEADER] == b"tombstone") for m in labelled)
