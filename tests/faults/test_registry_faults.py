"""The Schema Registry going away under a kafka-avro run, and missing when one starts.

Marked ``fault_stack_last``: it leaves the registry stopped (Apicurio takes long to start again),
so it runs after every other test that needs the fault stack.
"""

from __future__ import annotations

import time
from pathlib import Path

import faults_support as fs
import pytest

pytestmark = pytest.mark.fault_stack_last


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
    assert fs.kafka_counts(fault_stack.env["DATAGEN_KAFKA_BOOTSTRAP"], target.prefix) == {}  # no topic
