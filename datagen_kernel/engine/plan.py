"""Planning a run: which entities, in which order, through which transforms, to which sinks.

Everything the user gave is checked here, before a record is generated: every problem is
collected and reported at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from datagen_kernel.api.errors import ConfigError, DatagenError, PluginError, UsageError
from datagen_kernel.api.generation import BlockContext, Generator, RunInfo
from datagen_kernel.api.options import Option
from datagen_kernel.api.records import Records
from datagen_kernel.api.registry import Registration
from datagen_kernel.api.rules import Rule
from datagen_kernel.api.scenarios import Scenario
from datagen_kernel.api.schema import EntitySpec, Kind, Scope, topological_order
from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import Sink
from datagen_kernel.api.transforms import Transform
from datagen_kernel.engine.config import ConfigSources, resolve
from datagen_kernel.engine.plugins import PluginHost

MAX_ROOT_COUNT = 1_000_000_000
KINDS = tuple(k.value for k in Kind)
PHASES = ("masters", "events")
"""Masters and references are complete in every sink before the first event is written."""

SINGLE_PASS = "all"
"""The phase name of a run whose sinks need no barrier: each block written once, whole."""


@dataclass(frozen=True)
class RunParams:
    """What the user asked for (after flags, file and defaults are merged)."""

    root_count: int = 1000
    seed: int = 42
    scenario: str | None = None
    sinks: Sequence[str] = ("json",)
    transforms: Sequence[str] = ()
    workers: int = 1
    batch_size: int = 10_000
    as_of: datetime | None = None
    """End of the generated history; None: the packs' default (``RunDefaults.as_of``)."""
    mode: str = "backfill"
    rate: float = 1000.0
    """Stream mode: events per second."""
    duration: float | None = None
    """Stream mode: seconds to stream (None: until SIGINT/SIGTERM)."""
    count_flag: str = "--count"
    """How the user gave ``root_count`` (``--count``, a pack's alias such as ``--customers``),
    for messages."""


@dataclass(frozen=True)
class Route:
    """``--sink NAME[:SELECTOR]``: which entities go to which sink."""

    text: str
    sink: str
    selector: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Route:
        name, _, sel = text.partition(":")
        selector = tuple(s.strip() for s in sel.split(",") if s.strip())
        if not name.strip() or (sel and not selector):
            raise UsageError(
                f"--sink {text!r} is malformed",
                hint="expected NAME or NAME:SELECTOR, e.g. --sink json or --sink postgres:master,reference",
            )
        return cls(text, name.strip(), selector)

    def matches(self, spec: EntitySpec) -> bool:
        return not self.selector or spec.name in self.selector or spec.kind.value in self.selector


@dataclass
class PlannedRoute:
    route: Route
    sink_cls: type[Sink]
    config: dict[str, Any]
    entities: list[str]
    label: str


