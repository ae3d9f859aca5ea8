"""Generator throughput of the cards and loans packs, each entity timed in isolation.

Every block's parents are generated first (untimed for the entity measured), then each
generator of the cards and loans packs is timed on its own; validation, transforms and
serialization are left out. Prints records/s per entity, and the records/s of the packs' own
validators (kernel schema and foreign-key checks excluded) over the same records. "records/s"
is wall-clock; "CPU rec/s" uses this process's CPU time, steadier on a busy machine. The whole
generation runs ``--repeat`` times (at least 3); each figure is the median of the rounds.

    .venv/bin/python benchmarks/bench_cards_loans_generators.py [--customers 20000] [--seed 42]
    .venv/bin/python benchmarks/bench_cards_loans_generators.py --profile card_transaction
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import time
from collections import Counter
from typing import Any

from benchinfo import median, print_header

from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import RunParams, build_plan
from datagen_kernel.engine.plugins import make_plugin_host
from datagen_kernel.engine.validation import run_rules

MEASURED = ("credit_card", "card_transaction", "property", "loan", "installment")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scenario", default=None)
    parser.add_argument("--no-gc", action="store_true", help="pause Python's cyclic garbage collector")
    parser.add_argument("--profile", choices=MEASURED, help="print a cProfile of one entity's generator")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (at least 3); medians are reported")
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (a median of fewer runs says little)")
    print_header()

    host = make_plugin_host()
    params = RunParams(root_count=args.customers, seed=args.seed, scenario=args.scenario, sinks=("null",))
    plan = build_plan(host, params, ConfigSources.build([], environ={}))
    missing = [n for n in MEASURED if n not in plan.specs]
    if missing:
        raise SystemExit(f"entities {missing} are not generated: install datagen-plugin-cards and -loans")

    profiler = cProfile.Profile() if args.profile else None
    globals_ = {name: plan.generators[name](plan.context(name, None, {})) for name in plan.global_entities()}
    rounds = [_round(plan, globals_, profiler if i == 0 else None, args) for i in range(args.repeat)]
    counts = rounds[0][3]
    seconds: Counter[str] = Counter({n: median([r[0][n] for r in rounds]) for n in counts})
    cpu_seconds: Counter[str] = Counter({n: median([r[1][n] for r in rounds]) for n in counts})
    rule_seconds: Counter[str] = Counter({n: median([r[2][n] for r in rounds]) for n in counts})
    gc.enable()
    print(f"{args.customers:,} customers, seed {args.seed}, {plan.blocks} blocks (generation only, one process, "
          f"cyclic GC {'paused' if args.no_gc else 'on'}); medians of {args.repeat} rounds")
    print(f"{'entity':<18}{'records':>12}{'seconds':>10}{'records/s':>14}{'CPU rec/s':>14}{'per customer':>14}"
          f"{'rules rec/s':>14}")
    for name in plan.specs:
        if name in globals_:
            continue
        rate = counts[name] / seconds[name] if seconds[name] else 0.0
        mark = "  *" if name in MEASURED else ""
        rules = f"{counts[name] / rule_seconds[name]:>14,.0f}" if rule_seconds[name] else ""
        cpu_rate = counts[name] / cpu_seconds[name] if cpu_seconds[name] else 0.0
        print(f"{name:<18}{counts[name]:>12,}{seconds[name]:>10.3f}{rate:>14,.0f}{cpu_rate:>14,.0f}"
              f"{counts[name] / args.customers:>14.2f}{rules}{mark}")
    ours = sum(counts[n] for n in MEASURED)
    ours_s = sum(seconds[n] for n in MEASURED)
    ours_cpu = sum(cpu_seconds[n] for n in MEASURED)
    print(f"{'cards+loans (*)':<18}{ours:>12,}{ours_s:>10.3f}{ours / ours_s:>14,.0f}{ours / ours_cpu:>14,.0f}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def _round(plan: Any, globals_: dict[str, Any], profiler: cProfile.Profile | None, args: argparse.Namespace
           ) -> tuple[Counter[str], Counter[str], Counter[str], Counter[str]]:
    """One generation of every block: (wall seconds, CPU seconds, rules seconds, records) per entity."""
    seconds: Counter[str] = Counter()
    rule_seconds: Counter[str] = Counter()
    cpu_seconds: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    if args.no_gc:
        gc.disable()
    for block in range(plan.blocks):
        records: dict = dict(globals_)
        for name in plan.specs:
            if name in globals_:
                continue
            gen = plan.generators[name]
            ctx = plan.context(name, block, records)
            if profiler is not None and name == args.profile:
                profiler.enable()
            start, cpu = time.perf_counter(), time.process_time()
            records[name] = gen(ctx)
            seconds[name] += time.perf_counter() - start
            cpu_seconds[name] += time.process_time() - cpu
            if profiler is not None and name == args.profile:
                profiler.disable()
            counts[name] += len(records[name])
            if name in MEASURED:
                start = time.perf_counter()
                run_rules(plan.specs[name], records[name], plan.rules[name], RecordIndex(plan.specs, records),
                          schema=False)
                rule_seconds[name] += time.perf_counter() - start
    gc.enable()
    return seconds, cpu_seconds, rule_seconds, counts


if __name__ == "__main__":
    main()
