"""Records/second of the banking pack's generators, each measured in isolation.

Usage: .venv/bin/python benchmarks/bench_banking_generators.py [--blocks 20] [--repeat 3]
       [--no-malloc-tuning] [--rules] [--scenario fraud-detection]

For each entity, the parents of every block are generated first (untimed), then the
entity's generator alone is timed over the blocks; the best of ``--repeat`` rounds is
printed (per block, the best round counts), by wall time and by the process's CPU time (a
shared machine's load stretches wall time more than CPU time). ``--rules`` also times the
pack's validators.
The machine is shared and its speed varies: the CPU cost of ``orjson.dumps`` per transaction
record is measured right after each entity, and a "normalized" rate rescales the CPU-time
rate to the machine's unloaded speed (0.9 us per dumps).

By default glibc's malloc is told to keep freed memory (``mallopt``: no trimming, no mmap
for large blocks); on this machine returning memory to the OS and faulting it back in
costs more than generating the records. ``--no-malloc-tuning`` measures without it.
"""

from __future__ import annotations

import argparse
import ctypes
import time
from collections.abc import Callable

import orjson
from datagen_plugin_banking.entities import ACCOUNT, CUSTOMER, TRANSACTION
from datagen_plugin_banking.masters import generate_accounts, generate_customers
from datagen_plugin_banking.scenarios import FRAUD_DETECTION
from datagen_plugin_banking.transactions import counterparties, generate_transactions
from datagen_plugin_banking.validators import RULES

from datagen_kernel.api.generation import BlockContext, RunInfo
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.engine.validation import run_rules

REFERENCE_DUMPS_US = 0.9
"""orjson.dumps of a record on this machine when it is not loaded by other work."""


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
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is reported")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-malloc-tuning", action="store_true")
    parser.add_argument("--rules", action="store_true", help="also time the pack's validators")
    parser.add_argument("--scenario", default=None, help="e.g. fraud-detection")
    args = parser.parse_args()
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
    calibration = [r for recs in blocks[:1] for r in recs["transaction"]]
    for name, fn in order:
        count = sum(len(r[name]) for r in blocks)
        best = [float("inf")] * len(blocks)  # per block, the best of the rounds (wall)
        best_cpu = [float("inf")] * len(blocks)  # same, process CPU time
        for _ in range(args.repeat):
            for b, recs in enumerate(blocks):
                parents = {k: v for k, v in recs.items() if k != name}
                ctx = BlockContext(run, specs[name], b, b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE, parents)
                c0, t0 = time.process_time(), time.perf_counter()
                out = fn(ctx)
                best[b] = min(best[b], time.perf_counter() - t0)
                best_cpu[b] = min(best_cpu[b], time.process_time() - c0)
                del out
        total, cpu = sum(best), sum(best_cpu)
        ref = _dumps_us(calibration)
        normalized = count / cpu * ref / REFERENCE_DUMPS_US
        print(f"  {name:<12} {count:>9,} records  {count / total:>10,.0f} records/s wall"
              f"  {count / cpu:>10,.0f} per CPU-s  normalized {normalized:>10,.0f} records/s")
        if args.rules:
            rules = [r for r in RULES if r.entity == name]
            t0 = time.process_time()
            for recs in blocks:
                violations = run_rules(specs[name], recs[name], rules, RecordIndex(specs, recs), schema=False)
                assert not violations, violations[:3]
            t = time.process_time() - t0
            print(f"  {'':<12} pack rules: {count / t:,.0f} per CPU-s, normalized "
                  f"{count / t * _dumps_us(calibration) / REFERENCE_DUMPS_US:,.0f} records/s")
    print(f"  calibration: orjson.dumps of a transaction record {_dumps_us(calibration):.2f} us of CPU here "
          f"(normalized figures scale CPU-time rates to {REFERENCE_DUMPS_US} us, the machine's unloaded figure)")


def _dumps_us(records: list[dict]) -> float:
    """Best-of-5 CPU cost of ``orjson.dumps`` per record, in microseconds (machine speed now)."""
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        for r in records:
            orjson.dumps(r)
        best = min(best, time.process_time() - t0)
    return best * 1e6 / len(records)


if __name__ == "__main__":
    main()
