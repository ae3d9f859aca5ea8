"""Whole-bank benchmark: ``datagen run --customers N --sink json`` as a subprocess.

Measures, for each customer count and worker count: whole-process wall time, records/s
(generated records / wall time, and the engine's own figure from ``--summary-json``), CPU
time of the process tree (user + system, from GNU time) with records per CPU-second (what one
worker would reach on an otherwise idle core: a shared machine's load stretches wall time but
hardly CPU time), and peak memory. Memory is sampled from /proc every 20 ms for the main process and each worker:

* ``main MB``: peak RSS (VmHWM) of the ``datagen`` process;
* ``worker MB``: the largest peak RSS of any single worker process (0 with one worker);
* ``tree MB``: the largest sum of current RSS over the process tree seen in one sample
  (forked workers share pages with the main process, so this over-counts shared memory);
* ``rusage MB``: the run's ``ru_maxrss`` over its waited-for processes as GNU time reports it
  (``/usr/bin/time -f %M``): the kernel's own figure for the largest single process (main or
  worker), a cross-check of the sampler.

Targets (issue 3): >= 150,000 records/s with one worker, workers 2 >= 1.6x workers 1, peak
RSS at 100,000 customers <= 1.5x that at 10,000.

    .venv/bin/python benchmarks/bench_bank_json.py                 # 10k and 100k, workers 1 and 2
    .venv/bin/python benchmarks/bench_bank_json.py --customers 10000 --workers 1 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

DATAGEN = str(Path(sys.executable).with_name("datagen"))
TIME = shutil.which("time", path="/usr/bin:/bin") or "/usr/bin/time"


@dataclass
class Memory:
    main_kb: int = 0
    workers_kb: dict[int, int] = field(default_factory=dict)
    tree_kb: int = 0


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            return [int(p) for p in fh.read().split()]
    except FileNotFoundError:
        return []


def _sample(wrapper: int, mem: Memory, done: threading.Event) -> None:
    pid = 0
    while not done.is_set() and not pid:  # the datagen process is GNU time's child
        kids = _children(wrapper)
        pid = kids[0] if kids else 0
        done.wait(0.005)
    while not done.is_set():
        mem.main_kb = max(mem.main_kb, _status_kb(pid, "VmHWM:"))
        tree = _status_kb(pid, "VmRSS:")
        for child in _children(pid):
            mem.workers_kb[child] = max(mem.workers_kb.get(child, 0), _status_kb(child, "VmHWM:"))
            tree += _status_kb(child, "VmRSS:")
        mem.tree_kb = max(mem.tree_kb, tree)
        done.wait(0.02)


def run_once(customers: int, workers: int, seed: int, keep: Path | None) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="datagen-bench-"))
    summary = out / "summary.json"
    timing = out / "maxrss.txt"
    cmd = [TIME, "-f", "%M %U %S", "-o", str(timing),
           DATAGEN, "run", "--customers", str(customers), "--workers", str(workers), "--seed", str(seed),
           "--sink", "json", "-o", f"json.path={out / 'data'}", "--summary-json", str(summary), "--quiet"]
    mem = Memory()
    done = threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = threading.Thread(target=_sample, args=(proc.pid, mem, done), daemon=True)
    sampler.start()
    _stdout, stderr = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    maxrss_kb, user_s, sys_s = timing.read_text().split()[-3:]
    rusage_kb = int(maxrss_kb)
    cpu_s = float(user_s) + float(sys_s)
    if proc.returncode != 0:
        raise SystemExit(f"datagen run failed ({proc.returncode}): {stderr.decode()[-2000:]}")
    info = json.loads(summary.read_text())
    size = sum(p.stat().st_size for p in (out / "data").glob("*.jsonl"))
    if keep is not None:
        shutil.copytree(out / "data", keep / f"n{customers}-w{workers}", dirs_exist_ok=True)
    shutil.rmtree(out, ignore_errors=True)
    return {
        "customers": customers,
        "workers": workers,
        "records": info["generated"],
        "wall_s": wall,
        "rate_wall": info["generated"] / wall,
        "rate_engine": info["records_per_s"],
        "cpu_s": cpu_s,
        "rate_cpu": info["generated"] / cpu_s if cpu_s else 0.0,
        "main_mb": mem.main_kb / 1024,
        "worker_mb": max(mem.workers_kb.values(), default=0) / 1024,
        "tree_mb": mem.tree_kb / 1024,
        "rusage_mb": rusage_kb / 1024,
        "json_mb": size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the fastest is reported")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, default=None, help="copy the datasets here")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args()

    print(f"datagen: {DATAGEN}; cpus: {os.cpu_count()}; load: {os.getloadavg()[0]:.2f}", flush=True)
    header = (f"{'customers':>9} {'workers':>7} {'records':>10} {'wall s':>7} {'rec/s wall':>11} "
              f"{'rec/s eng':>10} {'cpu s':>7} {'rec/cpu-s':>10} {'main MB':>8} {'worker MB':>9} "
              f"{'tree MB':>8} {'rusage MB':>9} {'json MB':>8}")
    print(header)
    rows = []
    for customers in args.customers:
        for workers in args.workers:
            best = None
            for _ in range(args.repeat):
                row = run_once(customers, workers, args.seed, args.keep)
                if best is None or row["wall_s"] < best["wall_s"]:
                    best = row
            assert best is not None
            rows.append(best)
            print(f"{customers:>9,} {workers:>7} {best['records']:>10,} {best['wall_s']:>7.2f} "
                  f"{best['rate_wall']:>11,.0f} {best['rate_engine']:>10,.0f} {best['cpu_s']:>7.1f} "
                  f"{best['rate_cpu']:>10,.0f} "
                  f"{best['main_mb']:>8.0f} "
                  f"{best['worker_mb']:>9.0f} {best['tree_mb']:>8.0f} {best['rusage_mb']:>9.0f} "
                  f"{best['json_mb']:>8.0f}", flush=True)

    by = {(int(r["customers"]), int(r["workers"])): r for r in rows}
    print()
    for customers in args.customers:
        one, two = by.get((customers, 1)), by.get((customers, 2))
        if one:
            verdict = "ok" if one["rate_wall"] >= 150_000 else "BELOW TARGET"
            print(f"{customers:,} customers, 1 worker: {one['rate_wall']:,.0f} records/s (target 150,000): {verdict}")
        if one and two:
            speedup = two["rate_wall"] / one["rate_wall"]
            verdict = "ok" if speedup >= 1.6 else "BELOW TARGET"
            print(f"{customers:,} customers, workers 2 / workers 1: {speedup:.2f}x (target 1.6x): {verdict}")
    lo, hi = min(args.customers), max(args.customers)
    if lo != hi:
        for workers in args.workers:
            small, large = by.get((lo, workers)), by.get((hi, workers))
            if small and large:
                peak_small = max(small["main_mb"], small["worker_mb"])
                peak_large = max(large["main_mb"], large["worker_mb"])
                ratio = peak_large / peak_small
                verdict = "ok" if ratio <= 1.5 else "ABOVE TARGET"
                print(f"workers {workers}: peak RSS of one process {peak_small:.0f} MB at {lo:,} -> "
                      f"{peak_large:.0f} MB at {hi:,} customers: {ratio:.2f}x (target <= 1.5x): {verdict}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
