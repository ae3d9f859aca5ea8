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
      "violation_count": 3,
      "entities": [{"entity": "customer", "file": "customer.jsonl", "records": 100,
                    "violations": 0, "rules": {}}],
      "violations": [{"entity": "...", "key": "...", "field": "...", "rule": "...", "message": "..."}],
      "truncated": false
    }

``entities[].rules`` counts violations per rule; ``violations`` lists the first
``--max-violations`` of them (``truncated`` says whether there were more).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import orjson

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
    from datagen_kernel.api.rules import RecordIndex
    from datagen_kernel.codecs.text import from_text_values
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

    records: dict[str, list[dict[str, Any]]] = {}
    files: dict[str, str] = {}
    for name, spec in specs.items():
        path = _dataset_file(directory, name) if listed is None else listed.get(name)
        if path is None:
            continue
        files[name] = path.name
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            try:
                records[name] = [from_text_values(spec, orjson.loads(line)) for line in fh if line.strip()]
            except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
                raise UsageError(f"{path} is not valid datagen JSON Lines: {exc}") from None
    if not records:
        raise UsageError(
            f"no dataset files found in {directory}",
            hint="expected <entity>.jsonl files as written by --sink json, e.g. customer.jsonl",
        )
    to_stdout = report == "-"
    rules = [r.value for r in host.registry.rules]
    index = RecordIndex(specs, records)
    shown: list[Violation] = []
    entities: list[dict[str, Any]] = []
    total = 0
    for name, recs in records.items():
        spec = specs[name]
        entity_rules = [r for r in rules if r.entity in (name, "*")]
        per_rule: Counter[str] = Counter()
        for chunk in _chunks(recs, 10_000, spec.key_field):
            for v in run_rules(spec, chunk, entity_rules, index, run=run):
                per_rule[v.rule] += 1
                if len(shown) < max_violations:
                    click.echo(f"violation: {v}", err=to_stdout)
                    shown.append(v)
        count = sum(per_rule.values())
        total += count
        entities.append({"entity": name, "file": files[name], "records": len(recs), "violations": count,
                         "rules": dict(sorted(per_rule.items()))})
        click.echo(f"{name}: {len(recs):,} records, {count} violation(s)", err=True)
    n = sum(len(r) for r in records.values())
    if report is not None:
        result = {
            "report_version": REPORT_VERSION,
            "ok": total == 0,
            "directory": str(directory),
            "as_of": run.as_of.isoformat(),
            "as_of_from": as_of_from,
            "scenario": scenario,
            "records": n,
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
        click.echo(f"FAILED: {total} violation(s) in {directory}", err=True)
        ctx.exit(1)
    click.echo(f"ok: {n:,} records in {len(records)} entities, no violations", err=True)


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

    A run that did not complete fails validation; files the manifest does not list (a previous
    run's) are left out, with a warning.
    """
    from datagen_kernel.api.errors import DatagenError
    from datagen_kernel.engine.manifest import listed_files, stray_warning

    if manifest.get("complete") is False:
        raise DatagenError(f"{directory / MANIFEST}: the run that wrote this folder did not complete "
                           f"(status {manifest.get('status', 'unknown')}, run {manifest.get('run_id')}): "
                           "its files are not a whole dataset",
                           hint="run the generation again into this folder; to check the files anyway, "
                                "remove the manifest")
    listed = listed_files(directory, manifest)
    if listed is None:
        return None
    missing = sorted(str(p.name) for p in listed.values() if not p.exists())
    if missing:
        raise UsageError(f"{directory / MANIFEST} lists file(s) the folder does not hold: {', '.join(missing)}",
                         hint="the dataset was moved or changed since it was written: generate it again")
    names = {p.name for p in listed.values()}
    strays = sorted(p.name for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")
                    and p.name.endswith((".jsonl", ".jsonl.gz")) and p.name not in names)
    if strays:
        click.echo(f"warning: {stray_warning(directory, strays, listed=True)}", err=True)
    return listed


def _chunks(records: list[dict[str, Any]], size: int, key: str | None) -> Iterator[list[dict[str, Any]]]:
    """Slices of about ``size`` records; consecutive records sharing ``key`` stay together.

    Run-time validation sees whole blocks, so a rule may follow one key's records in order
    (e.g. an account's trades); ``datagen validate`` must not cut such a run in two.
    """
    start = 0
    while start < len(records):
        stop = min(start + size, len(records))
        if key is not None:
            while stop < len(records) and records[stop].get(key) == records[stop - 1].get(key):
                stop += 1
        yield records[start:stop]
        start = stop


def _dataset_file(directory: Path, entity: str) -> Path | None:
    for candidate in (directory / f"{entity}.jsonl", directory / f"{entity}.jsonl.gz"):
        if candidate.exists():
            return candidate
    return None


__all__ = ["MANIFEST", "read_manifest", "validate_command", "validation_run"]
