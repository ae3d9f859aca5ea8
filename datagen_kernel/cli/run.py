"""``datagen run``: flags, config file and environment merged into a plan, then executed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from datagen_kernel.api.errors import ConfigError, UsageError
from datagen_kernel.cli.progress import ProgressReporter, print_summary
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import RunParams, build_plan
from datagen_kernel.engine.run import check_delivered, execute

_RUN_KEYS = {"customers", "seed", "scenario", "sinks", "workers", "batch_size", "transforms", "as_of",
             "mode", "rate", "duration", "executor"}


@click.command("run")
@click.option("--customers", "--count", "customers", type=int, default=None,
              help="How many root records (customers) to generate.  [default: 1000]")
@click.option("--seed", type=int, default=None, help="Run seed; same seed + parameters = same data.  [default: 42]")
@click.option("--scenario", default=None, help="A named preset (see `datagen scenarios`).")
@click.option("--sink", "sinks", multiple=True,
              help="NAME or NAME:SELECTOR (kinds master,reference,event or entity names); repeatable.  [default: json]")
@click.option("-o", "--option", "options", multiple=True, metavar="NS.KEY=VALUE",
              help="A component option, e.g. -o json.path=./out; repeatable.")
@click.option("--transform", "transforms", multiple=True, help="Enable a batch transform; repeatable.")
@click.option("--workers", type=int, default=None,
              help="Parallel workers of the executor (local: processes).  [default: 1]")
@click.option("--executor", default=None, help="Who runs the blocks (see `datagen executors`).  [default: local]")
@click.option("--batch-size", type=int, default=None, help="Records per sink batch.  [default: 10000]")
@click.option("--as-of", default=None, help="End of the generated history (YYYY-MM-DD).  [default: 2026-01-01]")
@click.option("--stream", is_flag=True, help="Stream mode: after the masters, emit events stamped now at --rate.")
@click.option("--rate", type=float, default=None, help="Stream mode: events per second.  [default: 1000]")
@click.option("--duration", type=float, default=None,
              help="Stream mode: seconds to run (default: until Ctrl+C or SIGTERM).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML file with [run] and per-component tables.")
@click.option("--summary-json", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the run summary as JSON to this file.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress output (bars on a terminal, a line every 10 s elsewhere); the summary stays.")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def run_command(ctx: click.Context, customers: int | None, seed: int | None, scenario: str | None,
                sinks: tuple[str, ...], options: tuple[str, ...], transforms: tuple[str, ...],
                workers: int | None, executor: str | None, batch_size: int | None, as_of: str | None, stream: bool,
                rate: float | None, duration: float | None, config_file: Path | None,
                summary_json: Path | None, quiet: bool, debug: bool) -> None:
    """Generate data and deliver it to sinks (default: JSON Lines files in ./datagen-out)."""
    from datagen_kernel.cli.common import _host, parse_as_of

    sources = ConfigSources.build(options, config_file)
    file_run = sources.file_run
    unknown = sorted(set(file_run) - _RUN_KEYS)
    if unknown:
        raise ConfigError([f"config file [run] has unknown key(s) {unknown}; expected {sorted(_RUN_KEYS)}"])

    def pick(flag: Any, key: str, default: Any) -> Any:
        return flag if flag not in (None, ()) else file_run.get(key, default)

    def as_int(value: Any, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{what} must be an integer, got {value!r}")
        return value

    file_sinks = file_run.get("sinks", ["json"])
    if isinstance(file_sinks, str):
        file_sinks = [file_sinks]
    as_of_value = pick(as_of, "as_of", None)
    extra: dict[str, Any] = {"as_of": parse_as_of(str(as_of_value))} if as_of_value else {}
    params = RunParams(
        root_count=as_int(pick(customers, "customers", 1000), "--customers"),
        seed=as_int(pick(seed, "seed", 42), "--seed"),
        scenario=pick(scenario, "scenario", None),
        sinks=tuple(sinks) if sinks else tuple(file_sinks),
        transforms=tuple(transforms) if transforms else tuple(file_run.get("transforms", ())),
        workers=as_int(pick(workers, "workers", 1), "--workers"),
        executor=str(pick(executor, "executor", "local")),
        batch_size=as_int(pick(batch_size, "batch_size", 10_000), "--batch-size"),
        mode="stream" if stream or file_run.get("mode") == "stream" else "backfill",
        rate=float(pick(rate, "rate", 1000.0)),
        duration=pick(duration, "duration", None),
        **extra,
    )
    host = _host(ctx)
    plan = build_plan(host, params, sources)
    with ProgressReporter(sys.stderr, enabled=not quiet) as reporter:
        summary = execute(host, plan, reporter)
    print_summary(summary)
    if summary_json is not None:
        summary_json.write_text(json.dumps(summary.as_dict(), indent=2) + "\n", encoding="utf-8")
    if summary.interrupted:
        ctx.exit(130)
    check_delivered(summary)
