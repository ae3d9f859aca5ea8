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

Repeats (``--repeat R``, at least 3): the worker counts take turns (1, 2, 1, 2, ...), so a slow
spell of this shared machine falls on both. A first run of each cell samples memory; the sampler
polls /proc from this process, which competes with the run for the two cores, so the times
reported come from the R runs after it, which are not sampled: the run of median wall time is
reported, and each is listed.

Targets (issue 3): >= 150,000 records/s with one worker, workers 2 >= 1.6x workers 1, peak
RSS at 100,000 customers <= 1.5x that at 10,000.

    .venv/bin/python benchmarks/bench_bank_json.py                 # 10k and 100k, workers 1 and 2
    .venv/bin/python benchmarks/bench_bank_json.py --customers 10000 --workers 1 --repeat 3
    .venv/bin/python benchmarks/bench_bank_json.py --components --customers 10000   # where CPU time goes

Bytecode: one short run writes the bytecode of the kernel and every plugin before the timed
runs, as a regular ``pip install`` does. In an environment with ``PYTHONDONTWRITEBYTECODE``
set (an editable install never gets it otherwise) every process would recompile every module
at start (about 0.3 s of CPU here), which is not what users' runs pay.

``--components`` runs the same command in this process (one worker) with every generator,
rule, the kernel's schema and foreign-key checks, the encoding (serialization) and the json
sink's writes timed in CPU time, and prints the breakdown per component and entity.
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
from typing import Any

from benchinfo import print_header

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


_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_once() -> None:
    """Write the bytecode of the kernel and every plugin (see the module doc)."""
    subprocess.run([DATAGEN, "run", "--customers", "10", "--sink", "null", "--quiet"], env=_ENV, check=True,
                   stdout=subprocess.DEVNULL)


def run_once(customers: int, workers: int, seed: int, keep: Path | None, sample: bool = True) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="datagen-bench-"))
    summary = out / "summary.json"
    timing = out / "maxrss.txt"
    cmd = [TIME, "-f", "%M %U %S", "-o", str(timing),
           DATAGEN, "run", "--customers", str(customers), "--workers", str(workers), "--seed", str(seed),
           "--sink", "json", "-o", f"json.path={out / 'data'}", "--summary-json", str(summary), "--quiet"]
    mem = Memory()
    done = threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_ENV)
    sampler = threading.Thread(target=_sample, args=(proc.pid, mem, done), daemon=True)
    if sample:
        sampler.start()
    _stdout, stderr = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    if sample:
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