@dataclass
class Plan:
    """A checked, resolved run: the engine (``run.py``) executes it."""

    params: RunParams
    run: RunInfo
    specs: dict[str, EntitySpec]
    """Every entity generated in this run (emitted or needed as a parent), in plan order."""
    generators: dict[str, Generator]
    rules: dict[str, list[Rule]]
    routes: list[PlannedRoute]
    serializers: dict[str, tuple[type[Serializer], dict[str, Any]]]
    transforms: list[tuple[Transform, dict[str, Any]]]
    emitted: dict[str, list[int]] = field(default_factory=dict)
    """Entity -> indexes into ``routes`` that receive it."""
    generated_specs: dict[str, EntitySpec] = field(default_factory=dict)
    """Specs as generators produce them, before transforms add fields (what validators check)."""

    @property
    def blocks(self) -> int:
        return math.ceil(self.params.root_count / BLOCK_SIZE)

    def block_range(self, block: int) -> tuple[int, int]:
        start = block * BLOCK_SIZE
        return start, min(start + BLOCK_SIZE, self.params.root_count)

    def global_entities(self) -> list[str]:
        return [n for n, s in self.specs.items() if s.scope == Scope.GLOBAL]

    def block_entities(self, phase: str) -> list[str]:
        """Entities generated per block in ``phase``: what is emitted and its ancestors."""
        wanted = {n for n in self.emitted_in(phase) if self.specs[n].scope != Scope.GLOBAL}
        needed = set(wanted)
        stack = list(wanted)
        while stack:
            for parent in self.specs[stack.pop()].parents():
                if parent not in needed:
                    needed.add(parent)
                    stack.append(parent)
        return [n for n in self.specs if n in needed and self.specs[n].scope != Scope.GLOBAL]

    def phase_of(self, entity: str) -> str:
        return "events" if self.specs[entity].kind == Kind.EVENT else "masters"

    def emitted_in(self, phase: str) -> list[str]:
        """What ``phase`` emits, in plan order (``SINGLE_PASS``: everything)."""
        return [n for n in self.specs if n in self.emitted and phase in (self.phase_of(n), SINGLE_PASS)]

    def generate_globals(self) -> dict[str, Records]:
        """Records of the global entities (generated once per run)."""
        out: dict[str, Records] = {}
        for name in self.global_entities():
            out[name] = self.generators[name](self.context(name, None, out))
        return out

    def generate_block(
        self, block: int, globals_: Mapping[str, Records] | None = None
    ) -> dict[str, Records]:
        """Every entity of the plan for one block, parents first, global entities included.

        Raw generator output: not validated, not transformed (tests and benchmarks use it).
        """
        records = dict(self.generate_globals() if globals_ is None else globals_)
        for name, spec in self.specs.items():
            if spec.scope != Scope.GLOBAL:
                records[name] = self.generators[name](self.context(name, block, records))
        return records

    def context(self, entity: str, block: int | None, records: Mapping[str, Records]) -> BlockContext:
        if block is None:
            return BlockContext(self.run, self.specs[entity], None, 0, 0, records)
        start, stop = self.block_range(block)
        return BlockContext(self.run, self.specs[entity], block, start, stop, records)


