"""PostgreSQL stopped or frozen under a run: one clear error, and nothing committed.

Each run pauses after its global entities were written (``FAULT_PAUSE_AT=2``), inside the run's
one transaction; then the server is stopped (fast shutdown) or frozen (SIGSTOP: connections
stay open, nothing answers), and the run goes on.
"""

from __future__ import annotations

from pathlib import Path

import faults_support as fs


def _run(fault_stack, tmp_path: Path, target: fs.Target) -> fs.Run:
    run = fs.Run(["--customers", str(fs.CUSTOMERS), *target.sink_args("postgres")], fault_stack.env,
                 tmp_path / "run", pause_at=2)
    run.wait_paused()
    return run


def test_postgres_stopped_mid_run_fails_it_and_keeps_nothing(fault_stack, tmp_path: Path) -> None:
    target = fs.Target(tmp_path / "out")
    run = _run(fault_stack, tmp_path, target)
    fault_stack.stop("postgres")
    run.go()
    result = run.finish()

    assert result.rc == 1, result.output
    assert "lost the connection to PostgreSQL while loading" in result.stderr, result.output
    assert "nothing was committed" in result.stderr and "Traceback" not in result.output
    fault_stack.start("postgres")
    assert fs.pg_counts(fault_stack.env["DATAGEN_POSTGRES_URL"], target.schema) == {}


def test_a_frozen_postgres_fails_the_run_after_the_statement_timeout(fault_stack, tmp_path: Path) -> None:
    target = fs.Target(tmp_path / "out")
    run = _run(fault_stack, tmp_path, target)
    fault_stack.freeze("postgres")
    resumed = run.go()
    result = run.finish()
    waited = result.exited_at - resumed

    limit = fs.STATEMENT_TIMEOUT_S + 2  # the server's own timeout cannot fire: it does not run
    assert result.rc == 1, result.output
    assert f"answered nothing for {limit:g} s while loading (a frozen or hung server?)" in result.stderr, \
        result.output
    assert "Traceback" not in result.output
    assert limit <= waited < limit + 30, f"{waited:.1f} s"  # a hang would be for ever; 30 s of slack for a busy machine
    assert fs.session_processes(run.pid) == []
    fault_stack.thaw("postgres")
    assert fs.pg_counts(fault_stack.env["DATAGEN_POSTGRES_URL"], target.schema) == {}
