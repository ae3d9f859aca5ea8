"""SIGINT (Ctrl+C) and SIGTERM (docker stop, Kubernetes) stop a run the same way, for every sink.

Each run pauses after its global entities were delivered (``FAULT_PAUSE_AT=2``), gets the
signal, and goes on: the signal must take effect at the next safe point. Then: exit status 130
or 143, the summary printed and written, no traceback (no TypeError out of the Kafka producer,
no BrokenPipe, no "Aborted!"), acknowledged = what a reader of the sink finds, no hidden
``.*.partial`` file, the workers' ``/dev/shm`` spill folder removed and no process of the run left.
"""

from __future__ import annotations

from pathlib import Path

import faults_support as fs
import pytest

EXIT = {"SIGINT": 130, "SIGTERM": 143}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("sink", fs.SINKS)
def test_a_signal_stops_the_run_with_its_cleanup_and_summary(fault_stack, tmp_path: Path, sink: str, name: str,
                                                            workers: int) -> None:
    target = fs.Target(tmp_path / "out")
    customers = fs.CUSTOMERS if workers == 1 else fs.CUSTOMERS_2
    try:
        run = fs.Run(["--customers", str(customers), "--workers", str(workers), *target.sink_args(sink)],
                     fault_stack.env, tmp_path / "run", pause_at=2)
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
        assert result.generated() > 0  # the global entities, delivered before the signal
        assert result.acknowledged() == fs.found(sink, target, fault_stack.env), result.output
        if sink in ("json", "postgres"):  # files removed, transaction rolled back: nothing kept
            assert result.acknowledged() == 0
        else:  # what the producer held when the signal came was flushed (or would be counted failed)
            assert result.acknowledged() == result.generated()
        assert fs.partial_files(target.out) == []
        if paused["spill_dir"]:
            assert not Path(paused["spill_dir"]).exists()
        assert fs.session_processes(run.pid) == []
    finally:
        if sink == "postgres":
            fs.drop_schema(fault_stack.env["DATAGEN_POSTGRES_URL"], target.schema)
