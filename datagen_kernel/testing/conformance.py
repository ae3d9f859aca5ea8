"""``SinkConformance``: the suite every sink runs by subclassing it."""

from __future__ import annotations

import json
import os
import pickle
import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result

from datagen_kernel.api.errors import DatagenError
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import (
    EntitySpec,
)
from datagen_kernel.api.sinks import EncodedBatch, Sink, SinkContext
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.blocks import BlockProcessor, new_sinks, open_serializers
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import Plan, RunParams, build_plan
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host
from datagen_kernel.testing.pack import ConformancePack

_BAD_VALUES = {"int": "not-a-number", "float": "not-a-number", "bool": "maybe", "choice": "no-such-choice"}


def _first_difference(a: Mapping[str, list[Any]], b: Mapping[str, list[Any]], left: str, right: str) -> str:
    """Where two read-backs first differ, for an assertion message."""
    for name in sorted(set(a) | set(b)):
        x, y = a.get(name, []), b.get(name, [])
        if x != y:
            i = next((i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), min(len(x), len(y)))
            px = x[i] if i < len(x) else "(none)"
            py = y[i] if i < len(y) else "(none)"
            return f"{name}: {len(x)} vs {len(y)} items; item {i}: {left}: {px!r} / {right}: {py!r}"
    return "no difference found"


