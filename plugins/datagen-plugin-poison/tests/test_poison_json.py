"""Poison pills in JSON Lines: every kind, ground truth, determinism (no stack needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from datagen_plugin_poison import plugin as poison_plugin
from datagen_plugin_poison.poison import KINDS, NEW_FIELD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from poison_support import canonical, manifest, restore

from datagen_kernel import hookimpl
from datagen_kernel.api import Sink, SinkError
from datagen_kernel.api.sinks import EncodedBatch
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host


def _toy_cli() -> Any:
    import datagen_plugin_json.plugin as json_plugin
    import toy_pack

    host = make_plugin_host(entrypoints=False, plugins=[toy_pack, json_plugin, poison_plugin])
    return lambda *args: CliRunner().invoke(make_cli(lambda: host), list(args))


TOY = _toy_cli()


def _run(cli: Any, out: Path, *args: str) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)  # --summary-json goes in it
    result = cli("run", "-q", "-o", f"json.path={out}", "--summary-json", str(out / "summary.json"), *args)
    assert result.exit_code == 0, result.output
    return dict(json.loads((out / "summary.json").read_text()))


@settings(max_examples=25, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rates=st.fixed_dictionaries({k: st.sampled_from([0.0, 0.01, 0.05, 0.2]) for k in KINDS}),
       batch=st.sampled_from(["3", "10000"]))
def test_clean_run_is_the_poisoned_run_minus_the_manifest(tmp_path_factory: Any, rates: dict[str, float],
                                                          batch: str) -> None:
    base = tmp_path_factory.mktemp("prop")
    _run(TOY, base / "clean", "--customers", "60")
    options = [x for k, v in rates.items() for x in ("-o", f"poison.{k}={v}")]
    summary = _run(TOY, base / "poisoned", "--customers", "60", "--transform", "poison", "--batch-size", batch,
                   "-o", "poison.entities=score", *options)
    rows = manifest(base / "poisoned" / "datagen-poison.jsonl")
    assert summary["transforms"]["poison"]["pills"] == len(rows)
    clean = (base / "clean" / "score.jsonl").read_bytes().splitlines()
    poisoned = (base / "poisoned" / "score.jsonl").read_bytes().splitlines()
    assert canonical(restore(poisoned, rows, "score_id")) == canonical(orjson.loads(x) for x in clean)
    # the records no pill touched are the clean run's bytes
    touched = {r["key"] for r in rows}
    assert {x for x in poisoned if orjson.loads(x)["score_id"] not in touched} <= set(clean)
    # the other entities are untouched
    assert (base / "clean" / "member.jsonl").read_bytes() == (base / "poisoned" / "member.jsonl").read_bytes()
    assert {r["kind"] for r in rows} <= {k for k, v in rates.items() if v} - {"tombstone"}


def test_every_kind_in_the_bank_as_json_same_with_workers_and_batch_size(tmp_path: Path) -> None:
    cli = lambda *args: CliRunner().invoke(make_cli(), list(args))  # noqa: E731  (every installed plugin)
    rates = [x for k in KINDS for x in ("-o", f"poison.{k}=0.03")]
    outs = []
    for workers, batch in (("1", "10000"), ("2", "333")):
        out = tmp_path / f"{workers}-{batch}"
        summary = _run(cli, out, "--customers", "100", "--transform", "poison", "--workers", workers,
                       "--batch-size", batch, *rates)
        outs.append((out, summary))
    (a, sa), (b, sb) = outs
    assert sa["transforms"]["poison"]["counts"] == sb["transforms"]["poison"]["counts"]
    for name in ("transaction.jsonl", "card_transaction.jsonl", "datagen-poison.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    rows = manifest(a / "datagen-poison.jsonl")
    counts = sa["transforms"]["poison"]["counts"]
    assert set(counts) == set(KINDS) - {"tombstone"}  # json carries no tombstone
    tx = [r for r in rows if r["entity"] == "transaction"]
    lines = {orjson.loads(x)["transaction_id"]: orjson.loads(x) for x in (a / "transaction.jsonl").read_bytes()
             .splitlines()}
    for row in tx:
        record = lines[row["key"]]
        if row["kind"] == "malformed" and "amount" in row["changed"]:
            assert isinstance(record["amount"], str) and "," in record["amount"]  # valid JSON, wrong type
        if row["kind"] == "schema_evolution":
            assert NEW_FIELD in record or any(r["key"] == row["key"] and r["action"] != "changed" for r in tx)
        if row["kind"] == "nulls":
            (name,) = row["original"]
            assert name not in record or record[name] is None
    clean = tmp_path / "clean"
    _run(cli, clean, "--customers", "100")
    quality = tmp_path / "data-quality"
    _run(cli, quality, "--customers", "100", "--scenario", "data-quality")
    specs = make_plugin_host().registry.entity_specs()
    for poisoned in (a, quality):  # every kind at 3%, and the scenario's rates
        pills = manifest(poisoned / "datagen-poison.jsonl")
        assert {r["entity"] for r in pills} <= {n for n, s in specs.items() if s.kind.value == "event"}
        assert {"transaction", "card_transaction", "installment"} <= {r["entity"] for r in pills}
        for name, spec in specs.items():
            lines = (poisoned / f"{name}.jsonl").read_bytes().splitlines()
            clean_lines = (clean / f"{name}.jsonl").read_bytes().splitlines()
            rows_of = [r for r in pills if r["entity"] == name]
            if not rows_of:
                assert lines == clean_lines, name
                continue
            restored = restore(lines, rows_of, spec.primary_key)
            assert canonical(restored) == canonical(orjson.loads(x) for x in clean_lines), name


def test_the_json_writer_s_c_helper_and_numpy_path_write_the_same_poisoned_bank(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datagen_kernel.codecs import jsonlines

    if jsonlines._native is None:
        pytest.skip("the kernel was installed without the json writer's C helper")
    cli = lambda *args: CliRunner().invoke(make_cli(), list(args))  # noqa: E731  (every installed plugin)
    rates = [x for k in KINDS for x in ("-o", f"poison.{k}=0.03")]
    args = ("--customers", "150", "--batch-size", "700", "--transform", "poison", *rates)
    _run(cli, tmp_path / "native", *args)
    monkeypatch.setattr(jsonlines, "_native", None)
    _run(cli, tmp_path / "numpy", *args)
    names = sorted(p.name for p in (tmp_path / "native").glob("*.jsonl"))
    assert "transaction.jsonl" in names and "datagen-poison.jsonl" in names
    for name in names:
        assert (tmp_path / "native" / name).read_bytes() == (tmp_path / "numpy" / name).read_bytes(), name


def test_describe_lists_every_kind_and_the_scenario_sets_documented_rates() -> None:
    result = CliRunner().invoke(make_cli(), ["transforms", "describe", "poison"])
    assert result.exit_code == 0, result.output
    for kind in KINDS:
        assert f"  {kind} " in result.output
    scenarios = CliRunner().invoke(make_cli(), ["scenarios", "--json"])
    found = {s["name"]: s for s in json.loads(scenarios.output)}
    assert found["data-quality"]["transforms"] == ["poison"]
    assert all(0.005 <= v <= 0.02 for v in poison_plugin.DATA_QUALITY_RATES.values())


def test_a_rate_out_of_range_is_one_clear_error(tmp_path: Path) -> None:
    result = TOY("run", "-q", "--transform", "poison", "-o", "poison.duplicate=1.5", "-o", f"json.path={tmp_path}")
    assert result.exit_code != 0 and "poison.duplicate=" in result.output and "0..1" in result.output


def test_validate_reports_a_data_quality_dataset_s_pills_and_a_rerun_keeps_the_manifest(tmp_path: Path) -> None:
    """`datagen validate` on poisoned files: violations counted (lines that are no record
    included), never a traceback; the poison manifest beside the data is the run's, not stale."""
    out = tmp_path / "dq"
    cli = lambda *args: CliRunner().invoke(make_cli(), list(args))  # noqa: E731
    for _ in range(2):  # the second run into the folder must not take datagen-poison.jsonl for stale
        result = cli("run", "-q", "--customers", "60", "--scenario", "data-quality", "-o", f"json.path={out}")
        assert result.exit_code == 0, result.output
        assert "does not write" not in result.output
    run_manifest = json.loads((out / "_datagen-run.json").read_text())
    assert run_manifest["other_files"] == {"datagen-poison.jsonl": "transform poison"}
    checked = cli("validate", str(out), "--report", str(tmp_path / "report.json"))
    assert checked.exit_code == 1 and "Traceback" not in checked.output, checked.output
    assert "not listed" not in checked.output and "does not list" not in checked.output
    report = json.loads((tmp_path / "report.json").read_text())
    rules = {rule for e in report["entities"] for rule in e["rules"]}
    assert "malformed-line" in rules and report["violation_count"] > 0
    assert report["violation_count"] >= sum(1 for _ in manifest(out / "datagen-poison.jsonl")) // 4


