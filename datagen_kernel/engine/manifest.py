"""The run manifest ``_datagen-run.json``: what a run wrote into a file sink's folder.

A run whose sinks write files (``Sink.output_files``, the json sink) leaves one manifest per
output folder: the run's seed, as-of, options, root count, scenario, sinks, the files it wrote
with their record counts and sizes, ``complete``, when it started and finished, the datagen
version and the run id. It is written with ``complete: false`` as the run starts and
replaced (written beside, then renamed over: atomic) when the run ends; a run that is killed
or interrupted leaves ``complete: false``. The next run into the folder and ``datagen validate``
read it: both warn about files in the folder the run did not write (a previous run's, with a
wider selector) without deleting them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datagen_kernel.api.domain import timezone_name
from datagen_kernel.api.options import _URL_PASSWORD, REDACTED, Option, redacted
from datagen_kernel.api.summary import RunSummary
from datagen_kernel.engine.plugins import kernel_version
from datagen_kernel.engine.runplan import Plan

MANIFEST = "_datagen-run.json"
MANIFEST_VERSION = 1
SHOWN_FILES = 5
"""How many stray file names a warning lists."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class OutputFolder:
    """One folder a run writes files into, and its files (name -> entity, route label)."""

    path: Path
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    others: dict[str, str] = field(default_factory=dict)
    """Files written beside the data that are not a dataset (name -> who writes them)."""

    @property
    def manifest(self) -> Path:
        return self.path / MANIFEST

    def strays(self, previous: Mapping[str, Any] | None = None) -> list[str]:
        """Files in the folder that look like a run's output and that this run does not write:
        named like its files (``*.jsonl`` for ``customer.jsonl``, compressed or not), or listed
        by the ``previous`` manifest. Other files (a README beside the data) are not a run's."""
        suffixes = {name[len(entity):] for name, (entity, _) in self.files.items() if name.startswith(entity)}
        suffixes |= {s.removesuffix(".gz") for s in suffixes} | {s + ".gz" for s in suffixes if not s.endswith(".gz")}
        suffixes.discard("")
        earlier = previous.get("files") if previous is not None else None
        known = set(earlier) if isinstance(earlier, dict) else set()
        try:
            names = sorted(p.name for p in self.path.iterdir() if p.is_file())
        except OSError:
            return []
        return [n for n in names if not n.startswith(".") and n != MANIFEST and n not in self.files
                and n not in self.others and (n in known or any(n.endswith(s) for s in suffixes))]


def output_folders(plan: Plan) -> list[OutputFolder]:
    """The folders the plan's file sinks write into, each with the files it gets."""
    folders: dict[Path, OutputFolder] = {}
    for route in plan.routes:
        for entity, file in route.sink_cls.output_files(route.config, route.entities).items():
            path = Path(file)
            folder = folders.setdefault(path.parent, OutputFolder(path.parent))
            folder.files[path.name] = (entity, route.label)
    for transform, options in plan.transforms:
        if transform.output_files is None:
            continue
        for file in transform.output_files(plan.run, options):
            path = Path(file)
            if path.parent in folders:  # beside a dataset: listed, so not taken for a stale file
                folders[path.parent].others[path.name] = f"transform {transform.name}"
    return list(folders.values())


