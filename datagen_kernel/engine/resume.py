"""Resumable runs on the engine's side: the run key, the sinks' state read back, blocks to skip.

``datagen run --resumable`` (and ``--resume``) gives every sink a ``ResumeContext``; each
commits a block together with a mark of it (``api.resume``). ``--resume`` reads the marks
back before anything is written (``ResumePlan.read``): blocks every sink committed are not
generated again, blocks some sinks committed go only to the others, and a run whose sinks
all say it is complete does nothing. A sink holding an incomplete run with other parameters
refuses the resume, naming the parameters that differ.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datagen_kernel.api.errors import UsageError
from datagen_kernel.api.options import REDACTED, redacted
from datagen_kernel.api.resume import ResumeContext, ResumeState, RunRecord
from datagen_kernel.api.sinks import Sink
from datagen_kernel.api.summary import RunSummary
from datagen_kernel.engine.runplan import Plan, PlannedRoute, RunParams

if TYPE_CHECKING:
    from datagen_kernel.engine.blocks import BlockProcessor
    from datagen_kernel.engine.plugins import PluginHost

BlockHook = Callable[[str, "int | None"], None]

BLOCK_HOOKS: list[BlockHook] = []
"""Called with (phase, block) after each block was handed to every sink of the engine (tests
use it to stop a server after N blocks instead of sleeping)."""

_URL_PASSWORD = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s]*)(@.*)$")



def resumable_mode(params: RunParams) -> bool:
    return params.resumable or params.resume


def run_params(plan: Plan) -> dict[str, Any]:
    """What decides a run's data, by the names the user gives them (recorded with the run).

    The options of the packs, scenario and transforms and the serializers' (secrets masked)
    count; those of the sinks and the executor do not (addresses, timeouts, credentials: they
    may change between attempts; where a sink writes is where it keeps its state).
    """
    params = plan.params
    components = {route.route.sink for route in plan.routes} | set(plan.serializers)
    if plan.executor is not None:
        components.add(plan.executor[0].name)
    components.add(params.executor)
    return {
        params.count_flag.removeprefix("[run] ").lstrip("-").replace("_", "-"): params.root_count,
        "seed": params.seed,
        "as-of": plan.run.as_of.isoformat(),
        "timezone": str(plan.run.timezone),
        "scenario": params.scenario,
        "sinks": [route.route.text for route in plan.routes],
        "transforms": [[t.name, _plain(options)] for t, options in plan.transforms],
        "options": _plain({ns: values for ns, values in plan.run.options.items() if ns not in components}),
        "serializers": {label: name for label, name in
                        ((route.label, route.serializer) for route in plan.routes) if name},
        "serializer-options": _plain({name: _masked(redacted(cls.options, config))
                                      for name, (cls, config) in plan.serializers.items()}),
    }


def run_key(plan: Plan, versions: Mapping[str, str]) -> str:
    """The run key: a hash of ``run_params`` and the plugins' versions (sha256, 16 hex digits)."""
    text = json.dumps({"params": run_params(plan), "plugins": dict(sorted(versions.items()))},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _masked(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with the password of any URL masked (``scheme://user:********@host``)."""
    return {k: _URL_PASSWORD.sub(rf"\1{REDACTED}\3", v) if isinstance(v, str) else v for k, v in values.items()}


def _plain(value: Any) -> Any:
    """``value`` as JSON has it (mappings, lists, scalars; anything else as text)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def difference(recorded: Mapping[str, Any], wanted: Mapping[str, Any]) -> str:
    """The parameters that differ, as ``name: recorded -> wanted``."""
    changes = []
    for name in sorted(set(recorded) | set(wanted)):
        if recorded.get(name) != wanted.get(name):
            changes.append(f"{name}: {_show(recorded.get(name))} -> {_show(wanted.get(name))}")
    return "; ".join(changes) or "the plugins' versions"


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else value


@dataclass
class ResumePlan:
    """A resumable run's context for the sinks and, for ``--resume``, what to skip: per route,
    the (phase, block) pairs its sink committed already."""

    context: ResumeContext
    states: list[ResumeState]
    committed: list[set[tuple[str, int | None]]] = field(default_factory=list)

    @classmethod
    def fresh(cls, plan: Plan, context: ResumeContext) -> ResumePlan:
        """A first resumable run (``--resumable``): nothing to skip."""
        return cls(context, [ResumeState() for _ in plan.routes], [set() for _ in plan.routes])

    @classmethod
    def read(cls, plan: Plan, sinks: Sequence[Sink], context: ResumeContext) -> ResumePlan:
        """Ask each sink what it holds of the run (before any sink opens); refuse a resume that
        would mix two runs' data."""
        contexts = _contexts(plan, context)
        states = [sink.resume_state(ctx) for sink, ctx in zip(sinks, contexts, strict=True)]
        for route, state in zip(plan.routes, states, strict=True):
            if state.run is None and state.latest_incomplete is not None:
                _refuse(route, state, state.latest_incomplete, context)
        return cls(context, states, [set(state.committed) if state.run else set() for state in states])

    @property
    def complete(self) -> bool:
        """Every sink holds the run as complete."""
        return all(state.run is not None and state.run.complete for state in self.states)

    @property
    def started(self) -> bool:
        """Some sink holds the run (an earlier attempt began it)."""
        return any(state.run is not None for state in self.states)

    def context_for(self, index: int) -> ResumeContext:
        """The ``SinkContext.resume`` of route ``index``."""
        started = self.states[index].run is not None
        return ResumeContext(self.context.key, self.context.params, started=started)

    def done(self) -> dict[tuple[str, int | None], frozenset[int]]:
        """(phase, block) -> the routes whose sink committed it already."""
        out: dict[tuple[str, int | None], set[int]] = {}
        for index, committed in enumerate(self.committed):
            for mark in committed:
                out.setdefault(mark, set()).add(index)
        return {mark: frozenset(routes) for mark, routes in out.items()}

    def where(self) -> str:
        return ", ".join(state.where for state in self.states if state.where)

    def blocks_to_run(self, plan: Plan, phase: str) -> list[int]:
        """The blocks of ``phase`` some route of the phase has not committed yet."""
        routes = {i for name in plan.emitted_in(phase) for i in plan.emitted[name]}
        return [b for b in range(plan.blocks)
                if not routes <= {i for i, done in enumerate(self.committed) if (phase, b) in done}]


def resume_plan(host: PluginHost, plan: Plan, sinks: Sequence[Sink], processor: BlockProcessor,
                summary: RunSummary) -> ResumePlan | None:
    """A resumable run's plan (None when the run is not resumable), set on the processor; for
    ``--resume``, what the sinks hold of the run, said in the summary's notes."""
    params = plan.params
    if not resumable_mode(params):
        return None
    versions = {info.distribution: info.version for info in host.plugins}
    context = ResumeContext(run_key(plan, versions), run_params(plan))
    if not params.resume:
        resume = ResumePlan.fresh(plan, context)
    else:
        resume = ResumePlan.read(plan, sinks, context)
        where = resume.where()
        if resume.complete:
            summary.notes.append(f"nothing to resume: this run is complete ({where}); nothing was written")
        elif resume.started:
            done = sum(len(c) for c in resume.committed)
            summary.notes.append(f"resumed run {context.key}: {done} block(s) committed by an earlier attempt "
                                 f"were skipped ({where})")
        else:
            summary.notes.append(f"nothing to resume: no earlier attempt of this run is recorded ({where}); "
                                 "running it from the start")
    processor.resume = resume.context
    processor.done = resume.done()
    return resume


def _contexts(plan: Plan, context: ResumeContext) -> list[Any]:
    from datagen_kernel.engine.blocks import sink_context

    return [sink_context(plan, i, None, resume=context) for i in range(len(plan.routes))]


def _refuse(route: PlannedRoute, state: ResumeState, other: RunRecord, context: ResumeContext) -> None:
    where = f" ({state.where})" if state.where else ""
    started = f" started {other.started_at}" if other.started_at else ""
    raise UsageError(
        f"--resume: sink {route.label}{where} holds an unfinished run{started} with other parameters "
        f"than this one ({difference(other.params, context.params)}); refusing to mix the two runs' data",
        hint="give the same parameters as the run to resume, or drop --resume to start a new run",
    )


__all__ = ["BLOCK_HOOKS", "ResumePlan", "difference", "resumable_mode", "resume_plan", "run_key", "run_params"]