def test_tombstones_no_sink_carries_are_left_unmade_and_the_other_pills_stay_the_same() -> None:
    """``TransformContext.null_values`` False (json, postgres): the tombstones are not made at all,
    and every other pill is the one a run with a Kafka route gets."""
    import numpy as np
    from datagen_plugin_poison.poison import edit_stage

    from datagen_kernel.api import (
        Batch,
        Decimal,
        EntitySpec,
        Field,
        ForeignKey,
        Kind,
        RunInfo,
        String,
        Timestamp,
        TransformContext,
        Uuid,
    )
    from datagen_kernel.api.columnar import TextColumn

    spec = EntitySpec(
        name="payment", kind=Kind.EVENT, primary_key="id",
        fields=(Field("id", Uuid()), Field("account_id", Uuid()), Field("payer", String()),
                Field("amount", Decimal(15, 2)), Field("at", Timestamp())),
        foreign_keys=(ForeignKey("account_id", "account", "id"),),
    )
    n = 3000
    batch = Batch({
        "id": TextColumn.from_strings([f"{i:08d}-0000-4000-8000-000000000000" for i in range(n)]),
        "account_id": TextColumn.from_strings([f"{i % 97:08d}-1111-4000-8000-000000000000" for i in range(n)]),
        "payer": [f"payer {i % 7}" for i in range(n)],
        "amount": np.arange(n, dtype=np.int64) * 137,
        "at": 1_700_000_000_000 + np.arange(n, dtype=np.int64) * 60_000,
    })
    options = {kind: 0.02 for kind in KINDS}
    made = {}
    for carried in (True, False):
        edits = edit_stage(spec, batch, TransformContext(RunInfo(seed=7, root_count=10), "poison", 3, options, carried))
        assert edits is not None
        labels = edits.labels
        rows = edits.rows(batch)
        made[carried] = [(labels[i].label, labels[i].detail, rows[i]) for i in sorted(labels)]
    assert any(word == "tombstone" for word, _, _ in made[True])
    assert made[False] == [pill for pill in made[True] if pill[0] != "tombstone"]


