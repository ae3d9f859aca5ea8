"""The dask executor against the local one on this machine: ``--executor local --workers 2``
against ``--executor dask --workers 2`` (a LocalCluster of 2 single-threaded worker processes).

For each sink (json, kafka-avro, null) and executor, one ``datagen run --customers N`` as a
subprocess: records per second (generated records / the engine's elapsed time, from
``--summary-json``; and / the whole process's wall time), and peak memory sampled from /proc
every 50 ms with psutil: ``client MB`` is the peak RSS of the ``datagen`` process (with dask,
it also hosts the scheduler), ``worker MB`` the largest peak RSS of any one of its descendant
processes (the forked workers, or the dask worker processes), ``tree MB`` the largest sum over
the tree in one sample.

``without start-up``: the same ratio over each run's wall time minus its executor's start-up.

Scheduling overhead per block: each executor's start-up is measured with a one-customer run
(``start s``); then ``((dask wall - dask start) - (local wall - local start)) x 2 / blocks``
is the worker time per block the dask run spent beyond the local one (scheduling, moving
results, the per-block flush of sink tasks in the workers).

``--overhead``: the same, measured directly: 400 empty tasks through a LocalCluster of 2
single-threaded workers with a window of 4, as the executor submits blocks (wall time x 2
workers / tasks).

Client memory: the dask run with ``--sink null`` at N and at ``--scale`` customers (default
1,000,000): the client's peak RSS should not grow with the number of blocks.

The machine is shared: the load average before each run is printed with it. Targets (issue
16): dask within 15% of local for kafka-avro and null (json is written by the client on the
same 2 cores: reported, no target); client RSS flat from 100k to 1M customers.

    .venv/bin/python benchmarks/bench_dask.py                       # everything (about 15 min)
    .venv/bin/python benchmarks/bench_dask.py --customers 20000 --sinks null --scale 0
    eval "$(scripts/stack env)"                                     # kafka-avro needs the stack
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATAGEN = str(Path(sys.executable).with_name("datagen"))
BLOCK_SIZE = 500


@dataclass
class Result:
    sink: str
    executor: str
    customers: int
    records: int
    elapsed: float
    wall: float
    client_mb: float
    worker_mb: float
    tree_mb: float
    load: float

    @property
    def rate(self) -> float:
        return self.records / self.elapsed if self.elapsed else 0.0


class Sampler(threading.Thread):
    """Peak RSS of a process and of each of its descendants, every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process(pid)
        self.peaks: dict[int, int] = {}
        self.tree = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stop.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss)
            self.tree = max(self.tree, total)
            self.stop.wait(0.05)


def run(sink: str, executor: str, customers: int, extra: list[str]) -> Result:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        summary = Path(tmp) / "summary.json"
        args = [DATAGEN, "run", "-q", "--customers", str(customers), "--seed", "1", "--sink", sink,
                "--workers", "2", "--summary-json", str(summary), *extra]
        if executor == "dask":
            args += ["--executor", "dask"]
        if sink == "json":
            args += ["-o", f"json.path={Path(tmp) / 'out'}"]
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sampler = Sampler(proc.pid)
        sampler.start()
        code = proc.wait()
        wall = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        if code != 0:
            raise SystemExit(f"{' '.join(args)} exited {code}")
        data: dict[str, Any] = json.loads(summary.read_text())
    others = [v for pid, v in sampler.peaks.items() if pid != proc.pid]
    mb = 1 / 1048576
    return Result(sink, executor, customers, data["generated"], data["elapsed_s"], wall,
                  sampler.peaks.get(proc.pid, 0) * mb, max(others, default=0) * mb, sampler.tree * mb, load)


def sink_args(sink: str) -> tuple[list[str], str | None]:
    if sink.startswith("kafka"):
        prefix = f"bench-dask-{uuid.uuid4().hex[:8]}."
        return ["-o", f"{sink}.topic_prefix={prefix}"], prefix
    return [], None


