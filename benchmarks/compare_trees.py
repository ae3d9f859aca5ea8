"""Before/after table of two checkouts: records/s and peak RSS of ``datagen run``, interleaved runs.

The kernel v2 issue asks for "records/s of the json, kafka-avro and postgres runs at 10,000 and
100,000 customers, --workers 1 and 2, and peak RSS within 5% of today's or better ... median of
at least 5 interleaved runs per cell, before and after". Each tree is a checkout with its own
virtual environment in ``<tree>/.venv`` (kernel and plugins installed editable from that tree):

    git worktree add --detach /work/bench-before bb14701
    python3 -m venv /work/bench-before/.venv
    /work/bench-before/.venv/bin/pip install -q -e "/work/bench-before[dev]" \\
        $(for d in /work/bench-before/plugins/*/; do echo "-e $d"; done)
    scripts/stack up; eval "$(scripts/stack env)"
    .venv/bin/python benchmarks/compare_trees.py --before /work/bench-before --after /work/main \\
        --sinks json kafka-avro postgres --customers 10000 100000 --workers 1 2 --repeat 5 --out results.json

For each cell (sink, customers, workers) every repeat runs the same ``datagen run`` command line
once with each tree's ``<tree>/.venv/bin/datagen`` (only the per-run output names differ), the
trees taking turns at going first (before, after; after, before; ...), so that a slow spell of
the machine falls on both. Per run:

* records/s: ``records_per_s`` of the run's ``--summary-json`` (generated records / the engine's
  elapsed time, start-up excluded); the whole-process figure (generated / wall time of the
  process, start-up included) is reported beside it;
* peak RSS of the process tree (``tree MB``, the table's "peak RSS"): ``/proc`` is sampled
  every 20 ms by ``bench_bank_json``'s sampler (the datagen process and its forked workers);
  the figure is the largest sum of the processes' RSS seen in one sample, or the largest single
  process's exact peak when that is higher (always so with one worker: the tree is one process,
  whose peak a sample may miss by a few MB). Forked workers share pages with the main process,
  so with two workers the sum over-counts shared memory, for both trees alike;
  ``largest MB`` is the peak of the largest single process (``ru_maxrss`` via GNU time, the
  kernel's own figure, what docs/architecture.md reports);
* CPU seconds of the process tree (GNU time).

Every run is sampled (bench_bank_json times only unsampled runs): the sampler costs both trees
the same, so it does not bias the change, only lowers both absolute rates slightly.

Sinks: ``json`` writes into a fresh temporary directory (deleted after the run); ``kafka-avro``
into fresh topics ``bench-<id>.*`` (topics and registry subjects deleted after the run, with
``bench_kafka.cleanup``); ``postgres`` into a fresh schema ``bench_<id>`` (dropped after the run,
then a CHECKPOINT). After each run's clean-up the harness syncs the file systems and waits
``--pause`` seconds, so one run's write-back does not land on the next. Servers: the local stack
(``scripts/stack up``); ``$DATAGEN_KAFKA_BOOTSTRAP``, ``$DATAGEN_SCHEMA_REGISTRY_URL`` and
``$DATAGEN_POSTGRES_URL`` when set, else the stack's addresses.

Before timing: bytecode of the kernel and plugin packages each tree's interpreter imports is
compiled (``compileall``), and each tree is checked: its commit and uncommitted files; that its
kernel and plugins are imported from the tree itself (a warning otherwise, e.g. for an
environment that pairs one tree's kernel with another's packs); the DeprecationWarnings raised
while loading its plugins; that both environments hold the same third-party versions; that both
CLIs accept the flags used. Then each tree runs once briefly (bytecode, disk cache).

Output: per sink a Markdown table (medians, change %, whether within 5% or better), a
cross-check table (whole-process records/s, largest single process, CPU) and every raw run;
``--out FILE`` also writes everything as JSON, rewritten after every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_bank_json import _ENV, TIME, Memory, _sample
from bench_kafka import cleanup as kafka_cleanup

SINKS = ("json", "kafka-avro", "postgres")
STACK = {  # `scripts/stack env`
    "DATAGEN_KAFKA_BOOTSTRAP": "127.0.0.1:9092",
    "DATAGEN_SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081/apis/ccompat/v7",
    "DATAGEN_POSTGRES_URL": "postgresql://postgres:postgres@127.0.0.1:5432/datagen",
}
# variables that would make a tree's interpreter import something else than its own tree
_LEAKS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONWARNINGS", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
TOLERANCE = 5.0  # percent

# run in each tree's interpreter: where its kernel and plugins come from, what loading them warns
_PROBE = r"""
import importlib.metadata as md, json, sys, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import datagen_kernel
    plugins = {}
    for ep in md.entry_points(group="datagen"):
        ep.load()
        plugins[ep.name] = sys.modules[ep.module.split(".")[0]].__file__
