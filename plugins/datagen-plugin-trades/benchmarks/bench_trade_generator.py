"""Trade generator and trade rules alone, on the real banking pack's accounts.

Customers and accounts of N blocks are generated first (not timed); then the trade
generator runs over those blocks, and the pack's trade rules over its output. The median of
``--repeat`` passes (at least 3) is reported, in process CPU time (``time.process_time``) so that other
load on the machine does not distort it. Budget: >= 400,000 trades/s for the generator.

    .venv/bin/python plugins/datagen-plugin-trades/benchmarks/bench_trade_generator.py --blocks 40
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from benchinfo import print_header
from datagen_plugin_trades.generators import generate_trades
from datagen_plugin_trades.rules import RULES

from datagen_kernel import make_plugin_host
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import RunParams, build_plan


def _dicts_literal(columns: list[list[object]]) -> list[dict[str, object]]:
    return [
        {"trade_id": a, "account_id": b, "customer_id": c, "stock_id": d, "ticker": e, "trade_type": f,
         "quantity": g, "price_per_share": h, "total_amount": i, "fees": j, "net_amount": k, "order_type": m,
         "status": o, "executed_at": p, "settlement_date": q, "created_at": r, "updated_at": s}
        for a, b, c, d, e, f, g, h, i, j, k, m, o, p, q, r, s in zip(*columns, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (a median of fewer runs says little)")
    print_header()

    host = make_plugin_host()
    params = RunParams(root_count=args.blocks * BLOCK_SIZE, sinks=("null",))
    plan = build_plan(host, params, ConfigSources.build((), None))
    stocks = plan.generators["stock"](plan.context("stock", None, {}))
    blocks = []
    for b in range(args.blocks):
        recs = {"stock": stocks}
        for name in ("customer", "account"):
            recs[name] = plan.generators[name](plan.context(name, b, recs))
        blocks.append(recs)

    gens: list[float] = []
    vals: list[float] = []
    n = 0
    outputs = []
    for _ in range(args.repeat):
        start = time.process_time()
        outputs = [generate_trades(plan.context("trade", b, recs)) for b, recs in enumerate(blocks)]
        gens.append(time.process_time() - start)
        n = sum(len(o) for o in outputs)
        start = time.process_time()
        for recs, trades in zip(blocks, outputs, strict=True):
            index = RecordIndex(plan.specs, recs)
            for rule in RULES:
                if rule.entity == "trade":
                    for _v in rule.check(plan.specs["trade"], trades, index):
                        raise SystemExit(f"violation: {_v}")
        vals.append(time.process_time() - start)
    # the floor any generator of this record shape pays: 17-key dicts from ready columns
    sample = outputs[0]
    columns = [[r[k] for r in sample] for k in sample[0]] if sample else []
    floors: list[float] = []
    for _ in range(args.repeat):
        start = time.process_time()
        for _ in range(args.blocks):
            _dicts_literal(columns)
        floors.append(time.process_time() - start)
    best_gen, best_val, best_floor = (statistics.median(x) for x in (gens, vals, floors))
    floor_rate = len(sample) * args.blocks / best_floor if best_floor else 0.0
    print(f"cpus {os.cpu_count()}, load {os.getloadavg()[0]:.2f}; {args.blocks} blocks, {n:,} trades "
          f"({n / args.blocks:,.0f} per block)")
    print(f"generate_trades: {best_gen * 1000 / args.blocks:7.2f} ms/block  {n / best_gen:>11,.0f} trades/s "
          f"(budget 400,000): {'ok' if n / best_gen >= 400_000 else 'BELOW BUDGET'}")
    print(f"dict floor:      {best_floor * 1000 / args.blocks:7.2f} ms/block  {floor_rate:>11,.0f} records/s "
          "(building the output dicts alone, for comparison)")
    print(f"trade rules:     {best_val * 1000 / args.blocks:7.2f} ms/block  {n / best_val:>11,.0f} trades/s")


if __name__ == "__main__":
    main()
