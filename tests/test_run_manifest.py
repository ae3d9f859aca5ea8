"""The run manifest ``_datagen-run.json``: written by a run, read by the next run and by validate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from datagen_kernel.api.generation import RunInfo
from datagen_kernel.api.options import Option
from datagen_kernel.engine.manifest import MANIFEST, safe_options

TESTS = Path(__file__).parent
KEYS = {"seed", "as_of", "options", "root_count", "scenario", "sinks", "files", "complete", "started_at",
        "finished_at", "datagen_version", "run_id"}


def _manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return data


def test_a_run_leaves_a_complete_manifest(toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, events = tmp_path / "out", tmp_path / "events.jsonl"
    result = toy_cli(["run", "-q", "--customers", "40", "--seed", "9", "--as-of", "2025-06-30",
                      "-o", f"json.path={out}", "--progress-json", str(events)])
    assert result.exit_code == 0, result.output
    manifest = _manifest(out)
    assert set(manifest) >= KEYS
    assert manifest["complete"] is True and manifest["status"] == "complete"
    assert (manifest["seed"], manifest["root_count"], manifest["scenario"]) == (9, 40, None)
    assert manifest["as_of"].startswith("2025-06-30T00:00:00") and manifest["sinks"] == ["json"]
    assert manifest["options"]["json"]["path"] == str(out)
    assert manifest["started_at"] <= manifest["finished_at"]
    start = json.loads(events.read_text(encoding="utf-8").splitlines()[0])
    assert manifest["run_id"] == start["run_id"]
    assert set(manifest["files"]) == {"team.jsonl", "member.jsonl", "score.jsonl"}
    for name, entry in manifest["files"].items():
        data = (out / name).read_bytes()
        assert entry["records"] == data.count(b"\n") > 0 and entry["bytes"] == len(data), name
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST, *manifest["files"]])


def test_a_narrower_rerun_warns_about_the_other_files_and_validate_reads_only_its_own(
        toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert toy_cli(["run", "-q", "--customers", "600", "-o", f"json.path={out}"]).exit_code == 0
    (out / "README.md").write_text("the data of a test\n", encoding="utf-8")  # not a run's: no warning
    rerun = toy_cli(["run", "-q", "--customers", "300", "--sink", "json:master", "-o", f"json.path={out}"])
    assert rerun.exit_code == 0, rerun.output
    assert "warning: " in rerun.stderr and "holds 1 file(s) this run does not write: score.jsonl" in rerun.stderr
    assert (out / "score.jsonl").exists()  # warned about, not deleted
    assert set(_manifest(out)["files"]) == {"team.jsonl", "member.jsonl"}
    checked = toy_cli(["validate", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "its run manifest does not list: score.jsonl" in checked.stderr
    assert "score:" not in checked.stderr and "team: 300 records" in checked.stderr
    # without the manifest, the stale scores (of 600 teams' members) break the foreign keys
    (out / MANIFEST).unlink()
    assert toy_cli(["validate", str(out)]).exit_code == 1


def test_validate_refuses_an_incomplete_run_and_a_missing_file(toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert toy_cli(["run", "-q", "--customers", "20", "-o", f"json.path={out}"]).exit_code == 0
    manifest = _manifest(out)
    (out / "member.jsonl").unlink()
    missing = toy_cli(["validate", str(out)])
    assert missing.exit_code == 2 and "lists file(s) the folder does not hold: member.jsonl" in missing.stderr
    manifest.update(complete=False, status="interrupted")
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    incomplete = toy_cli(["validate", str(out)])
    assert incomplete.exit_code == 1 and "Traceback" not in incomplete.output
    assert "did not complete (status interrupted" in incomplete.stderr
    rerun = toy_cli(["run", "-q", "--customers", "20", "-o", f"json.path={out}"])
    assert "the previous run into this folder" in rerun.stderr and "did not complete" in rerun.stderr
    assert _manifest(out)["complete"] is True


def test_an_interrupted_run_leaves_an_incomplete_manifest(tmp_path: Path) -> None:
    out, events = tmp_path / "out", tmp_path / "events.jsonl"
    child = subprocess.Popen(
        [sys.executable, str(TESTS / "toy_cli.py"), "run", "--customers", "300000", "-o", f"json.path={out}",
         "--progress-json", str(events)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # a shell's background job ignores it
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the run is writing: its manifest says so
            if events.exists() and '"event":"progress"' in events.read_text(encoding="utf-8"):
                break
            time.sleep(0.05)
        assert _manifest(out)["complete"] is False and _manifest(out)["status"] == "started"
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, err
    manifest = _manifest(out)
    assert manifest["complete"] is False and manifest["status"] == "interrupted" and manifest["finished_at"]
    assert all(entry["records"] is None for entry in manifest["files"].values())
    last = json.loads(events.read_text(encoding="utf-8").splitlines()[-1])
    assert last["event"] == "summary" and last["exit_code"] == 130
    assert not any(name.endswith(".jsonl") for name in os.listdir(out))


def test_the_manifest_keeps_no_secret() -> None:
    sink = SimpleNamespace(options=(Option("url", "str", "", "where", secret=True), Option("topic", "str", "", "t")))
    route = SimpleNamespace(route=SimpleNamespace(sink="db"), sink_cls=sink)
    options = {"db": {"url": "postgresql://app:s3cret@db/x", "topic": "t1"},
               "pack": {"server": "http://user:pw@registry:8081", "rate": 0.5}}
    plan = SimpleNamespace(routes=[route], serializers={}, transforms=[], executor=None,
                           run=RunInfo(seed=1, root_count=1, options=options))
    assert safe_options(plan) == {  # type: ignore[arg-type]
        "db": {"url": "postgresql://app:********@db/x", "topic": "t1"},
        "pack": {"server": "http://user:********@registry:8081", "rate": 0.5}}