print(json.dumps({
    "python": sys.version.split()[0],
    "kernel": datagen_kernel.__file__,
    "plugins": plugins,
    "deprecations": sorted({str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)}),
    "dists": {d.metadata["Name"]: d.version for d in md.distributions()},
}))
"""


class RunFailed(SystemExit):
    pass


@dataclass(frozen=True)
class Tree:
    label: str
    root: Path

    @property
    def bin(self) -> Path:
        return self.root / ".venv" / "bin"

    @property
    def datagen(self) -> Path:
        return self.bin / "datagen"

    @property
    def python(self) -> Path:
        return self.bin / "python"


def child_env() -> dict[str, str]:
    env = {k: v for k, v in _ENV.items() if k not in _LEAKS}
    for key, value in STACK.items():
        env.setdefault(key, value)
    return env


def sink_args(sink: str, work: Path, tag: str) -> list[str]:
    """The sink's part of the command line; ``tag`` names this run's topics or schema."""
    if sink == "json":
        return ["--sink", "json", "-o", f"json.path={work / 'data'}"]
    if sink == "kafka-avro":
        return ["--sink", "kafka-avro", "-o", f"kafka-avro.topic_prefix=bench-{tag}."]
    if sink == "postgres":
        return ["--sink", "postgres", "-o", f"postgres.schema=bench_{tag}"]
    raise ValueError(sink)


def release(sink: str, work: Path, tag: str, env: dict[str, str]) -> None:
    """Delete what a run wrote (files, topics and subjects, schema), then let the disks settle."""
    try:
        if sink == "kafka-avro":
            kafka_cleanup(env["DATAGEN_KAFKA_BOOTSTRAP"], env["DATAGEN_SCHEMA_REGISTRY_URL"], f"bench-{tag}.")
        elif sink == "postgres":
            import psycopg
            from bench_postgres import _drop  # imported here: bench_postgres imports the kernel

            _drop(env["DATAGEN_POSTGRES_URL"], f"bench_{tag}")
            with psycopg.connect(env["DATAGEN_POSTGRES_URL"], autocommit=True) as conn:
                conn.execute("CHECKPOINT")  # the load's dirty buffers are written now, not in the next run
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.sync()


def measure(tree: Tree, sink: str, customers: int, workers: int, seed: int, env: dict[str, str],
            tmp: Path | None) -> dict[str, Any]:
    """One ``datagen run`` of ``tree``, sampled; its figures (see the module doc)."""
    work = Path(tempfile.mkdtemp(prefix=f"compare-{tree.label}-", dir=tmp))
    tag = uuid.uuid4().hex[:12]
    summary, timing = work / "summary.json", work / "time.txt"
    cmd = [str(tree.datagen), "run", "--customers", str(customers), "--workers", str(workers), "--seed", str(seed),
           *sink_args(sink, work, tag), "--summary-json", str(summary), "--quiet"]
    mem = Memory()
    done = threading.Event()
    load = os.getloadavg()[0]
    try:
        start = time.perf_counter()
        proc = subprocess.Popen([TIME, "-f", "%M %U %S", "-o", str(timing), *cmd], cwd=work,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        sampler = threading.Thread(target=_sample, args=(proc.pid, mem, done), daemon=True)
        sampler.start()
        _, stderr = proc.communicate()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        if proc.returncode != 0 or not summary.exists():
            raise RunFailed(f"{tree.label} run failed ({proc.returncode}): {' '.join(cmd)}\n"
                            f"{stderr.decode(errors='replace')[-3000:]}")
        info = json.loads(summary.read_text())
        maxrss_kb, user_s, sys_s = timing.read_text().split()[-3:]
    finally:
        release(sink, work, tag, env)
    if not info["ok"] or info["acknowledged"] != info["generated"]:
        raise RunFailed(f"{tree.label} run not ok: {info['acknowledged']} of {info['generated']} acknowledged, "
                        f"errors {info.get('errors')}")
    cpu = float(user_s) + float(sys_s)
    return {
        "tree": tree.label, "sink": sink, "customers": customers, "workers": workers,
        "command": cmd,
        "records": info["generated"],
        "elapsed_s": info["elapsed_s"],
        "rate": info["records_per_s"],
        "wall_s": wall,
        "rate_wall": info["generated"] / wall,
        "cpu_s": cpu,
        "tree_mb": max(mem.tree_kb, int(maxrss_kb)) / 1024,
        "largest_mb": int(maxrss_kb) / 1024,
        "sampled_sum_mb": mem.tree_kb / 1024,
        "main_mb": mem.main_kb / 1024,
        "worker_mb": max(mem.workers_kb.values(), default=0) / 1024,
        "children": len(mem.workers_kb),
        "load": load,
    }


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip()


def inspect(tree: Tree, env: dict[str, str]) -> dict[str, Any]:
    """Compile the tree's bytecode and describe the tree (see the module doc); exits if unusable."""
    if not tree.datagen.exists():
        raise SystemExit(f"{tree.label}: {tree.datagen} not found (create {tree.root / '.venv'} first)")
    # from a neutral directory: `python -c` imports from the current one first, the datagen script does not
    probe = subprocess.run([str(tree.python), "-c", _PROBE], env=env, capture_output=True, text=True, check=False,
                           cwd=tempfile.gettempdir())
    if probe.returncode != 0:
        raise SystemExit(f"{tree.label}: cannot load its kernel and plugins:\n{probe.stderr[-3000:]}")
    info: dict[str, Any] = json.loads(probe.stdout)
    # the packages the runs import (the kernel's and every plugin's), wherever they are installed
    packages = sorted({str(Path(f).parent) for f in [info["kernel"], *info["plugins"].values()]})
    subprocess.run([str(tree.python), "-m", "compileall", "-q", *packages], env=env, check=True)
    root = str(tree.root.resolve())
    info["outside"] = [f"{name}: {path}" for name, path in {"kernel": info["kernel"], **info["plugins"]}.items()
                       if not str(Path(path).resolve()).startswith(root + os.sep)]
    info["commit"] = _git(tree.root, "rev-parse", "HEAD")
    info["uncommitted"] = _git(tree.root, "status", "--porcelain", "--untracked-files=no").splitlines()
    run_help = subprocess.run([str(tree.datagen), "run", "--help"], env=env, capture_output=True, text=True).stdout
    missing = [f for f in ("--customers", "--workers", "--seed", "--summary-json", "--quiet") if f not in run_help]
    if missing:
        raise SystemExit(f"{tree.label}: `datagen run` has no {', '.join(missing)}")
    info["run_help"] = run_help
    info["sinks"], info["sinks_ok"] = {}, {}
    for sink, option in (("json", "path"), ("kafka-avro", "topic_prefix"), ("postgres", "schema")):
        described = subprocess.run([str(tree.datagen), "sinks", "describe", sink], env=env,
                                   capture_output=True, text=True).stdout
        info["sinks"][sink] = described
        info["sinks_ok"][sink] = f"\n  {option} " in described
    warm = [str(tree.datagen), "run", "--customers", "10", "--sink", "null", "--quiet"]
    done = subprocess.run(warm, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree.label}: a short run fails ({' '.join(warm)}):\n{done.stderr.strip()[-3000:]}")
    return info