def test_nulls_empty_two_required_fields_per_block_in_turn(tmp_path: Path) -> None:
    from datagen_plugin_poison.poison import NULLED_PER_BLOCK, _fields

    cli = lambda *args: CliRunner().invoke(make_cli(), list(args))  # noqa: E731  (every installed plugin)
    _run(cli, tmp_path, "--customers", "3000", "--transform", "poison", "-o", "poison.nulls=0.05",
         "-o", "poison.entities=card_transaction")
    rows = manifest(tmp_path / "datagen-poison.jsonl")
    spec = make_plugin_host().registry.entity_specs()["card_transaction"]
    required = _fields(spec)["required"]
    assert len(required) > NULLED_PER_BLOCK
    by_block: dict[int, set[str]] = {}
    for row in rows:
        assert row["kind"] == "nulls"
        (name,) = row["original"]
        by_block.setdefault(row["block"], set()).add(name)
    assert len(by_block) == 6  # 3,000 customers: six blocks
    for block, names in by_block.items():
        start = block * NULLED_PER_BLOCK
        assert names == {required[(start + j) % len(required)] for j in range(NULLED_PER_BLOCK)}
    assert set().union(*by_block.values()) == set(required)  # six blocks cover them all


class StopsAtScores(Sink):
    """A fake sink (tests only): acknowledges the masters, then fails on its first batch of scores,
    as a destination that went away mid-run."""

    name = "stops-at-scores"
    doc = "Fails on its first batch of scores (tests)."

    def write(self, batch: EncodedBatch) -> None:
        if batch.entity == "score":
            raise SinkError("the destination went away")
        self.stats.ack(batch.entity, batch.count)


