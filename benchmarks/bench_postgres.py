"""Rows per second into PostgreSQL with the ``postgres`` sink (run on demand; prints figures).

    .venv/bin/python benchmarks/bench_postgres.py                      # 10,000 and 100,000 customers
    .venv/bin/python benchmarks/bench_postgres.py --customers 10000 --formats binary,text --workers 1,2

For each customer count and selection (masters alone = ``--sink postgres:master,reference``, and
everything = ``--sink postgres``) it reports:

* ``run``: a whole ``datagen run`` (generation + validation + encoding + COPY + keys + commit),
  rows acknowledged by PostgreSQL divided by the wall time;
* ``generate only``: the same run into the ``null`` sink (what generation alone allows);
* ``sink only``: the records generated and encoded beforehand, then only the sink's
  ``open`` / ``write`` / ``flush`` / ``close`` timed (what the COPY path alone sustains).

Every measurement loads a fresh schema (``bench_<random>``), dropped afterwards. The database is
``$DATAGEN_POSTGRES_URL`` (``scripts/stack up postgres``) unless ``--url`` is given.
"""

from __future__ import annotations

import argparse
import os
import pickle
import time
import uuid
from typing import Any

from datagen_kernel import make_plugin_host
from datagen_kernel.config import ConfigSources
from datagen_kernel.plan import RunParams, build_plan
from datagen_kernel.run import execute
from datagen_kernel.sinks import SinkContext

DEFAULT_URL = "postgresql://postgres:postgres@127.0.0.1:5432/datagen"
SELECTIONS = {"masters": "postgres:master,reference", "everything": "postgres"}


def _plan(host: Any, customers: int, route: str, url: str, schema: str, fmt: str, workers: int) -> Any:
    flags = [f"postgres.url={url}", f"postgres.schema={schema}", f"postgres.copy_format={fmt}"]
    params = RunParams(root_count=customers, seed=42, sinks=(route,), workers=workers)
    return build_plan(host, params, ConfigSources.build(flags, environ={}))


def _drop(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def bench_run(host: Any, customers: int, route: str, url: str, fmt: str, workers: int) -> tuple[int, float]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        plan = _plan(host, customers, route, url, schema, fmt, workers)
        started = time.perf_counter()
        summary = execute(host, plan)
        elapsed = time.perf_counter() - started
        if not summary.ok:
            raise SystemExit(f"run failed: {summary.errors}")
        return summary.acknowledged, elapsed
    finally:
        _drop(url, schema)


def bench_generate(host: Any, customers: int, route: str, workers: int) -> tuple[int, float]:
    null_route = route.replace("postgres", "null", 1)
    params = RunParams(root_count=customers, seed=42, sinks=(null_route,), workers=workers)
    plan = build_plan(host, params, ConfigSources.build([], environ={}))
    started = time.perf_counter()
    summary = execute(host, plan)
    return summary.acknowledged, time.perf_counter() - started


def bench_sink_only(host: Any, customers: int, route: str, url: str, fmt: str) -> tuple[int, float, float]:
    """(rows, encode seconds, sink seconds) with generation taken out of the picture."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plan = _plan(host, customers, route, url, schema, fmt, 1)
    planned = plan.routes[0]
    sink = planned.sink_cls(planned.config)
    # generate in the engine's order (block by block) and encode as the engine does, untimed
    globals_ = {n: plan.generators[n](plan.context(n, None, {})) for n in plan.global_entities()}
    phases: list[list[Any]] = []
    rows = 0
    encode_s = 0.0
    for phase in ("masters", "events"):
        batches: list[Any] = []
        emitted = plan.emitted_in(phase)
        for name in emitted:
            if plan.specs[name].scope.value == "global":
                batches.append(sink.encode(plan.specs[name], globals_[name]))
        if plan.block_entities(phase):
            for block in range(plan.blocks):
                block_records = dict(globals_)
                for name in plan.block_entities(phase):
                    block_records[name] = plan.generators[name](plan.context(name, block, block_records))
                    if name in emitted:
                        t0 = time.perf_counter()
                        recs = block_records[name]
                        for i in range(0, len(recs), plan.params.batch_size):
                            batches.append(pickle.loads(pickle.dumps(sink.encode(plan.specs[name],
                                                                                 recs[i:i + plan.params.batch_size]))))
                        encode_s += time.perf_counter() - t0
        rows += sum(b.count for b in batches)
        phases.append(batches)
    entities = {n: plan.specs[n] for n in plan.specs if n in planned.entities}
    try:
        started = time.perf_counter()
        sink.open(SinkContext(plan.run, entities, plan.specs, planned.label))
        for batches in phases:
            for batch in batches:
                sink.write(batch)
            sink.flush()
        sink.close(True)
        elapsed = time.perf_counter() - started
    finally:
        _drop(url, schema)
    if sum(sink.stats.acknowledged.values()) != rows:
        raise SystemExit("sink-only run lost rows")
    return rows, encode_s, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", default="10000,100000", help="comma-separated customer counts")
    parser.add_argument("--formats", default="binary", help="COPY formats to compare: binary,text")
    parser.add_argument("--workers", default="1", help="comma-separated --workers values")
    parser.add_argument("--selections", default="masters,everything", help="masters,everything")
    parser.add_argument("--url", default=os.environ.get("DATAGEN_POSTGRES_URL") or DEFAULT_URL)
    parser.add_argument("--skip-sink-only", action="store_true", help="only whole runs")
    args = parser.parse_args()
    host = make_plugin_host()
    print(f"PostgreSQL: {args.url.split('@')[-1]}   cpus: {os.cpu_count()}")
    print(f"{'customers':>9} {'selection':<10} {'format':<6} {'workers':>7} {'measure':<14} {'rows':>10} "
          f"{'seconds':>8} {'rows/s':>10}")
    for customers in (int(c) for c in args.customers.split(",")):
        for selection in args.selections.split(","):
            route = SELECTIONS[selection]
            for workers in (int(w) for w in args.workers.split(",")):
                rows, secs = bench_generate(host, customers, route, workers)
                print(f"{customers:>9,} {selection:<10} {'-':<6} {workers:>7} {'generate only':<14} {rows:>10,} "
                      f"{secs:>8.2f} {rows / secs:>10,.0f}", flush=True)
                for fmt in args.formats.split(","):
                    rows, secs = bench_run(host, customers, route, args.url, fmt, workers)
                    print(f"{customers:>9,} {selection:<10} {fmt:<6} {workers:>7} {'run':<14} {rows:>10,} "
                          f"{secs:>8.2f} {rows / secs:>10,.0f}", flush=True)
            if not args.skip_sink_only:
                for fmt in args.formats.split(","):
                    rows, enc, secs = bench_sink_only(host, customers, route, args.url, fmt)
                    print(f"{customers:>9,} {selection:<10} {fmt:<6} {'-':>7} {'encode only':<14} {rows:>10,} "
                          f"{enc:>8.2f} {rows / enc:>10,.0f}", flush=True)
                    print(f"{customers:>9,} {selection:<10} {fmt:<6} {'-':>7} {'sink only':<14} {rows:>10,} "
                          f"{secs:>8.2f} {rows / secs:>10,.0f}", flush=True)


if __name__ == "__main__":
    main()
