"""Poison pills in stream mode: the pills are released with the stream, labelled, and listed in
the manifest; a late or out-of-order pill is released after events that happened later."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner
from datagen_plugin_poison.poison import KINDS
from poison_support import manifest

from datagen_kernel.api.schema import Kind, Timestamp
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host
from datagen_kernel.engine.stream import ManualClock, use_clock

HOST = make_plugin_host()
SPECS = HOST.registry.entity_specs()


def _stream(out: Path, clock: str, seconds: int = 10) -> dict[str, Any]:
    rates = [x for kind in KINDS for x in ("-o", f"poison.{kind}=0.02")]
    with use_clock(ManualClock(start_ms=1_800_000_000_000)):  # simulated seconds, no real wait
        result = CliRunner().invoke(make_cli(lambda: HOST), [
            "run", "--customers", "300", "--stream", "--stream-clock", clock, "--rate", "500",
            "--duration", str(seconds), "--sink", "json", "-q", "-o", f"json.path={out}",
            "--summary-json", str(out.with_suffix(".json")), "--transform", "poison", *rates])
    assert result.exit_code == 0, result.output
    return dict(json.loads(out.with_suffix(".json").read_text()))


def _time_field(entity: str) -> str | None:
    return next((f.name for f in SPECS[entity].fields if isinstance(f.type, Timestamp) and not f.nullable), None)


def test_a_replayed_stream_carries_its_pills_with_ground_truth(tmp_path: Path) -> None:
    out = tmp_path / "replay"
    summary = _stream(out, "replay")
    rows = manifest(out / "datagen-poison.jsonl")
    counted = summary["transforms"]["poison"]
    assert rows and counted["pills"] == len(rows)
    assert {r["kind"] for r in rows} >= {"duplicate", "late", "out_of_order", "nulls", "malformed", "correction"}
    records = {p.stem: [orjson.loads(line) for line in p.read_bytes().splitlines()] for p in out.glob("*.jsonl")
               if p.name != "datagen-poison.jsonl"}
    for row in rows:  # every pill listed is in the stream, as the manifest says
        assert SPECS[row["entity"]].kind == Kind.EVENT
        pk = SPECS[row["entity"]].primary_key
        found = [r for r in records[row["entity"]] if r.get(pk) == row["key"]
                 and all(r.get(k) == v for k, v in row["changed"].items())]
        assert found, row
        if row["action"] == "added":
            assert len([r for r in records[row["entity"]] if r.get(pk) == row["key"]]) >= 2, row
    late = moved = 0
    for row in rows:  # released late: after an event of its entity that happened later
        tf = _time_field(row["entity"])
        if row["kind"] not in ("late", "out_of_order") or tf is None:
            continue
        entity, pk = row["entity"], SPECS[row["entity"]].primary_key
        moved += 1
        lines = records[entity]
        at = next(i for i, r in enumerate(lines) if r[pk] == row["key"])
        late += any(r[tf] > lines[at][tf] for r in lines[:at])
    assert moved and late >= 0.8 * moved


def test_a_stream_stamped_now_keeps_the_lateness_of_late_pills(tmp_path: Path) -> None:
    out = tmp_path / "now"
    _stream(out, "now", seconds=5)
    rows = manifest(out / "datagen-poison.jsonl")
    late = [r for r in rows if r["kind"] == "late"]
    assert late
    for row in late:
        entity, pk = row["entity"], SPECS[row["entity"]].primary_key
        tf = _time_field(entity)
        assert tf is not None
        lines = [orjson.loads(line) for line in (out / f"{entity}.jsonl").read_bytes().splitlines()]
        pill = next(r for r in lines if r[pk] == row["key"])
        assert pill[tf] < "2027-01-13T18", pill[tf]  # 2-7 days before the stream's instants (2027-01-15)
    entity = late[0]["entity"]
    tf = _time_field(entity)
    assert tf is not None
    stamps = {orjson.loads(line)[tf][:10] for line in (out / f"{entity}.jsonl").read_bytes().splitlines()}
    assert "2027-01-15" in stamps  # the other records: the stream's instant
