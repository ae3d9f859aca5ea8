"""Testing kit for plugin authors, shipped as a pytest plugin (auto-loaded through ``pytest11``).

Fixtures:

* ``datagen_host``: a fresh plugin host holding only the kernel built-ins (no installed plugin);
* ``datagen_register(plugin)``: register a plugin module or object on that host for one test;
* ``datagen_cli(args)``: invoke the ``datagen`` command line against that host;
* ``datagen_venv``: a throwaway environment layered over the current one, to ``pip install``
  a plugin distribution and run ``datagen`` with it, leaving the current environment untouched.

Helpers: ``generate_records(host, ...)`` runs the real engine and returns the records of each
entity; ``SinkConformance`` is the conformance suite any sink runs by subclassing it::

    from datagen_kernel.testing import SinkConformance

    class TestCsvSink(SinkConformance):
        sink_name = "csv"
        options: ClassVar[dict[str, str]] = {"path": "{tmp_path}/{run}"}

        def read_back(self, config, entities):
            ...  # entity -> the items written, in order
"""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import sysconfig
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from click.testing import CliRunner, Result

from datagen_kernel.api.columnar import Batch, TextColumn, as_rows, column
from datagen_kernel.api.domain import DomainDefaults
from datagen_kernel.api.errors import DatagenError
from datagen_kernel.api.generation import BlockContext
from datagen_kernel.api.hookspecs import hookimpl
from datagen_kernel.api.records import Record
from datagen_kernel.api.registry import EntityRegister, GeneratorRegister
from datagen_kernel.api.schema import (
    Bool,
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    Float,
    ForeignKey,
    Int,
    Kind,
    Scope,
    String,
    Timestamp,
    Uuid,
)
from datagen_kernel.api.schema import Record as RecordType
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import EncodedBatch, Sink, SinkContext
from datagen_kernel.api.values import Values
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.blocks import BlockProcessor, new_sinks, open_serializers
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import Plan, RunParams, build_plan
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host
from datagen_kernel.engine.run import execute

# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def datagen_host() -> PluginHost:
    """A fresh plugin host holding only the kernel's built-ins (no installed plugin)."""
    return make_plugin_host(entrypoints=False)


@pytest.fixture
def datagen_register(datagen_host: PluginHost) -> Iterator[Callable[..., str]]:
    """``datagen_register(plugin)`` registers a plugin on ``datagen_host`` for this test."""
    names: list[str] = []

    def register(plugin: Any, name: str | None = None) -> str:
        registered = datagen_host.register(plugin, name)
        names.append(registered)
        return registered

    yield register
    for name in names:
        if datagen_host.pm.has_plugin(name):
            datagen_host.unregister(name)


@pytest.fixture
def datagen_cli(datagen_host: PluginHost) -> Callable[..., Result]:
    """``datagen_cli(["run", "--count", "10"])`` runs the CLI against ``datagen_host``."""

    def invoke(args: Sequence[str], **kwargs: Any) -> Result:
        cli = make_cli(lambda: datagen_host)
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)

    return invoke


# --- records through the real engine ---------------------------------------------------------


class _RecordsSerializer(Serializer):
    """The records themselves, pickled: what ``generate_records`` hands its memory sink."""

    name = "datagen-testing-records"
    doc = "Pickled records (testing kit)."
    per_record = False

    def encode(self, entity: EntitySpec, records: Sequence[Record], destination: str | None = None) -> Values:
        data = pickle.dumps([dict(r) for r in as_rows(records)], protocol=pickle.HIGHEST_PROTOCOL)
        return Values(data, np.array([len(data)], dtype=np.int64))


