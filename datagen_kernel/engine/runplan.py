"""What a run is once planned: its parameters, routes, entities and generators (``Plan``).

``engine.plan.build_plan`` makes a ``Plan`` from what the user gave; the engine executes it;
``PlanSource`` is the plain data it was made from, so that another process can make it again
(``engine.plan.plan_from``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from datagen_kernel.api.errors import UsageError
from datagen_kernel.api.executors import Executor
from datagen_kernel.api.generation import BlockContext, Generator, RunInfo
from datagen_kernel.api.records import Records
from datagen_kernel.api.rules import Rule
from datagen_kernel.api.schema import EntitySpec, Kind, Scope
from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import Sink
from datagen_kernel.api.transforms import Transform
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plugins import HostSpec

MIN_ROOT_COUNT = 1
MAX_ROOT_COUNT = 1_000_000_000
MAX_SEED = 2**64 - 1
"""Seeds are 64-bit: a larger one would give the data of another seed."""
KINDS = tuple(k.value for k in Kind)
PHASES = ("masters", "events")
"""Masters and references are complete in every sink before the first event is written."""

SINGLE_PASS = "all"
"""The phase name of a run whose sinks need no barrier: each block written once, whole."""

DEFAULT_EXECUTOR = "local"
ENV_PREFIX = "DATAGEN_"
SERIALIZER_OPTION = "serializer"
"""The option every sink namespace has: the serializer of its routes (``-o kafka.serializer=avro``)."""


@dataclass(frozen=True)
class RunParams:
    """What the user asked for (after flags, file and defaults are merged)."""

    root_count: int = 1000
    seed: int = 42
    scenario: str | None = None
    sinks: Sequence[str] = ("json",)
    transforms: Sequence[str] = ()
    workers: int = 1
    workers_given: bool = True
    """Whether the user gave ``workers`` (``--workers`` or the config file); False: ``workers`` is
    the default 1, and an executor may size itself (``Executor.workers_given``)."""
    batch_size: int = 10_000
    as_of: datetime | None = None
    """End of the generated history; None: the packs' default (``RunDefaults.as_of``)."""
    mode: str = "backfill"
    rate: float = 1000.0
    """Stream mode: events per second."""
    duration: float | None = None
    """Stream mode: seconds to stream (None: until SIGINT/SIGTERM)."""
    stream_clock: str = "now"
    """Stream mode: ``now`` stamps every event with the emission instant; ``replay`` keeps the
    generated instants (the stream replays the history once, in time order; see engine/stream.py)."""
    executor: str = DEFAULT_EXECUTOR
    """Who runs the blocks (``--executor``); ``workers`` is its degree of parallelism."""
    resumable: bool = False
    """Resumable mode (``--resumable``): every sink commits each block with a mark of it
    (``api.resume``), so that a failed or interrupted run can be resumed."""
    resume: bool = False
    """``--resume``: skip the blocks the sinks already committed for a run with the same
    parameters (implies ``resumable``)."""
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
        name, colon, sel = text.partition(":")
        selector = tuple(s.strip() for s in sel.split(",") if s.strip())
        if not name.strip() or (colon and not selector):
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
    serializer: str | None = None
    """The route's serializer (registered name), None for a sink that takes none."""


@dataclass(frozen=True)
class PlanSource:
    """The plain data a plan is built from: rebuild it anywhere the same plugins are installed."""

    host: HostSpec
    params: RunParams
    sources: ConfigSources


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
    """Serializers the routes use, by name: class and resolved options."""
    transforms: list[tuple[Transform, dict[str, Any]]]
    emitted: dict[str, list[int]] = field(default_factory=dict)
    """Entity -> indexes into ``routes`` that receive it."""
    generated_specs: dict[str, EntitySpec] = field(default_factory=dict)
    """Specs as generators produce them, before transforms add fields (what validators check)."""
    executor: tuple[type[Executor], dict[str, Any]] | None = None
    source: PlanSource | None = None

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
