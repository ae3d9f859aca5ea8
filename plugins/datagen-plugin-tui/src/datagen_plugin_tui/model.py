"""What the wizard edits (``RunForm``) and what the installed plugins offer (``Catalog``).

Nothing here knows a sink, scenario or entity by name: the catalog reads the kernel's registry,
and a form is checked by the code ``datagen run`` uses (``resolve`` for each option,
``build_plan`` for the whole run), so an error in the TUI is the error the command line gives.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from datagen_kernel.api.errors import ConfigError, DatagenError
from datagen_kernel.api.options import REDACTED, Option, env_name
from datagen_kernel.api.schema import EntitySpec
from datagen_kernel.engine.config import ConfigSources, resolve
from datagen_kernel.engine.plan import KINDS, SERIALIZER_OPTION, RunParams, build_plan, sink_options
from datagen_kernel.engine.plugins import PluginHost
from datagen_kernel.engine.runplan import DEFAULT_EXECUTOR, Plan

DEFAULT_COUNT = 1000
DEFAULT_SEED = 42
PROGRAM = "datagen"


@dataclass(frozen=True)
class Component:
    """One thing with options: a sink, serializer, scenario, transform, executor or pack."""

    kind: str
    name: str
    doc: str
    options: tuple[Option, ...]
    namespace: str

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass
class Catalog:
    """Everything the installed plugins registered that the wizard offers."""

    host: PluginHost
    count_flag: str
    count_key: str
    sinks: dict[str, Component] = field(default_factory=dict)
    serializers: dict[str, Component] = field(default_factory=dict)
    scenarios: dict[str, Component] = field(default_factory=dict)
    transforms: dict[str, Component] = field(default_factory=dict)
    executors: dict[str, Component] = field(default_factory=dict)
    packs: dict[str, Component] = field(default_factory=dict)
    entities: dict[str, EntitySpec] = field(default_factory=dict)
    scenario_transforms: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, host: PluginHost) -> Catalog:
        reg = host.registry
        defaults = reg.run_defaults()
        flag = defaults.count_flag or "count"
        cat = cls(host, f"--{flag}", defaults.count_key or "count")
        for name, sreg in sorted(reg.sinks.items()):
            cat.sinks[name] = Component("sink", name, sreg.value.doc, tuple(sink_options(sreg.value)), name)
        for name, zreg in sorted(reg.serializers.items()):
            cat.serializers[name] = Component("serializer", name, zreg.value.doc, tuple(zreg.value.options), name)
        for name, creg in sorted(reg.scenarios.items()):
            cat.scenarios[name] = Component("scenario", name, creg.value.doc, tuple(creg.value.options), "scenario")
            cat.scenario_transforms[name] = tuple(creg.value.transforms)
        for name, treg in sorted(reg.transforms.items()):
            cat.transforms[name] = Component("transform", name, treg.value.doc, tuple(treg.value.options), name)
        for name, ereg in sorted(reg.executors.items()):
            cat.executors[name] = Component("executor", name, ereg.value.doc, tuple(ereg.value.options), name)
        for name, group in sorted(reg.option_groups.items()):
            cat.packs[name] = Component("pack", name, group.doc, tuple(group.options), name)
        cat.entities = reg.entity_specs()
        return cat

    def selectors(self) -> list[str]:
        """What may follow ``--sink NAME:``: entity kinds, then entity names."""
        return [*KINDS, *self.entities]

    def serializers_for(self, sink: str) -> list[str]:
        """Installed serializers the sink accepts (its ``serializer`` option's choices)."""
        caps = self.host.registry.sinks[sink].value.capabilities()
        if caps.serializers is None:
            return [n for n, r in self.host.registry.serializers.items() if r.value.per_record]
        return [n for n in caps.serializers if n in self.serializers]


def _shown(value: Any) -> str:
    """An option value as the command line writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


@dataclass
class RunForm:
    """The wizard's state: raw text as typed, the way ``datagen run`` receives it."""

    count: str = str(DEFAULT_COUNT)
    seed: str = str(DEFAULT_SEED)
    scenario: str | None = None
    sinks: dict[str, str] = field(default_factory=dict)
    """Chosen sinks -> selector ("" = every entity)."""
    transforms: list[str] = field(default_factory=list)
    executor: str = DEFAULT_EXECUTOR
    workers: str = ""
    """"" = the executor's default."""
    stream: bool = False
    rate: str = ""
    duration: str = ""
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    """Values the user gave (namespace -> key -> raw text); absent = the declared default."""

    def set_option(self, namespace: str, key: str, raw: str | None) -> None:
        values = self.options.setdefault(namespace, {})
        if raw is None or raw == "":
            values.pop(key, None)
        else:
            values[key] = raw
        if not values:
            self.options.pop(namespace, None)

    # -- what the run uses -----------------------------------------------------------------

    def components(self, cat: Catalog) -> list[Component]:
        """Every component this run would configure, in the order the wizard shows them."""
        out: list[Component] = []
        if self.scenario and self.scenario in cat.scenarios:
            out.append(cat.scenarios[self.scenario])
        for sink in self.sinks:
            if sink not in cat.sinks:
                continue
            out.append(cat.sinks[sink])
            ser = self.serializer_of(cat, sink)
            if ser in cat.serializers and cat.serializers[ser].options and cat.serializers[ser] not in out:
                out.append(cat.serializers[ser])
        for name in self.all_transforms(cat):
            if name in cat.transforms:
                out.append(cat.transforms[name])
        if self.executor in cat.executors and cat.executors[self.executor].options:
            out.append(cat.executors[self.executor])
        out.extend(p for p in cat.packs.values() if p.options)
        return out

    def serializer_of(self, cat: Catalog, sink: str) -> str | None:
        chosen = self.options.get(sink, {}).get(SERIALIZER_OPTION)
        if chosen:
            return chosen
        return cat.host.registry.sinks[sink].value.default_serializer({})

    def all_transforms(self, cat: Catalog) -> list[str]:
        """The scenario's transforms, then the chosen ones."""
        from_scenario = cat.scenario_transforms.get(self.scenario or "", ())
        return list(dict.fromkeys([*from_scenario, *self.transforms]))

    def _given(self, cat: Catalog) -> list[tuple[Component, Option, str]]:
        """(component, option, raw) of every value the user gave to a component in use."""
        out: list[tuple[Component, Option, str]] = []
        seen: set[tuple[str, str]] = set()
        for comp in self.components(cat):
            given = self.options.get(comp.namespace, {})
            for opt in comp.options:
                if opt.name in given and (comp.namespace, opt.name) not in seen:
                    seen.add((comp.namespace, opt.name))
                    out.append((comp, opt, given[opt.name]))
        return out

    # -- the command line and the config file ------------------------------------------------

    def argv(self, cat: Catalog) -> list[str]:
        """``datagen run ...`` for this form; secret values are not in it (see ``secret_env``)."""
        args = [PROGRAM, "run", cat.count_flag, self.count.strip(), "--seed", self.seed.strip()]
        if self.scenario:
            args += ["--scenario", self.scenario]
        for sink, selector in self.sinks.items():
            args += ["--sink", f"{sink}:{selector}" if selector else sink]
        for name in self.transforms:
            args += ["--transform", name]
        if self.executor != DEFAULT_EXECUTOR:
            args += ["--executor", self.executor]
        if self.workers.strip():
            args += ["--workers", self.workers.strip()]
        if self.stream:
            args.append("--stream")
            if self.rate.strip():
                args += ["--rate", self.rate.strip()]
            if self.duration.strip():
                args += ["--duration", self.duration.strip()]
        for comp, opt, raw in self._given(cat):
            if not opt.secret:
                args += ["-o", f"{comp.namespace}.{opt.name}={raw}"]
        return args

    def secret_env(self, cat: Catalog) -> dict[str, str]:
        """Secret values travel in the environment (``DATAGEN_<NS>_<KEY>``), never on the command line."""
        return {env_name(comp.namespace, opt.name): raw for comp, opt, raw in self._given(cat) if opt.secret}

    def command_line(self, cat: Catalog) -> str:
        """The shell line to type (secrets shown masked, in their environment variables)."""
        env = [f"{name}={REDACTED}" for name in self.secret_env(cat)]
        return " ".join([*env, shlex.join(self.argv(cat))])

    def toml(self, cat: Catalog) -> str:
        """The same run as a ``--config`` file (``datagen run --config FILE``)."""
        run: dict[str, Any] = {cat.count_key: _typed_int(self.count), "seed": _typed_int(self.seed)}
        if self.scenario:
            run["scenario"] = self.scenario
        run["sinks"] = [f"{s}:{sel}" if sel else s for s, sel in self.sinks.items()]
        if self.transforms:
            run["transforms"] = list(self.transforms)
        if self.executor != DEFAULT_EXECUTOR:
            run["executor"] = self.executor
        if self.workers.strip():
            run["workers"] = _typed_int(self.workers)
        if self.stream:
            run["mode"] = "stream"
            if self.rate.strip():
                run["rate"] = _typed_float(self.rate)
            if self.duration.strip():
                run["duration"] = _typed_float(self.duration)
        lines = ["[run]", *(f"{k} = {_toml_value(v)}" for k, v in run.items())]
        tables: dict[str, list[str]] = {}
        for comp, opt, raw in self._given(cat):
            header = _table(comp)
            rows = tables.setdefault(header, [])
            if opt.secret:
                rows.append(f"# {opt.name}: set {env_name(comp.namespace, opt.name)} in the environment")
                continue
            if comp.kind == "executor":
                rows.append(f"# -o {comp.namespace}.{opt.name}={raw}")
                continue
            try:
                value = opt.convert(raw)
            except (TypeError, ValueError):
                value = raw
            rows.append(f"{opt.name} = {_toml_value(value)}")
        for header, rows in tables.items():
            lines += ["", header, *rows]
        return "\n".join(lines) + "\n"

    # -- checking it as the CLI does ----------------------------------------------------------

    def params(self, cat: Catalog, *, root_count: int | None = None, sinks: Sequence[str] | None = None) -> RunParams:
        """The ``RunParams`` ``datagen run`` makes from the same flags (raise ``ValueError`` on text
        that is not a number)."""
        workers = self.workers.strip()
        return RunParams(
            root_count=int(self.count) if root_count is None else root_count,
            count_flag=cat.count_flag,
            seed=int(self.seed),
            scenario=self.scenario,
            sinks=tuple(sinks) if sinks is not None else tuple(
                f"{s}:{sel}" if sel else s for s, sel in self.sinks.items()),
            transforms=tuple(self.transforms),
            workers=int(workers) if workers else 1,
            workers_given=bool(workers),
            executor=self.executor,
            mode="stream" if self.stream else "backfill",
            rate=float(self.rate) if self.rate.strip() else 1000.0,
            duration=float(self.duration) if self.duration.strip() else None,
        )

    def sources(self, cat: Catalog, namespaces: Sequence[str] | None = None,
                environ: Mapping[str, str] | None = None) -> ConfigSources:
        flags = [f"{c.namespace}.{o.name}={raw}" for c, o, raw in self._given(cat)
                 if namespaces is None or c.namespace in namespaces]
        env = dict(os.environ if environ is None else environ)
        env.update(self.secret_env(cat))
        return ConfigSources.build(flags, environ=env)

    def check(self, cat: Catalog, environ: Mapping[str, str] | None = None) -> Check:
        """Every problem, each beside its field when it names one, and the plan when there is none."""
        result = Check()
        for name, text, kind in (("count", self.count, int), ("seed", self.seed, int),
                                 ("workers", self.workers, int), ("rate", self.rate, float),
                                 ("duration", self.duration, float)):
            if name in ("workers", "rate", "duration") and not text.strip():
                continue
            try:
                kind(text)
            except ValueError:
                result.fields[name] = f"expected {'an integer' if kind is int else 'a number'}"
        if not self.sinks:
            result.general.append("choose at least one sink")
        env = dict(os.environ if environ is None else environ)
        for comp, opt, raw in self._given(cat):
            problems: list[str] = []
            resolve(comp.namespace, [opt], ConfigSources(flags={comp.namespace: {opt.name: raw}}, environ={}),
                    problems)
            if problems:
                result.fields[f"{comp.namespace}.{opt.name}"] = problems[0]
        if result.fields or result.general:
            return result
        try:
            result.plan = build_plan(cat.host, self.params(cat), self.sources(cat, environ=env))
        except ConfigError as exc:
            for problem in exc.problems:
                where = _OPTION_IN_PROBLEM.search(problem)
                key = where.group(1) if where else None
                if key and key not in result.fields:
                    result.fields[key] = problem
                elif problem.startswith(tuple(f"{f} " for f in (cat.count_flag, "--workers"))):
                    result.fields["count" if problem.startswith(cat.count_flag) else "workers"] = problem
                else:
                    result.general.append(problem)
        except DatagenError as exc:
            result.general.append(str(exc))
        return result


_OPTION_IN_PROBLEM = re.compile(r"option ([\w-]+\.[\w-]+)")


@dataclass
class Check:
    """The outcome of ``RunForm.check``: problems by field (``count``, ``NS.KEY``...) and the rest."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    plan: Plan | None = None

    @property
    def ok(self) -> bool:
        return not self.fields and not self.general and self.plan is not None


def _table(comp: Component) -> str:
    group = {"sink": "sinks", "serializer": "serializers", "transform": "transforms", "pack": "packs"}
    if comp.kind == "scenario":
        return "[scenario]"
    if comp.kind == "executor":
        return f"# executor {comp.namespace}: its options are given on the command line"
    return f"[{group[comp.kind]}.{comp.namespace}]"


def _typed_int(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def _typed_float(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def shown_default(opt: Option) -> str:
    """The declared default as the command line would write it ("" when there is none)."""
    try:
        return _shown(opt.default_value())
    except Exception:  # a default reading something unavailable: show nothing
        return ""