def components(customers: int, seed: int) -> None:
    """CPU time per pipeline component of one in-process run (see the module doc)."""
    from collections import Counter

    from datagen_plugin_json.sinks import JsonLinesSink

    import datagen_kernel.cli.run as commands_run
    import datagen_kernel.engine.blocks as run_module
    from datagen_kernel.cli import main as datagen_main

    clock = time.process_time
    cpu: Counter[str] = Counter()
    count: Counter[str] = Counter()

    def timed(key: str, fn: Any) -> Any:
        def inner(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                cpu[key] += clock() - start
        return inner

    build_plan = commands_run.build_plan

    def instrumented_plan(*args: Any, **kwargs: Any) -> Any:
        plan = build_plan(*args, **kwargs)
        for name, gen in list(plan.generators.items()):
            def generate(ctx: Any, _gen: Any = gen, _key: str = f"generate {name}") -> Any:
                start = clock()
                out = _gen(ctx)
                cpu[_key] += clock() - start
                count[_key] += len(out)
                return out
            plan.generators[name] = generate
        for name, rules in plan.rules.items():
            plan.rules[name] = [
                type(r)(r.name, r.entity, timed(f"pack rules {name}", _listing(r.check, r.wants_run)), r.doc)
                for r in rules
            ]
        return plan

    run_rules = run_module.run_rules

    def _listing(check: Any, wants_run: bool) -> Any:
        """``check`` returning a list (timed whole), keeping its signature's ``run``."""
        def listed(spec: Any, records: Any, lookup: Any, run: Any = None) -> list[Any]:
            return list(check(spec, records, lookup, run=run) if wants_run else check(spec, records, lookup))
        return listed  # the timing wrapper takes **kwargs, so the engine always passes run

    def all_rules(spec: Any, *args: Any, **kwargs: Any) -> Any:
        start = clock()
        try:
            return run_rules(spec, *args, **kwargs)
        finally:
            cpu[f"all checks {spec.name}"] += clock() - start

    encode = run_module.BlockProcessor.encode

    def timed_encode(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        start = clock()
        try:
            return encode(self, name, *args, **kwargs)
        finally:
            cpu[f"serialize {name}"] += clock() - start

    commands_run.build_plan = instrumented_plan  # type: ignore[assignment]
    run_module.run_rules = all_rules  # type: ignore[assignment]
    run_module.BlockProcessor.encode = timed_encode  # type: ignore[method-assign]
    for method in ("write", "flush", "close"):
        setattr(JsonLinesSink, method, timed("json sink write", getattr(JsonLinesSink, method)))
    out = Path(tempfile.mkdtemp(prefix="datagen-bench-"))
    start = clock()
    try:
        datagen_main(["run", "--customers", str(customers), "--seed", str(seed), "--sink", "json",
                      "-o", f"json.path={out}", "--quiet"])
    except SystemExit as exc:
        if exc.code:
            raise
    finally:
        shutil.rmtree(out, ignore_errors=True)
    total = clock() - start
    for key in [k for k in cpu if k.startswith("all checks ")]:
        entity = key.removeprefix("all checks ")
        cpu[f"kernel checks {entity}"] = cpu.pop(key) - cpu.get(f"pack rules {entity}", 0.0)
    groups: Counter[str] = Counter()
    print(f"\nCPU time of `datagen run --customers {customers:,} --sink json` (1 worker): {total:.2f} s")
    for key, seconds in sorted(cpu.items(), key=lambda kv: -kv[1]):
        groups[key.split(" ")[0] if not key.startswith(("pack", "kernel", "json")) else
               " ".join(key.split(" ")[:2])] += seconds
        if seconds >= 0.005 * total:
            extra = f"  ({count[key]:,} records incl. re-generation)" if key in count else ""
            print(f"{seconds:8.2f} s {100 * seconds / total:5.1f}%  {key}{extra}")
    print()
    for group, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"{seconds:8.2f} s {100 * seconds / total:5.1f}%  {group}")
    rest = total - sum(groups.values())
    print(f"{rest:8.2f} s {100 * rest / total:5.1f}%  other (engine, plugin loading, startup)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs per cell (at least 3; the median is reported), after one that samples memory")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, default=None, help="copy the datasets here")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    parser.add_argument("--components", action="store_true",
                        help="instead: CPU time per component of one in-process run of the first --customers")
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (a median of fewer runs says little)")
    if args.components:
        print_header()
        compile_once()
        components(args.customers[0], args.seed)
        return

    print_header()
    compile_once()
    print(f"datagen: {DATAGEN}; cpus: {os.cpu_count()}; load: {os.getloadavg()[0]:.2f}", flush=True)
    header = (f"{'customers':>9} {'workers':>7} {'records':>10} {'wall s':>7} {'rec/s wall':>11} "
              f"{'rec/s eng':>10} {'cpu s':>7} {'rec/cpu-s':>10} {'main MB':>8} {'worker MB':>9} "
              f"{'tree MB':>8} {'rusage MB':>9} {'json MB':>8}")
    print(header)
    rows = []
    for customers in args.customers:
        # repeats go round the worker counts (1, 2, 1, 2, ...) so that a slow spell of the
        # machine falls on both; the first round samples memory, later rounds only time
        runs: dict[int, list[dict[str, float]]] = {w: [] for w in args.workers}
        for round_ in range(args.repeat + 1):
            for workers in args.workers:
                runs[workers].append(run_once(customers, workers, args.seed, args.keep, sample=round_ == 0))
        for workers in args.workers:
            sampled, *timed = runs[workers]
            ordered = sorted(timed or [sampled], key=lambda r: r["wall_s"])
            best = dict(ordered[(len(ordered) - 1) // 2])  # the median run (the lower one of an even count)
            for key in ("main_mb", "worker_mb", "tree_mb"):
                best[key] = sampled[key]
            best["rusage_mb"] = max(r["rusage_mb"] for r in runs[workers])
            rows.append(best)
            print(f"{customers:>9,} {workers:>7} {best['records']:>10,} {best['wall_s']:>7.2f} "
                  f"{best['rate_wall']:>11,.0f} {best['rate_engine']:>10,.0f} {best['cpu_s']:>7.1f} "
                  f"{best['rate_cpu']:>10,.0f} "
                  f"{best['main_mb']:>8.0f} "
                  f"{best['worker_mb']:>9.0f} {best['tree_mb']:>8.0f} {best['rusage_mb']:>9.0f} "
                  f"{best['json_mb']:>8.0f}", flush=True)
            walls = sorted(r["wall_s"] for r in timed)
            if walls:
                print(f"{'':>18}timed runs (wall s): {' '.join(f'{w:.2f}' for w in walls)}", flush=True)

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
