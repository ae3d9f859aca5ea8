"""The poison transform's two costs, replayed in one process: the edit stage and the json writer.

`bench_poison.py` times whole runs, whose noise on this shared machine (a few percent from one
run to the next) hides a change of 10 ms. This benchmark runs the bank once clean and once with
`--transform poison` (every kind at `--rate`), keeps every call of the poison edit stage and
every json sink batch the writer encoded, then replays them for `--repeat` rounds, the clean and
the poisoned batches taking turns, and prints the medians:

- the edit stage over all its calls (per entity with `--by-entity`);
- the json writer over all the clean run's batches and over all the poisoned run's: the
  difference is what the pills cost the writer.

Replays skip generation, validation and the sinks; run it before and after a change of the
poison plugin or of `datagen_kernel.codecs.jsonlines` (the outputs are the code's own: compare
them with the tests).

    .venv/bin/python benchmarks/bench_poison_replay.py                 # 10,000 customers, 5 rounds, 1%
    .venv/bin/python benchmarks/bench_poison_replay.py --rate 0.001 --by-entity
"""

from __future__ import annotations

import argparse
import collections
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchinfo import print_header
from datagen_plugin_poison import poison

from datagen_kernel.cli import main as datagen
from datagen_kernel.codecs import jsonlines

Call = tuple[Any, ...]


def capture(customers: int, rate: float | None, out: Path) -> tuple[list[Call], list[Call]]:
    """(edit stage calls, json writer calls) of one run; ``rate`` None: a clean run."""
    edits: list[Call] = []
    batches: list[Call] = []
    depth = [0]
    encode = jsonlines.LineEncoder.encode
    edit = poison.POISON.edit
    assert edit is not None

    def encoding(self: jsonlines.LineEncoder, records: Any) -> Any:
        if not depth[0]:  # (the writer calls itself for a slice of a batch)
            batches.append((self.entity, self.tz, records))
        depth[0] += 1
        try:
            return encode(self, records)
        finally:
            depth[0] -= 1

    def editing(spec: Any, records: Any, ctx: Any) -> Any:
        edits.append((spec, records, ctx))
        return edit(spec, records, ctx)

    args = ["run", "-q", "--customers", str(customers), "-o", f"json.path={out}"]
    if rate is not None:
        args += ["--transform", "poison", *[x for k in poison.KINDS for x in ("-o", f"poison.{k}={rate}")]]
    jsonlines.LineEncoder.encode = encoding  # type: ignore[method-assign]
    object.__setattr__(poison.POISON, "edit", editing)  # (a frozen dataclass)
    try:
        datagen(args)
    except SystemExit as exc:
        if exc.code:
            raise
    finally:
        jsonlines.LineEncoder.encode = encode  # type: ignore[method-assign]
        object.__setattr__(poison.POISON, "edit", edit)
    return edits, batches


def timed(calls: list[Call], run: Callable[..., Any]) -> tuple[float, collections.Counter[str]]:
    """Seconds over all ``calls`` and per entity."""
    per: collections.Counter[str] = collections.Counter()
    gc.collect()
    start = time.perf_counter()
    for call in calls:
        t = time.perf_counter()
        run(*call)
        per[call[0].name] += time.perf_counter() - t
    return time.perf_counter() - start, per


def writer() -> Callable[..., Any]:
    """The json writer as the serializer uses it: one encoder per entity, kept for the run."""
    encoders: dict[str, jsonlines.LineEncoder] = {}

    def write(spec: Any, tz: Any, records: Any) -> Any:
        found = encoders.get(spec.name)
        if found is None:
            found = encoders[spec.name] = jsonlines.LineEncoder(spec, tz)
        return found.encode(records)

    return write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rate", type=float, default=0.01, help="rate of every kind in the poisoned run")
    parser.add_argument("--by-entity", action="store_true", help="also the figures of each entity")
    args = parser.parse_args()
    print_header()
    with tempfile.TemporaryDirectory(prefix="datagen-bench-replay-") as tmp:
        _, clean = capture(args.customers, None, Path(tmp) / "clean")
        edits, poisoned = capture(args.customers, args.rate, Path(tmp) / "poisoned")
    rounds: dict[str, list[tuple[float, collections.Counter[str]]]] = collections.defaultdict(list)
    for _ in range(args.repeat + 1):  # the first round warms the caches: left out
        rounds["edit"].append(timed(edits, poison.POISON.edit))
        rounds["clean"].append(timed(clean, writer()))
        rounds["poisoned"].append(timed(poisoned, writer()))
    medians = {k: statistics.median(t for t, _ in v[1:]) for k, v in rounds.items()}
    print(f"every kind at {args.rate:.1%}, {args.customers:,} customers, {args.repeat} rounds (medians)")
    print(f"edit stage      {len(edits):4} calls  {medians['edit'] * 1e3:8.1f} ms  "
          f"(each: {', '.join(f'{t * 1e3:.1f}' for t, _ in rounds['edit'][1:])})")
    for name in ("clean", "poisoned"):
        calls = clean if name == "clean" else poisoned
        print(f"json writer, {name:<8} {len(calls):4} batches {medians[name] * 1e3:8.1f} ms  "
              f"(each: {', '.join(f'{t * 1e3:.1f}' for t, _ in rounds[name][1:])})")
    print(f"the pills' cost to the writer: {(medians['poisoned'] - medians['clean']) * 1e3:+.1f} ms")
    if args.by_entity:
        def of(kind: str, entity: str) -> float:
            return statistics.median(per.get(entity, 0.0) for _, per in rounds[kind][1:])

        entities = sorted({c[0].name for c in poisoned}, key=lambda e: of("clean", e) - of("poisoned", e))
        for entity in entities:
            print(f"  {entity:<20} edit {of('edit', entity) * 1e3:7.1f} ms  writer {of('clean', entity) * 1e3:7.1f}"
                  f" -> {of('poisoned', entity) * 1e3:7.1f} ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