class SinkConformance:
    """Checks every sink must pass. Subclass it in a test module (``class TestX(SinkConformance)``).

    Set ``sink_name``; ``options`` holds raw option values as ``-o`` gives them, where
    ``{tmp_path}`` is replaced by the test's temporary folder and ``{run}`` by a token unique to
    each sink instance (so two runs write to different places). Override the
    ``conformance_options`` fixture to take values from other fixtures (e.g. a server URL).
    ``plugins`` lists plugin modules to use instead of the installed ones. Override
    ``read_back`` when the destination can be read: it enables the output checks.
    ``bad_options`` maps option names to values the sink must refuse (at resolution or in
    ``open``) besides the type errors derived from the declarations.
    """

    sink_name: ClassVar[str] = ""
    options: ClassVar[Mapping[str, str]] = {}
    plugins: ClassVar[Sequence[Any]] = ()
    bad_options: ClassVar[Mapping[str, str]] = {}
    customers: ClassVar[int] = 23

    # -- what subclasses override -------------------------------------------------------------
    @pytest.fixture
    def conformance_options(self, tmp_path: Path) -> Mapping[str, str]:
        """Raw option values for the sink; ``{tmp_path}`` and ``{run}`` are substituted."""
        return self.options

    def read_back(self, config: Mapping[str, Any], entities: Mapping[str, EntitySpec]) -> Mapping[str, Sequence[Any]]:
        """What the destination holds for this run, per entity, in order (lines, rows, messages).

        ``config`` is the sink's resolved options. Return no entries (or empty ones) when the
        destination holds nothing complete. Not overridden: the output checks are skipped.
        """
        raise NotImplementedError

    # -- harness ------------------------------------------------------------------------------
    @pytest.fixture
    def conformance(self, conformance_options: Mapping[str, str], tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> _Harness:
        monkeypatch.chdir(tmp_path)
        for key in list(os.environ):
            if key.startswith("DATAGEN_"):
                monkeypatch.delenv(key)
        return _Harness(self, dict(conformance_options), tmp_path)

    def _readable(self) -> bool:
        return type(self).read_back is not SinkConformance.read_back

    # -- declarations -------------------------------------------------------------------------
    def test_sink_is_registered_with_name_and_doc(self, conformance: _Harness) -> None:
        cls = conformance.sink_cls
        assert cls.name == self.sink_name
        assert cls.doc.strip(), f"sink {self.sink_name!r} has no doc"
        if cls.serializer_name is not None:
            assert cls.serializer_name in conformance.host.registry.serializers, (
                f"sink {self.sink_name!r} needs serializer {cls.serializer_name!r}, which is not registered")

    def test_options_are_declared_with_type_doc_and_default(self, conformance: _Harness) -> None:
        names = [o.name for o in conformance.sink_cls.options]
        assert len(names) == len(set(names)), f"duplicate option names: {names}"
        for opt in conformance.sink_cls.options:
            where = f"option {self.sink_name}.{opt.name}"
            assert re.fullmatch(r"[a-z][a-z0-9_]*", opt.name), f"{where}: name must be lower_snake_case"
            assert opt.type in ("str", "int", "float", "bool", "path", "list", "choice"), f"{where}: type {opt.type!r}"
            assert opt.doc.strip(), f"{where} has no doc"
            if opt.type == "choice":
                assert opt.choices, f"{where}: a choice option must list its choices"
            default = opt.default_value()
            if default is None:
                assert opt.required or opt.type in ("str", "path", "list"), (
                    f"{where}: no default; declare one or mark it required")
            else:
                try:
                    opt.convert(default)
                except (ValueError, TypeError) as exc:
                    raise AssertionError(f"{where}: default {default!r} is not a valid {opt.type}: {exc}") from None
            if opt.secret:
                assert opt.type in ("str", "path"), f"{where}: secret options are text"

    # -- lifecycle ----------------------------------------------------------------------------
    def test_lifecycle_acknowledges_every_record(self, conformance: _Harness) -> None:
        sink, counts = conformance.drive(batch_size=7, close_ok=True)
        for name, count in counts.items():
            assert sink.stats.acknowledged[name] == count, (
                f"{name}: {count} written, {sink.stats.acknowledged[name]} acknowledged after flush")
            assert sink.stats.failed[name] == 0, f"{name}: failures {sink.stats.errors}"
        assert not sink.stats.errors

    def test_encoded_batches_pickle(self, conformance: _Harness) -> None:
        encoder = conformance.encoder(conformance.plan, conformance.new_sink())
        records = conformance.records()
        for name, recs in records.items():
            batch = encoder.encode_batch(0, conformance.plan.specs[name], recs[:5])
            again = pickle.loads(pickle.dumps(batch))
            assert isinstance(again, EncodedBatch)
            assert (again.entity, again.count) == (name, len(recs[:5]))

    def test_run_through_cli_delivers_everything(self, conformance: _Harness, tmp_path: Path) -> None:
        summary_file = tmp_path / "summary.json"
        result = conformance.cli(["run", "--count", str(self.customers), "--sink", self.sink_name,
                                  "--summary-json", str(summary_file), "-q", *conformance.option_flags()])
        assert result.exit_code == 0, result.output or repr(result.exception)
        summary = json.loads(summary_file.read_text())
        assert summary["ok"] and summary["generated"] == summary["acknowledged"] > 0

    def test_routing_selects_entities(self, conformance: _Harness) -> None:
        sink, counts = conformance.drive(batch_size=1000, close_ok=True, only=("conformance_owner",))
        assert set(sink.stats.acknowledged) <= {"conformance_owner"}
        assert sink.stats.acknowledged["conformance_owner"] == counts["conformance_owner"]
        if self._readable():
            held = {k: v for k, v in self.read_back(sink.config, conformance.plan.specs).items() if v}
            assert set(held) == {"conformance_owner"}, f"sink wrote entities it was not routed: {sorted(held)}"

    # -- output ---------------------------------------------------------------------------------
    def test_output_holds_every_record(self, conformance: _Harness) -> None:
        if not self._readable():
            pytest.skip("read_back() not implemented: the sink's output is not readable in tests")
        sink, counts = conformance.drive(batch_size=10, close_ok=True)
        held = self.read_back(sink.config, conformance.plan.specs)
        for name, count in counts.items():
            assert len(held.get(name, ())) == count, f"{name}: {count} written, {len(held.get(name, ()))} read back"

    def test_failed_run_leaves_no_complete_output(self, conformance: _Harness) -> None:
        if not self._readable():
            pytest.skip("read_back() not implemented: the sink's output is not readable in tests")
        sink, _ = conformance.drive(batch_size=10, close_ok=False)
        held = self.read_back(sink.config, conformance.plan.specs)
        leftovers = {k: len(v) for k, v in held.items() if v}
        assert not leftovers, f"close(ok=False) left output that looks complete: {leftovers}"

    def test_output_is_deterministic_whatever_the_batch_size(self, conformance: _Harness) -> None:
        if not self._readable():
            pytest.skip("read_back() not implemented: the sink's output is not readable in tests")
        first, _ = conformance.drive(batch_size=3, close_ok=True)
        second, _ = conformance.drive(batch_size=1000, close_ok=True)
        a = {k: list(v) for k, v in self.read_back(first.config, conformance.plan.specs).items()}
        b = {k: list(v) for k, v in self.read_back(second.config, conformance.plan.specs).items()}
        assert a == b, _first_difference(a, b, "--batch-size 3", "--batch-size 1000")

    # -- bad input ----------------------------------------------------------------------------
    def test_bad_option_values_are_rejected_clearly(self, conformance: _Harness) -> None:
        cases: list[tuple[str, str, bool]] = []
        for opt in conformance.sink_cls.options:
            if opt.type in _BAD_VALUES:
                cases.append((opt.name, _BAD_VALUES[opt.type], True))
            if opt.type in ("int", "float") and opt.minimum is not None:
                cases.append((opt.name, str(opt.minimum - 1), True))
        cases.extend((name, value, False) for name, value in self.bad_options.items())
        cases.append(("no_such_option_xyz", "1", True))
        for name, value, names_option in cases:
            result = conformance.cli(["run", "--count", "3", "--sink", self.sink_name, "-q",
                                      *conformance.option_flags(override={name: value})])
            shown = f"-o {self.sink_name}.{name}={value}"
            assert result.exit_code != 0, f"{shown} was accepted"
            errors = [line for line in result.output.splitlines() if line.startswith("error:")]
            assert len(errors) == 1, f"{shown}: expected one 'error:' line, got:\n{result.output}"
            assert "Traceback" not in result.output, result.output
            if names_option:
                assert f"{self.sink_name}.{name}" in errors[0], f"{shown}: error does not name the option: {errors[0]}"


class _Harness:
    """Builds the host and plan for one conformance test and drives the sink by hand."""

    def __init__(self, suite: SinkConformance, options: dict[str, str], tmp_path: Path) -> None:
        if not suite.sink_name:
            raise AssertionError(f"{type(suite).__name__} must set sink_name")
        self.suite = suite
        self.raw_options = options
        self.tmp_path = tmp_path
        self.host = self._host()
        self.sink_cls = self.host.registry.sinks[suite.sink_name].value
        self.plan = self._plan(None)

    def _host(self) -> PluginHost:
        pack = ConformancePack()
        if self.suite.plugins:
            return make_plugin_host(entrypoints=False, plugins=[pack, *self.suite.plugins])
        installed = make_plugin_host()
        registry = installed.registry
        reg = registry.sinks.get(self.suite.sink_name)
        if reg is None:
            raise AssertionError(f"no installed plugin registers sink {self.suite.sink_name!r}; "
                                 "install it or set plugins = (your_plugin_module,)")
        owners = [reg.owner.name]
        for ser in (reg.value.serializer_name, *(reg.value.serializers or ())):
            if ser is not None and ser in registry.serializers:
                owners.append(registry.serializers[ser].owner.name)
        modules = [installed.pm.get_plugin(name) for name in dict.fromkeys(owners) if name != "builtins"]
        return make_plugin_host(entrypoints=False, plugins=[pack, *modules])

    def option_flags(self, override: Mapping[str, str] | None = None) -> list[str]:
        values = dict(self.raw_options)
        values.update(override or {})
        token = uuid.uuid4().hex[:12]
        flags: list[str] = []
        for key, value in values.items():
            text = str(value).replace("{tmp_path}", str(self.tmp_path)).replace("{run}", token)
            flags += ["-o", f"{self.suite.sink_name}.{key}={text}"]
        return flags

    def _plan(self, only: Sequence[str] | None, batch_size: int = 10_000) -> Plan:
        route = self.suite.sink_name + (":" + ",".join(only) if only else "")
        flags = self.option_flags()[1::2]
        params = RunParams(root_count=self.suite.customers, seed=7, sinks=(route,), batch_size=batch_size)
        try:
            return build_plan(self.host, params, ConfigSources.build(flags, environ={}))
        except DatagenError as exc:
            raise AssertionError(f"the conformance options are refused: {exc}") from None

    def cli(self, args: Sequence[str]) -> Result:
        return CliRunner().invoke(make_cli(lambda: self.host), list(args))

    def records(self) -> dict[str, list[Record]]:
        plan = self.plan
        globals_ = plan.generate_globals()
        records: dict[str, list[Record]] = {name: list(recs) for name, recs in globals_.items()}
        for block in range(plan.blocks):
            for name, recs in plan.generate_block(block, globals_).items():
                if name not in globals_:
                    records.setdefault(name, []).extend(recs)
        return records

    def new_sink(self, plan: Plan | None = None) -> Sink:
        """The route's sink, unopened, with its serializer opened and prepared (as the engine does)."""
        plan = plan or self.plan
        sinks = new_sinks(plan)
        open_serializers(plan, sinks)
        return sinks[0]

    @staticmethod
    def encoder(plan: Plan, sink: Sink) -> BlockProcessor:
        """What turns records into the sink's batches, as the engine does it."""
        return BlockProcessor(plan, [sink], [sink.serializer], {})

    def drive(
        self, *, batch_size: int, close_ok: bool, only: Sequence[str] | None = None
    ) -> tuple[Sink, dict[str, int]]:
        """open -> write (masters, flush, events, flush) -> close(close_ok); returns the counts."""
        plan = self._plan(only, batch_size)
        route = plan.routes[0]
        sink = self.new_sink(plan)
        encoder = self.encoder(plan, sink)
        entities = {n: plan.specs[n] for n in plan.specs if n in route.entities}
        sink.open(SinkContext(plan.run, entities, plan.specs, route.label, sink.serializer))
        records = self.records()
        counts: dict[str, int] = {}
        try:
            for phase in ("masters", "events"):
                for name in plan.emitted_in(phase):
                    recs = records[name]
                    counts[name] = len(recs)
                    for i in range(0, len(recs), batch_size):
                        batch = encoder.encode_batch(0, plan.specs[name], recs[i : i + batch_size])
                        sink.write(pickle.loads(pickle.dumps(batch)))
                sink.flush()
        finally:
            sink.close(close_ok)
        return sink, counts
