"""Rows/second of a row-at-a-time entity (``register.rows``): 10 fields, one Faker call per row.

Usage: .venv/bin/python benchmarks/bench_rows.py [--blocks 20] [--repeat 3] [--per 2] [--run 20000]

The entity is an insurance policy made per customer of the banking pack (``per="customer"``,
``--per`` policies each): a UUID key and the customer's id filled by the kernel, a weighted
choice, a number, a name from Faker pt_BR (``row.fake.name()``, every row), a premium
(``row.money``), two dates, a nullable instant and a timestamp. The customers of every block are
generated first (untimed, and turned into dicts, as ``make`` receives them); then the row
generator alone is timed over the blocks, and separately one ``fake.name()`` per row, to show
what Faker itself costs. The best of ``--repeat`` rounds is printed, by wall and CPU time.
The kernel's schema check of the same records is timed too (it runs on every block of a run).
``--run N`` also times whole runs, ``datagen run --customers N --sink json:policy`` with one and
two workers (the customers generated but not written), and checks that both write the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import datagen_plugin_banking.plugin as banking
import datagen_plugin_json.plugin as json_sink
from click.testing import CliRunner
from datagen_plugin_banking.entities import CUSTOMER
from datagen_plugin_banking.masters import generate_customers

from datagen_kernel.api import (
    BlockContext,
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    ForeignKey,
    Kind,
    RunInfo,
    String,
    Timestamp,
    Uuid,
    hookimpl,
)
from datagen_kernel.api.columnar import as_rows
from datagen_kernel.api.rows import Row, RowGenerator
from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host
from datagen_kernel.engine.validation import schema_violations

PRODUCTS = ("AUTO", "LIFE", "HOME", "TRAVEL")
STATUSES = ("ACTIVE", "EXPIRED", "CANCELLED")
POLICY = EntitySpec(
    name="policy", kind=Kind.MASTER, primary_key="policy_id", table="policies",
    fields=(
        Field("policy_id", Uuid()),
        Field("customer_id", Uuid()),
        Field("product", Enum(*PRODUCTS)),
        Field("policy_number", String(12)),
        Field("insured_name", String(120)),
        Field("premium", Decimal(12, 2)),
        Field("starts_on", Date()),
        Field("ends_on", Date()),
        Field("cancelled_at", Timestamp(), nullable=True),
        Field("created_at", Timestamp()),
    ),
    foreign_keys=(ForeignKey("customer_id", "customer", "customer_id"),),
)
YEAR = timedelta(days=365)


def make_policy(customer: Any, row: Row) -> dict[str, Any]:
    starts = row.recent_date(1500)
    cancelled = row.chance(0.04)
    return {
        "product": row.choice(PRODUCTS, (5, 3, 2, 1)),
        "policy_number": "AP" + row.digits(10),
        "insured_name": row.fake.name(),
        "premium": row.money(300, 9000),
        "starts_on": starts,
        "ends_on": starts + YEAR,
        "cancelled_at": row.recent_timestamp(60) if cancelled else None,
        "created_at": row.timestamp(starts),
    }


PER = 2


@hookimpl
def datagen_register_entities(register: Any) -> None:
    register.rows(POLICY, make_policy, per="customer", count=PER)


def whole_runs(customers: int, repeat: int) -> None:
    """``datagen run`` in this process, one and two workers; the best run of each."""
    host = make_plugin_host(entrypoints=False, plugins=[banking, json_sink, sys.modules[__name__]])
    outputs = {}
    for workers in (1, 2):
        best = float("inf")
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                summary = Path(tmp) / "summary.json"
                args = ["run", "--customers", str(customers), "--workers", str(workers), "--sink", "json:policy",
                        "-o", f"json.path={tmp}/out", "-q", "--summary-json", str(summary)]
                result = CliRunner().invoke(make_cli(lambda: host), args)
                assert result.exit_code == 0, result.output
                data = json.loads(summary.read_text())
                best = min(best, data["elapsed_s"])
                outputs[workers] = (Path(tmp) / "out" / "policy.jsonl").read_bytes()
        rows = outputs[workers].count(b"\n")
        print(f"  datagen run --customers {customers:,} --workers {workers} --sink json:policy: "
              f"{rows:,} policies in {best:.2f} s, {rows / best:,.0f} policies/s")
    assert outputs[1] == outputs[2], "one and two workers wrote different policies"
    print("  one and two workers wrote the same bytes")


def main() -> None:
    global PER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=20, help="blocks of 500 customers per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is reported")
    parser.add_argument("--per", type=int, default=2, help="policies per customer")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--run", type=int, default=0, metavar="N", help="also time whole runs of N customers")
    args = parser.parse_args()
    PER = args.per

    run = RunInfo(seed=args.seed, root_count=args.blocks * BLOCK_SIZE)
    parents: list[dict[str, Any]] = []
    for block in range(args.blocks):
        start = block * BLOCK_SIZE
        ctx = BlockContext(run, CUSTOMER, block, start, start + BLOCK_SIZE, {})
        parents.append({"customer": as_rows(generate_customers(ctx))})
    generator = RowGenerator(make_policy, per="customer", count=args.per)

    def contexts() -> list[BlockContext]:
        return [BlockContext(run, POLICY, b, b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE, parents[b])
                for b in range(args.blocks)]

    generator(contexts()[0])  # warm up: imports Faker, builds its pt_BR instance
    best_wall = best_cpu = float("inf")
    rows = 0
    produced: list[list[dict[str, Any]]] = []
    for _ in range(args.repeat):
        ctxs = contexts()
        wall, cpu = time.perf_counter(), time.process_time()
        produced = [generator(ctx) for ctx in ctxs]
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        rows = sum(len(p) for p in produced)

    from faker import Factory

    fake = Factory.create("pt_BR")  # what row.fake is
    fake.seed_instance(1)
    faker_cpu = float("inf")
    for _ in range(args.repeat):
        cpu = time.process_time()
        for _ in range(rows):
            fake.name()
        faker_cpu = min(faker_cpu, time.process_time() - cpu)

    check_cpu = float("inf")
    for _ in range(args.repeat):
        cpu = time.process_time()
        problems = [v for recs in produced for v in schema_violations(POLICY, recs)]
        check_cpu = min(check_cpu, time.process_time() - cpu)
    assert not problems, problems[:3]

    print(f"row path, {len(POLICY.fields)}-field policy, {args.per} per customer, {args.blocks} blocks: "
          f"{rows:,} rows")
    print(f"  generate: {rows / best_wall:>10,.0f} rows/s wall  {rows / best_cpu:>10,.0f} rows/s CPU "
          f"({best_cpu / rows * 1e6:.2f} us/row)")
    print(f"  of which fake.name() alone: {faker_cpu / rows * 1e6:.2f} us/row")
    print(f"  schema check: {rows / check_cpu:>10,.0f} rows/s CPU")
    if args.run:
        whole_runs(args.run, args.repeat)


if __name__ == "__main__":
    main()