def check_servers(sinks: list[str], env: dict[str, str]) -> None:
    if "kafka-avro" in sinks:
        from confluent_kafka.admin import AdminClient
        from confluent_kafka.schema_registry import SchemaRegistryClient

        try:
            AdminClient({"bootstrap.servers": env["DATAGEN_KAFKA_BOOTSTRAP"]}).list_topics(timeout=10)
            SchemaRegistryClient({"url": env["DATAGEN_SCHEMA_REGISTRY_URL"], "timeout": 10}).get_subjects()
        except Exception as exc:
            raise SystemExit(f"Kafka or the Schema Registry does not answer (scripts/stack up): {exc}") from exc
    if "postgres" in sinks:
        import psycopg

        try:
            psycopg.connect(env["DATAGEN_POSTGRES_URL"], connect_timeout=10).close()
        except Exception as exc:
            raise SystemExit(f"PostgreSQL does not answer (scripts/stack up): {exc}") from exc


def change(before: float, after: float) -> float:
    return (after - before) / before * 100 if before else float("nan")


def cell_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label in ("before", "after"):
        mine = [r for r in runs if r["tree"] == label]
        for key in ("rate", "rate_wall", "tree_mb", "largest_mb", "cpu_s"):
            out[f"{label}_{key}"] = statistics.median(r[key] for r in mine) if mine else float("nan")
        out[f"{label}_records"] = sorted({r["records"] for r in mine})
    for key in ("rate", "rate_wall", "tree_mb", "largest_mb", "cpu_s"):
        out[f"change_{key}"] = change(out[f"before_{key}"], out[f"after_{key}"])
    out["rate_ok"] = out["change_rate"] >= -TOLERANCE
    out["rss_ok"] = out["change_tree_mb"] <= TOLERANCE
    out["same_records"] = out["before_records"] == out["after_records"]
    return out


