"""A worker process killed from outside (out of memory, kill -9) fails the run within 5 s, busy or idle.

Idle is the case that hung for ever: a worker blocked reading the pool's task pipe holds the task
queue's lock, and ``Pool.terminate`` waits for that lock. Both runs write JSON Lines with two
workers (two blocks); after the failure nothing is kept, no temporary file or spill folder is
left and no process of the run survives.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import faults_support as fs

FAIL_WITHIN_S = 5.0


def _idle_workers(pid: int, timeout: float = 60) -> list[tuple[int, str]]:
    """The workers once none of them runs: (pid, wait channel) each."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [(child, *fs.state_of(child)) for child in fs.children(pid)]
        if len(states) >= 2 and all(state == "S" for _, state, _ in states):
            return [(child, wchan) for child, _, wchan in states]
        time.sleep(0.05)
    raise AssertionError(f"the workers of {pid} did not all wait for work within {timeout} s")


def _kill(pid: int) -> float:
    """SIGKILL ``pid`` and wait until it has died (the kernel ends it asynchronously)."""
    os.kill(pid, signal.SIGKILL)
    while fs.state_of(pid)[0] not in ("", "Z"):
        time.sleep(0.005)
    return time.monotonic()


def _check_failed_cleanly(run: fs.Run, result: fs.Result, target: fs.Target, killed: int, since: float) -> None:
    assert result.rc == 1, result.output
    assert result.exited_at - since < FAIL_WITHIN_S, f"{result.exited_at - since:.1f} s"
    assert f"worker process {killed} ended while the run was going" in result.stderr, result.output
    assert "Traceback" not in result.output, result.output
    assert fs.json_counts(target.out) == {} and fs.partial_files(target.out) == []
    assert fs.session_processes(run.pid) == []


def test_a_worker_killed_while_waiting_for_work_fails_the_run_within_5_s(tmp_path: Path) -> None:
    target = fs.Target(tmp_path / "out")
    run = fs.Run(["--customers", str(fs.CUSTOMERS_2), "--workers", "2", *target.sink_args("json")], {},
                 tmp_path / "run", pause_at=2)
    paused = run.wait_paused()
    workers = _idle_workers(run.pid)
    # the one blocked reading the task pipe holds the queue's lock; the other waits for that lock
    readers = [pid for pid, wchan in workers if "pipe" in wchan or "read" in wchan] or [pid for pid, _ in workers]
    victim = readers[0]
    killed_at = _kill(victim)
    run.go()
    result = run.finish()
    _check_failed_cleanly(run, result, target, victim, killed_at)
    assert not Path(paused["spill_dir"]).exists()


def test_a_worker_killed_while_generating_a_block_fails_the_run_within_5_s(tmp_path: Path) -> None:
    target = fs.Target(tmp_path / "out")
    run = fs.Run(["--customers", str(fs.CUSTOMERS_2), "--workers", "2", *target.sink_args("json")], {},
                 tmp_path / "run", pause_in_block=1)
    victim = int(run.wait_for("busy"))
    killed_at = _kill(victim)
    result = run.finish()
    _check_failed_cleanly(run, result, target, victim, killed_at)
