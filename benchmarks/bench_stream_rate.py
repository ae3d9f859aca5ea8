"""Stream mode rate accuracy: events emitted per second, measured, versus --rate.

Usage: .venv/bin/python benchmarks/bench_stream_rate.py [--rate 5000] [--duration 60] [--repeat 3]
Uses whatever entity packs are installed (the whole bank after `make setup`).

Each run writes the events to JSON Lines files; every event carries the instant it was released
(stream mode stamps its timestamps "now"). The achieved rate is measured from them: the events
released before the last release instant, divided by the time from the first release to the last
(both read from the events), so start-up, master generation and the final flush are not counted
and nothing is divided by the nominal --duration. The median run of ``--repeat`` is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson
from benchinfo import print_header, spread

from datagen_kernel.api.schema import Timestamp
from datagen_kernel.engine.plugins import make_plugin_host


def _release_instants(out: Path) -> list[int]:
    """Epoch ms of every event written (the stamped timestamp of its entity)."""
    specs = make_plugin_host().registry.entity_specs()
    instants: list[int] = []
    for path in sorted(out.glob("*.jsonl")):
        spec = specs[path.name.removesuffix(".jsonl")]
        field = next((f.name for f in spec.fields if isinstance(f.type, Timestamp) and not f.nullable), None)
        if field is None:
            continue
        for line in path.read_bytes().splitlines():
            stamp = dt.datetime.fromisoformat(orjson.loads(line)[field])
            instants.append(round(stamp.timestamp() * 1000))
    return instants


def run_once(args: argparse.Namespace) -> dict[str, float]:
    datagen = str(Path(sys.executable).parent / "datagen")
    with tempfile.TemporaryDirectory() as tmp:
        summary, out = Path(tmp) / "summary.json", Path(tmp) / "out"
        cmd = [datagen, "run", "-q", "--customers", str(args.customers), "--stream", "--rate", str(args.rate),
               "--duration", str(args.duration), "--sink", "json:event", "-o", f"json.path={out}",
               "--summary-json", str(summary)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        data = json.loads(summary.read_text())
        instants = sorted(_release_instants(out))
    acknowledged = sum(r["acknowledged"] for r in data["rows"])
    if len(instants) != acknowledged:
        raise SystemExit(f"{len(instants)} events in the files, {acknowledged} acknowledged")
    first, last = instants[0], instants[-1]
    before_last = sum(1 for t in instants if t < last)
    window = (last - first) / 1000
    return {"events": len(instants), "window_s": window, "rate": before_last / window}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5000.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="runs (at least 3); the median is reported")
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (a median of fewer runs says little)")
    print_header()
    runs = [run_once(args) for _ in range(args.repeat)]
    rates = [r["rate"] for r in runs]
    deviations = [(r - args.rate) / args.rate * 100 for r in rates]
    print(f"target rate      {args.rate:>12,.0f} events/s")
    print(f"achieved         {spread(rates, ',.1f')} events/s, measured over the release window of each run")
    for r in runs:
        print(f"                 run: {r['events']:,} events, released over {r['window_s']:.2f} s, {r['rate']:,.1f}/s")
    print(f"deviation        {spread(deviations, '.2f')} %   (target: within 5%)")


if __name__ == "__main__":
    main()
