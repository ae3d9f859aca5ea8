"""SIGINT (Ctrl+C) and SIGTERM (docker stop, Kubernetes) stop a run the same way, for every sink.

Each run writes to the four sinks at once (json, kafka, kafka-avro, postgres), with one worker
and with two (a process pool), pauses after its global entities were delivered
(``FAULT_PAUSE_AT=2``), gets the signal, and goes on: the signal must take effect at the next
safe point. Then: exit status 130 or 143, the summary printed and written, no traceback (no
TypeError out of the Kafka producer, no BrokenPipe, no "Aborted!"), for every sink acknowledged =
what a reader of it finds, no hidden ``.*.partial`` file, the workers' ``/dev/shm`` spill folder
removed and no process of the run left.
"""

from __future__ import annotations

from pathlib import Path

import faults_support as fs
import pytest

EXIT = {"SIGINT": 130, "SIGTERM": 143}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_run_with_its_cleanup_and_summary_in_every_sink(fault_stack, tmp_path: Path, name: str,
                                                                           workers: int) -> None:
    target = fs.Target(tmp_path / "out")
    customers = fs.CUSTOMERS if workers == 1 else fs.CUSTOMERS_2
    sinks = [arg for sink in fs.SINKS for arg in target.sink_args(sink)]
    try:
        run = fs.Run(["--customers", str(customers), "--workers", str(workers), *sinks], fault_stack.env,
                     tmp_path / "run", pause_at=2)
        paused = run.wait_paused()
        assert (paused["spill_dir"] is not None) == (workers > 1)
        run.signal(name)
        run.go()
        result = run.finish()

        assert result.rc == EXIT[name], result.output
        for bad in ("Traceback", "BrokenPipe", "Aborted!", "TypeError"):
            assert bad not in result.output, result.output
        assert f"interrupted by {name}:" in result.stderr, result.output  # the summary's last line
        assert result.summary is not None and result.summary["stopped_by"] == name
        for sink in fs.SINKS:
            assert result.generated(sink) > 0, sink  # the global entities, delivered before the signal
            assert result.acknowledged(sink) == fs.found(sink, target, fault_stack.env), (sink, result.output)
        # files removed, transaction rolled back: nothing kept
        assert result.acknowledged("json") == 0 == result.acknowledged("postgres")
        for sink in ("kafka", "kafka-avro"):  # the producer's queue was flushed before the end
            assert result.acknowledged(sink) == result.generated(sink), (sink, result.output)
        assert fs.partial_files(target.out) == []
        if paused["spill_dir"]:
            assert not Path(paused["spill_dir"]).exists()
        assert fs.session_processes(run.pid) == []
    finally:
        fs.drop_schema(fault_stack.env["DATAGEN_POSTGRES_URL"], target.schema)
