"""Transforms that may break the schema: raw values, labels, the payload stage, side rows,
scenarios that enable transforms, ``datagen transforms``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from datagen_kernel import Raw, Transform, hookimpl
from datagen_kernel.api import Option, PayloadBatch, Scenario, Sink
from datagen_kernel.api.sinks import EncodedBatch
from datagen_kernel.cli import make_cli

CAPTURED: list[EncodedBatch] = []
NULLS_SEEN: set[bool] = set()


class CaptureSink(Sink):
    """Keeps every batch it is given (in this process), acknowledging it."""

    name = "capture"
    doc = "Keeps batches in memory (tests)."
    null_values = True
    record_headers = True
    message_keys = True

    def write(self, batch: EncodedBatch) -> None:
        CAPTURED.append(batch)
        self.stats.ack(batch.entity, batch.count)


class ApartSink(CaptureSink):
    name = "apart"
    labelled_apart = True


def _poison_points(spec, records, ctx):  # type: ignore[no-untyped-def]
    """Every 10th score: points as text, its original kept as a side row; every 25th duplicated."""
    out = []
    for i, r in enumerate(records):
        if i % 10 == 3:
            changed = {**r, "points": Raw("ten")}
            ctx.label(changed, "malformed", {"key": r["score_id"], "points": r["points"]})
            ctx.emit({"key": r["score_id"], "kind": "malformed", "block": ctx.block})
            out.append(changed)
            continue
        out.append(r)
        if i % 25 == 7:
            copy = dict(r)
            ctx.label(copy, "duplicate")
            ctx.emit({"key": r["score_id"], "kind": "duplicate", "block": ctx.block})
            out.append(copy)
    return out


def _payload(batch: PayloadBatch, ctx) -> None:  # type: ignore[no-untyped-def]
    for i, label in sorted(batch.labels.items(), reverse=True):
        if batch.record_headers:
            batch.add_header(i, "x-label", label.label.encode())
        if label.label == "duplicate" and batch.null_values:
            batch.set_value(i, None)
        ctx.emit({"sink": batch.route, "kind": label.label})


def _collect(rows, ctx):  # type: ignore[no-untyped-def]
    ctx.state.setdefault("rows", []).extend(rows)


def _finish(ctx, ok):  # type: ignore[no-untyped-def]
    rows = ctx.state.get("rows", [])
    return {"rate": ctx.options["rate"], "rows": len(rows), "kinds": sorted({r["kind"] for r in rows}), "ok": ok,
            "order": [r.get("block") for r in rows if "block" in r]}


class Poisoner:
    @hookimpl
    def datagen_register_transforms(self, register):  # type: ignore[no-untyped-def]
        register(Transform("spoil", _poison_points, "Spoils scores.", entities=["score"], payload=_payload,
                           collect=_collect, finish=_finish, options=(Option("rate", "float", 0.0, "A rate."),),
                           describe="Spoils every 10th score's points."))
        register(Transform("strict", lambda spec, records, ctx: [{**r, "budget": "12,50"} for r in records],
                           "Puts text in a decimal without Raw.", entities=["team"]))

        def explode(spec, records, ctx):  # type: ignore[no-untyped-def]
            for r in records:
                if r["points"] == 7:
                    raise KeyError("seven")
            return records

        register(Transform("explode", explode, "Fails on a score of 7.", entities=["score"]))

        def nulls_seen(spec, records, ctx):  # type: ignore[no-untyped-def]
            NULLS_SEEN.add(ctx.null_values)
            return records

        register(Transform("nulls-seen", nulls_seen, "Notes whether the sinks carry null values.",
                           entities=["score"]))

    @hookimpl
    def datagen_register_sinks(self, register):  # type: ignore[no-untyped-def]
        register(CaptureSink)
        register(ApartSink)

    @hookimpl
    def datagen_register_scenarios(self, register):  # type: ignore[no-untyped-def]
        register(Scenario("spoiled", "Scores spoiled.", transforms=["spoil"],
                          transform_options={"spoil": {"rate": 0.25}}))
        register(Scenario("bad-options", "Sets an unknown option.", transforms=["spoil"],
                          transform_options={"spoil": {"nope": 1}}))


@pytest.fixture
def cli(toy_host):  # type: ignore[no-untyped-def]
    toy_host.register(Poisoner(), "poisoner")

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(make_cli(lambda: toy_host), list(args))

    return invoke


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in path.read_bytes().splitlines()]


def test_raw_values_are_written_as_given_and_labelled_copies_added(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clean, spoiled = tmp_path / "clean", tmp_path / "spoiled"
    assert cli("run", "-q", "--customers", "30", "-o", f"json.path={clean}").exit_code == 0
    result = cli("run", "-q", "--customers", "30", "--transform", "spoil", "-o", f"json.path={spoiled}",
                 "--summary-json", str(tmp_path / "s.json"))
    assert result.exit_code == 0, result.output
    scores = _lines(spoiled / "score.jsonl")
    malformed = [s for s in scores if s["points"] == "ten"]
    assert malformed and all(isinstance(s["points"], int) for s in scores if s not in malformed)
    clean_scores = (clean / "score.jsonl").read_bytes().splitlines()
    assert len(scores) > len(clean_scores)
    # the other entities are untouched, byte for byte
    assert (clean / "member.jsonl").read_bytes() == (spoiled / "member.jsonl").read_bytes()
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["transforms"]["spoil"]["kinds"] == ["duplicate", "malformed"]
    assert summary["transforms"]["spoil"]["ok"] is True
    order = summary["transforms"]["spoil"]["order"]
    assert order == sorted(order)  # side rows arrive in block order


def test_side_rows_and_output_do_not_depend_on_workers_or_batch_size(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outputs = []
    for workers, batch in (("1", "10000"), ("2", "7")):
        out = tmp_path / f"{workers}-{batch}"
        out.mkdir()
        result = cli("run", "-q", "--customers", "2500", "--transform", "spoil", "--workers", workers,
                     "--batch-size", batch, "-o", f"json.path={out}", "--summary-json", str(out / "s.json"))
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "s.json").read_text())["transforms"]
        outputs.append(((out / "score.jsonl").read_bytes(), summary))
    assert outputs[0] == outputs[1]


def test_a_plain_value_of_the_wrong_type_names_serializer_transform_and_record(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("run", "-q", "--customers", "5", "--transform", "strict", "-o", f"json.path={tmp_path}")
    assert result.exit_code == 1
    assert "serializer 'json'" in result.output and "'strict'" in result.output
    assert "team team_id=" in result.output and "Raw" in result.output
    assert "Traceback" not in result.output


def test_a_failing_transform_names_itself_and_the_record(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("run", "-q", "--customers", "40", "--transform", "explode", "-o", f"json.path={tmp_path}")
    assert result.exit_code == 1
    assert "transform 'explode' failed on record score score_id=" in result.output
    assert "KeyError" in result.output and "Traceback" not in result.output


def test_the_payload_stage_adds_headers_and_null_values_for_sinks_that_carry_them(cli) -> None:  # type: ignore[no-untyped-def]
    CAPTURED.clear()
    result = cli("run", "-q", "--customers", "30", "--transform", "spoil", "--sink", "capture")
    assert result.exit_code == 0, result.output
    scores = [b for b in CAPTURED if b.entity == "score"]
    assert scores
    for batch in scores:
        assert batch.labels and batch.record_headers is not None
        assert set(batch.labels) == set(batch.record_headers)
        assert batch.nulls == sorted(i for i, lab in batch.labels.items() if lab == "duplicate")
        values = batch.payload.tolist()
        assert all(values[i] == b"" for i in batch.nulls)
        assert all(batch.record_headers[i] == [("x-label", lab.encode())] for i, lab in batch.labels.items())
        assert len(values) == batch.count == len(batch.keys)


@pytest.mark.parametrize(("sink", "carried"), [("capture", True), ("json", False)])
def test_a_transform_knows_whether_a_sink_of_the_entity_carries_null_values(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path, sink: str, carried: bool) -> None:
    NULLS_SEEN.clear()
    where = ["-o", f"json.path={tmp_path}"] if sink == "json" else []
    result = cli("run", "-q", "--customers", "10", "--transform", "nulls-seen", "--sink", sink, *where)
    assert result.exit_code == 0, result.output
    assert set(NULLS_SEEN) == {carried}


def test_a_sink_may_take_labelled_records_apart_as_json(cli) -> None:  # type: ignore[no-untyped-def]
    CAPTURED.clear()
    result = cli("run", "-q", "--customers", "30", "--transform", "spoil", "--sink", "apart")
    assert result.exit_code == 0, result.output
    apart = [b for b in CAPTURED if b.labelled]
    plain = [b for b in CAPTURED if b.entity == "score" and not b.labelled]
    assert apart and plain and all(not b.labels for b in plain)
    for batch in apart:
        rows = [orjson.loads(v) for v in batch.payload.tolist()]
        assert batch.labels is not None and len(batch.labels) == len(rows) == batch.count
        for i, row in enumerate(rows):
            assert (row["points"] == "ten") == (batch.labels[i] == "malformed")


def test_a_scenario_enables_a_transform_and_sets_its_options(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    listed = cli("transforms")
    assert listed.exit_code == 0 and "spoil" in listed.output and "records, payloads" in listed.output
    described = cli("transforms", "describe", "spoil")
    assert described.exit_code == 0, described.output
    assert "enabled by scenario(s): bad-options, spoiled" in described.output
    assert "Spoils every 10th" in described.output
    unknown = cli("transforms", "describe", "nope")
    assert unknown.exit_code != 0 and "unknown transform 'nope'" in unknown.output
    data = json.loads(cli("transforms", "describe", "spoil", "--json").output)
    assert data["options"][0]["name"] == "rate"
    for extra, rate in (((), 0.25), (("-o", "spoil.rate=0.5"), 0.5)):
        out = tmp_path / str(rate)
        out.mkdir()
        result = cli("run", "-q", "--customers", "5", "--scenario", "spoiled", "-o", f"json.path={out}", *extra,
                     "--summary-json", str(out / "s.json"))
        assert result.exit_code == 0, result.output
        assert "ten" in (out / "score.jsonl").read_text()
        assert json.loads((out / "s.json").read_text())["transforms"]["spoil"]["rate"] == rate
    bad = cli("run", "-q", "--customers", "5", "--scenario", "bad-options", "-o", f"json.path={tmp_path}/b")
    assert bad.exit_code != 0 and "sets unknown option(s) ['nope'] of transform 'spoil'" in bad.output


def test_raw_round_trip_helpers() -> None:
    from datagen_kernel.api.transforms import has_raw, unwrap, unwrapped

    assert Raw("a") == Raw("a") and Raw(1) != Raw("1") and repr(Raw(None)) == "Raw(None)"
    assert unwrap(Raw(3)) == 3 and unwrap(3) == 3
    assert has_raw({"a": Raw(1)}) and not has_raw({"a": 1})
    assert unwrapped({"a": Raw(1), "b": 2}) == {"a": 1, "b": 2}


def test_a_few_raw_values_in_a_column_give_the_lines_the_general_path_gives() -> None:
    import datetime as dt

    from datagen_kernel.codecs.json import JsonSerializer
    from datagen_kernel.codecs.text import raw_default, to_text_values
    from datagen_kernel.testing.pack import _CONFORMANCE_OWNER as OWNER

    tz = dt.timezone(dt.timedelta(hours=-3))
    base = {"owner_id": "6ffea1d9-118c-442a-b488-a600af840a48", "name": 'Zé "Q", ç', "tier": "GOLD",
            "balance": 123456, "score": 7, "ratio": 0.5, "active": True, "born_on": dt.date(1990, 5, 17),
            "created_at": 1_700_000_000_123, "nickname": None, "address": {"street": "R. A", "city": "SP"}}
    records = [dict(base, score=i) for i in range(40)]
    records[3]["balance"] = Raw("1.234,56")
    records[5]["created_at"] = Raw("yesterday")
    records[5]["name"] = Raw(42)
    records[9]["score"] = Raw(None)
    records[9]["extra"] = Raw([1, 2])
    del records[11]["tier"]
    ser = JsonSerializer({})
    ser.timezone = tz
    lines = ser.encode(OWNER, records).tolist()
    expected = [orjson.dumps(r, default=raw_default) for r in to_text_values(OWNER, records, tz)]
    assert lines == expected
    assert orjson.loads(lines[3])["balance"] == "1.234,56" and orjson.loads(lines[9])["score"] is None


def test_the_payload_stage_duplicates_moves_and_drops_messages_keys_following(toy_host) -> None:  # type: ignore[no-untyped-def]
    def label_every_fifth(spec, records, ctx):  # type: ignore[no-untyped-def]
        out = []
        for i, r in enumerate(records):
            if i % 5 == 0:
                r = dict(r)
                ctx.label(r, "fifth")
            out.append(r)
        return out

    def reshape(batch: PayloadBatch, ctx) -> None:  # type: ignore[no-untyped-def]
        labelled = sorted(batch.labels)
        if not labelled:
            return
        first = labelled[0]
        batch.duplicate(first)                     # a copy right after it
        batch.move(first, len(batch) - 1)          # the original delayed to the end
        batch.drop(0 if first else 1)              # one message gone
        batch.set_value(len(batch) - 1, b"corrupt")

    class Reshaper:
        @hookimpl
        def datagen_register_transforms(self, register):  # type: ignore[no-untyped-def]
            register(Transform("reshape", label_every_fifth, "Reshapes batches.", entities=["score"],
                               payload=reshape))

        @hookimpl
        def datagen_register_sinks(self, register):  # type: ignore[no-untyped-def]
            register(CaptureSink)

    toy_host.register(Reshaper(), "reshaper")
    CAPTURED.clear()
    result = CliRunner().invoke(make_cli(lambda: toy_host), ["run", "-q", "--customers", "20", "--transform", "reshape",
                                                             "--sink", "capture", "--batch-size", "9"])
    assert result.exit_code == 0, result.output
    scores = [b for b in CAPTURED if b.entity == "score"]
    assert scores
    for batch in scores:
        values = batch.payload.tolist()
        keys = batch.keys.tolist()
        assert len(values) == len(keys) == batch.count
        assert values[-1] == b"corrupt"
        for value, key in zip(values[:-1], keys[:-1], strict=True):
            assert orjson.loads(value)["member_id"].encode() == key  # keys follow their records