def build_plan(host: PluginHost, params: RunParams, sources: ConfigSources) -> Plan:
    """Check and resolve everything; raise one error listing every problem found."""
    reg = host.registry
    problems: list[str] = []

    if params.root_count < 0 or params.root_count > MAX_ROOT_COUNT:
        problems.append(
            f"{params.count_flag} {params.root_count} is out of range: expected 0..{MAX_ROOT_COUNT:,}"
        )
    if params.workers < 1 or params.workers > 256:
        problems.append(f"--workers {params.workers} is out of range: expected 1..256")
    if params.mode not in ("backfill", "stream"):
        problems.append(f"mode {params.mode!r} is unknown: expected backfill or stream")
    if params.mode == "stream":
        if not 0 < params.rate <= 10_000_000:
            problems.append(f"--rate {params.rate:g} is out of range: expected 0 < events per second <= 10,000,000")
        if params.duration is not None and params.duration <= 0:
            problems.append(f"--duration {params.duration:g} must be a positive number of seconds")
    if params.batch_size < 1 or params.batch_size > 10_000_000:
        problems.append(f"--batch-size {params.batch_size} is out of range: expected 1..10,000,000")

    specs_all = reg.entity_specs()
    defaults = reg.run_defaults()
    if not specs_all:
        raise UsageError("no entity pack is installed, so there is nothing to generate", hint=defaults.install_hint)

    scenario: Scenario | None = None
    if params.scenario:
        sreg = reg.scenarios.get(params.scenario)
        if sreg is None:
            known = ", ".join(sorted(reg.scenarios)) or "none installed"
            problems.append(f"unknown scenario {params.scenario!r}; available: {known}")
        else:
            scenario = sreg.value

    transforms: list[Registration[Transform]] = []
    wanted_transforms = list(scenario.transforms if scenario else ()) + list(params.transforms)
    for name in dict.fromkeys(wanted_transforms):
        treg = reg.transforms.get(name)
        if treg is None:
            known = ", ".join(sorted(reg.transforms)) or "none installed"
            problems.append(f"unknown transform {name!r}; available: {known}")
        else:
            transforms.append(treg)

    if scenario and scenario.extend_entities:
        specs_all = dict(scenario.extend_entities(dict(specs_all)))
    generated_specs = dict(specs_all)  # what generators produce (validated before transforms)
    for treg in transforms:
        t = treg.value
        if t.extend_entity:
            for name, spec in list(specs_all.items()):
                if t.entities is None or name in t.entities:
                    specs_all[name] = t.extend_entity(spec)

    # which entities this run may produce
    candidates = dict(specs_all)
    if scenario and scenario.entities is not None:
        unknown = [e for e in scenario.entities if e not in specs_all]
        if unknown:
            problems.append(f"scenario {scenario.name!r} needs entities {unknown}, which no installed pack provides")
        candidates = _with_ancestors(specs_all, [e for e in scenario.entities if e in specs_all])
    missing_gen = [n for n in candidates if n not in reg.generators]
    for name in missing_gen:
        owner = reg.entities[name].owner.label if name in reg.entities else "a scenario"
        problems.append(f"entity {name!r} (from {owner}) has no generator; install or register one")

    # routes
    routes: list[PlannedRoute] = []
    serializers: dict[str, tuple[type[Serializer], dict[str, Any]]] = {}
    emitted: dict[str, list[int]] = {}
    sink_names = list(params.sinks) or ["json"]
    for text in sink_names:
        try:
            route = Route.parse(text)
        except UsageError as exc:
            problems.append(str(exc))
            continue
        sreg_sink = reg.sinks.get(route.sink)
        if sreg_sink is None:
            known = ", ".join(sorted(reg.sinks)) or "none installed"
            problems.append(f"unknown sink {route.sink!r}; available: {known}")
            continue
        valid_selectors = set(KINDS) | set(candidates)
        bad = [s for s in route.selector if s not in valid_selectors]
        if bad:
            problems.append(
                f"--sink {text!r}: unknown selector(s) {bad}; expected kinds {', '.join(KINDS)} "
                f"or entities {', '.join(candidates)}"
            )
            continue
        sink_cls = sreg_sink.value
        config: dict[str, Any] = {}
        index = len(routes)
        matched = [n for n, s in candidates.items() if route.matches(s)]
        if not matched:
            problems.append(f"--sink {text!r} selects no entity of this run")
        routes.append(PlannedRoute(route, sink_cls, config, matched, route.sink))
        for n in matched:
            emitted.setdefault(n, []).append(index)
        ser = sink_cls.serializer_name
        if ser is not None and ser not in serializers:
            ser_reg = reg.serializers.get(ser)
            if ser_reg is None:
                problems.append(f"sink {route.sink!r} needs serializer {ser!r}, which no installed plugin provides")
            else:
                serializers[ser] = (ser_reg.value, {})
    for planned in routes:
        if sum(1 for r in routes if r.route.sink == planned.route.sink) > 1:
            planned.label = planned.route.text

    # every namespace's declared options, resolved once (a sink and its serializer may share one)
    declared: dict[str, list[Option]] = {}
    for planned in routes:
        declared.setdefault(planned.route.sink, list(planned.sink_cls.options))
    for ser_name, (ser_cls, _) in serializers.items():
        declared.setdefault(ser_name, []).extend(o for o in ser_cls.options if o not in declared.get(ser_name, []))
    for ns, group in reg.option_groups.items():
        declared.setdefault(ns, []).extend(group.options)
    if scenario or "scenario" in sources.flags or "scenario" in sources.file:
        if not scenario and not params.scenario:
            problems.append("scenario options were given but no --scenario")
        declared["scenario"] = list(scenario.options if scenario else ())
    for treg in transforms:
        declared.setdefault(treg.value.name, []).extend(treg.value.options)
    option_values: dict[str, dict[str, Any]] = {
        ns: resolve(ns, opts, sources, problems) for ns, opts in declared.items()
    }

    def subset(ns: str, opts: Sequence[Option]) -> dict[str, Any]:
        values = option_values.get(ns, {})
        return {o.name: values.get(o.name) for o in opts}

    for planned in routes:
        planned.config = subset(planned.route.sink, planned.sink_cls.options)
    for ser_name, (ser_cls, _) in list(serializers.items()):
        serializers[ser_name] = (ser_cls, subset(ser_name, ser_cls.options))
    planned_transforms = [(t.value, subset(t.value.name, t.value.options)) for t in transforms]

    known_ns = set(reg.sinks) | set(reg.serializers) | set(reg.option_groups) | set(reg.transforms) | {"scenario"}
    for origin, given in (("-o", sources.flags), ("config file", sources.file)):
        for ns in given:
            if ns not in known_ns:
                problems.append(
                    f"unknown option namespace {ns!r} (from {origin}); expected a sink, serializer, "
                    f"pack, transform or 'scenario': {', '.join(sorted(known_ns))}"
                )
            elif ns not in declared and ns in reg.sinks:
                problems.append(f"options for sink {ns!r} were given but --sink does not use it")

    if problems:
        raise ConfigError(problems)

    # generate what is emitted and every ancestor of it
    needed = _with_ancestors(candidates, list(emitted))
    try:
        order = [n for n in topological_order(needed)]
    except Exception as exc:
        raise PluginError(str(exc)) from exc
    specs = {n: needed[n] for n in order}
    # a subtree entity without parents (e.g. property) is generated per block without its root
    roots = [n for n, s in specs_all.items() if s.scope == Scope.ROOT]
    if not roots and any(s.scope == Scope.SUBTREE for s in specs.values()):
        raise PluginError("no installed pack registers a root entity (scope='root')")

    generators = {n: _wrapped(n, reg.generators[n], reg.wrappers.get(n, [])) for n in specs}
    rules: dict[str, list[Rule]] = {n: [] for n in specs}
    for rreg in reg.rules:
        rule = rreg.value
        for n in specs:
            if rule.entity in (n, "*"):
                rules[n].append(rule)

    run = RunInfo(
        seed=params.seed,
        root_count=params.root_count,
        as_of=defaults.as_of if params.as_of is None else params.as_of,
        scenario=params.scenario,
        mode=params.mode,
        options=option_values,
        timezone=defaults.timezone,
    )
    return Plan(params, run, specs, generators, rules, routes, serializers, planned_transforms, emitted,
                {n: generated_specs[n] for n in specs})


