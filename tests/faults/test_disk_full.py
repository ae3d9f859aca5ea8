"""A full disk under the json sink: the summary never counts as acknowledged what the sink did not keep.

The run writes JSON Lines onto a 1 MB tmpfs (mounted for the test when it runs as root; else
every file the run writes is limited to 1 MB with RLIMIT_FSIZE, which fails writes the same
way, EFBIG instead of ENOSPC) and Kafka beside it, so it has two phases: the masters fit and are
flushed (acknowledged at that point), the events do not. The json files are then removed, so
the json sink must end with nothing acknowledged, while Kafka keeps and counts all its records.
"""

from __future__ import annotations

from pathlib import Path

import faults_support as fs
import pytest

LIMIT = 1 << 20


@pytest.mark.parametrize("workers", [1, 2])
def test_a_full_disk_leaves_nothing_counted_as_acknowledged_in_the_json_sink(fault_stack, tmp_path: Path,
                                                                               workers: int) -> None:
    disk = tmp_path / "disk"
    with fs.small_disk(disk, "1m") as mounted:
        target = fs.Target(disk / "out")
        customers = fs.CUSTOMERS if workers == 1 else fs.CUSTOMERS_2
        result = fs.Run(["--customers", str(customers), "--workers", str(workers), *target.sink_args("json"),
                         *target.sink_args("kafka")], fault_stack.env, tmp_path / "run",
                        file_size_limit=None if mounted else LIMIT).finish()

        assert result.rc == 1, result.output
        reason = "No space left on device" if mounted else "File too large"
        assert reason in result.stderr, result.output
        assert "Traceback" not in result.output
        assert result.generated("json") > 0
        assert result.acknowledged("json") == 0 == sum(fs.json_counts(target.out).values())
        assert result.per_entity("failed", "json") == result.per_entity("generated", "json")
        assert fs.partial_files(target.out) == []
        assert result.acknowledged("kafka") == result.generated("kafka") == fs.found("kafka", target,
                                                                                      fault_stack.env)
