"""``--summary-json`` that cannot be written is refused before anything is written anywhere.

Before, the run loaded PostgreSQL, committed, and then failed with a traceback on the summary
file: a rerun with ``if_exists=fail`` was then refused. Now: exit 2, one line, no table touched.
(A missing folder that can be created is created, as the json sink creates its own.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import faults_support as fs
import pytest


def _datagen(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(fs.HOOKED), "run", "-q", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("where", ["read-only folder", "missing folder in a read-only folder"])
def test_an_unwritable_summary_json_fails_before_the_sinks_are_touched(fault_stack, tmp_path: Path,
                                                                       where: str) -> None:
    target = fs.Target(tmp_path / "out")
    readonly = tmp_path / "readonly"
    with fs.small_disk(readonly, "1m", read_only=True) as mounted:
        if not mounted:
            readonly.chmod(0o555)
        path = {"missing folder in a read-only folder": readonly / "no" / "such" / "summary.json",
                "read-only folder": readonly / "summary.json"}[where]
        if not mounted and os.access(readonly, os.W_OK):
            pytest.skip("root ignores the mode bits and tmpfs cannot be mounted here")
        done = _datagen(["--customers", str(fs.CUSTOMERS), "--summary-json", str(path),
                         *target.sink_args("postgres")], fault_stack.env)

    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --summary-json"), done.stderr
    assert "cannot be written: Read-only file system" in lines[0] or "Permission denied" in lines[0], lines[0]
    assert fs.pg_counts(fault_stack.env["DATAGEN_POSTGRES_URL"], target.schema) == {}
