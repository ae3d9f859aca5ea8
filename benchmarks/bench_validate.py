"""``datagen validate`` on a whole-bank dataset: wall time, records/s and peak memory.

Generates ``datagen run --customers N --sink json`` into a temporary folder (not timed), then
runs ``datagen validate`` on it as a subprocess under GNU time and reports its wall time,
records per second and peak RSS (``ru_maxrss``: validate is one process). Target (issue #17):
at most 1 GB of RSS at 100,000 customers.

    .venv/bin/python benchmarks/bench_validate.py                      # 100,000 customers
    .venv/bin/python benchmarks/bench_validate.py --customers 10000 --keep /tmp/bank10k
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchinfo import print_header

DATAGEN = str(Path(sys.executable).with_name("datagen"))
TIME = shutil.which("time", path="/usr/bin:/bin") or "/usr/bin/time"
TARGET_MB = 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="workers of the (untimed) generating run")
    parser.add_argument("--keep", type=Path, default=None, help="generate into (or reuse) this folder")
    args = parser.parse_args()
    print_header()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        if not (folder / "customer.jsonl").exists():
            started = time.perf_counter()
            subprocess.run([DATAGEN, "run", "--customers", str(args.customers), "--workers", str(args.workers),
                            "--sink", "json", "-o", f"json.path={folder}", "-q"], check=True,
                           stdout=subprocess.DEVNULL)
            print(f"generated {args.customers:,} customers in {time.perf_counter() - started:.1f} s (not timed)")
        report = folder.parent / f"{folder.name}-report.json"
        started = time.perf_counter()
        done = subprocess.run([TIME, "-f", "%M %U %S", DATAGEN, "validate", str(folder), "--report", str(report)],
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        peak_kb, user, system = done.stderr.strip().splitlines()[-1].split()
        result = json.loads(report.read_text())
        records = result["records"]
        peak_mb = int(peak_kb) / 1024
        print(f"customers {args.customers:,}  records {records:,}  exit {done.returncode}  "
              f"violations {result['violation_count']}")
        print(f"wall {wall:.1f} s  cpu {float(user) + float(system):.1f} s  {records / wall:,.0f} records/s  "
              f"peak RSS {peak_mb:,.0f} MB  (target <= {TARGET_MB} MB: {'met' if peak_mb <= TARGET_MB else 'MISSED'})")
        report.unlink(missing_ok=True)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