def drop_topics(prefix: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": os.environ.get("DATAGEN_KAFKA_BOOTSTRAP", "localhost:9092")})
    names = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
    for fut in (admin.delete_topics(names, operation_timeout=30) if names else {}).values():
        with contextlib.suppress(Exception):
            fut.result(30)


def measure(sink: str, executor: str, customers: int) -> Result:
    extra, prefix = sink_args(sink)
    try:
        return run(sink, executor, customers, extra)
    finally:
        if prefix:
            drop_topics(prefix)


def _empty(block: int) -> int:
    return block


def scheduling_overhead(tasks: int = 400) -> float:
    """Seconds of worker time per task for empty tasks submitted within a window of 4."""
    import logging
    from collections import deque

    from distributed import Client, LocalCluster, as_completed

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.submit(_empty, -1, pure=False).result()
        started = time.perf_counter()
        window: deque[Any] = deque()
        finished = as_completed()
        for block in range(tasks):
            if len(window) >= 4:
                next(finished).result()
                window.popleft()
            future = client.submit(_empty, block, key=f"empty-{block}", pure=False)
            window.append(future)
            finished.add(future)
        for future in finished:
            future.result()
        return (time.perf_counter() - started) * 2 / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--sinks", default="json,kafka-avro,null")
    parser.add_argument("--scale", type=int, default=1_000_000, help="customers of the client-memory run (0: none)")
    parser.add_argument("--overhead", action="store_true", help="only the direct scheduling-overhead measurement")
    opts = parser.parse_args()
    if opts.overhead:
        load = os.getloadavg()[0]
        print(f"scheduling overhead: {scheduling_overhead() * 1000:.1f} ms of worker time per empty task "
              f"(load {load:.1f})")
        return
    if shutil.which(DATAGEN) is None and not Path(DATAGEN).exists():
        raise SystemExit(f"{DATAGEN} not found: run from the repository's virtual environment")
    subprocess.run([DATAGEN, "run", "-q", "--customers", "1", "--sink", "null"], check=True)  # bytecode
    print(f"load average at start: {os.getloadavg()}; cpus: {os.cpu_count()}", flush=True)
    starts = {ex: measure("null", ex, 1).wall for ex in ("local", "dask")}
    print(f"start-up (one customer, null): local {starts['local']:.2f} s, dask {starts['dask']:.2f} s", flush=True)
    blocks = -(-opts.customers // BLOCK_SIZE)
    header = (f"{'sink':<11} {'executor':<8} {'records':>11} {'records/s':>10} {'wall s':>7} {'client MB':>9} "
              f"{'worker MB':>9} {'tree MB':>8} {'load':>5}")
    print(header, flush=True)
    rows: dict[tuple[str, str], Result] = {}
    for sink in opts.sinks.split(","):
        for ex in ("local", "dask"):
            r = rows[(sink, ex)] = measure(sink, ex, opts.customers)
            print(f"{sink:<11} {ex:<8} {r.records:>11,} {r.rate:>10,.0f} {r.wall:>7.1f} {r.client_mb:>9.0f} "
                  f"{r.worker_mb:>9.0f} {r.tree_mb:>8.0f} {r.load:>5.1f}", flush=True)
        local, dask = rows[(sink, "local")], rows[(sink, "dask")]
        overhead = ((dask.wall - starts["dask"]) - (local.wall - starts["local"])) * 2 / blocks
        steady = (dask.records / (dask.wall - starts["dask"])) / (local.records / (local.wall - starts["local"]))
        print(f"  {sink}: dask/local records/s = {dask.rate / local.rate:.2f} ({steady:.2f} without start-up); "
              f"scheduling overhead {overhead * 1000:+.1f} ms of worker time per block ({blocks} blocks)",
              flush=True)
    if opts.scale:
        small = rows.get(("null", "dask")) or measure("null", "dask", opts.customers)
        big = measure("null", "dask", opts.scale)
        print(f"client peak RSS, dask, --sink null: {small.customers:,} customers {small.client_mb:.0f} MB; "
              f"{big.customers:,} customers {big.client_mb:.0f} MB (workers {big.worker_mb:.0f} MB; "
              f"{big.rate:,.0f} records/s; load {big.load:.1f})", flush=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