class _MemorySink(Sink):
    """Keeps raw records in memory; used by ``generate_records`` in place of the chosen sink."""

    name = "datagen-testing-memory"
    doc = "In-memory records (testing kit)."
    serializer_name = _RecordsSerializer.name
    serializers = (_RecordsSerializer.name,)
    message_keys = False
    phase_barrier = False

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.records: dict[str, list[Record]] = {}

    def open(self, context: SinkContext) -> None:
        self.records = {name: [] for name in context.entities}

    def write(self, batch: EncodedBatch) -> None:
        self.records[batch.entity].extend(pickle.loads(batch.payload.data))
        self.stats.ack(batch.entity, batch.count)


def generate_records(
    host: PluginHost,
    *,
    customers: int = 100,
    seed: int = 42,
    options: Mapping[str, Any] | None = None,
    scenario: str | None = None,
    transforms: Sequence[str] = (),
) -> dict[str, list[Record]]:
    """Run the engine (validation and transforms included) and return every entity's records.

    ``options`` maps ``"namespace.key"`` to a value, as ``-o`` would. Values are the
    in-memory representation (decimals as scaled ints, timestamps as epoch milliseconds).
    """
    flags = [f"{key}={value}" for key, value in (options or {}).items()]
    params = RunParams(root_count=customers, seed=seed, scenario=scenario, sinks=("null",),
                       transforms=tuple(transforms))
    plan = build_plan(host, params, ConfigSources.build(flags, environ={}))
    holder: list[_MemorySink] = []

    class _Capturing(_MemorySink):
        def open(self, context: SinkContext) -> None:
            super().open(context)
            holder.append(self)

    plan.routes[0].sink_cls = _Capturing
    plan.routes[0].serializer = _RecordsSerializer.name
    plan.serializers[_RecordsSerializer.name] = (_RecordsSerializer, {})
    summary = execute(host, plan)
    if not summary.ok:
        raise AssertionError(f"run failed: {summary.errors}")
    return holder[0].records


# --- an environment layered over the current one ---------------------------------------------


class PluginVenv:
    """A virtual environment that sees every package of the current one, plus what you install.

    Installing an in-house plugin here (``install(path)``) tests it the way users get it, through
    its entry point, without changing the environment the rest of the test suite runs in.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.python = root / "bin" / "python"
        self._installed: set[Path] = set()
        self._build_flags: list[str] | None = None
        if not self.python.exists():
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
            purelib = subprocess.run(
                [str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                check=True, capture_output=True, text=True,
            ).stdout.strip()
            parent = sysconfig.get_paths()["purelib"]
            Path(purelib, "zz_datagen_parent_env.pth").write_text(
                f"import site; site.addsitedir({parent!r})\n", encoding="utf-8"
            )

    def install(self, *paths: str | Path) -> None:
        """``pip install -e`` each distribution folder; runtime dependencies come from this environment.

        The build backend (setuptools>=64 with wheel) is used from the environments when present;
        otherwise it is installed once into this layered environment, so later installs need no
        index. Without an index either, pip builds in an isolated environment as usual.
        """
        todo = [Path(p).resolve() for p in paths if Path(p).resolve() not in self._installed]
        if not todo:
            return
        cmd = [*self._pip(), "install", "--quiet", *self._build()]
        for path in todo:
            cmd += ["-e", str(path)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"pip install failed for {todo}:\n{done.stdout}\n{done.stderr}")
        self._installed.update(todo)

    def _pip(self) -> list[str]:
        return [sys.executable, "-m", "pip", "--python", str(self.python), "--disable-pip-version-check"]

    def _build(self) -> list[str]:
        if self._build_flags is None:
            probe = ("import importlib.metadata as m; m.version('wheel'); "
                     "assert int(m.version('setuptools').split('.')[0]) >= 64")
            ready = subprocess.run([str(self.python), "-c", probe], capture_output=True).returncode == 0
            if not ready:
                fetched = subprocess.run([*self._pip(), "install", "--quiet", "setuptools>=64", "wheel"],
                                         capture_output=True, text=True)
                ready = fetched.returncode == 0
            self._build_flags = ["--no-index", "--no-build-isolation"] if ready else []
        return self._build_flags

    def run(self, *args: str, cwd: str | Path | None = None, env: Mapping[str, str] | None = None,
            check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run ``python ARGS`` in this environment (``DATAGEN_*`` variables only if given in ``env``)."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("DATAGEN_")}
        full_env.update(env or {})
        done = subprocess.run([str(self.python), *args], cwd=cwd, env=full_env, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise AssertionError(f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def datagen(self, *args: str, cwd: str | Path | None = None, env: Mapping[str, str] | None = None,
                check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run the ``datagen`` command line in this environment."""
        code = "import sys; from datagen_kernel.cli import main; main(sys.argv[1:])"
        return self.run("-c", code, *args, cwd=cwd, env=env, check=check)


