"""What every benchmark prints first: the machine, the commit, and the command that reruns it.

A figure without these cannot be compared with another one: the machine is shared and its load
changes, the code changes from commit to commit. ``header()`` gives the lines; ``median`` is the
summary the benchmarks report over their repeated runs (``make bench`` runs each at least 3 times).
"""

from __future__ import annotations

import os
import platform
import shlex
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    sha = git("rev-parse", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return sha + (" (with uncommitted changes)" if dirty else "")


def header(argv: Sequence[str] | None = None) -> str:
    """Three lines: machine (CPU, cores, load, Python, OS), commit, and the command to rerun."""
    argv = list(sys.argv if argv is None else argv)
    script = Path(argv[0]).resolve()
    try:
        shown = str(script.relative_to(ROOT))
    except ValueError:
        shown = str(script)
    python = Path(sys.executable)
    try:
        python_shown = str(python.relative_to(ROOT))
    except ValueError:
        python_shown = str(python)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "\n".join([
        f"machine: {_cpu_model()}, {os.cpu_count()} CPUs, load {load}; Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()}",
        f"commit:  {_commit()}",
        f"rerun:   cd {ROOT} && {shlex.join([python_shown, shown, *argv[1:]])}",
    ])


def print_header(argv: Sequence[str] | None = None) -> None:
    print(header(argv), flush=True)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def spread(values: Sequence[float], fmt: str = ",.0f") -> str:
    """``median (min .. max, n runs)`` of measured values."""
    low, high = format(min(values), fmt), format(max(values), fmt)
    return f"{format(median(values), fmt)} ({low} .. {high}, {len(values)} runs)"