def report(args: argparse.Namespace, runs: list[dict[str, Any]]) -> dict[tuple[str, int, int], dict[str, Any]]:
    """Print the tables; the medians per cell."""
    cells: dict[tuple[str, int, int], dict[str, Any]] = {}
    for sink in args.sinks:
        print(f"\n### {sink}: median of {args.repeat} interleaved runs per tree (before = {args.before}, "
              f"after = {args.after})\n")
        print("| customers | workers | before records/s | after records/s | change | before peak RSS MB "
              "| after peak RSS MB | change | within 5% |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for customers in args.customers:
            for workers in args.workers:
                mine = [r for r in runs if (r["sink"], r["customers"], r["workers"]) == (sink, customers, workers)]
                if not mine:
                    continue
                s = cells[(sink, customers, workers)] = cell_summary(mine)
                verdict = ("ok" if s["rate_ok"] and s["rss_ok"] else
                           "NO: " + ", ".join(w for w, ok in (("records/s", s["rate_ok"]), ("RSS", s["rss_ok"]))
                                              if not ok))
                if not s["same_records"]:
                    verdict += f" (records differ: {s['before_records']} vs {s['after_records']})"
                print(f"| {customers:,} | {workers} | {s['before_rate']:,.0f} | {s['after_rate']:,.0f} "
                      f"| {s['change_rate']:+.1f}% | {s['before_tree_mb']:.0f} | {s['after_tree_mb']:.0f} "
                      f"| {s['change_tree_mb']:+.1f}% | {verdict} |")
        print(f"\n{sink}, cross-checks (medians): records/s of the whole process (start-up included), peak RSS "
              "of the largest single process (ru_maxrss), CPU seconds of the process tree\n")
        print("| customers | workers | before rec/s process | after rec/s process | change | before largest MB "
              "| after largest MB | change | before CPU s | after CPU s | change |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for (s_sink, customers, workers), s in cells.items():
            if s_sink == sink:
                print(f"| {customers:,} | {workers} | {s['before_rate_wall']:,.0f} | {s['after_rate_wall']:,.0f} "
                      f"| {s['change_rate_wall']:+.1f}% | {s['before_largest_mb']:.0f} | {s['after_largest_mb']:.0f} "
                      f"| {s['change_largest_mb']:+.1f}% | {s['before_cpu_s']:.2f} | {s['after_cpu_s']:.2f} "
                      f"| {s['change_cpu_s']:+.1f}% |")
        print(f"\n{sink}, every run (in the order run; records/s from the summary, tree MB = peak RSS above)\n")
        print("| customers | workers | repeat | tree | records | elapsed s | records/s | wall s | rec/s process "
              "| CPU s | tree MB | sampled sum MB | largest MB | main MB | worker MB | children | load |")
        print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in runs:
            if r["sink"] == sink:
                print(f"| {r['customers']:,} | {r['workers']} | {r['repeat']} | {r['tree']} | {r['records']:,} "
                      f"| {r['elapsed_s']:.3f} | {r['rate']:,.0f} | {r['wall_s']:.2f} | {r['rate_wall']:,.0f} "
                      f"| {r['cpu_s']:.2f} | {r['tree_mb']:.0f} | {r['sampled_sum_mb']:.0f} | {r['largest_mb']:.0f} "
                      f"| {r['main_mb']:.0f} "
                      f"| {r['worker_mb']:.0f} | {r['children']} | {r['load']:.2f} |")
    return cells


def save(path: Path | None, meta: dict[str, Any], runs: list[dict[str, Any]],
         cells: dict[tuple[str, int, int], dict[str, Any]] | None = None) -> None:
    if path is None:
        return
    doc = {**meta, "runs": runs,
           "cells": [{"sink": k[0], "customers": k[1], "workers": k[2], **v} for k, v in (cells or {}).items()]}
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout with its own .venv (kernel 1)")
    parser.add_argument("--after", type=Path, required=True, help="checkout with its own .venv")
    parser.add_argument("--sinks", nargs="+", choices=SINKS, default=list(SINKS))
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=5, help="measured runs per cell and tree (default 5)")
    parser.add_argument("--warmup", type=int, default=0,
                        help="unmeasured runs per cell and tree before the measured ones (default 0)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between runs, after clean-up (default 1)")
    parser.add_argument("--tmp", type=Path, default=None, help="directory for json output (default: the system's)")
    parser.add_argument("--out", type=Path, default=None, help="also write every run and the medians as JSON")
    args = parser.parse_args()

    env = child_env()
    trees = {"before": Tree("before", args.before.resolve()), "after": Tree("after", args.after.resolve())}
    started = time.monotonic()
    print(f"cpus {os.cpu_count()}, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"servers: {', '.join(f'{k}={v}' for k, v in env.items() if k in STACK)}", flush=True)
    others = {k: v for k, v in env.items() if k.startswith("DATAGEN_") and k not in STACK}
    if others:
        print(f"note: these reach both trees' runs: {others}")
    info = {label: inspect(tree, env) for label, tree in trees.items()}
    for label, tree in trees.items():
        i = info[label]
        dirty = f" + {len(i['uncommitted'])} uncommitted files" if i["uncommitted"] else ""
        commit = i["commit"][:12] or "(not a git checkout)"
        print(f"{label}: {tree.root} commit {commit}{dirty}; python {i['python']}; kernel {i['kernel']}", flush=True)
        if i["outside"]:
            print(f"  WARNING: not imported from {tree.root}: {'; '.join(i['outside'])}")
        for message in i["deprecations"]:
            print(f"  DeprecationWarning while loading the plugins: {message}")
        missing = [s for s in args.sinks if not i["sinks_ok"][s]]
        if missing:
            raise SystemExit(f"{label}: sink(s) {missing} lack the option this harness sets")
    third = {label: {k: v for k, v in i["dists"].items() if not k.lower().startswith("datagen")}
             for label, i in info.items()}
    differ = sorted(k for k in third["before"].keys() | third["after"].keys()
                    if third["before"].get(k) != third["after"].get(k))
    if differ:
        print("WARNING: the environments differ in third-party packages: " + ", ".join(
            f"{k} {third['before'].get(k)} vs {third['after'].get(k)}" for k in differ))
    if info["before"]["run_help"] != info["after"]["run_help"]:
        print("note: `datagen run --help` differs between the trees (the flags used here exist in both)")
    for sink in args.sinks:
        if info["before"]["sinks"][sink] != info["after"]["sinks"][sink]:
            print(f"note: `datagen sinks describe {sink}` differs between the trees")
    check_servers(args.sinks, env)

    meta = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "trees": {label: {"root": str(trees[label].root),
                              **{k: v for k, v in info[label].items() if k not in ("dists", "run_help", "sinks")}}
                      for label in trees},
            "third_party_differences": differ, "cpus": os.cpu_count()}
    runs: list[dict[str, Any]] = []
    total = len(args.sinks) * len(args.customers) * len(args.workers) * 2 * (args.repeat + args.warmup)
    n = 0
    try:
        for sink in args.sinks:
            for customers in args.customers:
                for workers in args.workers:
                    for repeat in range(-args.warmup, args.repeat):
                        order = ("before", "after") if repeat % 2 == 0 else ("after", "before")
                        for position, label in enumerate(order):
                            n += 1
                            r = measure(trees[label], sink, customers, workers, args.seed, env, args.tmp)
                            r["repeat"], r["first"] = repeat, position == 0
                            print(f"[{n}/{total} {time.monotonic() - started:6.0f}s] {sink} {customers:,} "
                                  f"w{workers} #{repeat} {label:<6} {r['records']:>10,} records "
                                  f"{r['elapsed_s']:7.2f}s {r['rate']:>9,.0f}/s  process {r['wall_s']:6.2f}s "
                                  f"tree {r['tree_mb']:5.0f} MB  largest {r['largest_mb']:5.0f} MB  "
                                  f"load {r['load']:.2f}" + ("  (warm-up)" if repeat < 0 else ""), flush=True)
                            if repeat >= 0:
                                runs.append(r)
                                save(args.out, meta, runs)
                            time.sleep(args.pause)
    finally:
        cells = report(args, runs)
        meta["duration_s"] = time.monotonic() - started
        save(args.out, meta, runs, cells)
        print(f"\n{len(runs)} measured runs in {meta['duration_s'] / 60:.1f} min; "
              f"load now {os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
