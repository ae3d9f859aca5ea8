"""Planning a run: which entities, in which order, through which transforms, to which sinks.

Everything the user gave is checked here, before a record is generated: every problem is
collected and reported at once. ``build_plan`` reads as the list of its steps; the ``Plan`` it
makes (``engine.runplan``) is what the engine executes, and ``plan_from`` makes it again from
its ``PlanSource`` in another process or machine with the same plugins installed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from datagen_kernel.api.domain import RunDefaults
from datagen_kernel.api.errors import ConfigError, PluginError, UsageError
from datagen_kernel.api.executors import Executor
from datagen_kernel.api.generation import Generator, RunInfo
from datagen_kernel.api.options import Option
from datagen_kernel.api.registry import Registration, Registry
from datagen_kernel.api.rows import RowGenerator
from datagen_kernel.api.rules import Rule
from datagen_kernel.api.scenarios import Scenario
from datagen_kernel.api.schema import EntitySpec, Scope, topological_order
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import Sink
from datagen_kernel.api.transforms import Transform
from datagen_kernel.engine.config import ConfigSources, did_you_mean, resolve
from datagen_kernel.engine.generators import GuardedGenerator, WrappedGenerator
from datagen_kernel.engine.plugins import PluginHost
from datagen_kernel.engine.runplan import (
    DEFAULT_EXECUTOR,
    ENV_PREFIX,
    KINDS,
    MAX_ROOT_COUNT,
    MAX_SEED,
    MIN_ROOT_COUNT,
    PHASES,
    SERIALIZER_OPTION,
    SINGLE_PASS,
    Plan,
    PlannedRoute,
    PlanSource,
    Route,
    RunParams,
)

T = TypeVar("T")


def build_plan(host: PluginHost, params: RunParams, sources: ConfigSources) -> Plan:
    """Check and resolve everything; raise one error listing every problem found."""
    reg = host.registry
    problems: list[str] = []
    _check_params(params, problems)
    defaults = reg.run_defaults()
    if params.as_of is not None:
        _check_as_of(params.as_of, defaults, problems)
    if not reg.entity_specs():
        raise UsageError("no entity pack is installed, so there is nothing to generate", hint=defaults.install_hint)
    scenario = _scenario(reg, params, problems)
    transforms = _transforms(reg, scenario, params, problems)
    specs_all, generated_specs = _entity_specs(reg, scenario, transforms)
    candidates = _candidates(reg, specs_all, scenario, problems)
    routes, emitted = _routes(reg, params, candidates, problems)
    executor = _executor(reg, params, problems)
    option_values = _resolve_options(reg, routes, scenario, transforms, executor, params, sources, problems)
    serializers = _serializers(reg, routes, option_values, problems)
    _check_namespaces(reg, set(option_values), sources, problems)
    if not problems:  # the routes' options are resolved now
        _check_resumable(params, routes, transforms, problems)
    if problems:
        raise ConfigError(problems)

    specs = _generation_order(candidates, emitted, specs_all)
    run = RunInfo(
        seed=params.seed,
        root_count=params.root_count,
        as_of=defaults.as_of if params.as_of is None else params.as_of,
        scenario=params.scenario,
        mode=params.mode,
        options=option_values,
        timezone=defaults.timezone,
    )
    planned_transforms = [(t.value, _subset(option_values, t.value.name, t.value.options)) for t in transforms]
    executor_plan = None
    if executor is not None:
        executor_plan = (executor, _subset(option_values, executor.name, executor.options))
    # the environment travels with the plan only as far as options read it (DATAGEN_*)
    portable = dataclasses.replace(sources, environ={k: v for k, v in sources.environ.items()
                                                     if k.startswith(ENV_PREFIX)})
    return Plan(params, run, specs, _generators(reg, specs), _rules(reg, specs), routes, serializers,
                planned_transforms, emitted, {n: generated_specs[n] for n in specs}, executor_plan,
                PlanSource(host.spec, params, portable))


# -- the steps of build_plan ------------------------------------------------------------------


def _check_params(params: RunParams, problems: list[str]) -> None:
    if params.root_count < MIN_ROOT_COUNT or params.root_count > MAX_ROOT_COUNT:
        problems.append(
            f"{params.count_flag} {params.root_count} is out of range: expected {MIN_ROOT_COUNT}..{MAX_ROOT_COUNT:,}"
            + (" (a run generates at least one root record)" if params.root_count == 0 else "")
        )
    if not 0 <= params.seed <= MAX_SEED:
        problems.append(f"--seed {params.seed} is out of range: expected 0..{MAX_SEED} (2**64 - 1)")
    if params.workers < 1 or params.workers > 256:
        problems.append(f"--workers {params.workers} is out of range: expected 1..256")
    if params.mode not in ("backfill", "stream"):
        problems.append(f"mode {params.mode!r} is unknown: expected backfill or stream")
    if params.mode == "stream":
        if not 0 < params.rate <= 10_000_000:  # NaN fails every comparison
            problems.append(f"--rate {params.rate:g} is out of range: expected 0 < events per second <= 10,000,000")
        if params.duration is not None and not 0 < params.duration < math.inf:
            problems.append(f"--duration {params.duration:g} must be a positive, finite number of seconds")
        if params.stream_clock not in STREAM_CLOCKS:
            problems.append(f"--stream-clock {params.stream_clock!r} is unknown: expected {' or '.join(STREAM_CLOCKS)}")
    if params.batch_size < 1 or params.batch_size > 10_000_000:
        problems.append(f"--batch-size {params.batch_size} is out of range: expected 1..10,000,000")


STREAM_CLOCKS = ("now", "replay")
RESUMABLE_SINKS = "kafka and kafka-avro (preset exactly-once) and postgres"


def _check_resumable(params: RunParams, routes: Sequence[PlannedRoute],
                     transforms: Sequence[Registration[Transform]], problems: list[str]) -> None:
    """Problems of a resumable run: a stream, a sink that keeps no record of its blocks, or a
    transform that writes a file of its own (a resumed run would write only the blocks it runs)."""
    if not (params.resumable or params.resume):
        return
    flag = "--resume" if params.resume else "--resumable"
    if params.mode == "stream":
        problems.append(f"{flag} cannot be used with --stream: a stream has no blocks to resume")
        return
    for treg in transforms:
        if treg.value.output_files is not None:
            problems.append(f"{flag} cannot be used with transform {treg.value.name!r}: it writes a file of its own "
                            "(e.g. a manifest) that a resumed run would write for the blocks it runs only; run "
                            "without --resumable, or without the transform")
    for route in routes:
        problem = route.sink_cls(route.config).resume_problem()
        if problem is not None:
            problems.append(f"{flag}: --sink {route.route.text}: {problem} (resumable sinks: {RESUMABLE_SINKS})")


def _check_as_of(as_of: datetime, defaults: RunDefaults, problems: list[str]) -> None:
    try:
        problem = defaults.as_of_problem(as_of, as_of.isoformat())
    except OverflowError:  # at the ends of what datetime holds, with an offset
        first, last = defaults.as_of_range
        problem = (f"--as-of {as_of.isoformat()} is out of range: expected between "
                   f"{first.date().isoformat()} and {last.date().isoformat()}")
    if problem:
        problems.append(problem)


def _registered(table: Mapping[str, Registration[T]], kind: str, name: str, problems: list[str]) -> T | None:
    """What ``name`` is registered as, or None after reporting it unknown with what is available."""
    found = table.get(name)
    if found is None:
        known = ", ".join(sorted(table)) or "none installed"
        problems.append(f"unknown {kind} {name!r}{did_you_mean(name, table)}; available: {known}")
        return None
    return found.value


def _scenario(reg: Registry, params: RunParams, problems: list[str]) -> Scenario | None:
    return _registered(reg.scenarios, "scenario", params.scenario, problems) if params.scenario else None


def _transforms(reg: Registry, scenario: Scenario | None, params: RunParams,
                problems: list[str]) -> list[Registration[Transform]]:
    transforms: list[Registration[Transform]] = []
    wanted = list(scenario.transforms if scenario else ()) + list(params.transforms)
    for name in dict.fromkeys(wanted):
        if _registered(reg.transforms, "transform", name, problems) is not None:
            transforms.append(reg.transforms[name])
    return transforms


def _entity_specs(reg: Registry, scenario: Scenario | None, transforms: Sequence[Registration[Transform]]
                  ) -> tuple[dict[str, EntitySpec], dict[str, EntitySpec]]:
    """Every entity as the run writes it, and as generators produce it (before transforms)."""
    specs_all = reg.entity_specs()
    if scenario and scenario.extend_entities:
        specs_all = dict(scenario.extend_entities(dict(specs_all)))
    generated_specs = dict(specs_all)
    for treg in transforms:
        t = treg.value
        if t.extend_entity:
            for name, spec in list(specs_all.items()):
                if t.entities is None or name in t.entities:
                    specs_all[name] = t.extend_entity(spec)
    return specs_all, generated_specs


def _candidates(reg: Registry, specs_all: dict[str, EntitySpec], scenario: Scenario | None,
                problems: list[str]) -> dict[str, EntitySpec]:
    """The entities this run may produce (a scenario's, with their ancestors; else all)."""
    candidates = dict(specs_all)
    if scenario and scenario.entities is not None:
        unknown = [e for e in scenario.entities if e not in specs_all]
        if unknown:
            problems.append(f"scenario {scenario.name!r} needs entities {unknown}, which no installed pack provides")
        candidates = _with_ancestors(specs_all, [e for e in scenario.entities if e in specs_all])
    for name in candidates:
        if name not in reg.generators:
            owner = reg.entities[name].owner.label if name in reg.entities else "a scenario"
            problems.append(f"entity {name!r} (from {owner}) has no generator; install or register one")
    return candidates


def _routes(reg: Registry, params: RunParams, candidates: Mapping[str, EntitySpec],
            problems: list[str]) -> tuple[list[PlannedRoute], dict[str, list[int]]]:
    routes: list[PlannedRoute] = []
    emitted: dict[str, list[int]] = {}
    for text in list(params.sinks) or ["json"]:
        try:
            route = Route.parse(text)
        except UsageError as exc:
            problems.append(str(exc))
            continue
        sink_cls = _registered(reg.sinks, "sink", route.sink, problems)
        if sink_cls is None:
            continue
        bad = [s for s in route.selector if s not in set(KINDS) | set(candidates)]
        if bad:
            problems.append(
                f"--sink {text!r}: unknown selector(s) {bad}; expected kinds {', '.join(KINDS)} "
                f"or entities {', '.join(candidates)}"
            )
            continue
        matched = [n for n, s in candidates.items() if route.matches(s)]
        if not matched:
            problems.append(f"--sink {text!r} selects no entity of this run")
        twice = [n for n in matched if any(routes[i].route.sink == route.sink for i in emitted.get(n, []))]
        if twice:
            first = next(routes[i].route.text for i in emitted[twice[0]] if routes[i].route.sink == route.sink)
            problems.append(f"--sink {text!r} sends {', '.join(map(repr, twice[:3]))}"
                            f"{' and more' if len(twice) > 3 else ''} to sink {route.sink!r} again "
                            f"(--sink {first!r} already does): each entity goes to a sink once")
            continue
        for n in matched:
            emitted.setdefault(n, []).append(len(routes))
        routes.append(PlannedRoute(route, sink_cls, {}, matched, route.sink))
    for planned in routes:
        if sum(1 for r in routes if r.route.sink == planned.route.sink) > 1:
            planned.label = planned.route.text
    return routes, emitted


def _executor(reg: Registry, params: RunParams, problems: list[str]) -> type[Executor] | None:
    return _registered(reg.executors, "executor", params.executor, problems)


def sink_options(sink_cls: type[Sink]) -> list[Option]:
    """A sink's declared options plus ``serializer`` (unless it declares its own)."""
    options = list(sink_cls.options)
    caps = sink_cls.capabilities()
    if caps.serializers != () and all(o.name != SERIALIZER_OPTION for o in options):
        accepted = "any per-record serializer" if caps.serializers is None else ", ".join(caps.serializers)
        default = caps.default_serializer or "none"
        options.append(Option(SERIALIZER_OPTION, "str", None,
                              f"Serializer of this sink's values (default: {default}; accepts {accepted})."))
    return options


def _resolve_options(reg: Registry, routes: Sequence[PlannedRoute], scenario: Scenario | None,
                     transforms: Sequence[Registration[Transform]], executor: type[Executor] | None,
                     params: RunParams, sources: ConfigSources, problems: list[str]) -> dict[str, dict[str, Any]]:
    """Every namespace's declared options, resolved once (a sink and its serializer may share one)."""
    declared: dict[str, list[Option]] = {}
    for planned in routes:
        declared.setdefault(planned.route.sink, sink_options(planned.sink_cls))
    for ser_name in _serializer_names(reg, routes, sources):
        ser_cls = reg.serializers[ser_name].value
        ser_opts = declared.setdefault(ser_name, [])
        ser_opts.extend(o for o in ser_cls.options if o not in ser_opts)
    for ns, group in reg.option_groups.items():
        declared.setdefault(ns, []).extend(group.options)
    if scenario or "scenario" in sources.flags or "scenario" in sources.file:
        if not scenario and not params.scenario:
            problems.append("scenario options were given but no --scenario")
        declared["scenario"] = list(scenario.options if scenario else ())
    for treg in transforms:
        declared.setdefault(treg.value.name, []).extend(_scenario_defaults(scenario, treg.value, problems))
    if executor is not None:
        declared.setdefault(executor.name, []).extend(executor.options)
    values = {ns: resolve(ns, opts, sources, problems) for ns, opts in declared.items()}
    for planned in routes:
        planned.config = _subset(values, planned.route.sink, planned.sink_cls.options)
    return values


def _scenario_defaults(scenario: Scenario | None, transform: Transform, problems: list[str]) -> list[Option]:
    """``transform``'s options, with the defaults ``scenario`` sets for it (``transform_options``)."""
    given = dict((scenario.transform_options or {}).get(transform.name, {})) if scenario else {}
    options: list[Option] = []
    for opt in transform.options:
        if opt.name in given:
            try:
                opt = dataclasses.replace(opt, default=opt.convert(given.pop(opt.name)))
            except (ValueError, TypeError) as exc:
                assert scenario is not None
                problems.append(f"scenario {scenario.name!r} sets {transform.name}.{opt.name} "
                                f"to an invalid value: {exc}")
        options.append(opt)
    if given and scenario is not None:
        problems.append(f"scenario {scenario.name!r} sets unknown option(s) {sorted(given)} of transform "
                        f"{transform.name!r}; it accepts: {', '.join(o.name for o in transform.options) or 'none'}")
    return options


def _serializer_names(reg: Registry, routes: Sequence[PlannedRoute], sources: ConfigSources) -> list[str]:
    """Installed serializers the routes may use: each sink's default and any named by an option."""
    names: list[str] = []
    for planned in routes:
        ns = planned.route.sink
        named = sources.flags.get(ns, {}).get(SERIALIZER_OPTION) or sources.file.get(ns, {}).get(SERIALIZER_OPTION)
        for name in (planned.sink_cls.serializer_name, named, *(planned.sink_cls.serializers or ())):
            if isinstance(name, str) and name in reg.serializers and name not in names:
                names.append(name)
    return names


def _serializers(reg: Registry, routes: Sequence[PlannedRoute], values: Mapping[str, Mapping[str, Any]],
                 problems: list[str]) -> dict[str, tuple[type[Serializer], dict[str, Any]]]:
    """Each route's serializer: ``-o SINK.serializer=NAME``, else the sink's default."""
    serializers: dict[str, tuple[type[Serializer], dict[str, Any]]] = {}
    for planned in routes:
        sink_cls = planned.sink_cls
        caps = sink_cls.capabilities()
        chosen = values.get(planned.route.sink, {}).get(SERIALIZER_OPTION)
        name = chosen or sink_cls.default_serializer(planned.config)
        if name is None:
            continue
        ser_reg = reg.serializers.get(name)
        if ser_reg is None:
            known = ", ".join(sorted(reg.serializers)) or "none installed"
            what = f"option {planned.route.sink}.serializer={name!r}" if chosen else f"sink {planned.route.sink!r}"
            problems.append(f"{what} needs serializer {name!r}, which no installed plugin provides; "
                            f"available: {known}")
            continue
        ser_cls = ser_reg.value
        accepted = caps.serializers
        if (accepted is not None and name not in accepted) or (accepted is None and not ser_cls.per_record):
            allowed = "a per-record serializer" if accepted is None else ", ".join(accepted) or "none"
            problems.append(f"sink {planned.route.sink!r} cannot write serializer {name!r}: it accepts {allowed}")
            continue
        planned.serializer = name
        serializers.setdefault(name, (ser_cls, _subset(values, name, ser_cls.options)))
    return serializers


def _check_namespaces(reg: Registry, declared: set[str], sources: ConfigSources, problems: list[str]) -> None:
    known = (set(reg.sinks) | set(reg.serializers) | set(reg.option_groups) | set(reg.transforms)
             | set(reg.executors) | {"scenario"})
    for origin, given in (("-o", sources.flags), ("config file", sources.file)):
        for ns in given:
            if ns not in known:
                problems.append(
                    f"unknown option namespace {ns!r}{did_you_mean(ns, known)} (from {origin}); "
                    "expected a sink, serializer, "
                    f"pack, transform, executor or 'scenario': {', '.join(sorted(known))}"
                )
            elif ns not in declared and ns in reg.sinks:
                problems.append(f"options for sink {ns!r} were given but --sink does not use it")


def _generation_order(candidates: Mapping[str, EntitySpec], emitted: Mapping[str, list[int]],
                      specs_all: Mapping[str, EntitySpec]) -> dict[str, EntitySpec]:
    """What is emitted and every ancestor of it, parents first."""
    needed = _with_ancestors(candidates, list(emitted))
    try:
        order = topological_order(needed)
    except Exception as exc:
        raise PluginError(str(exc)) from exc
    specs = {n: needed[n] for n in order}
    # a subtree entity without parents (e.g. property) is generated per block without its root
    if not any(s.scope == Scope.ROOT for s in specs_all.values()) and any(
        s.scope == Scope.SUBTREE for s in specs.values()
    ):
        raise PluginError("no installed pack registers a root entity (scope='root')")
    return specs


def _generators(reg: Registry, specs: Mapping[str, EntitySpec]) -> dict[str, Generator]:
    out: dict[str, Generator] = {}
    for name in specs:
        base = reg.generators[name]
        if isinstance(base.value, RowGenerator):
            per = base.value.per
            problems = base.value.check(specs[name], specs.get(per) if per is not None else None)
            if problems:
                raise PluginError(f"{base.owner.label} cannot make {name!r} row by row: " + "; ".join(problems))
        gen: Generator = GuardedGenerator(name, base.value, base.owner.label, "generator")
        for wreg in reg.wrappers.get(name, []):
            gen = GuardedGenerator(name, WrappedGenerator(wreg.value, gen), wreg.owner.label, "generator wrapper")
        out[name] = gen
    return out


def _rules(reg: Registry, specs: Mapping[str, EntitySpec]) -> dict[str, list[Rule]]:
    rules: dict[str, list[Rule]] = {n: [] for n in specs}
    for rreg in reg.rules:
        for n in specs:
            if rreg.value.entity in (n, "*"):
                rules[n].append(rreg.value)
    return rules


def _subset(values: Mapping[str, Mapping[str, Any]], ns: str, opts: Sequence[Option]) -> dict[str, Any]:
    given = values.get(ns, {})
    return {o.name: given.get(o.name) for o in opts}


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


def plan_from(source: PlanSource) -> tuple[PluginHost, Plan]:
    """The plan ``source`` describes, made here from the plugins installed here."""
    host = source.host.build()
    return host, build_plan(host, source.params, source.sources)


__all__ = [
    "DEFAULT_EXECUTOR",
    "ENV_PREFIX",
    "KINDS",
    "MAX_ROOT_COUNT",
    "MAX_SEED",
    "MIN_ROOT_COUNT",
    "PHASES",
    "SERIALIZER_OPTION",
    "SINGLE_PASS",
    "GuardedGenerator",
    "Plan",
    "PlanSource",
    "PlannedRoute",
    "Route",
    "RunParams",
    "WrappedGenerator",
    "build_plan",
    "did_you_mean",
    "plan_from",
    "sink_options",
]
