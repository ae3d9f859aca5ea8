"""One block, start to finish: generate, normalise, validate, transform, serialize per route.

``BlockProcessor`` is the engine's ``Work`` (see ``datagen_kernel.api.executors``): the
executors call ``process(phase, block)`` wherever they run it. It is pure given the plan:
the same block gives the same bytes in any process, in any order. ``BlockWorkSpec`` rebuilds
it from plain data in a process that did not fork from the engine.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from datagen_kernel.api.columnar import Batch, column
from datagen_kernel.api.errors import PluginError, ValidationFailed
from datagen_kernel.api.executors import AppendStream, BlockResult
from datagen_kernel.api.records import Records
from datagen_kernel.api.resume import ResumeContext
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.api.schema import EntitySpec, Scope
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import EncodedBatch, Sink, SinkContext, legacy_overrides
from datagen_kernel.api.transforms import Edited, TransformContext
from datagen_kernel.api.values import Values
from datagen_kernel.codecs.normalise import normalise
from datagen_kernel.engine.plan import SINGLE_PASS, Plan, PlanSource, plan_from
from datagen_kernel.engine.stream import time_ordered as by_time
from datagen_kernel.engine.transforms import LabelTable, PayloadStage, apply_record_stage, selects
from datagen_kernel.engine.validation import run_rules

BlockOutput = list[tuple[int, EncodedBatch]]


def new_sinks(plan: Plan) -> list[Sink]:
    """One (unopened) sink per route, configured; kernel 1 sinks are announced once."""
    sinks = []
    for route in plan.routes:
        legacy = legacy_overrides(route.sink_cls)
        if legacy:
            warnings.warn(
                f"sink {route.route.sink!r} ({route.sink_cls.__module__}.{route.sink_cls.__qualname__}) overrides "
                f"{', '.join(f'Sink.{m}' for m in legacy)}, kernel 1's sink contract: it still works, but "
                "encoding is now the serializer's job (Serializer.encode) and per-record attributes go in "
                "Sink.headers; see 'Migrating from kernel 1' in docs/plugins.md",
                DeprecationWarning,
                stacklevel=2,
            )
        sink = route.sink_cls(route.config)
        sink.run = plan.run
        sinks.append(sink)
    return sinks


def open_serializers(plan: Plan, sinks: Sequence[Sink], *, prepare: bool = True
                     ) -> tuple[list[Serializer | None], list[Serializer]]:
    """Each route's serializer, opened and (unless ``prepare`` is False) prepared for every
    destination it writes (``prepare_serializers``).

    One instance per serializer name, shared by the routes that use it; each route's sink gets
    its ``serializer``. Returns (per route, every instance).
    """
    instances: dict[str, Serializer] = {}
    emitted = [plan.specs[n] for n in plan.specs if n in plan.emitted]
    for name, (cls, config) in plan.serializers.items():
        ser = cls(config)
        ser.timezone = plan.run.timezone
        ser.open(emitted)
        instances[name] = ser
    per_route: list[Serializer | None] = []
    for route, sink in zip(plan.routes, sinks, strict=True):
        chosen = instances.get(route.serializer) if route.serializer else None
        sink.serializer = chosen
        per_route.append(chosen)
    if prepare:
        prepare_serializers(plan, sinks, per_route)
    return per_route, list(instances.values())


def sink_context(plan: Plan, index: int, serializer: Serializer | None, task: int = 0, tasks: int = 1,
                 role: str = "single", run_id: str = "", resume: ResumeContext | None = None) -> SinkContext:
    """What route ``index``'s sink task ``task`` (of ``tasks``) is opened with."""
    route = plan.routes[index]
    entities = {n: plan.specs[n] for n in plan.specs if n in route.entities}
    return SinkContext(plan.run, entities, plan.specs, route.label, serializer, task, tasks, role, run_id, resume)


def prepare_serializers(plan: Plan, sinks: Sequence[Sink], serializers: Sequence[Serializer | None]) -> None:
    """``Serializer.prepare`` for every routed entity and its destination (e.g. register its schema).

    Runs in the process that starts the run, before any block is generated: a registry that
    refuses a schema stops the run here.
    """
    for route, sink, ser in zip(plan.routes, sinks, serializers, strict=True):
        if ser is not None:
            for name in route.entities:
                if name in plan.specs:
                    ser.prepare(plan.specs[name], sink.destination(plan.specs[name]))