@pytest.fixture(scope="session")
def datagen_venv(tmp_path_factory: pytest.TempPathFactory) -> PluginVenv:
    """A session-wide ``PluginVenv``: ``datagen_venv.install(path)``, ``datagen_venv.datagen(...)``."""
    return PluginVenv(tmp_path_factory.mktemp("datagen-venv") / "venv")


# --- the sink conformance suite --------------------------------------------------------------

_CONFORMANCE_OWNER = EntitySpec(
    name="conformance_owner",
    kind=Kind.MASTER,
    scope=Scope.ROOT,
    fields=(
        Field("owner_id", Uuid(), doc="Primary key."),
        Field("name", String(60), doc="Text with commas, quotes and accents."),
        Field("tier", Enum("GOLD", "SILVER", "BRONZE")),
        Field("balance", Decimal(15, 2)),
        Field("score", Int(minimum=0, maximum=1000)),
        Field("ratio", Float()),
        Field("active", Bool()),
        Field("born_on", Date()),
        Field("created_at", Timestamp()),
        Field("nickname", String(30), nullable=True),
        Field("address", RecordType("conformance_address", (Field("street", String(60)), Field("city", String(40))))),
    ),
    primary_key="owner_id",
    table="conformance_owners",
    doc="Sink conformance suite: one record per root index.",
)
_CONFORMANCE_EVENT = EntitySpec(
    name="conformance_event",
    kind=Kind.EVENT,
    fields=(
        Field("event_id", Uuid()),
        Field("owner_id", Uuid()),
        Field("amount", Decimal(15, 2)),
        Field("at", Timestamp()),
        Field("note", String(80), nullable=True),
    ),
    primary_key="event_id",
    foreign_keys=(ForeignKey("owner_id", "conformance_owner", "owner_id"),),
    topic="datagen.conformance-events",
    key_field="owner_id",
    doc="Sink conformance suite: 0..3 events per owner.",
)
_NAMES = ("Ana Souza", 'João "Jota" Silva', "Maria, da Penha", "Zoë Ç. Ñúñez", "O'Brien Lima")
_NOTES = ("pix recebido", "line one\nline two", "tab\tseparated", "semi;colon", "emoji ✓")


def _gen_owner(ctx: BlockContext) -> list[Record]:
    n = ctx.size
    ids = ctx.uuids(n)
    rng = ctx.rng("values")
    balances = rng.integers(-50_000, 10_000_000, n).tolist()
    scores = rng.integers(0, 1001, n).tolist()
    ratios = rng.random(n).round(6).tolist()
    born = rng.integers(0, 20_000, n).tolist()
    created = (ctx.run.as_of_ms - rng.integers(0, 86_400_000 * 365, n)).tolist()
    import datetime as dt

    out: list[Record] = []
    for k in range(n):
        index = ctx.start + k
        out.append({
            "owner_id": ids[k], "name": _NAMES[index % len(_NAMES)], "tier": ("GOLD", "SILVER", "BRONZE")[index % 3],
            "balance": balances[k], "score": scores[k], "ratio": ratios[k], "active": index % 2 == 0,
            "born_on": dt.date(1950, 1, 1) + dt.timedelta(days=born[k]), "created_at": created[k],
            "nickname": None if index % 4 == 0 else f"nick{index}",
            "address": {"street": f"Rua {index}, apto 1", "city": "São Paulo"},
        })
    return out


