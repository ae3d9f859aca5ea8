"""The Kafka broker going away under a run.

Each run pauses before its events phase (``FAULT_PAUSE_PHASE=events``): every master was flushed
and acknowledged by then, so what a consumer finds afterwards is known exactly.
"""

from __future__ import annotations

from pathlib import Path

import faults_support as fs

ONE_TIMEOUT_S = 10.0
"""The failing run's delivery timeout: long enough that one of it and a loaded machine's slack stay
under two of it."""


def test_a_broker_that_goes_away_fails_a_run_after_one_delivery_timeout_and_a_restart_loses_nothing(
        fault_stack, tmp_path: Path) -> None:
    """Two runs paused before their events, the broker stopped under both: the one with a 10 s delivery
    timeout fails after one timeout (not a sum: its small producer queue fills, then the flush and
    the close would each wait again; under 2 timeouts leaves a busy machine 10 s for the rest of
    the run); the one with 120 s waits, the broker comes back, and it ends with every record
    delivered exactly once."""
    short, waits = fs.Target(tmp_path / "short"), fs.Target(tmp_path / "waits")
    gone = fs.Run(["--customers", str(fs.CUSTOMERS), *short.sink_args("kafka", delivery_timeout_s=ONE_TIMEOUT_S),
                   "-o", "kafka.producer=queue.buffering.max.messages=2000"],
                  fault_stack.env, tmp_path / "run-short", pause_phase="events")
    back = fs.Run(["--customers", str(fs.CUSTOMERS), *waits.sink_args("kafka", delivery_timeout_s=120)],
                  fault_stack.env, tmp_path / "run-waits", pause_phase="events")
    gone.wait_paused()
    back.wait_paused()
    fault_stack.stop("kafka")
    resumed = gone.go()
    back.go()  # its events go to the producer's queue while no broker answers
    failed = gone.finish()
    fault_stack.start("kafka")
    delivered = back.finish(timeout=150)

    waited = failed.exited_at - resumed
    assert failed.rc == 1, failed.output
    assert f"no delivery report for {ONE_TIMEOUT_S:g} s, the delivery timeout" in failed.stderr, failed.output
    assert "Traceback" not in failed.output
    assert ONE_TIMEOUT_S <= waited < 2 * ONE_TIMEOUT_S, f"{waited:.1f} s"
    masters = failed.acknowledged()
    assert 0 < masters < failed.generated()
    assert sum(failed.per_entity("failed").values()) == failed.generated() - masters
    assert fs.found("kafka", short, fault_stack.env) == masters

    assert delivered.rc == 0, delivered.output
    assert delivered.acknowledged() == delivered.generated() > 0
    assert fs.found("kafka", waits, fault_stack.env) == delivered.acknowledged()
