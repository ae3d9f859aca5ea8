"""Records/second of the banking pack's generators, each measured in isolation.

Usage: .venv/bin/python benchmarks/bench_banking_generators.py [--blocks 20] [--repeat 3]
       [--no-malloc-tuning] [--rules] [--scenario fraud-detection]

For each entity, the parents of every block are generated first (untimed), then the
entity's generator alone is timed over the blocks, ``--repeat`` rounds (at least 3): the
median round is printed, with the slowest and fastest beside it, by wall time and by the
process's CPU time (a shared machine's load stretches wall time more than CPU time).
``--rules`` also times the pack's validators. Every figure is measured: none is rescaled.

By default glibc's malloc is told to keep freed memory (``mallopt``: no trimming, no mmap
for large blocks); on this machine returning memory to the OS and faulting it back in
costs more than generating the records. ``--no-malloc-tuning`` measures without it.
"""

from __future__ import annotations

import argparse
import ctypes
import time
from collections.abc import Callable

from benchinfo import print_header, spread
from datagen_plugin_banking.entities import ACCOUNT, CUSTOMER, TRANSACTION
from datagen_plugin_banking.masters import generate_accounts, generate_customers
from datagen_plugin_banking.scenarios import FRAUD_DETECTION
from datagen_plugin_banking.transactions import counterparties, generate_transactions
from datagen_plugin_banking.validators import RULES

from datagen_kernel.api.generation import BlockContext, RunInfo
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.engine.validation import run_rules


def tune_malloc() -> bool:
    """Keep freed heap memory in the process (glibc only); True if applied."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    ok = libc.mallopt(m_trim_threshold, 1 << 30) and libc.mallopt(m_top_pad, 64 << 20)
    return bool(ok and libc.mallopt(m_mmap_threshold, 1 << 30))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=20, help="blocks of 500 customers per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (at least 3); the median is reported")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-malloc-tuning", action="store_true")
    parser.add_argument("--rules", action="store_true", help="also time the pack's validators")
    parser.add_argument("--scenario", default=None, help="e.g. fraud-detection")
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (a median of fewer runs says little)")
    print_header()
    tuned = False if args.no_malloc_tuning else tune_malloc()

    options = {"banking": {"history_days": 365, "transactions_per_year": 20.0}, "scenario": {"share": 0.05}}
    run = RunInfo(seed=args.seed, root_count=args.blocks * BLOCK_SIZE, scenario=args.scenario, options=options)
    tx_spec = TRANSACTION
    if args.scenario == "fraud-detection":
        assert FRAUD_DETECTION.extend_entities is not None
        tx_spec = FRAUD_DETECTION.extend_entities({"transaction": TRANSACTION})["transaction"]
    counterparties(args.seed)  # built once per process; not part of the per-block cost
    specs = {"customer": CUSTOMER, "account": ACCOUNT, "transaction": tx_spec}
    order: list[tuple[str, Callable[[BlockContext], list[dict]]]] = [
        ("customer", generate_customers), ("account", generate_accounts), ("transaction", generate_transactions),
    ]

    blocks: list[dict[str, list[dict]]] = []
    for b in range(args.blocks):
        recs: dict[str, list[dict]] = {}
        for name, fn in order:
            recs[name] = fn(BlockContext(run, specs[name], b, b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE, recs))
        blocks.append(recs)

    print(f"banking generators: {args.blocks} blocks x {BLOCK_SIZE} customers, seed {args.seed}, "
          f"scenario {args.scenario or '-'}, malloc tuning {'on' if tuned else 'off'}")
    for name, fn in order:
        count = sum(len(r[name]) for r in blocks)
        walls: list[float] = []  # per round, seconds over every block
        cpus: list[float] = []
        for _ in range(args.repeat):
            wall = cpu = 0.0
            for b, recs in enumerate(blocks):
                parents = {k: v for k, v in recs.items() if k != name}
                ctx = BlockContext(run, specs[name], b, b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE, parents)
                c0, t0 = time.process_time(), time.perf_counter()
                out = fn(ctx)
                wall += time.perf_counter() - t0
                cpu += time.process_time() - c0
                del out
            walls.append(wall)
            cpus.append(cpu)
        print(f"  {name:<12} {count:>9,} records  records/s wall {spread([count / w for w in walls])}"
              f"  per CPU-s {spread([count / c for c in cpus])}")
        if args.rules:
            rules = [r for r in RULES if r.entity == name]
            rule_cpus = []
            for _ in range(args.repeat):
                t0 = time.process_time()
                for recs in blocks:
                    violations = run_rules(specs[name], recs[name], rules, RecordIndex(specs, recs), schema=False)
                    assert not violations, violations[:3]
                rule_cpus.append(time.process_time() - t0)
            print(f"  {'':<12} pack rules: records per CPU-s {spread([count / c for c in rule_cpus])}")

if __name__ == "__main__":
    main()
