"""``datagen validate``: a JSON Lines dataset checked against every rule, with the run it came from.

Rules that take the run (``Rule`` checks with a ``run`` parameter) see the as-of and the pack
options the dataset was generated with: ``--as-of`` and ``-o`` say them, else the run manifest
``_datagen-run.json`` in the dataset folder (its ``as_of``, ``options``, ``seed``, ``scenario``
and ``root_count``, when present), else the installed packs' defaults.

``--report FILE`` writes the result as JSON (``-``: standard output)::

    {
      "ok": false,
      "directory": "out",
      "as_of": "2026-01-01T00:00:00-03:00",
      "as_of_from": "--as-of" | "_datagen-run.json" | "default",
      "scenario": null,
      "records": 1234,
      "complete": true,
      "violation_count": 3,
      "entities": [{"entity": "customer", "file": "customer.jsonl", "records": 100,
                    "violations": 0, "rules": {}}],
      "violations": [{"entity": "...", "key": "...", "field": "...", "rule": "...", "message": "..."}],
      "truncated": false
    }

``entities[].rules`` counts violations per rule (every record breaking a rule counts once
for it); ``violations`` lists the first ``--max-violations`` of them (``truncated`` says
whether there were more). ``complete`` is the manifest's (null without one): a dataset whose
run did not complete fails validation even without a violation.

The files are read a slice at a time and parents are found through an index of key hashes
and line offsets (``engine/dataset.py``), so memory stays bounded whatever the dataset's size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from datagen_kernel.api.errors import ConfigError, UsageError
from datagen_kernel.api.generation import RunInfo
from datagen_kernel.api.rules import Violation
from datagen_kernel.cli.common import _host, _specs, parse_as_of
from datagen_kernel.engine.config import ConfigSources, resolve
from datagen_kernel.engine.plugins import PluginHost

MANIFEST = "_datagen-run.json"
"""The run manifest a run leaves in its output folder; ``validate`` reads the run from it."""

REPORT_VERSION = 1


@click.command("validate")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--max-violations", default=20, show_default=True,
              help="How many violations to print (and list in --report).")
@click.option("--scenario", default=None,
              help="The scenario the dataset was generated with (fields it adds).  [default: the manifest's]")
@click.option("--as-of", default=None,
              help="End of the dataset's history, for rules that compare dates with it (YYYY-MM-DD or "
                   "ISO 8601).  [default: the run manifest's, else the packs' as-of]")
@click.option("-o", "--option", "options", multiple=True, metavar="NS.KEY=VALUE",
              help="A pack or scenario option the dataset was generated with; repeatable.  "
                   "[default: the run manifest's, else the declared default]")
@click.option("--report", "report", default=None, metavar="FILE",
              help="Also write the result as JSON to FILE ('-': standard output; the text then goes to stderr).")
@click.pass_context
def validate_command(ctx: click.Context, directory: Path, max_violations: int, scenario: str | None,
                     as_of: str | None, options: tuple[str, ...], report: str | None) -> None:
    """Check a JSON Lines dataset (json sink output) against every registered rule and foreign key."""
    from datagen_kernel.engine.dataset import DatasetLookup, chunks, dataset_file
    from datagen_kernel.engine.validation import run_rules

    host = _host(ctx)
    specs = _specs(ctx)
    manifest = read_manifest(directory)
    listed = _listed_files(directory, manifest)
    if scenario is None and isinstance(manifest.get("scenario"), str):
        scenario = manifest["scenario"]
    if scenario is not None:
        sreg = host.registry.scenarios.get(scenario)
        if sreg is None:
            known = ", ".join(sorted(host.registry.scenarios)) or "none installed"
            raise UsageError(f"unknown scenario {scenario!r}; available: {known}")
        if sreg.value.extend_entities is not None:
            specs = dict(sreg.value.extend_entities(dict(specs)))
    run, as_of_from = validation_run(host, manifest, as_of, options, scenario, directory)

    files = {name: path for name in specs
             if (path := dataset_file(directory, name) if listed is None else listed.get(name)) is not None}
    if not files:
        raise UsageError(
            f"no dataset files found in {directory}",
            hint="expected <entity>.jsonl files as written by --sink json, e.g. customer.jsonl",
        )
    complete = manifest.get("complete")
    if complete is False:
        click.echo(f"warning: {directory / MANIFEST}: the run that wrote this folder did not complete "
                   f"(status {manifest.get('status', 'unknown')}, run {manifest.get('run_id')}): "
                   "its files may be partial; generate it again", err=True)
    to_stdout = report == "-"
    rules = [r.value for r in host.registry.rules]
    lookup = DatasetLookup(specs, files)
    shown: list[Violation] = []
    entities: list[dict[str, Any]] = []
    total = n = 0
    try:
        for name, path in files.items():
            spec = specs[name]
            entity_rules = [r for r in rules if r.entity in (name, "*")]
            per_rule: Counter[str] = Counter()
            count_records = 0
            found: list[Violation] = []

            def malformed(line: int, key: Any, message: str, name: str = name, file: str = path.name,
                          found: list[Violation] = found) -> None:
                found.append(Violation(name, key, "-", "malformed-line", f"{file} line {line}: {message}"))

            for chunk in chunks(path, spec, bad=malformed):
                count_records += len(chunk)
                found.extend(run_rules(spec, chunk, entity_rules, lookup, run=run, every=True))
                _tally(found, per_rule, shown, max_violations, to_stdout)
            _tally(found, per_rule, shown, max_violations, to_stdout)  # bad lines after the last slice
            count = sum(per_rule.values())
            total += count
            n += count_records
            entities.append({"entity": name, "file": path.name, "records": count_records, "violations": count,
                             "rules": dict(sorted(per_rule.items()))})
            click.echo(f"{name}: {count_records:,} records, {count} violation(s)", err=True)
    finally:
        lookup.close()
    if report is not None:
        result = {
            "report_version": REPORT_VERSION,
            "ok": total == 0,
            "directory": str(directory),
            "as_of": run.as_of.isoformat(),
            "as_of_from": as_of_from,
            "scenario": scenario,
            "records": n,
            "complete": complete if isinstance(complete, bool) else None,
            "violation_count": total,
            "entities": entities,
            "violations": [dataclasses.asdict(v) for v in shown],
            "truncated": total > len(shown),
        }
        text = json.dumps(result, indent=2, default=str) + "\n"
        if to_stdout:
            click.echo(text, nl=False)
        else:
            try:
                Path(report).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot write the report {report!r}: {exc.strerror}",
                                 hint="choose another --report path") from None
    if total:
        click.echo(f"FAILED: {total:,} violation(s) in {directory}", err=True)
        ctx.exit(1)
    if complete is False:
        click.echo(f"FAILED: no violation in {n:,} records, but the run that wrote {directory} did not complete",
                   err=True)
        ctx.exit(1)
    click.echo(f"ok: {n:,} records in {len(files)} entities, no violations", err=True)


def _tally(found: list[Violation], per_rule: Counter[str], shown: list[Violation], most: int,
           to_stdout: bool) -> None:
    """Count ``found`` per rule, print the first ``most`` of the whole check, and empty it."""
    for v in found:
        per_rule[v.rule] += 1
        if len(shown) < most:
            click.echo(f"violation: {v}", err=to_stdout)
            shown.append(v)
    found.clear()


def read_manifest(directory: Path) -> dict[str, Any]:
    """The run manifest of a dataset folder (``_datagen-run.json``), or ``{}`` without one."""
    path = directory / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is not a readable run manifest: {exc}",
                         hint="fix or remove it, and give --as-of") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a run manifest: expected a JSON object", hint="fix or remove it")
    return data


def validation_run(host: PluginHost, manifest: Mapping[str, Any], as_of: str | None,
                   flags: tuple[str, ...], scenario: str | None, directory: Path) -> tuple[RunInfo, str]:
    """The run the dataset came from, as far as rules need it, and where its as-of came from."""
    defaults = host.registry.run_defaults()
    given_as_of: dt.datetime = defaults.as_of
    as_of_from = "default"
    if as_of is not None:
        given_as_of, as_of_from = parse_as_of(as_of, defaults.timezone), "--as-of"
    elif manifest.get("as_of") is not None:
        try:
            given_as_of = parse_as_of(str(manifest["as_of"]), defaults.timezone)
        except UsageError:
            raise UsageError(f"{directory / MANIFEST}: as_of {manifest['as_of']!r} is not a date",
                             hint="fix the manifest or give --as-of") from None
        as_of_from = MANIFEST

    sources = ConfigSources.build(flags)
    recorded = manifest.get("options")
    if isinstance(recorded, dict):  # what the run resolved: below -o and the environment
        sources.file = {ns: dict(values) for ns, values in recorded.items() if isinstance(values, dict)}
    declared = {ns: list(group.options) for ns, group in host.registry.option_groups.items()}
    if scenario is not None:
        declared["scenario"] = list(host.registry.scenarios[scenario].value.options)
    problems = [f"option namespace {ns!r} (from -o) is not a pack's or the scenario's: validate takes only those "
                f"({', '.join(sorted(declared)) or 'none declared'})" for ns in sources.flags if ns not in declared]
    sources.file = {ns: values for ns, values in sources.file.items() if ns in declared}
    values = {ns: resolve(ns, opts, sources, problems) for ns, opts in declared.items()}
    if problems:
        raise ConfigError(problems)

    def number(key: str) -> int:
        value = manifest.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    run = RunInfo(seed=number("seed"), root_count=number("root_count"), as_of=given_as_of, scenario=scenario,
                  options=values, timezone=defaults.timezone)
    return run, as_of_from


def _listed_files(directory: Path, manifest: Mapping[str, Any]) -> dict[str, Path] | None:
    """The files the run manifest lists (None: it lists none, every ``<entity>.jsonl`` is read).

    Files the manifest does not list (a previous run's) are left out, with a warning.
    """
    from datagen_kernel.engine.manifest import listed_files, stray_warning

    listed = listed_files(directory, manifest)
    if listed is None:
        return None
    listed = {name: _compressed_or_not(p) for name, p in listed.items()}
    missing = sorted(str(p.name) for p in listed.values() if not p.exists())
    if missing and manifest.get("complete") is False:  # an interrupted run: check what it did write
        return {name: p for name, p in listed.items() if p.exists()}
    if missing:
        raise UsageError(f"{directory / MANIFEST} lists file(s) the folder does not hold: {', '.join(missing)}",
                         hint="the dataset was moved or changed since it was written: generate it again")
    others = manifest.get("other_files")
    names = {p.name for p in listed.values()} | (set(others) if isinstance(others, dict) else set())
    strays = sorted(p.name for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")
                    and p.name.endswith((".jsonl", ".jsonl.gz")) and p.name not in names)
    if strays:
        click.echo(f"warning: {stray_warning(directory, strays, listed=True)}", err=True)
    return listed


def _compressed_or_not(path: Path) -> Path:
    """``path``, or its gzip (or plain) twin when only that exists (a file compressed after the run)."""
    if path.exists():
        return path
    twin = path.with_suffix("") if path.suffix == ".gz" else path.with_name(path.name + ".gz")
    return twin if twin.exists() else path


__all__ = ["MANIFEST", "read_manifest", "validate_command", "validation_run"]
