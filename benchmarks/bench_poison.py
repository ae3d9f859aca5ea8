"""Poison-pill overhead: the bank as JSON Lines, clean and with every kind at 1%.

Runs ``datagen run --customers N`` and the same with ``--transform poison`` and every
``poison.<kind>=0.01`` as subprocesses, taking turns (clean, poisoned, clean, ...) so a slow
spell of this shared machine falls on both. Reports, per variant, the median records/s (the
engine's figure from ``--summary-json``) and records per CPU-second of the process (user +
system time, which a shared machine's load hardly stretches), and the poisoned run's ratio to
the clean one. Target (issue #15): within 10% of a clean run.

    .venv/bin/python benchmarks/bench_poison.py                  # 10,000 customers, 3 rounds
    .venv/bin/python benchmarks/bench_poison.py --customers 3000 --repeat 5
    .venv/bin/python benchmarks/bench_poison.py --tmp /dev/shm   # output in memory: no disk noise
    .venv/bin/python benchmarks/bench_poison.py --rate 0.001     # every kind at 0.1%: the fixed costs
    git worktree add /tmp/before HEAD~1
    .venv/bin/python benchmarks/bench_poison.py --against /tmp/before   # that checkout and this one

With ``--against DIR`` the same runs are made with the kernel and plugins of the checkout DIR
(a git worktree of another commit; this environment's installed packages otherwise) taking
turns with this checkout's, and both are reported: the machine's speed drifts by more than a
percent or two between one benchmark and the next, less so between runs that take turns; a
change that small still needs many rounds (``--repeat``) to show.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchinfo import print_header

DATAGEN = str(Path(sys.executable).with_name("datagen"))
KINDS = ("duplicate", "late", "out_of_order", "schema_evolution", "nulls", "malformed", "orphan", "extreme",
         "timezone", "correction", "tombstone", "encoding")


def code_path(checkout: Path) -> str:
    """``PYTHONPATH`` that makes the kernel and the plugins of ``checkout`` the ones imported."""
    return os.pathsep.join([str(checkout), *sorted(str(d) for d in checkout.glob("plugins/*/src"))])


def run(customers: int, poisoned: bool, workdir: Path, rate: float = 0.01, checkout: Path | None = None
        ) -> tuple[float, float, int]:
    """(records/s, records per CPU-second, records) of one run (with the code of ``checkout``)."""
    out = Path(tempfile.mkdtemp(dir=workdir))
    args = [DATAGEN, "run", "-q", "--customers", str(customers), "-o", f"json.path={out / 'data'}",
            "--summary-json", str(out / "summary.json")]
    if poisoned:
        args += ["--transform", "poison", *[x for k in KINDS for x in ("-o", f"poison.{k}={rate}")]]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = None if checkout is None else {**os.environ, "PYTHONPATH": code_path(checkout)}
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads((out / "summary.json").read_text())
    subprocess.run(["rm", "-rf", str(out)], check=True)
    return summary["records_per_s"], summary["generated"] / cpu, summary["generated"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0.01, help="rate of every kind in the poisoned runs")
    parser.add_argument("--tmp", default=None, help="folder for the runs' output (default: the system's temp folder)")
    parser.add_argument("--against", type=Path, default=None, metavar="DIR",
                        help="also run the code of this checkout (e.g. a git worktree), taking turns")
    args = parser.parse_args()
    if args.against is not None and not (args.against / "datagen_kernel").is_dir():
        parser.error(f"--against {args.against}: no datagen_kernel folder there; give the root of a checkout "
                     "of this repository (git worktree add DIR COMMIT)")
    print_header()
    checkouts: list[Path | None] = [None] if args.against is None else [args.against.resolve(), None]
    with tempfile.TemporaryDirectory(prefix="datagen-bench-poison-", dir=args.tmp) as tmp:
        for checkout in checkouts:
            run(min(args.customers, 200), False, Path(tmp), checkout=checkout)  # bytecode and caches warm
        figures: dict[tuple[Path | None, bool], list[tuple[float, float, int]]] = {}
        for _ in range(args.repeat):
            for checkout in checkouts:
                for poisoned in (False, True):
                    figures.setdefault((checkout, poisoned), []).append(
                        run(args.customers, poisoned, Path(tmp), args.rate, checkout))
    target = " (target >= 0.90)" if args.rate == 0.01 else ""
    for checkout in checkouts:
        if len(checkouts) > 1:
            print(f"-- {'this checkout' if checkout is None else checkout}")
        medians = {}
        for poisoned in (False, True):
            rows = figures[(checkout, poisoned)]
            name = f"every kind at {args.rate:.1%}" if poisoned else "clean"
            rate = statistics.median(r[0] for r in rows)
            per_cpu = statistics.median(r[1] for r in rows)
            medians[poisoned] = (rate, per_cpu)
            print(f"{name:<18} records {rows[0][2]:>9,}  records/s {rate:>10,.0f}  records/CPU-s {per_cpu:>10,.0f}  "
                  f"(each: {', '.join(f'{r[0]:,.0f}' for r in rows)})")
        wall = medians[True][0] / medians[False][0]
        cpu = medians[True][1] / medians[False][1]
        print(f"poisoned / clean: records/s {wall:.3f}, records per CPU-second {cpu:.3f}{target}")
    if os.environ.get("CI"):
        print("(figures from CI machines are indicative only)")


if __name__ == "__main__":
    main()