class BlockProcessor:
    """Generates, normalises, validates, transforms and encodes one block; pure given the plan."""

    def __init__(self, plan: Plan, sinks: Sequence[Sink], serializers: Sequence[Serializer | None],
                 globals_: dict[str, Records]) -> None:
        self.plan = plan
        self.sinks = list(sinks)
        self.serializers = list(serializers)
        self.globals = globals_
        self._legacy = [type(s).encode is not Sink.encode for s in self.sinks]  # kernel 1 sinks
        self._destinations: dict[tuple[int, str], str] = {}
        self.run_id = uuid.uuid4().hex
        """Unique to the run, the same in every process (``SinkContext.run_id``)."""
        self.resume: ResumeContext | None = None
        """A resumable run's context for the sink tasks (``SinkContext.resume``)."""
        self.done: dict[tuple[str, int | None], frozenset[int]] = {}
        """``--resume``: (phase, block) -> routes whose sink committed it already (not encoded for them)."""
        self.labels = LabelTable()
        """Labels and side rows the transforms gave in the block being processed."""
        self.payload_stage = PayloadStage(plan)

    # -- Work ---------------------------------------------------------------------------------
    @property
    def spec(self) -> BlockWorkSpec:
        if self.plan.source is None:
            raise PluginError("this plan was not made by build_plan, so it cannot be rebuilt elsewhere")
        return BlockWorkSpec(self.plan.source, self.run_id, self.resume, self.done)

    @property
    def blocks(self) -> int:
        return self.plan.blocks

    def process(self, phase: str, block: int | None) -> BlockResult:
        """Encoded batches of everything ``phase`` emits for ``block`` (None: global entities)."""
        out: BlockOutput = []
        done = self.done.get((phase, block))
        for name, recs in self.prepared(phase, block):
            routes = None if done is None else [i for i in self.plan.emitted[name] if i not in done]
            out.extend(self.encode(name, recs, routes))
        result = BlockResult(block, out)
        if self.labels.side:
            result.side["transforms"] = self.labels.take_side()
        return result

    def append_streams(self) -> list[AppendStream]:
        plan = self.plan
        return [
            (index, name)
            for name in plan.specs
            if name in plan.emitted and plan.specs[name].scope != Scope.GLOBAL
            for index in plan.emitted[name]
            if self.sinks[index].append_files and not self._legacy[index]
        ]

    def append_targets(self, phase: str) -> dict[AppendStream, str]:
        wanted = set(self.plan.emitted_in(phase))
        targets: dict[AppendStream, str] = {}
        for index, name in self.append_streams():
            if name in wanted:
                path = self.sinks[index].file_for(name)
                if path is not None:
                    targets[(index, name)] = path
        return targets

    def task_routes(self) -> list[int]:
        return [i for i, sink in enumerate(self.sinks) if sink.parallel_tasks and not self._legacy[i]]

    def open_task(self, route: int, task: int, tasks: int) -> Sink:
        planned = self.plan.routes[route]
        sink = planned.sink_cls(planned.config)
        sink.run = self.plan.run
        sink.serializer = self.serializers[route]
        sink.open(sink_context(self.plan, route, self.serializers[route], task, tasks, "task", self.run_id,
                               self.resume))
        return sink

    # -- the steps -----------------------------------------------------------------------------
    def prepared(self, phase: str, block: int | None, time_ordered: bool = False) -> list[tuple[str, Records]]:
        """Normalised, validated, transformed records of each entity ``phase`` emits for ``block``
        (with ``time_ordered``, each entity's in event-time order before the transforms: a stream's)."""
        plan = self.plan
        self.labels.clear()
        records: dict[str, Records] = dict(self.globals)
        names = plan.global_entities() if block is None else plan.block_entities(phase)
        out: list[tuple[str, Records]] = []
        for name in names:
            if block is not None:
                recs = plan.generators[name](plan.context(name, block, records))
                records[name] = recs
            else:
                recs = records[name]
            if name in plan.emitted and phase in (plan.phase_of(name), SINGLE_PASS):
                emitted = self.normalise(name, recs)
                self.validate(name, emitted, records)
                if time_ordered:
                    emitted = by_time(plan.specs[name], emitted)
                out.append((name, self.transform(name, block, emitted)))
        return out

    def normalise(self, name: str, recs: Records) -> Records:
        """``recs`` with every value in its type's exact form, rounded by the kernel's one rule
        (``datagen_kernel.codecs.normalise``): what every serializer of every route receives.

        The generators' own records stay as they are (later entities of the block are generated
        from them, in whichever phase), so a run's content does not depend on its phases.
        """
        plan = self.plan
        return normalise(plan.generated_specs.get(name, plan.specs[name]), recs)

    def validate(self, name: str, recs: Records, records: dict[str, Records]) -> None:
        plan = self.plan
        spec = plan.generated_specs.get(name, plan.specs[name])
        violations = run_rules(spec, recs, plan.rules[name], RecordIndex(plan.generated_specs, records),
                               sample_schema=True, run=plan.run)
        if violations:
            shown = "; ".join(str(v) for v in violations[:5])
            more = f" (and {len(violations) - 5} more)" if len(violations) > 5 else ""
            raise ValidationFailed(
                f"generated data broke {len(violations)} rule(s): {shown}{more}",
                hint="this is a bug in the generator of the plugin providing it; run with --debug and report it",
            )

    def transform(self, name: str, block: int | None, recs: Records) -> Records:
        """The record stage of every enabled transform that selects ``name`` (labels and side
        rows go to ``self.labels``)."""
        plan = self.plan
        spec = plan.specs[name]
        nulls = any(type(self.sinks[i]).null_values for i in plan.emitted.get(name, ()))
        for transform, options in plan.transforms:
            if selects(transform, options, spec):
                ctx = TransformContext(plan.run, transform.name, block, options, nulls)
                recs = apply_record_stage(transform, spec, recs, ctx)
                self.labels.add(ctx)
        return recs

    def encode(self, name: str, recs: Records, routes: list[int] | None = None) -> BlockOutput:
        """Sink batches of ``recs`` for each route that receives ``name``, ``batch_size`` records each."""
        plan = self.plan
        spec = plan.specs[name]
        out: BlockOutput = []
        size = plan.params.batch_size
        for index in plan.emitted[name] if routes is None else routes:
            for i in range(0, len(recs), size):
                batch = self.encode_batch(index, spec, recs[i : i + size])
                rest, batch.rest = batch.rest, None
                if batch.count or rest is None:
                    out.append((index, batch))
                if rest is not None:
                    out.append((index, rest))
        return out

    def encode_batch(self, index: int, spec: EntitySpec, recs: Records) -> EncodedBatch:
        """One sink batch for route ``index``: the serializer's values, keys and the sink's headers,
        then the payload stage of the transforms (``engine.transforms``)."""
        sink = self.sinks[index]
        if self._legacy[index]:
            return sink.encode(spec, recs)
        ser = self.serializers[index]
        if isinstance(recs, Edited) and recs.nulls is not None and not type(sink).null_values:
            recs = recs.take(np.flatnonzero(~recs.nulls))  # tombstones: only where a sink carries them
        labels = self.labels.of(recs) if self.labels or isinstance(recs, Edited) else {}
        if not labels and not self.payload_stage.wants(spec):
            payload = None
            if ser is not None:
                payload = self.payload_stage.serialize(ser, spec, recs, self.destination(index, spec))
            return EncodedBatch(spec.name, len(recs), payload, message_keys(sink, spec, recs),
                                sink.headers(spec, recs))
        return self.payload_stage.encode(index, sink, ser, spec, recs, labels, self.destination(index, spec),
                                         self.labels, message_keys)

    def destination(self, index: int, spec: EntitySpec) -> str:
        found = self._destinations.get((index, spec.name))
        if found is None:
            found = self._destinations[(index, spec.name)] = self.sinks[index].destination(spec)
        return found


