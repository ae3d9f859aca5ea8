"""Stream mode rate accuracy: events emitted per second over a minute versus --rate.

Usage: .venv/bin/python benchmarks/bench_stream_rate.py [--rate 5000] [--duration 60] [--sink null]
Uses whatever entity packs are installed (the whole bank after `make setup`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=5000.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--sink", default="null")
    args = parser.parse_args()
    datagen = str(Path(sys.executable).parent / "datagen")
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.json"
        cmd = [datagen, "run", "-q", "--customers", str(args.customers), "--stream", "--rate", str(args.rate),
               "--duration", str(args.duration), "--sink", f"{args.sink}:event", "--summary-json", str(summary)]
        started = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - started
        data = json.loads(summary.read_text())
    events = sum(r["acknowledged"] for r in data["rows"])
    achieved = events / args.duration
    error = (achieved - args.rate) / args.rate * 100
    print(f"target rate      {args.rate:>12,.0f} events/s")
    print(f"achieved         {achieved:>12,.1f} events/s over {args.duration:g} s ({events:,} events)")
    print(f"deviation        {error:>12.2f} %   (target: within 5%)")
    print(f"process wall     {wall:>12.1f} s (includes start-up and master generation)")


if __name__ == "__main__":
    main()
