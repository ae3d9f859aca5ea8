"""Stream mode: masters first, events stamped now at a steady rate, clean stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

from datagen_kernel.engine.stream import TokenBucket

TOY_CLI = [sys.executable, str(Path(__file__).parent / "toy_cli.py")]


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(100.0, capacity=50, clock=lambda: now[0])
    assert bucket.available() == 0
    now[0] = 0.2
    assert bucket.available() == 20
    bucket.take(20)
    now[0] = 10.0
    assert bucket.available() == 50  # capped at capacity
    assert bucket.wait_time() == 0.0


def test_stream_writes_masters_then_events_stamped_now(toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    started_ms = int(time.time() * 1000)
    summary = tmp_path / "summary.json"
    result = toy_cli(["run", "-q", "--customers", "20", "--stream", "--rate", "400", "--duration", "1",
                      "-o", f"json.path={tmp_path / 'out'}", "--summary-json", str(summary)])
    assert result.exit_code == 0, result.output
    data = json.loads(summary.read_text())
    assert data["ok"] and data["stopped_by"] == "duration"
    rows = {r["entity"]: r for r in data["rows"]}
    assert rows["team"]["generated"] == 20 and rows["member"]["generated"] == 60
    # how many events a second is a speed figure, measured by benchmarks/bench_stream_rate.py;
    # here: events were released, and every one reached the file
    scores = [orjson.loads(line) for line in (tmp_path / "out" / "score.jsonl").read_bytes().splitlines()]
    assert 0 < len(scores) == rows["score"]["generated"] == rows["score"]["acknowledged"]
    assert len({s["score_id"] for s in scores}) == len(scores)
    from datagen_kernel.codecs.text import parse_timestamp

    assert all(parse_timestamp(s["at"]) >= started_ms - 1000 for s in scores)


def test_sigterm_flushes_prints_the_summary_and_exits_zero(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*TOY_CLI, "run", "--customers", "10", "--stream", "--rate", "300", "-o", f"json.path={tmp_path}",
         "--summary-json", str(tmp_path / "summary.json")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    # ready when events are flowing: the json sink's part file of scores has bytes in it
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size for p in tmp_path.glob(".score.jsonl.*.partial")):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "no score was written within 60 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "ok:" in output
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["stopped_by"] == "SIGTERM"
    delivered = {r["entity"]: r["acknowledged"] for r in data["rows"]}
    assert delivered["score"] > 0
    assert len((tmp_path / "score.jsonl").read_bytes().splitlines()) == delivered["score"]


def test_stream_options_are_checked(toy_cli) -> None:  # type: ignore[no-untyped-def]
    result = toy_cli(["run", "--stream", "--rate", "0"])
    assert result.exit_code == 2 and "--rate 0 is out of range" in result.output
    result = toy_cli(["run", "--stream", "--duration", "-3"])
    assert result.exit_code == 2 and "--duration -3 must be a positive, finite number" in result.output
