"""The progress model (api/progress.py), `datagen run --progress-json` and the CLI's display of it."""

from __future__ import annotations

import io
import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from datagen_kernel.api.progress import ProgressSnapshot, ProgressTracker, RunShape, process_tree_rss
from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.api.summary import RunSummary, SummaryRow
from datagen_kernel.cli.progress import ProgressReporter, print_summary, progress_line


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Stats:
    def __init__(self) -> None:
        self.acknowledged: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()


def _two_phase(clock: Clock, stats: Stats) -> ProgressTracker:
    tracker = ProgressTracker(clock=clock)
    shape = RunShape(run_id="r", root_count=1000, block_phases=("masters", "events"),
                     entities={"ref": "masters", "team": "masters", "score": "events"},
                     global_entities=frozenset({"ref"}), routes={"db": ("ref", "team", "score")})
    tracker.begin(shape, {"db": stats})
    return tracker


def test_a_two_phase_run_gets_percent_eta_and_expected_total_from_its_blocks() -> None:
    clock, stats = Clock(), Stats()
    tracker = _two_phase(clock, stats)
    assert tracker.snapshot().phase == "starting" and tracker.snapshot().percent == 0.0
    tracker.phase_started("masters")
    clock.now = 0.5
    tracker("masters", "ref", 5)
    clock.now = 1.0
    tracker("masters", "team", 500)
    tracker.block_done(500)
    snap = tracker.snapshot()
    assert (snap.phase, snap.percent, snap.eta_s) == ("masters", 25.0, 3.0)
    assert snap.total_expected is None  # the events are not measured yet
    clock.now = 2.0
    tracker("masters", "team", 500)
    tracker.block_done(500)
    stats.acknowledged.update({"ref": 5, "team": 1000})
    tracker.phase_started("events")
    clock.now = 3.0
    tracker("events", "score", 3000)
    tracker.block_done(500)
    snap = tracker.snapshot()
    assert (snap.phase, snap.percent, snap.eta_s) == ("events", 75.0, 1.0)
    assert snap.total_expected == 5 + 1000 + 6000
    clock.now = 4.0
    tracker("events", "score", 2500)
    tracker.block_done(500)
    stats.acknowledged["score"] = 5500
    tracker.phase_started("closing")
    tracker.finish()
    snap = tracker.snapshot()
    assert (snap.phase, snap.percent, snap.eta_s) == ("done", 100.0, 0.0)
    assert snap.total_expected == snap.generated == 6505 == snap.acknowledged
    # rates over the time each was written, not the run's 4 s
    assert snap.entities["team"].seconds == pytest.approx(2.0)
    assert snap.entities["team"].rate == pytest.approx(1000 / 2.0)
    assert snap.entities["score"].seconds == pytest.approx(2.0)  # from the events phase's start
    assert snap.entities["ref"].rate == pytest.approx(5 / 0.5)
    # the sink: from its first batch to the flush that ends the events phase
    assert snap.sinks["db"].seconds == pytest.approx(4.0) and snap.sinks["db"].rate == pytest.approx(6505 / 4.0)


def test_an_entity_written_late_is_rated_over_its_own_time() -> None:
    """The summary said "stocks 3/s": a small entity's records over the whole run's time."""
    clock = Clock()
    tracker = ProgressTracker(clock=clock)
    tracker.begin(RunShape("r", 10, ("all",), {"stock": "all", "trade": "all"}))
    tracker.phase_started("all")
    clock.now = 60.0
    tracker("masters", "trade", 100_000)
    tracker.block_done(5)
    clock.now = 60.5
    tracker("masters", "stock", 42)
    tracker.block_done(5)
    tracker.finish()
    assert tracker.entity_seconds("stock") == pytest.approx(0.5)  # from the start of its block
    assert tracker.snapshot().entities["stock"].rate == pytest.approx(84.0)
    assert tracker.entity_seconds("trade") == pytest.approx(60.0)


