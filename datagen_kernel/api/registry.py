"""What plugins registered, and who registered it.

The ``register`` callables handed to the ``datagen_register_*`` hooks write here. A name
registered twice is an error naming both plugins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Generic, TypeVar

from datagen_kernel.api.domain import DEFAULT_AS_OF, DomainDefaults, RunDefaults, timezone_name
from datagen_kernel.api.errors import PluginError
from datagen_kernel.api.executors import Executor
from datagen_kernel.api.generation import Generator, GeneratorWrapper
from datagen_kernel.api.options import Option
from datagen_kernel.api.rows import DEFAULT_LOCALE, Count, FillRow, MakeRow, RowFiller, RowGenerator
from datagen_kernel.api.rules import Rule
from datagen_kernel.api.scenarios import Scenario
from datagen_kernel.api.schema import EntitySpec, Field
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import Sink
from datagen_kernel.api.transforms import Transform

T = TypeVar("T")


@dataclass(frozen=True)
class PluginInfo:
    """A plugin as ``datagen plugins`` shows it."""

    name: str
    distribution: str
    version: str
    builtin: bool = False
    error: str | None = None
    disabled: bool = False
    """Listed in ``DATAGEN_DISABLE_PLUGINS``: installed but not loaded."""

    @property
    def label(self) -> str:
        return f"plugin {self.name!r} ({self.distribution} {self.version})"


@dataclass(frozen=True)
class Registration(Generic[T]):
    """A registered thing and the plugin that registered it."""

    value: T
    owner: PluginInfo


@dataclass
class OptionGroup:
    namespace: str
    options: Sequence[Option]
    owner: PluginInfo
    doc: str = ""


@dataclass
class Registry:
    """Everything the installed plugins registered."""

    entities: dict[str, Registration[EntitySpec]] = field(default_factory=dict)
    extensions: list[tuple[str, tuple[Field, ...], PluginInfo]] = field(default_factory=list)
    option_groups: dict[str, OptionGroup] = field(default_factory=dict)
    generators: dict[str, Registration[Generator]] = field(default_factory=dict)
    wrappers: dict[str, list[Registration[GeneratorWrapper]]] = field(default_factory=dict)
    rules: list[Registration[Rule]] = field(default_factory=list)
    serializers: dict[str, Registration[type[Serializer]]] = field(default_factory=dict)
    sinks: dict[str, Registration[type[Sink]]] = field(default_factory=dict)
    scenarios: dict[str, Registration[Scenario]] = field(default_factory=dict)
    transforms: dict[str, Registration[Transform]] = field(default_factory=dict)
    executors: dict[str, Registration[type[Executor]]] = field(default_factory=dict)
    domain: list[Registration[DomainDefaults]] = field(default_factory=list)

    def provided_by(self, owner: PluginInfo) -> dict[str, list[str]]:
        """Names each kind of thing ``owner`` registered (for ``datagen plugins``)."""
        out: dict[str, list[str]] = {}

        def add(kind: str, names: list[str]) -> None:
            if names:
                out[kind] = sorted(names)

        add("entities", [n for n, r in self.entities.items() if r.owner == owner])
        add("extends", [f"{e}.{f.name}" for e, fs, o in self.extensions if o == owner for f in fs])
        add("generators", [n for n, r in self.generators.items() if r.owner == owner])
        add("wraps", [n for n, rs in self.wrappers.items() for r in rs if r.owner == owner])
        add("validators", [f"{r.value.entity}:{r.value.name}" for r in self.rules if r.owner == owner])
        add("serializers", [n for n, r in self.serializers.items() if r.owner == owner])
        add("sinks", [n for n, r in self.sinks.items() if r.owner == owner])
        add("scenarios", [n for n, r in self.scenarios.items() if r.owner == owner])
        add("transforms", [n for n, r in self.transforms.items() if r.owner == owner])
        add("executors", [n for n, r in self.executors.items() if r.owner == owner])
        add("options", [n for n, g in self.option_groups.items() if g.owner == owner])
        add("defaults", [text for r in self.domain if r.owner == owner for text in _describe(r.value)])
        return out

    def run_defaults(self) -> RunDefaults:
        """The packs' domain declarations merged; the kernel's neutral values where none declares."""
        declared: dict[str, Registration[DomainDefaults]] = {}
        hints: list[str] = []
        for reg in self.domain:
            for name in ("count_flag", "timezone", "as_of"):
                if getattr(reg.value, name) is not None:
                    declared.setdefault(name, reg)
            if reg.value.install_hint and reg.value.install_hint not in hints:
                hints.append(reg.value.install_hint)
        defaults = RunDefaults()
        if "timezone" in declared:
            tz = declared["timezone"].value.timezone
            assert tz is not None
            # 2026-01-01 at midnight where the pack lives, unless it says otherwise
            defaults = RunDefaults(timezone=tz, as_of=DEFAULT_AS_OF.replace(tzinfo=tz))
        if "as_of" in declared:
            as_of = declared["as_of"].value.as_of
            assert as_of is not None
            defaults = replace(defaults, as_of=as_of)
        if "count_flag" in declared:
            reg = declared["count_flag"]
            defaults = replace(defaults, count_flag=reg.value.count_flag, count_flag_owner=reg.owner.distribution)
        if hints:
            defaults = replace(defaults, install_hint="; ".join(hints))
        for reg in self.domain:  # every pack's range narrows the accepted as-of instants
            if reg.value.as_of_range is not None:
                first, last = defaults.as_of_range
                mine = reg.value.as_of_range
                if mine[0] > first or mine[1] < last:
                    defaults = replace(defaults, as_of_range=(max(first, mine[0]), min(last, mine[1])),
                                       as_of_range_owner=reg.owner.distribution)
        return defaults

    def entity_specs(self) -> dict[str, EntitySpec]:
        """Registered entities with every plugin's extensions applied."""
        specs = {name: reg.value for name, reg in self.entities.items()}
        for entity, fields, owner in self.extensions:
            if entity not in specs:
                raise PluginError(
                    f"{owner.label} extends entity {entity!r}, which no installed plugin registers",
                    hint=f"install the pack that provides {entity!r}",
                )
            try:
                specs[entity] = specs[entity].with_fields(*fields)
            except Exception as exc:
                raise PluginError(f"{owner.label} cannot extend {entity!r}: {exc}") from exc
        return specs


