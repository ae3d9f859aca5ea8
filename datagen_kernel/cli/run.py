"""``datagen run``: flags, config file and environment merged into a plan, then executed."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import click

from datagen_kernel.api.domain import COUNT_FLAG, RunDefaults
from datagen_kernel.api.errors import ConfigError, DatagenError, PluginError, UsageError
from datagen_kernel.api.progress import ProgressTracker
from datagen_kernel.api.summary import RunSummary
from datagen_kernel.cli.environment import unknown_variable_warnings
from datagen_kernel.cli.progress import ProgressReporter, print_summary
from datagen_kernel.engine import signals
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.manifest import RunManifests
from datagen_kernel.engine.plan import RunParams, build_plan
from datagen_kernel.engine.run import check_delivered, execute

_RUN_KEYS = {COUNT_FLAG, "seed", "scenario", "sinks", "workers", "batch_size", "transforms", "as_of",
             "mode", "rate", "duration", "executor", "stream_clock"}
"""Keys of a config file's ``[run]`` table; a pack's count flag adds its own (e.g. ``customers``)."""

DEFAULT_COUNT = 1000


@click.command("run")
@click.option("--count", "count", type=int, default=None,
              help="How many root records to generate (an entity pack may name this flag too, "
                   "e.g. --customers).  [default: 1000]")
@click.option("--seed", type=int, default=None, help="Run seed; same seed + parameters = same data.  [default: 42]")
@click.option("--scenario", default=None, help="A named preset (see `datagen scenarios`).")
@click.option("--sink", "sinks", multiple=True,
              help="NAME or NAME:SELECTOR (kinds master,reference,event or entity names); repeatable.  [default: json]")
@click.option("-o", "--option", "options", multiple=True, metavar="NS.KEY=VALUE",
              help="A component option, e.g. -o json.path=./out; repeatable.")
@click.option("--transform", "transforms", multiple=True, help="Enable a batch transform; repeatable.")
@click.option("--workers", type=int, default=None,
              help="Parallel workers of the executor (local: processes; dask: LocalCluster worker processes).  "
                   "[default: 1; dask: one per CPU core]")
@click.option("--executor", default=None, help="Who runs the blocks (see `datagen executors`).  [default: local]")
@click.option("--batch-size", type=int, default=None, help="Records per sink batch.  [default: 10000]")
@click.option("--as-of", default=None,
              help="End of the generated history (YYYY-MM-DD or ISO 8601; without an offset, in the packs' "
                   "time zone).  [default: the packs' as-of, else 2026-01-01 UTC]")
@click.option("--stream", is_flag=True, help="Stream mode: after the masters, emit events stamped now at --rate.")
@click.option("--rate", type=float, default=None, help="Stream mode: events per second.  [default: 1000]")
@click.option("--duration", type=float, default=None,
              help="Stream mode: seconds to run (default: until Ctrl+C or SIGTERM).")
@click.option("--stream-clock", type=click.Choice(["now", "replay"]), default=None,
              help="Stream mode: 'now' stamps events with the emission instant; 'replay' keeps their generated "
                   "instants and replays the history once, in time order (every rule holds).  [default: now]")
@click.option("--resumable", is_flag=True,
              help="Resumable mode: every sink commits each block with a mark of it (kafka: preset exactly-once; "
                   "postgres: a transaction per block), so that a failed run can be resumed with --resume.")
@click.option("--resume", is_flag=True,
              help="Resume the run with the same parameters: skip the blocks its sinks committed already, "
                   "generate the others from the same seed (implies --resumable; see docs/reliability.md).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML file with [run] and per-component tables.")
@click.option("--summary-json", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the run summary as JSON to this file.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress output (bars on a terminal, a line every 10 s elsewhere); the summary stays.")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option("--progress-json", "progress_json", metavar="PATH|-", default=None,
              help="Also write the run's progress as JSON Lines to PATH (- = standard output; progress and "
                   "summary for people stay on standard error): start, progress every 0.5 s, error, summary "
                   "with exit_code (docs/progress.md).")
@click.pass_context
def run_command(ctx: click.Context, /, progress_json: str | None, **params: Any) -> None:
    """Generate data and deliver it to sinks (default: JSON Lines files in ./datagen-out)."""
    tracker = ProgressTracker()
    if progress_json is None:
        _run(ctx, tracker, **params)
        return
    from datagen_kernel.cli.progress_json import STDOUT, ProgressJsonWriter

    ctx.meta["datagen.progress_stdout"] = progress_json == STDOUT
    writer = ProgressJsonWriter(progress_json, tracker, list(sys.argv))
    code = 0
    try:
        _run(ctx, tracker, **params)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
        raise
    except DatagenError as exc:
        code = exc.exit_code
        writer.stop()
        writer.error(str(exc))
        raise
    except KeyboardInterrupt:
        code = 130
        writer.stop()
        writer.error("interrupted")
        raise
    except Exception as exc:
        code = 1
        writer.stop()
        writer.error(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        writer.stop()
        writer.summary(ctx.meta.get("datagen.summary"), code)
        writer.close()


def _run(ctx: click.Context, tracker: ProgressTracker, count: int | None, seed: int | None, scenario: str | None,
                sinks: tuple[str, ...], options: tuple[str, ...], transforms: tuple[str, ...],
                workers: int | None, executor: str | None, batch_size: int | None, as_of: str | None, stream: bool,
                rate: float | None, duration: float | None, stream_clock: str | None, resumable: bool, resume: bool,
                config_file: Path | None,
                summary_json: Path | None, quiet: bool, debug: bool, count_alias: int | None = None) -> None:
    from datagen_kernel.cli.common import _host, parse_as_of

    if summary_json is not None:
        _check_writable(summary_json)  # before any sink is touched: a rerun must not find a half-done run
    sources = ConfigSources.build(options, config_file)
    host = _host(ctx)
    for info in host.broken():  # their entities, sinks... are missing from this run: say so
        click.echo(f"warning: {info.label} is not loaded: {info.error} (see `datagen plugins`)", err=True)
    defaults = host.registry.run_defaults()
    clash = _flag_clash(defaults)
    if clash is not None:
        raise clash
    if ctx.args:  # only a command built while the plugins were broken takes unknown options
        raise UsageError(f"no such option: {ctx.args[0]}", hint="see `datagen run --help`")
    stream_only = [flag for flag, value in (("--rate", rate), ("--duration", duration),
                                            ("--stream-clock", stream_clock)) if value is not None]
    file_run = sources.file_run
    if stream_only and not stream and file_run.get("mode") != "stream":
        verb = "apply" if len(stream_only) > 1 else "applies"
        raise UsageError(f"{' and '.join(stream_only)} only {verb} to stream mode",
                         hint="add --stream, or leave them out")
    run_keys = _RUN_KEYS | ({defaults.count_key} if defaults.count_key else set())
    unknown = sorted(set(file_run) - run_keys)
    if unknown:
        raise ConfigError([f"config file [run] has unknown key(s) {unknown}; expected {sorted(run_keys)}"])

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
    root_count, count_flag = _root_count(count, count_alias, defaults, file_run)
    params = RunParams(
        root_count=as_int(root_count, count_flag),
        count_flag=count_flag,
        seed=as_int(pick(seed, "seed", 42), "--seed"),
        scenario=pick(scenario, "scenario", None),
        sinks=tuple(sinks) if sinks else tuple(file_sinks),
        transforms=tuple(transforms) if transforms else tuple(file_run.get("transforms", ())),
        workers=as_int(pick(workers, "workers", 1), "--workers"),
        workers_given=workers is not None or "workers" in file_run,
        executor=str(pick(executor, "executor", "local")),
        batch_size=as_int(pick(batch_size, "batch_size", 10_000), "--batch-size"),
        mode="stream" if stream or file_run.get("mode") == "stream" else "backfill",
        rate=float(pick(rate, "rate", 1000.0)),
        duration=pick(duration, "duration", None),
        stream_clock=str(pick(stream_clock, "stream_clock", "now")),
        as_of=parse_as_of(str(as_of_value), defaults.timezone) if as_of_value else None,
        resumable=resumable or resume,
        resume=resume,
    )
    with signals.deferred_signals():  # SIGINT and SIGTERM: the same cleanup, at a safe point (engine/signals.py)
        try:
            plan = build_plan(host, params, sources)
            for line in unknown_variable_warnings(host, sources.environ):
                click.echo(f"warning: {line}", err=True)
            if ctx.meta.get("datagen.progress_stdout") and any(r.route.sink == "console" for r in plan.routes):
                raise UsageError("--progress-json - and the console sink both write to standard output",
                                 hint="give --progress-json a file")
            manifests = RunManifests(plan, lambda message: click.echo(f"warning: {message}", err=True))
            manifests.check()
            tracker.begin_listeners.append(
                lambda started: manifests.start(started.shape.run_id if started.shape else ""))
            try:
                with ProgressReporter(sys.stderr, enabled=not quiet, tracker=tracker):
                    summary = execute(host, plan, tracker)
                late = signals.unhandled()
                if late is not None and not summary.interrupted:  # it came while the sinks finished:
                    summary.interrupted, summary.stopped_by = True, late  # the run still reports the stop
            except BaseException:
                manifests.finish(None)
                raise
            manifests.finish(summary)
            ctx.meta["datagen.summary"] = summary
        except KeyboardInterrupt as exc:  # a second signal, or one before the run started
            name = getattr(exc, "signal", None) or signals.pending() or "SIGINT"
            click.echo(f"interrupted by {name} before the run could finish its cleanup", err=True)
            ctx.exit(signals.EXIT_CODES.get(name, 130))
        print_summary(summary)
        if summary_json is not None:
            _write_summary(summary_json, summary)
    if summary.interrupted:
        ctx.exit(signals.EXIT_CODES.get(summary.stopped_by or "SIGINT", 130))
    check_delivered(summary, params.resumable)


def _root_count(
    count: int | None, alias: int | None, defaults: RunDefaults, file_run: dict[str, Any]
) -> tuple[Any, str]:
    """The number of root records and how the user named it (for messages)."""
    given = [(f"--{flag}", value) for flag, value in ((COUNT_FLAG, count), (defaults.count_flag, alias))
             if flag is not None and value is not None]
    if len(given) > 1:
        raise UsageError(f"{given[0][0]} and {given[1][0]} both give the number of root records: give one")
    if given:
        return given[0][1], given[0][0]
    keys = [k for k in dict.fromkeys((COUNT_FLAG, defaults.count_key)) if k is not None and k in file_run]
    if len(keys) > 1:
        raise ConfigError([f"config file [run] has both {keys[0]} and {keys[1]}: they are the same setting, keep one"])
    if keys:
        return file_run[keys[0]], f"[run] {keys[0]}"
    return DEFAULT_COUNT, f"--{COUNT_FLAG}"


def _flag_clash(defaults: RunDefaults) -> PluginError | None:
    """The error when the packs' count flag is one of ``datagen run``'s own options."""
    name = f"--{defaults.count_flag}"
    if defaults.count_flag in (None, COUNT_FLAG) or not any(name in p.opts for p in run_command.params):
        return None
    return PluginError(f"{defaults.count_flag_owner} declares count_flag {defaults.count_flag!r}, but `datagen run` "
                       f"already has an option {name}", hint="the pack must declare another name")


def run_command_for(defaults: RunDefaults | None) -> click.Command:
    """``datagen run`` with the count flag the installed packs declare (``--customers``) beside
    ``--count``; the kernel's own command when they declare none.

    ``None``: the plugins could not be read (two register the same name, one is broken), so
    the packs' flags are unknown. The command then lets unknown options through, and reports
    the plugins' error as it starts instead of "no such option".
    """
    if defaults is None or _flag_clash(defaults) is not None:
        lenient = copy.copy(run_command)
        lenient.ignore_unknown_options = True
        lenient.allow_extra_args = True
        return lenient
    flag = defaults.count_flag
    if flag is None or flag == COUNT_FLAG:
        return run_command
    alias = click.Option([f"--{flag}", "count_alias"], type=int, default=None,
                         help=f"Same as --count (named by {defaults.count_flag_owner}).")
    command = copy.copy(run_command)
    command.params = [run_command.params[0], alias, *run_command.params[1:]]
    return command


def _check_writable(path: Path) -> None:
    """``--summary-json PATH`` must be writable before the run starts (the sinks would commit first).

    A missing folder is created (e.g. the json sink's output folder, which the run would create
    anyway); one that cannot be created or written is refused here, with exit status 2.
    """
    import tempfile

    folder = path.parent  # a folder as PATH: click refuses it (dir_okay=False)
    try:  # what the file system says, not the mode bits (root, read-only mounts, ACLs)
        folder.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with open(path, "ab"):
                pass
        else:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".datagen-summary-"):
                pass
    except OSError as exc:
        raise UsageError(f"--summary-json {str(path)!r} cannot be written: {exc.strerror}",
                         hint="choose a writable path") from None


def _write_summary(path: Path, summary: RunSummary) -> None:
    try:
        path.write_text(json.dumps(summary.as_dict(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        click.echo(f"error: --summary-json {str(path)!r} could not be written after the run: {exc.strerror}",
                   err=True)
