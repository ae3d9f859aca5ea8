"""End-to-end runs of the toy pack through the json sink: content, determinism, atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from toy_pack import read_dir

from datagen_kernel.api.seeding import BLOCK_SIZE


def run_json(toy_cli, out: Path, *extra: str) -> None:  # type: ignore[no-untyped-def]
    result = toy_cli(["run", "-q", "-o", f"json.path={out}", *extra])
    assert result.exit_code == 0, result.output


def load(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_run_writes_every_entity_with_valid_foreign_keys(toy_cli, tmp_path: Path) -> None:
    run_json(toy_cli, tmp_path, "--customers", "1234")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_datagen-run.json", "member.jsonl", "score.jsonl",
                                                          "team.jsonl"]
    teams = load(tmp_path / "team.jsonl")
    members = load(tmp_path / "member.jsonl")
    scores = load(tmp_path / "score.jsonl")
    assert len(teams) == 1234
    assert len(members) == 3 * 1234
    team_ids = {t["team_id"] for t in teams}
    member_ids = {m["member_id"] for m in members}
    assert len(team_ids) == 1234 and len(member_ids) == len(members)
    assert all(m["team_id"] in team_ids for m in members)
    assert scores and all(s["member_id"] in member_ids for s in scores)
    # exact decimals and ISO timestamps with the Sao Paulo offset
    assert all(isinstance(t["budget"], str) and t["budget"].split(".")[1].__len__() == 2 for t in teams)
    assert all(s["at"].endswith("-03:00") for s in scores)
    assert list(teams[0]) == ["team_id", "name", "league", "budget"]


def test_same_seed_is_byte_identical_across_batch_sizes_and_workers(toy_cli, tmp_path: Path) -> None:
    n = str(BLOCK_SIZE * 3 + 17)  # several blocks, the last one partial
    variants = {
        "base": ["--customers", n, "--seed", "7"],
        "batch": ["--customers", n, "--seed", "7", "--batch-size", "333"],
        "workers": ["--customers", n, "--seed", "7", "--workers", "2"],
        "workers-batch": ["--customers", n, "--seed", "7", "--workers", "3", "--batch-size", "1"],
    }
    outputs = {}
    for name, args in variants.items():
        run_json(toy_cli, tmp_path / name, *args)
        outputs[name] = read_dir(tmp_path / name)
    assert outputs["base"]
    for name, files in outputs.items():
        assert files == outputs["base"], name


@pytest.mark.parametrize("workers", ["1", "2"])
def test_one_pass_and_two_phases_write_the_same_files(toy_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      workers: str) -> None:
    """The json sink needs no barrier, so its runs take one pass; with one, two phases."""
    from datagen_plugin_json.sinks import JsonLinesSink

    import datagen_kernel.engine.run as run_module

    passes: list[tuple[str, ...]] = []
    phases = run_module.Engine._phases
    monkeypatch.setattr(run_module.Engine, "_phases", lambda self, sinks: passes.append(phases(self, sinks))
                        or passes[-1])
    args = ["--customers", str(BLOCK_SIZE * 2 + 5), "--seed", "11", "--workers", workers]
    run_json(toy_cli, tmp_path / "one", *args)
    monkeypatch.setattr(JsonLinesSink, "phase_barrier", True)
    run_json(toy_cli, tmp_path / "two", *args)
    assert passes == [("all",), ("masters", "events")]
    assert read_dir(tmp_path / "one") == read_dir(tmp_path / "two") != {}


def test_a_different_seed_gives_different_data(toy_cli, tmp_path: Path) -> None:
    run_json(toy_cli, tmp_path / "a", "--customers", "50", "--seed", "1")
    run_json(toy_cli, tmp_path / "b", "--customers", "50", "--seed", "2")
    assert read_dir(tmp_path / "a")["team.jsonl"] != read_dir(tmp_path / "b")["team.jsonl"]


def test_prefix_is_stable_when_the_run_grows(toy_cli, tmp_path: Path) -> None:
    run_json(toy_cli, tmp_path / "small", "--customers", "100")
    run_json(toy_cli, tmp_path / "large", "--customers", str(BLOCK_SIZE * 2 + 1))
    small = load(tmp_path / "small" / "team.jsonl")
    large = load(tmp_path / "large" / "team.jsonl")
    assert large[:100] == small
    small_members = load(tmp_path / "small" / "member.jsonl")
    large_members = load(tmp_path / "large" / "member.jsonl")
    assert large_members[: len(small_members)] == small_members
    small_ids = {m["member_id"] for m in small_members}
    small_scores = load(tmp_path / "small" / "score.jsonl")
    assert [s for s in load(tmp_path / "large" / "score.jsonl") if s["member_id"] in small_ids] == small_scores


def test_routing_by_kind_and_entity(toy_cli, tmp_path: Path) -> None:
    result = toy_cli(["run", "-q", "--customers", "10", "--sink", "json:event", "-o", f"json.path={tmp_path}"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_datagen-run.json", "score.jsonl"]


def test_gzip_output(toy_cli, tmp_path: Path) -> None:
    import gzip

    run_json(toy_cli, tmp_path, "--customers", "20", "-o", "json.gzip=true")
    assert (tmp_path / "team.jsonl.gz").exists()
    lines = gzip.decompress((tmp_path / "team.jsonl.gz").read_bytes()).splitlines()
    assert len(lines) == 20


@pytest.mark.parametrize("workers", ["1", "2"])
def test_failed_run_leaves_no_file_that_looks_complete(toy_host, tmp_path: Path, workers: str) -> None:
    # with two workers, block 3 is written in place and waits for block 2's ends, which
    # never come: the run must still stop, on block 2's error
    from click.testing import CliRunner

    from datagen_kernel import hookimpl
    from datagen_kernel.cli import make_cli

    calls = {"n": 0}

    class Explode:
        @hookimpl
        def datagen_register_generators(self, register):  # type: ignore[no-untyped-def]
            def wrapper(ctx, inner):  # type: ignore[no-untyped-def]
                calls["n"] += 1
                if ctx.block == 2:
                    raise RuntimeError("disk on fire")
                return inner(ctx)

            register.wrap("member", wrapper)

    toy_host.register(Explode(), "explode")
    result = CliRunner().invoke(make_cli(lambda: toy_host),
                                ["run", "-q", "--customers", str(BLOCK_SIZE * 4), "-o", f"json.path={tmp_path}",
                                 "--workers", workers])
    assert result.exit_code != 0
    assert "disk on fire" in result.output
    assert "explode" in result.output  # the failing plugin is named
    assert [p.name for p in tmp_path.iterdir()] == ["_datagen-run.json"]  # no data file, the run failed
    assert '"status": "failed"' in (tmp_path / "_datagen-run.json").read_text(encoding="utf-8")


def test_summary_json_and_exit_code(toy_cli, tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    run_json(toy_cli, tmp_path / "out", "--customers", "30", "--summary-json", str(summary))
    data = json.loads(summary.read_text())
    assert data["ok"] is True
    rows = {r["entity"]: r for r in data["rows"]}
    assert rows["team"]["generated"] == rows["team"]["acknowledged"] == 30
    assert rows["member"]["failed"] == 0


def test_console_sink_previews(toy_cli) -> None:
    result = toy_cli(["run", "-q", "--customers", "5", "--sink", "console", "-o", "console.limit=2",
                      "-o", "console.pretty=false"])
    assert result.exit_code == 0, result.output
    assert result.output.count("--- team") == 1
    team_lines = result.output.split("--- team\n")[1].split("--- member")[0].strip().splitlines()
    assert len(team_lines) == 2 and json.loads(team_lines[0])["name"] == "Team 0"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_null_sink_acknowledges_everything(toy_cli, workers: str) -> None:
    result = toy_cli(["run", "-q", "--customers", "1200", "--sink", "null", "--workers", workers])
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output


def test_generate_block_gives_the_records_a_run_writes(toy_cli, toy_host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datagen_kernel.codecs.text import from_text_values
    from datagen_kernel.engine.config import ConfigSources
    from datagen_kernel.engine.plan import RunParams, build_plan

    run_json(toy_cli, tmp_path, "--customers", str(BLOCK_SIZE + 10))
    plan = build_plan(toy_host, RunParams(root_count=BLOCK_SIZE + 10), ConfigSources.build([], environ={}))
    blocks = [plan.generate_block(b) for b in range(plan.blocks)]
    for name in ("team", "member", "score"):
        written = [from_text_values(plan.specs[name], r) for r in load(tmp_path / f"{name}.jsonl")]
        assert written == [r for block in blocks for r in block[name]], name


def test_payloads_spilled_through_memory_files_arrive_whole(toy_cli, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import datagen_kernel.engine.local as run_module  # the local executor's spill

    if not os.access("/dev/shm", os.W_OK):
        pytest.skip("no /dev/shm here: payloads take the pool's pipe")
    created: list[str] = []  # the spill folders of these runs (other processes may use /dev/shm too)
    mkdtemp = run_module.tempfile.mkdtemp
    monkeypatch.setattr(run_module.tempfile, "mkdtemp",
                        lambda *a, **k: created.append(mkdtemp(*a, **k)) or created[-1])
    monkeypatch.setattr(run_module, "_SPILL_ABOVE", 0)  # every payload goes through a file
    read: list[int] = []
    read_bytes = run_module._Spilled.read
    monkeypatch.setattr(run_module._Spilled, "read", lambda self: read.append(self.size) or read_bytes(self))
    # gzip: one compressed stream per file, so payloads come back to the main process
    args = ["--customers", str(BLOCK_SIZE * 3 + 1), "--seed", "5", "-o", "json.gzip=true"]
    run_json(toy_cli, tmp_path / "two", *args, "--workers", "2")
    run_json(toy_cli, tmp_path / "one", *args)
    assert read, "no payload was spilled"
    assert read_dir(tmp_path / "two") == read_dir(tmp_path / "one")
    assert created and all(p.startswith("/dev/shm/datagen-") for p in created)
    assert not [p for p in created if os.path.exists(p)], "a spill folder was left behind"