def _unique(kind: str, table: dict[str, Registration[T]], name: str, value: T, owner: PluginInfo) -> None:
    if not name:
        raise PluginError(f"{owner.label} registered a {kind} without a name")
    if name in table:
        other = table[name].owner
        raise PluginError(
            f"{kind} {name!r} is registered by two plugins: {other.label} and {owner.label}",
            hint="uninstall one of them, or block one with DATAGEN_DISABLE_PLUGINS=NAME",
        )
    table[name] = Registration(value, owner)


class _Register:
    def __init__(self, registry: Registry, owner: PluginInfo) -> None:
        self._registry = registry
        self.owner = owner


class EntityRegister(_Register):
    """``register(spec)``; ``register.rows(spec, make, per=..., count=...)``;
    ``register.extend(entity, *fields)``; ``register.options(ns, opts)``;
    ``register.domain(DomainDefaults(...))``."""

    def __call__(self, spec: EntitySpec) -> None:
        if not isinstance(spec, EntitySpec):
            raise PluginError(f"{self.owner.label} registered {spec!r}, expected an EntitySpec")
        _unique("entity", self._registry.entities, spec.name, spec, self.owner)

    def rows(self, spec: EntitySpec, make: MakeRow, *, per: str | None = None, count: Count = 1,
             locale: str = DEFAULT_LOCALE) -> None:
        """Register ``spec`` and make its records one at a time with ``make(parent, row) -> dict``.

        ``per``: the parent entity (any installed pack's), one call of ``count`` per parent
        record; without it, one record per root (``scope=Scope.ROOT``) or ``count`` records
        once per run (``scope=Scope.GLOBAL``). ``count``: a number, an inclusive ``(low,
        high)`` range, or ``count(parent, row) -> int``. ``locale``: ``row.fake``'s locale.
        The kernel fills a UUID primary key, the foreign keys to the parent and nullable
        fields ``make`` leaves out (see ``datagen_kernel.api.rows``).
        """
        self(spec)
        rows = RowGenerator(make, per=per, count=count, locale=locale)
        problems = rows.check(spec)
        if problems:
            raise PluginError(f"{self.owner.label} cannot make {spec.name!r} row by row: " + "; ".join(problems))
        generator: Generator = rows
        _unique("generator", self._registry.generators, spec.name, generator, self.owner)

    def extend(self, entity: str, *fields: Field, fill: FillRow | None = None, locale: str = DEFAULT_LOCALE) -> None:
        """Append ``fields`` to another plugin's entity.

        With ``fill(record, row) -> {field: value}`` the kernel fills them: the entity's own
        generator runs, then ``fill`` gets each record and a ``Row`` (seeded for these fields,
        so the entity's other values do not change). Without it, fill them in a generator
        wrapper (``register.wrap`` in ``datagen_register_generators``).
        """
        self._registry.extensions.append((entity, tuple(fields), self.owner))
        if fill is not None:
            if not callable(fill):
                raise PluginError(f"{self.owner.label} extends {entity!r} with fill={fill!r}, not a function")
            filler: GeneratorWrapper = RowFiller(fill, [f.name for f in fields], locale)
            self._registry.wrappers.setdefault(entity, []).append(Registration(filler, self.owner))

    def options(self, namespace: str, options: Sequence[Option], doc: str = "") -> None:
        groups = self._registry.option_groups
        if namespace in groups:
            other = groups[namespace].owner
            raise PluginError(
                f"option namespace {namespace!r} is declared by two plugins: {other.label} and {self.owner.label}"
            )
        groups[namespace] = OptionGroup(namespace, tuple(options), self.owner, doc)

    def domain(self, defaults: DomainDefaults) -> None:
        """Declare the pack's domain defaults (see ``DomainDefaults``)."""
        if not isinstance(defaults, DomainDefaults):
            raise PluginError(f"{self.owner.label} declared {defaults!r}, expected a DomainDefaults")
        problems = defaults.problems()
        if problems:
            raise PluginError(f"{self.owner.label} declares invalid domain defaults: " + "; ".join(problems))
        for other in self._registry.domain:
            for name in ("count_flag", "timezone", "as_of"):
                mine, theirs = getattr(defaults, name), getattr(other.value, name)
                if mine is not None and theirs is not None and not _same(mine, theirs):
                    raise PluginError(
                        f"domain default {name} is declared differently by two plugins: "
                        f"{other.owner.label} says {_show(theirs)}, {self.owner.label} says {_show(mine)}",
                        hint="uninstall one of them, or block one with DATAGEN_DISABLE_PLUGINS=NAME",
                    )
        self._registry.domain.append(Registration(defaults, self.owner))