def message_keys(sink: Sink, spec: EntitySpec, recs: Records) -> Any:
    """The records' message keys as the sink asks for them (``Sink.message_keys``)."""
    wanted = sink.message_keys
    if wanted is False:
        return None
    if wanted is None:  # kernel 1: a list of str
        return list(map(str, column(recs, spec.message_key)))
    key = spec.message_key
    packed = Values.text(recs.values(key) if isinstance(recs, Batch)
                         else recs.column(key) if isinstance(recs, Edited) else [r[key] for r in recs])
    if packed is not None:
        return packed
    return [None if v is None else str(v).encode() for v in column(recs, key)]  # a null key


@dataclass(frozen=True)
class BlockWorkSpec:
    """Plain data that rebuilds a ``BlockProcessor`` elsewhere (``rebuild``)."""

    source: PlanSource
    run_id: str = ""
    resume: ResumeContext | None = None
    done: dict[tuple[str, int | None], frozenset[int]] | None = None

    def rebuild(self) -> BlockProcessor:
        _, plan = plan_from(self.source)
        sinks = new_sinks(plan)
        serializers, _ = open_serializers(plan, sinks)
        processor = BlockProcessor(plan, sinks, serializers, plan.generate_globals())
        if self.run_id:
            processor.run_id = self.run_id
        processor.resume = self.resume
        processor.done = dict(self.done or {})
        return processor
