"""Rows per second into PostgreSQL with the ``postgres`` sink (run on demand; prints figures).

    .venv/bin/python benchmarks/bench_postgres.py                      # 10,000 and 100,000 customers
    .venv/bin/python benchmarks/bench_postgres.py --customers 10000 --formats binary,text --workers 1,2

For each customer count and selection (masters alone = ``--sink postgres:master,reference``, and
everything = ``--sink postgres``) it reports, from the widest to the narrowest scope:

* ``process``: the ``datagen run`` command in a child process, from its start to its exit
  (interpreter start, plugin loading, planning, generation, validation, encoding, COPY, keys,
  commit): what a user waits for;
* ``run``: the same run inside this process (``execute``: generation + validation + encoding +
  COPY + keys + commit, no start-up);
* ``generate only``: the same run into the ``null`` sink (what generation alone allows);
* ``encode only``: the CPU time of ``Sink.encode`` (records -> COPY bytes) for those rows;
* ``load (COPY)``: the loading phase alone: the records generated and encoded beforehand, then
  only the sink's ``open`` / ``write`` / ``flush`` / ``close`` timed (create tables, COPY, keys,
  indexes, commit); ``--repeat`` loads (default 3) of the same rows. This is
  the figure the sink's target (150,000 master rows/s via COPY) is about: what PostgreSQL and
  the sink sustain when generation is not the limit.

Every measurement runs ``--repeat`` times (at least 3) and each line shows the run of median
wall time: rows / wall second, and the CPU seconds spent by datagen (this process, its
loader thread and its worker processes, or the child process) and by the PostgreSQL backend that
runs the COPY (read from /proc, so the server must run on this machine). On a busy machine the
wall-clock figure depends on the neighbours (the load average is printed before and after each
measurement); ``cpu-bound rows/s`` = rows / max(datagen CPU, server CPU) is what the two sides
sustain when each has a core, since the loader thread overlaps them.

Every measurement loads a fresh schema (``bench_<random>``), dropped afterwards. The database is
``$DATAGEN_POSTGRES_URL`` (``scripts/stack up postgres``) unless ``--url`` is given. The loading
phase of everything at more than 20,000 customers is skipped (it holds every encoded row in
memory) unless ``--load-everything`` is given.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from benchinfo import print_header

from datagen_kernel import make_plugin_host
from datagen_kernel.api.sinks import SinkContext
from datagen_kernel.engine.blocks import BlockProcessor, new_sinks, open_serializers
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import RunParams, build_plan
from datagen_kernel.engine.run import execute

DEFAULT_URL = "postgresql://postgres:postgres@127.0.0.1:5432/datagen"
SELECTIONS = {"masters": "postgres:master,reference", "everything": "postgres"}


class ServerCpu:
    """Polls the CPU time of the sink's PostgreSQL backend (``datagen``, working in ``schema``)."""

    def __init__(self, url: str, schema: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.pattern = f'%"{schema}"%'
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> ServerCpu:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.conn.close()

    def _poll(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self.stop.is_set():
            pids = [r[0] for r in self.conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'datagen' AND query LIKE %s",
                (self.pattern,)).fetchall()]
            for pid in pids + [p for p in self.seen if p not in pids]:
                try:
                    with open(f"/proc/{pid}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick
                except (OSError, IndexError, ValueError):
                    pass
            self.stop.wait(0.05)

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def _own_cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _plan(host: Any, customers: int, route: str, url: str, schema: str, fmt: str, workers: int) -> Any:
    flags = [f"postgres.url={url}", f"postgres.schema={schema}", f"postgres.copy_format={fmt}"]
    params = RunParams(root_count=customers, seed=42, sinks=(route,), workers=workers)
    return build_plan(host, params, ConfigSources.build(flags, environ={}))


def _drop(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def bench_run(host: Any, customers: int, route: str, url: str, fmt: str,
              workers: int) -> tuple[int, float, float, float]:
    """(rows, wall seconds, datagen CPU seconds, server CPU seconds) of a whole run."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        plan = _plan(host, customers, route, url, schema, fmt, workers)
        with ServerCpu(url, schema) as server:
            cpu = _own_cpu()
            started = time.perf_counter()
            summary = execute(host, plan)
            elapsed = time.perf_counter() - started
            cpu = _own_cpu() - cpu
        if not summary.ok:
            raise SystemExit(f"run failed: {summary.errors}")
        return summary.acknowledged, elapsed, cpu, server.seconds
    finally:
        _drop(url, schema)


def bench_process(customers: int, route: str, url: str, fmt: str, workers: int) -> tuple[int, float, float, float]:
    """(rows, wall seconds, CPU seconds of the child process, server CPU) of ``datagen run``."""
    import json
    import tempfile

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    exe = shutil.which("datagen") or str(Path(sys.executable).parent / "datagen")
    env = dict(os.environ, DATAGEN_POSTGRES_URL=url)
    with tempfile.TemporaryDirectory() as tmp:
        summary_file = Path(tmp) / "summary.json"
        args = [exe, "run", "-q", "--customers", str(customers), "--seed", "42", "--sink", route,
                "--workers", str(workers), "--summary-json", str(summary_file),
                "-o", f"postgres.schema={schema}", "-o", f"postgres.copy_format={fmt}"]
        try:
            with ServerCpu(url, schema) as server:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                done = subprocess.run(args, env=env, capture_output=True, text=True)
                elapsed = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode != 0:
                raise SystemExit(f"datagen run failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
            summary = json.loads(summary_file.read_text())
        finally:
            _drop(url, schema)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return int(summary["acknowledged"]), elapsed, cpu, server.seconds


def bench_generate(host: Any, customers: int, route: str, workers: int) -> tuple[int, float]:
    null_route = route.replace("postgres", "null", 1)
    params = RunParams(root_count=customers, seed=42, sinks=(null_route,), workers=workers)
    plan = build_plan(host, params, ConfigSources.build([], environ={}))
    started = time.perf_counter()
    summary = execute(host, plan)
    return summary.acknowledged, time.perf_counter() - started


def bench_sink_only(host: Any, customers: int, route: str, url: str, fmt: str,
                    repeat: int = 1) -> tuple[int, float, float, float, float]:
    """(rows, encode seconds, sink wall, sink CPU, server CPU) with generation taken out.

    The records are generated and encoded once (untimed, but encoding's CPU is returned), then
    loaded ``repeat`` times, each into a fresh schema; the load of median wall time is returned.
    """
    plan = _plan(host, customers, route, url, "unused", fmt, 1)
    planned = plan.routes[0]
    # encode as the engine does: the route's serializer, through the block processor
    encoders = new_sinks(plan)
    serializers, _ = open_serializers(plan, encoders)
    # generate in the engine's order (block by block) and encode as the engine does
    globals_ = {n: plan.generators[n](plan.context(n, None, {})) for n in plan.global_entities()}
    processor = BlockProcessor(plan, encoders, serializers, globals_)
    phases: list[list[Any]] = []
    rows = 0
    encode_s = 0.0
    for phase in ("masters", "events"):
        batches: list[Any] = []
        emitted = plan.emitted_in(phase)
        for name in emitted:
            if plan.specs[name].scope.value == "global":
                batches.extend(b for _, b in processor.encode(name, globals_[name]))
        if plan.block_entities(phase):
            for block in range(plan.blocks):
                block_records = dict(globals_)
                for name in plan.block_entities(phase):
                    block_records[name] = plan.generators[name](plan.context(name, block, block_records))
                    if name in emitted:
                        t0 = time.process_time()
                        recs = block_records[name]
                        batches.extend(pickle.loads(pickle.dumps(b)) for _, b in processor.encode(name, recs))
                        encode_s += time.process_time() - t0
        rows += sum(b.count for b in batches)
        phases.append(batches)
    entities = {n: plan.specs[n] for n in plan.specs if n in planned.entities}
    loads: list[tuple[float, float, float]] = []
    for _ in range(repeat):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        sink = planned.sink_cls({**planned.config, "schema": schema})
        try:
            with ServerCpu(url, schema) as server:
                cpu = _own_cpu()
                started = time.perf_counter()
                sink.open(SinkContext(plan.run, entities, plan.specs, planned.label))
                for batches in phases:
                    for batch in batches:
                        sink.write(batch)
                    sink.flush()
                sink.close(True)
                elapsed = time.perf_counter() - started
                cpu = _own_cpu() - cpu
        finally:
            _drop(url, schema)
        if sum(sink.stats.acknowledged.values()) != rows:
            raise SystemExit("sink-only run lost rows")
        loads.append((elapsed, cpu, server.seconds))
    loads.sort()
    return rows, encode_s, *loads[(len(loads) - 1) // 2]


def _median(repeat: int, measure: Any, *args: Any) -> Any:
    """The result of ``measure(*args)`` (a tuple: rows, wall seconds, ...) of median wall time over
    ``repeat`` runs."""
    results = sorted((measure(*args) for _ in range(repeat)), key=lambda r: r[1])
    return results[(len(results) - 1) // 2]


def _load() -> str:
    return "load avg " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", default="10000,100000", help="comma-separated customer counts")
    parser.add_argument("--formats", default="binary", help="COPY formats to compare: binary,text")
    parser.add_argument("--workers", default="1", help="comma-separated --workers values")
    parser.add_argument("--selections", default="masters,everything", help="masters,everything")
    parser.add_argument("--url", default=os.environ.get("DATAGEN_POSTGRES_URL") or DEFAULT_URL)
    parser.add_argument("--skip-process", action="store_true", help="no child-process `datagen run`")
    parser.add_argument("--skip-load", action="store_true", help="no loading-phase (COPY alone) measurement")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per measurement (at least 3; the run of median wall time is shown)")
    parser.add_argument("--load-everything", action="store_true",
                        help="measure the loading phase of everything above 20,000 customers too (memory!)")
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (a median of fewer runs says little)")
    print_header()
    host = make_plugin_host()
    print(f"PostgreSQL: {args.url.split('@')[-1]}   cpus: {os.cpu_count()}   {_load()}")
    print(f"{'customers':>9} {'selection':<10} {'format':<6} {'workers':>7} {'measure':<13} {'rows':>9} "
          f"{'wall s':>7} {'rows/s':>8} {'datagen cpu':>11} {'server cpu':>10} {'cpu-bound rows/s':>16}  load")

    def line(customers: int, selection: str, fmt: str, workers: str, what: str, rows: int, wall: float,
             cpu: float | None = None, server: float | None = None) -> None:
        bound = f"{rows / max(cpu, server):>16,.0f}" if cpu and server else f"{'':>16}"
        cpu_text = f"{cpu:>11.2f}" if cpu is not None else f"{'':>11}"
        server_text = f"{server:>10.2f}" if server is not None else f"{'':>10}"
        print(f"{customers:>9,} {selection:<10} {fmt:<6} {workers:>7} {what:<13} {rows:>9,} {wall:>7.2f} "
              f"{rows / wall:>8,.0f} {cpu_text} {server_text} {bound}  {os.getloadavg()[0]:.2f}", flush=True)

    for customers in (int(c) for c in args.customers.split(",")):
        for selection in args.selections.split(","):
            route = SELECTIONS[selection]
            for workers in (int(w) for w in args.workers.split(",")):
                rows, secs = _median(args.repeat, bench_generate, host, customers, route, workers)
                line(customers, selection, "-", str(workers), "generate only", rows, secs)
                for fmt in args.formats.split(","):
                    if not args.skip_process:
                        rows, secs, cpu, server = _median(
                            args.repeat, bench_process, customers, route, args.url, fmt, workers)
                        line(customers, selection, fmt, str(workers), "process", rows, secs, cpu, server)
                    rows, secs, cpu, server = _median(
                        args.repeat, bench_run, host, customers, route, args.url, fmt, workers)
                    line(customers, selection, fmt, str(workers), "run", rows, secs, cpu, server)
            if args.skip_load or (selection == "everything" and customers > 20_000 and not args.load_everything):
                continue
            for fmt in args.formats.split(","):
                rows, enc, secs, cpu, server = bench_sink_only(host, customers, route, args.url, fmt, args.repeat)
                line(customers, selection, fmt, "-", "encode only", rows, enc, enc)
                line(customers, selection, fmt, "-", "load (COPY)", rows, secs, cpu, server)
    print(_load())


if __name__ == "__main__":
    main()