def read(path: Path) -> dict[str, Any] | None:
    """A manifest's content, None when missing or unreadable (the caller decides what that means)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stray_warning(folder: Path, strays: list[str], listed: bool) -> str:
    shown = ", ".join(strays[:SHOWN_FILES]) + (f" and {len(strays) - SHOWN_FILES} more" if len(strays) > SHOWN_FILES
                                                else "")
    whose = "its run manifest does not list" if listed else "this run does not write"
    return (f"{folder} holds {len(strays)} file(s) {whose}: {shown}; they are not part of the dataset "
            f"(left by an earlier run?): remove them if they are not needed")


class RunManifests:
    """The manifests of one run, one per output folder (nothing when no sink writes files)."""

    def __init__(self, plan: Plan, warn: Callable[[str], None]) -> None:
        self.plan = plan
        self.warn = warn
        self.folders = output_folders(plan)
        self.run_id: str | None = None
        self.started_at: str | None = None

    def check(self) -> None:
        """Before the run: warn about what the folders hold that this run will not rewrite."""
        for folder in self.folders:
            previous = read(folder.manifest)
            if previous is not None and previous.get("complete") is False:
                self.warn(f"{folder.manifest}: the previous run into this folder (run {previous.get('run_id')}, "
                          f"started {previous.get('started_at')}) did not complete; this run replaces it")
            strays = folder.strays(previous)
            if strays:
                self.warn(stray_warning(folder.path, strays, listed=False))

    def start(self, run_id: str) -> None:
        """The run begins: each folder's manifest says so, ``complete: false``."""
        self.run_id, self.started_at = run_id, _now()
        self._write(None)

    def finish(self, summary: RunSummary | None) -> None:
        """The run ended (``None``: with an error): ``complete`` is true only if every record
        was acknowledged."""
        if self.run_id is not None:
            self._write(summary, ended=True)

    def _write(self, summary: RunSummary | None, ended: bool = False) -> None:
        for folder in self.folders:
            try:
                folder.path.mkdir(parents=True, exist_ok=True)
                _replace(folder.manifest, self._content(folder, summary, ended))
            except OSError as exc:
                self.warn(f"cannot write the run manifest {folder.manifest}: {exc.strerror}")

    def _content(self, folder: OutputFolder, summary: RunSummary | None, ended: bool) -> dict[str, Any]:
        plan = self.plan
        acknowledged: Mapping[tuple[str, str], int] = {}
        if summary is not None:
            acknowledged = {(row.entity, row.sink): row.acknowledged for row in summary.rows}
        files: dict[str, dict[str, Any]] = {}
        for name, (entity, label) in folder.files.items():
            entry: dict[str, Any] = {"entity": entity, "sink": label, "records": None, "bytes": None}
            if summary is not None and summary.ok:
                entry["records"] = acknowledged.get((entity, label), 0)
                try:
                    entry["bytes"] = (folder.path / name).stat().st_size
                except OSError:
                    entry["bytes"] = None
            files[name] = entry
        status = "failed" if ended else "started"  # "started" stays if the process is killed
        if summary is not None:
            status = "complete" if summary.ok else ("interrupted" if summary.interrupted else "failed")
        return {
            "manifest_version": MANIFEST_VERSION,
            "run_id": self.run_id,
            "complete": summary is not None and summary.ok,
            "status": status,
            "started_at": self.started_at,
            "finished_at": _now() if ended else None,
            "datagen_version": kernel_version(),
            "seed": plan.run.seed,
            "as_of": plan.run.as_of.isoformat(),
            "timezone": timezone_name(plan.run.timezone),
            "root_count": plan.run.root_count,
            "scenario": plan.run.scenario,
            "mode": plan.params.mode,
            "options": safe_options(plan),
            "sinks": [route.route.text for route in plan.routes],
            "files": files,
            "other_files": dict(folder.others),
        }


def safe_options(plan: Plan) -> dict[str, dict[str, Any]]:
    """The run's resolved options by namespace, secrets redacted (sink credentials, a URL's
    password): what the manifest records, and ``validate`` reads back for the packs' options."""
    declared: dict[str, Sequence[Option]] = {}
    for route in plan.routes:
        declared[route.route.sink] = route.sink_cls.options
    for name, (cls, _) in plan.serializers.items():
        declared[name] = cls.options
    for transform, _ in plan.transforms:
        declared[transform.name] = transform.options
    if plan.executor is not None:
        declared[plan.executor[0].name] = plan.executor[0].options
    out: dict[str, dict[str, Any]] = {}
    for ns, values in plan.run.options.items():
        clean = redacted(declared.get(ns, ()), values)
        out[ns] = {k: _URL_PASSWORD.sub(rf"\1{REDACTED}\3", v) if isinstance(v, str) else v
                   for k, v in clean.items()}
    return out


def _replace(path: Path, content: dict[str, Any]) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, renamed over it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def listed_files(directory: Path, manifest: Mapping[str, Any]) -> dict[str, Path] | None:
    """Entity -> file of a dataset folder as its manifest lists them; None when it lists none
    (a manifest written by hand or a saved ``--summary-json``)."""
    files = manifest.get("files")
    if not isinstance(files, dict):
        return None
    out: dict[str, Path] = {}
    for name, entry in files.items():
        if isinstance(entry, dict) and isinstance(entry.get("entity"), str):
            out[entry["entity"]] = directory / str(name)
    return out


__all__ = ["MANIFEST", "OutputFolder", "RunManifests", "listed_files", "output_folders", "read", "stray_warning"]