class StopsAtScoresPlugin:
    @hookimpl
    def datagen_register_sinks(self, register: Any) -> None:
        register(StopsAtScores)


def test_a_failed_run_leaves_a_partial_manifest_and_the_next_run_a_complete_one(tmp_path: Path) -> None:
    """A run that fails mid-run presents no manifest as complete: the pills handed to the sinks
    are in ``datagen-poison.jsonl.partial``; the same run without the failing sink writes
    ``datagen-poison.jsonl`` (the summary says ``complete: true``) and removes the partial one."""
    import datagen_plugin_json.plugin as json_plugin
    import toy_pack

    host = make_plugin_host(entrypoints=False, plugins=[toy_pack, json_plugin, poison_plugin])
    host.register(StopsAtScoresPlugin(), "stops-at-scores")
    cli = lambda *args: CliRunner().invoke(make_cli(lambda: host), list(args))  # noqa: E731
    out = tmp_path / "out"
    out.mkdir()
    rates = [x for kind in KINDS for x in ("-o", f"poison.{kind}=0.05")]
    args = ["run", "-q", "--customers", "40", "-o", f"json.path={out}", "--summary-json", str(tmp_path / "s.json"),
            "--transform", "poison", *rates]
    failed = cli(*args, "--sink", "json", "--sink", "stops-at-scores")
    assert failed.exit_code == 1 and "the destination went away" in failed.output, failed.output
    assert "Traceback" not in failed.output
    partial = out / "datagen-poison.jsonl.partial"
    assert not (out / "datagen-poison.jsonl").exists()
    rows = manifest(partial)
    assert rows and {r["entity"] for r in rows} == {"score"}
    assert {r["sink"] for r in rows} == {"json", "stops-at-scores"}  # handed to both, kept by neither

    none = [x for kind in KINDS for x in ("-o", f"poison.{kind}=0")]
    again = cli(*args, *none, "--sink", "json", "--sink", "stops-at-scores")
    assert again.exit_code == 1, again.output  # fails again, with no pill: the earlier .partial is not its
    assert not partial.exists() and not (out / "datagen-poison.jsonl").exists()

    failed = cli(*args, "--sink", "json", "--sink", "stops-at-scores")
    assert failed.exit_code == 1 and partial.exists()
    done = cli(*args, "--sink", "json")
    assert done.exit_code == 0, done.output
    said = json.loads((tmp_path / "s.json").read_text())["transforms"]["poison"]
    assert said["complete"] is True and said["manifest"] == str(out / "datagen-poison.jsonl")
    assert not partial.exists() and len(manifest(out / "datagen-poison.jsonl")) == said["pills"] > 0


def test_a_resumable_run_with_the_manifest_is_refused_with_one_clear_message(tmp_path: Path) -> None:
    """A resumed run would write the manifest of the blocks it runs only: refused before anything is written."""
    result = TOY("run", "-q", "--customers", "20", "-o", f"json.path={tmp_path}", "--transform", "poison",
                 "-o", "poison.duplicate=0.1", "--resumable")
    assert result.exit_code == 2, result.output
    assert "--resumable cannot be used with transform 'poison': it writes a file of its own" in result.output
    assert "Traceback" not in result.output and not any(tmp_path.iterdir())

