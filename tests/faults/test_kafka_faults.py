"""The Kafka broker and the Schema Registry going away under a run.

Each run pauses before its events phase (``FAULT_PAUSE_PHASE=events``): every master was flushed
and acknowledged by then, so what a consumer finds afterwards is known exactly.
"""

from __future__ import annotations

import time
from pathlib import Path

import faults_support as fs


def test_a_broker_that_goes_away_fails_the_run_after_one_delivery_timeout(fault_stack, tmp_path: Path) -> None:
    target = fs.Target(tmp_path / "out")
    # a small producer queue: the events fill it, so the run also goes through the full-queue wait
    run = fs.Run(["--customers", str(fs.CUSTOMERS), *target.sink_args("kafka"),
                  "-o", "kafka.producer=queue.buffering.max.messages=2000"],
                 fault_stack.env, tmp_path / "run", pause_phase="events")
    run.wait_paused()
    fault_stack.stop("kafka")
    resumed = run.go()
    result = run.finish()
    waited = result.exited_at - resumed

    assert result.rc == 1, result.output
    assert f"no delivery report for {fs.DELIVERY_TIMEOUT_S:g} s, the delivery timeout" in result.stderr, result.output
    assert "Traceback" not in result.output
    # one timeout for the whole run: the full queue, the flush and the close do not add up
    assert fs.DELIVERY_TIMEOUT_S <= waited < 2 * fs.DELIVERY_TIMEOUT_S, f"{waited:.1f} s"
    masters = result.acknowledged()
    assert 0 < masters < result.generated()
    assert sum(result.per_entity("failed").values()) == result.generated() - masters
    fault_stack.start("kafka")
    assert fs.found("kafka", target, fault_stack.env) == masters


def test_a_broker_stopped_and_restarted_mid_run_loses_nothing_and_duplicates_nothing(fault_stack,
                                                                                      tmp_path: Path) -> None:
    target = fs.Target(tmp_path / "out")
    run = fs.Run(["--customers", str(fs.CUSTOMERS), *target.sink_args("kafka", delivery_timeout_s=120)],
                 fault_stack.env, tmp_path / "run", pause_phase="events")
    run.wait_paused()
    fault_stack.stop("kafka")
    run.go()  # the events go to the producer's queue while no broker answers
    fault_stack.start("kafka")
    result = run.finish(timeout=150)

    assert result.rc == 0, result.output
    assert result.acknowledged() == result.generated() > 0
    assert fs.found("kafka", target, fault_stack.env) == result.acknowledged()


def test_the_registry_down_mid_run_changes_nothing_and_down_at_start_stops_the_run_before_any_write(
        fault_stack, tmp_path: Path) -> None:
    # mid-run: every schema id was resolved before the first block, so the run goes on
    target = fs.Target(tmp_path / "mid")
    run = fs.Run(["--customers", str(fs.CUSTOMERS), *target.sink_args("kafka-avro")], fault_stack.env,
                 tmp_path / "run-mid", pause_at=2)
    run.wait_paused()
    fault_stack.stop("registry")
    run.go()
    result = run.finish()
    assert result.rc == 0, result.output
    assert result.acknowledged() == result.generated() > 0
    assert fs.found("kafka-avro", target, fault_stack.env) == result.acknowledged()

    # at start: one clear error, nothing produced, no topic created
    target = fs.Target(tmp_path / "start")
    started = time.monotonic()
    result = fs.Run(["--customers", str(fs.CUSTOMERS), *target.sink_args("kafka-avro")], fault_stack.env,
                    tmp_path / "run-start").finish()
    assert result.rc == 1, result.output
    assert "avro serializer cannot reach the Schema Registry at" in result.stderr, result.output
    assert "Traceback" not in result.output
    assert result.exited_at - started < 60
    assert fs.kafka_counts(fault_stack.env["DATAGEN_KAFKA_BOOTSTRAP"], target.prefix) == {}