def _same(a: object, b: object) -> bool:
    """Equal declarations; time zones (and the as-of instants' zones) must agree on the name too."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a == b and _same(a.tzinfo, b.tzinfo)
    if isinstance(a, tzinfo) and isinstance(b, tzinfo):
        return a == b and timezone_name(a) == timezone_name(b)
    return a == b


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tzinfo):
        name = timezone_name(value)
        fixed = value.utcoffset(None) is not None
        return f"{name} ({datetime(2000, 1, 1, tzinfo=value).isoformat()[-6:]})" if fixed else name
    return repr(value)


def _describe(defaults: DomainDefaults) -> list[str]:
    """One short text per declared field (``datagen plugins``)."""
    out: list[str] = []
    if defaults.count_flag is not None:
        out.append(f"--{defaults.count_flag}")
    if defaults.timezone is not None:
        out.append(f"timezone {_show(defaults.timezone)}")
    if defaults.as_of is not None:
        out.append(f"as_of {defaults.as_of.isoformat()}")
    if defaults.install_hint is not None:
        out.append("install hint")
    return out


class GeneratorRegister(_Register):
    """``register(entity, generator)``; ``register.wrap(entity, wrapper)``."""

    def __call__(self, entity: str, generator: Generator) -> None:
        _unique("generator", self._registry.generators, entity, generator, self.owner)

    def rows(self, entity: str, make: MakeRow, *, per: str | None = None, count: Count = 1,
             locale: str = DEFAULT_LOCALE) -> None:
        """The generator of an entity registered elsewhere, one record at a time (as
        ``EntityRegister.rows``, checked against the entity when the run is planned)."""
        generator: Generator = RowGenerator(make, per=per, count=count, locale=locale)
        _unique("generator", self._registry.generators, entity, generator, self.owner)

    def wrap(self, entity: str, wrapper: GeneratorWrapper) -> None:
        self._registry.wrappers.setdefault(entity, []).append(Registration(wrapper, self.owner))


class ValidatorRegister(_Register):
    """``register(Rule(...))``."""

    def __call__(self, rule: Rule) -> None:
        self._registry.rules.append(Registration(rule, self.owner))


class SerializerRegister(_Register):
    """``register(SerializerClass)``."""

    def __call__(self, serializer: type[Serializer]) -> None:
        _unique("serializer", self._registry.serializers, serializer.name, serializer, self.owner)


class SinkRegister(_Register):
    """``register(SinkClass)``."""

    def __call__(self, sink: type[Sink]) -> None:
        _unique("sink", self._registry.sinks, sink.name, sink, self.owner)


class ScenarioRegister(_Register):
    """``register(Scenario(...))``."""

    def __call__(self, scenario: Scenario) -> None:
        _unique("scenario", self._registry.scenarios, scenario.name, scenario, self.owner)


class TransformRegister(_Register):
    """``register(Transform(...))``."""

    def __call__(self, transform: Transform) -> None:
        _unique("transform", self._registry.transforms, transform.name, transform, self.owner)


class ExecutorRegister(_Register):
    """``register(ExecutorClass)``."""

    def __call__(self, executor: type[Executor]) -> None:
        _unique("executor", self._registry.executors, executor.name, executor, self.owner)