def _gen_event(ctx: BlockContext) -> Batch:
    """Columnar on purpose: every sink of the conformance suite also reads a ``Batch`` (with
    numpy and list columns, a fixed-width ``TextColumn`` and a padded one with nulls)."""
    ids: list[str] = []
    owners: list[str] = []
    amounts: list[int] = []
    ats: list[int] = []
    notes: list[str | None] = []
    for owner_id in column(ctx.records("conformance_owner"), "owner_id"):
        rng = ctx.stream("conformance_event", owner_id)
        k = int(rng.integers(0, 4))
        ids.extend(str(uuid.UUID(int=int(x), version=4)) for x in rng.integers(0, 2**62, k))
        owners.extend([owner_id] * k)
        drawn = rng.integers(1, 1_000_000, k).tolist()
        amounts.extend(drawn)
        ats.extend((ctx.run.as_of_ms - rng.integers(0, 86_400_000, k)).tolist())
        notes.extend(_NOTES[(a + i) % len(_NOTES)] if a % 5 else None for i, a in enumerate(drawn))
    event_ids = TextColumn(np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(len(ids), 36))
    return Batch({
        "event_id": event_ids, "owner_id": owners, "amount": np.array(amounts, dtype=np.int64),
        "at": np.array(ats, dtype=np.int64), "note": TextColumn.from_strings(notes),
    })


class ConformancePack:
    """The toy entities the conformance suite writes: every field type, awkward text, nulls.

    It counts its owners with ``--customers`` (besides ``--count``), as the kit does
    (``generate_records(customers=...)``): sink tests written for kernel 1 run it so. It
    declares no time zone: runs are in UTC.
    """

    entities = (_CONFORMANCE_OWNER, _CONFORMANCE_EVENT)
    domain = DomainDefaults(count_flag="customers")

    @hookimpl
    def datagen_register_entities(self, register: EntityRegister) -> None:
        for spec in self.entities:
            register(spec)
        register.domain(self.domain)

    @hookimpl
    def datagen_register_generators(self, register: GeneratorRegister) -> None:
        register("conformance_owner", _gen_owner)
        register("conformance_event", _gen_event)


_BAD_VALUES = {"int": "not-a-number", "float": "not-a-number", "bool": "maybe", "choice": "no-such-choice"}


def columnar_batch(spec: EntitySpec, rows: Sequence[Record]) -> Batch:
    """``rows`` as a ``Batch`` in the shape columnar generators use: ``int64`` /
    ``datetime64[D]`` arrays for ints, decimals, timestamps and dates (masked where the field
    is nullable), ``TextColumn`` for non-nullable text, lists for the rest. For testing that
    rules and encoders read both forms alike."""
    cols: dict[str, Any] = {}
    for f in spec.fields:
        values = [r[f.name] for r in rows]
        if isinstance(f.type, (Int, Decimal, Timestamp, Date)):
            kind: Any = "datetime64[D]" if isinstance(f.type, Date) else np.int64
            data = np.array([0 if v is None else v for v in values], dtype=kind)
            cols[f.name] = np.ma.MaskedArray(data, mask=[v is None for v in values]) if f.nullable else data
        elif not f.nullable and isinstance(f.type, (Uuid, Enum, String)):
            cols[f.name] = TextColumn.from_strings(values)
        else:
            cols[f.name] = values
    return Batch(cols)


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


__all__ = [
    "ConformancePack",
    "PluginVenv",
    "SinkConformance",
    "columnar_batch",
    "datagen_cli",
    "datagen_host",
    "datagen_register",
    "datagen_venv",
    "generate_records",
]