def test_a_stream_with_a_duration_counts_its_time_and_rate() -> None:
    clock = Clock()
    tracker = ProgressTracker(clock=clock)
    tracker.begin(RunShape("r", 10, ("masters",), {"team": "masters", "score": "streaming"},
                           stream_rate=100.0, stream_duration=10.0))
    tracker.phase_started("masters")
    tracker("masters", "team", 10)
    tracker.block_done(10)
    assert tracker.snapshot().percent is None  # the masters of a stream: only the duration is a bound
    tracker.phase_started("streaming")
    clock.now = 4.0
    tracker("events", "score", 360)
    snap = tracker.snapshot()
    assert snap.phase == "streaming" and snap.total_expected is None
    assert (snap.percent, snap.eta_s) == (40.0, 6.0)
    assert snap.stream is not None and (snap.stream.target_rate, snap.stream.actual_rate) == (100.0, 90.0)
    assert snap.as_dict()["stream"] == {"target_rate": 100.0, "actual_rate": 90.0, "events": 360, "duration": 10.0}


def test_memory_counts_the_child_processes() -> None:
    child = subprocess.Popen([sys.executable, "-c", "b = bytearray(64 * 2**20); print('ok', flush=True); input()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ok"
        alone = process_tree_rss(child.pid)
        tree = process_tree_rss(os.getpid())
        assert alone is not None and tree is not None
        assert alone > 60 * 2**20 and tree > alone
    finally:
        child.kill()
        child.wait()


# -- the CLI's display ----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_shows_percent_eta_phase_and_memory() -> None:
    snap = ProgressSnapshot(phase="events", elapsed_s=10.0, generated=5000, acknowledged=0, failed=0,
                            total_expected=20_000, percent=25.0, eta_s=75.0, rss_bytes=300 * 2**20)
    assert progress_line(snap) == ("progress: 5,000 records delivered (500/s), 25.0%, ETA 1:15, phase events, "
                                   "300 MiB")
    one_pass = ProgressSnapshot(phase="all", elapsed_s=1.0, generated=1, acknowledged=0, failed=0,
                                total_expected=None, percent=None, eta_s=None, rss_bytes=None)
    assert progress_line(one_pass).endswith("(1/s), phase masters+events")


def test_the_terminal_bars_show_the_percentage_and_phase() -> None:
    out = Terminal()
    clock = Clock()
    tracker = ProgressTracker(clock=clock)
    with ProgressReporter(out, tracker=tracker):
        tracker.begin(RunShape("r", 100, ("all",), {"team": "all"}))
        tracker.phase_started("all")
        clock.now = 1.0
        tracker("masters", "team", 100)
        tracker.block_done(100)
        tracker.finish()
    text = out.getvalue()
    assert "100.0%" in text and "phase done" in text and "team" in text, text


def test_the_summary_rates_entities_and_sinks_over_their_own_time() -> None:
    summary = RunSummary(7, "2026-01-01", 10, 1, elapsed=100.0, rows=[
        SummaryRow("stock", "json", 42, 42, 0, 42 / 0.002, 0.002),
        SummaryRow("trade", "json", 9000, 9000, 0, 9000 / 2.0, 2.0)],
        sinks={"json": {"acknowledged": 9042, "failed": 0, "rate": 4521.0, "seconds": 2.0}})
    out = io.StringIO()
    print_summary(summary, out)
    lines = out.getvalue().splitlines()
    assert lines[1].split()[-1] == "-"  # 2 ms: no meaningful rate
    assert lines[2].split()[-1] == "4,500"
    assert "  sink json: 9,042 acknowledged (4,521 records/s over 2.00s)" in lines


# -- datagen run --progress-json ------------------------------------------------------------------


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _check_sequence(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert events[0]["event"] == "start" and events[-1]["event"] == "summary"
    progress = [e for e in events if e["event"] == "progress"]
    assert progress and [e["event"] for e in events[1:-1]] == ["progress"] * len(progress)
    for before, after in itertools.pairwise(progress):
        assert after["elapsed_s"] >= before["elapsed_s"] and after["generated"] >= before["generated"]
        for name, entity in before["entities"].items():
            assert after["entities"][name]["generated"] >= entity["generated"]
        if before["percent"] is not None and after["percent"] is not None:
            assert after["percent"] >= before["percent"]
    return progress


@pytest.mark.parametrize("workers", ["1", "2"])
def test_progress_json_of_a_bounded_run(toy_cli, tmp_path: Path, workers: str) -> None:  # type: ignore[no-untyped-def]
    events_path, summary_path = tmp_path / "events.jsonl", tmp_path / "summary.json"
    result = toy_cli(["run", "-q", "--customers", str(BLOCK_SIZE * 3 + 7), "--workers", workers,
                      "-o", f"json.path={tmp_path / 'out'}", "--progress-json", str(events_path),
                      "--summary-json", str(summary_path)])
    assert result.exit_code == 0, result.output
    events = _events(events_path)
    progress = _check_sequence(events)
    start, summary = events[0], events[-1]
    assert len(start["run_id"]) == 32 and isinstance(start["argv"], list)
    assert start["mode"] == "backfill" and start["sinks"] == ["json"] and start["root_count"] == BLOCK_SIZE * 3 + 7
    last = progress[-1]
    assert (last["phase"], last["percent"], last["eta_s"]) == ("done", 100.0, 0.0)
    assert last["total_expected"] == last["generated"] == last["acknowledged"] == summary["generated"]
    assert last["rss_bytes"] > 0 and last["sinks"]["json"]["acknowledged"] == summary["acknowledged"]
    assert {name: e["generated"] for name, e in last["entities"].items()} == {
        row["entity"]: row["generated"] for row in summary["rows"]}
    assert summary.pop("exit_code") == 0 and summary.pop("event") == "summary"
    assert summary == json.loads(summary_path.read_text(encoding="utf-8"))
    for row in summary["rows"]:  # rated over the time each was written: at most the run's
        assert 0 < row["seconds"] <= summary["elapsed_s"]
        assert row["rate"] == pytest.approx(row["acknowledged"] / row["seconds"])


def test_progress_json_of_a_stream_on_standard_output(toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = toy_cli(["run", "--customers", "20", "--stream", "--rate", "400", "--duration", "1.2",
                      "-o", f"json.path={tmp_path}", "--progress-json", "-"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]  # nothing else on stdout
    progress = _check_sequence(events)
    assert events[0]["mode"] == "stream"
    for event in progress:  # how many come while streaming depends on the machine's pace
        if event["phase"] == "streaming":
            assert event["stream"]["target_rate"] == 400.0 and event["total_expected"] is None
            assert event["percent"] is not None and event["percent"] <= 100
    last, summary = progress[-1], events[-1]
    assert last["phase"] == "done" and last["percent"] == 100.0 and last["eta_s"] == 0.0
    assert last["stream"]["target_rate"] == 400.0 and last["stream"]["events"] > 0
    assert last["stream"]["actual_rate"] > 0 and last["total_expected"] is None
    assert summary["stopped_by"] == "duration" and summary["exit_code"] == 0
    assert "ok:" in result.stderr and "records delivered" not in result.stdout


def test_progress_json_reports_an_error_then_the_summary(toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events_path = tmp_path / "events.jsonl"
    result = toy_cli(["run", "--sink", "nowhere", "--progress-json", str(events_path)])
    assert result.exit_code == 2
    events = _events(events_path)
    assert [e["event"] for e in events] == ["error", "summary"]
    assert "nowhere" in events[0]["message"] and events[1] == {"event": "summary", "ok": False, "exit_code": 2}


def test_progress_json_needs_a_writable_file_and_stdout_to_itself(toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = toy_cli(["run", "--progress-json", str(tmp_path / "missing" / "events.jsonl")])
    assert result.exit_code == 2 and "cannot write it" in result.output and "Traceback" not in result.output
    result = toy_cli(["run", "--customers", "3", "--sink", "console", "--progress-json", "-"])
    assert result.exit_code == 2 and "both write to standard output" in result.stderr