def _with_ancestors(specs: Mapping[str, EntitySpec], names: Sequence[str]) -> dict[str, EntitySpec]:
    keep: set[str] = set()
    stack = list(names)
    while stack:
        n = stack.pop()
        if n in keep or n not in specs:
            continue
        keep.add(n)
        stack.extend(specs[n].parents())
    return {n: s for n, s in specs.items() if n in keep}


def _wrapped(entity: str, base: Registration[Generator], wrappers: Sequence[Registration[Any]]) -> Generator:
    gen = _guard(entity, base.value, base.owner.label, "generator")
    for wreg in wrappers:
        gen = _guard(entity, _bind(wreg.value, gen), wreg.owner.label, "generator wrapper")
    return gen


def _bind(wrapper: Any, inner: Generator) -> Generator:
    def generate(ctx: BlockContext) -> Records:
        out: Records = wrapper(ctx, inner)
        return out

    return generate


def _guard(entity: str, fn: Generator, owner: str, what: str) -> Generator:
    """Name the plugin when its generator fails, instead of a bare traceback."""

    def generate(ctx: BlockContext) -> Records:
        try:
            return fn(ctx)
        except DatagenError:
            raise
        except Exception as exc:
            raise PluginError(
                f"the {what} of {entity!r} from {owner} failed in block {ctx.block}: {type(exc).__name__}: {exc}",
                hint="this is a bug in that plugin; rerun with --debug for the traceback and report it",
            ) from exc

    return generate
