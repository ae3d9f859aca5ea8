"""What the insurance, funds and consorcio packs add to a whole-bank json run.

Usage: .venv/bin/python benchmarks/bench_product_packs.py [--customers 1000 10000] [--repeat 5] [--workers 1]

Runs ``datagen run --customers N --sink json`` as a subprocess (what ``make run`` does), with
every installed pack and with the three product packs blocked (``DATAGEN_DISABLE_PLUGINS=
insurance,funds,consorcio``, the bank as it was before them), taking turns so a slow spell of a
shared machine falls on both. Prints, per cell, the median wall time and CPU time (user +
system of the process and its workers) over ``--repeat`` runs, every run's wall time, the
records written and the ratio with / without. A first untimed run writes the bytecode.
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
import time
from pathlib import Path

DATAGEN = str(Path(sys.executable).with_name("datagen"))
BLOCKED = "insurance,funds,consorcio"


def run(customers: int, workers: int, products: bool, out: Path) -> tuple[float, float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAGEN_")}
    if not products:
        env["DATAGEN_DISABLE_PLUGINS"] = BLOCKED
    summary = out / "summary.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([DATAGEN, "run", "--customers", str(customers), "--workers", str(workers), "--sink", "json",
                    "-o", f"json.path={out / 'data'}", "--quiet", "--summary-json", str(summary)],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    records = sum(row["generated"] for row in json.loads(summary.read_text())["rows"])
    return wall, cpu, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(100, 1, True, Path(tmp) / "warm")
        print(f"{'customers':>9} {'packs':>13} {'records':>9} {'wall s':>7} {'cpu s':>7}  runs (wall s)")
        for customers in args.customers:
            cells: dict[bool, list[tuple[float, float, int]]] = {True: [], False: []}
            for i in range(args.repeat):
                for products in (False, True):
                    out = Path(tmp) / f"{customers}-{products}-{i}"
                    cells[products].append(run(customers, args.workers, products, out))
            medians = {}
            for products in (False, True):
                walls = [w for w, _, _ in cells[products]]
                cpus = [c for _, c, _ in cells[products]]
                medians[products] = statistics.median(walls)
                label = "with products" if products else "bank only"
                print(f"{customers:>9,} {label:>13} {cells[products][0][2]:>9,} {statistics.median(walls):>7.2f} "
                      f"{statistics.median(cpus):>7.2f}  {' '.join(f'{w:.2f}' for w in walls)}")
            print(f"{'':>9} {'ratio':>13} {'':>9} {medians[True] / medians[False]:>7.2f}")


if __name__ == "__main__":
    main()
