"""``PackConformance``: the suite every entity pack runs by subclassing it."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from datagen_kernel.api.errors import DatagenError
from datagen_kernel.api.generation import RunInfo
from datagen_kernel.api.records import Record
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.api.schema import EntitySpec, Scope
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import RunParams, build_plan
from datagen_kernel.engine.plugins import make_plugin_host
from datagen_kernel.engine.validation import run_rules
from datagen_kernel.testing.records import capture_records

Dataset = dict[str, list[Record]]


class PackConformance:
    """Checks every entity pack must pass. Subclass it in a test module (``class TestX(PackConformance)``).

    Set ``pack`` to the plugin under test: its entry-point name (``"insurance"``: the installed
    plugins are loaded, so the packs it builds on come along), or its module (or the object it
    registers) with ``requires`` listing the packs it builds on (e.g. the banking pack's plugin
    module for an entity made per customer). ``catalog_doc`` is the page that documents the
    pack's entities (its README or a docs page; a relative path is taken from the test
    module's folder): it must name each of them, and each field the pack adds to another
    pack's entity, in backticks. ``options`` are ``-o`` values (``{"policy.share": "0.5"}``) and
    ``scenario`` a scenario name, for every run of the suite.

    Runs of ``roots`` roots (more than two blocks of 500, the last one partial, so the
    block boundaries are crossed) go through the real engine, with the pack's rules; the
    suite compares one worker and batches of 10,000 with two workers and batches of 7, and
    ``prefix_roots`` roots with ``roots``.
    """

    pack: ClassVar[Any] = None
    requires: ClassVar[Sequence[Any]] = ()
    catalog_doc: ClassVar[str | Path | None] = None
    options: ClassVar[Mapping[str, str]] = {}
    scenario: ClassVar[str | None] = None
    seed: ClassVar[int] = 11
    roots: ClassVar[int] = 1_100
    prefix_roots: ClassVar[int] = 300

    # -- harness ------------------------------------------------------------------------------
    @pytest.fixture(scope="class")
    @classmethod
    def pack_runs(cls) -> _PackRuns:
        return _PackRuns(cls)

    # -- the pack's declarations --------------------------------------------------------------
    def test_pack_registers_entities_with_generators(self, pack_runs: _PackRuns) -> None:
        assert pack_runs.entities or pack_runs.extended, (
            f"{pack_runs.label} registers no entity and extends none")
        registry = pack_runs.host.registry
        for name in pack_runs.entities:
            assert name in registry.generators, f"entity {name!r} of {pack_runs.label} has no generator"

    def test_catalog_doc_names_every_entity_and_added_field(self, pack_runs: _PackRuns) -> None:
        if self.catalog_doc is None:
            raise AssertionError(f"{type(self).__name__} must set catalog_doc: the page documenting the pack")
        path = Path(self.catalog_doc)
        module = getattr(sys.modules.get(type(self).__module__), "__file__", None)
        if not path.is_absolute() and module is not None:
            path = Path(module).parent / path
        assert path.is_file(), f"catalog doc {str(path)!r} does not exist"
        text = path.read_text(encoding="utf-8")
        named = set(re.findall(r"`([^`\s]+)`", text))
        for name in pack_runs.entities:
            assert name in named, f"{path.name} does not name entity `{name}`"
            spec = pack_runs.specs[name]
            assert spec.doc.strip(), f"entity {name!r} has no doc (EntitySpec(doc=...))"
        for entity, field in pack_runs.extended:
            assert field in named or f"{entity}.{field}" in named, (
                f"{path.name} does not name the field `{field}` the pack adds to `{entity}`")

    # -- determinism --------------------------------------------------------------------------
    def test_same_records_whatever_the_workers_and_batch_size(self, pack_runs: _PackRuns) -> None:
        one = pack_runs.run(self.roots, workers=1, batch_size=10_000)
        two = pack_runs.run(self.roots, workers=2, batch_size=7)
        for name in pack_runs.checked():
            assert one[name], f"{name}: no record in a run of {self.roots} roots"
            assert one[name] == two[name], (
                f"{name}: --workers 1 --batch-size 10000 and --workers 2 --batch-size 7 differ "
                f"({_first_difference(one[name], two[name])})")

    def test_another_seed_gives_other_records(self, pack_runs: _PackRuns) -> None:
        one = pack_runs.run(self.roots, workers=1, batch_size=10_000)
        other = pack_runs.run(self.roots, workers=1, batch_size=10_000, seed=self.seed + 1)
        for name in pack_runs.checked():
            assert one[name] != other[name], f"{name}: seeds {self.seed} and {self.seed + 1} give the same records"

    def test_a_prefix_of_roots_gives_a_prefix_of_records(self, pack_runs: _PackRuns) -> None:
        full = pack_runs.run(self.roots, workers=1, batch_size=10_000)
        prefix = pack_runs.run(self.prefix_roots, workers=1, batch_size=10_000)
        for name in pack_runs.checked():
            small, large = prefix[name], full[name]
            if pack_runs.specs[name].scope == Scope.GLOBAL:
                assert small == large, f"global {name}: differs with {self.prefix_roots} and {self.roots} roots"
                continue
            assert small, f"{name}: no record in a run of {self.prefix_roots} roots; raise prefix_roots"
            assert large[: len(small)] == small, (
                f"{name}: the records of {self.prefix_roots} roots are not the first of {self.roots} roots "
                f"({_first_difference(small, large[: len(small)])})")

    # -- consistency --------------------------------------------------------------------------
    def test_foreign_keys_resolve(self, pack_runs: _PackRuns) -> None:
        data = pack_runs.run(self.roots, workers=1, batch_size=10_000)
        for name in pack_runs.checked():
            spec = pack_runs.specs[name]
            for fk in spec.foreign_keys:
                assert fk.entity in data, f"{name}.{fk.field}: {fk.entity!r} is not generated in the run"
                known = {r[fk.ref_field] for r in data[fk.entity]}
                dangling = [r[fk.field] for r in data[name] if r[fk.field] is not None and r[fk.field] not in known]
                assert not dangling, (
                    f"{name}.{fk.field}: {len(dangling)} value(s) name no {fk.entity}.{fk.ref_field}, "
                    f"e.g. {dangling[0]!r}")

    def test_rules_pass_on_generated_data(self, pack_runs: _PackRuns) -> None:
        data = pack_runs.run(self.roots, workers=1, batch_size=10_000)
        run = pack_runs.run_info(self.roots, workers=1, batch_size=10_000)
        registry = pack_runs.host.registry
        index = RecordIndex(pack_runs.specs, data)
        problems: list[str] = []
        for name in pack_runs.checked():
            spec = pack_runs.specs[name]
            rules = [r.value for r in registry.rules if r.value.entity in (name, "*")]
            for chunk in _chunks(data[name], 10_000, spec.key_field):
                problems.extend(str(v) for v in run_rules(spec, chunk, rules, index, run=run))
        assert not problems, f"{len(problems)} violation(s) on the whole dataset, e.g.:\n" + "\n".join(problems[:5])


class _PackRuns:
    """The host of one ``PackConformance`` class and its runs (each made once)."""

    def __init__(self, suite: type[PackConformance]) -> None:
        if suite.pack is None:
            raise AssertionError(f"{type(suite).__name__} must set pack = the plugin under test")
        self.suite = suite
        if isinstance(suite.pack, str):
            self.host = make_plugin_host()
            name = suite.pack
        else:
            self.host = make_plugin_host(entrypoints=False, plugins=[*suite.requires, suite.pack])
            name = self.host.pm.get_name(suite.pack) or ""
        info = next((p for p in self.host.plugins if p.name == name), None)
        if info is None:
            raise AssertionError(f"no installed plugin is named {name!r}; install it (pip install -e .) "
                                 "or set pack to its module")
        if info.error:
            raise AssertionError(f"{info.label} is broken: {info.error}")
        self.label = info.label
        registry = self.host.registry
        self.specs: dict[str, EntitySpec] = registry.entity_specs()
        self.entities = [n for n, reg in registry.entities.items() if reg.owner.name == name]
        self.extended = [(e, f.name) for e, fields, owner in registry.extensions if owner.name == name
                         for f in fields]
        self._runs: dict[tuple[int, int, int, int], Dataset] = {}
        self._infos: dict[tuple[int, int, int, int], RunInfo] = {}

    def checked(self) -> list[str]:
        """The pack's entities, and the entities it extends."""
        return list(dict.fromkeys([*self.entities, *(e for e, _ in self.extended)]))

    def run(self, roots: int, *, workers: int, batch_size: int, seed: int | None = None) -> Dataset:
        seed = self.suite.seed if seed is None else seed
        key = (roots, workers, batch_size, seed)
        if key not in self._runs:
            self._runs[key] = self._generate(key)
        return self._runs[key]

    def run_info(self, roots: int, *, workers: int, batch_size: int, seed: int | None = None) -> RunInfo:
        """The ``RunInfo`` of that run (its as-of and options, as its rules saw them)."""
        self.run(roots, workers=workers, batch_size=batch_size, seed=seed)
        return self._infos[(roots, workers, batch_size, self.suite.seed if seed is None else seed)]

    def _generate(self, key: tuple[int, int, int, int]) -> Dataset:
        roots, workers, batch_size, seed = key
        flags = [f"{k}={v}" for k, v in self.suite.options.items()]
        params = RunParams(root_count=roots, seed=seed, scenario=self.suite.scenario, sinks=("null",),
                           workers=workers, batch_size=batch_size)
        environ = {k: v for k, v in os.environ.items() if not k.startswith("DATAGEN_")}
        plan = build_plan(self.host, params, ConfigSources.build(flags, environ=environ))
        self._infos[key] = plan.run
        try:
            records, summary = capture_records(self.host, plan)
        except DatagenError as exc:
            raise AssertionError(f"the run of {roots} roots failed: {exc}") from exc
        if not summary.ok:
            raise AssertionError(f"the run of {roots} roots failed: {summary.errors}")
        return records


def _chunks(records: list[Record], size: int, key: str | None) -> Iterator[list[Record]]:
    """Slices of about ``size`` records, consecutive records sharing ``key`` together (as
    ``datagen validate`` reads a dataset)."""
    start = 0
    while start < len(records):
        stop = min(start + size, len(records))
        if key is not None:
            while stop < len(records) and records[stop].get(key) == records[stop - 1].get(key):
                stop += 1
        yield records[start:stop]
        start = stop


def _first_difference(a: Sequence[Record], b: Sequence[Record]) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            fields = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
            return f"record {i} differs in {fields}"
    return f"{len(a)} vs {len(b)} records"
