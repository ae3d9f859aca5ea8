"""Executor contract: who runs a plan's blocks, where, and how their results come back.

The engine hands an executor a ``Work``: the run's blocks, each deterministic from the seed,
processed by ``work.process(phase, block)`` (generate -> normalise -> validate -> record
transforms -> serialize -> payload transforms) into a ``BlockResult`` of sink batches. The
executor returns the results of the blocks it is given **in block order**, holding at most a
bounded window of finished blocks (memory stays flat however many blocks a run has). Where it
runs them is its business: this process, forked workers (``local``), a cluster. A process that
did not fork from the engine rebuilds the work from ``work.spec`` (plain, picklable data: the
installed plugins, parameters and options by name) with ``work.spec.rebuild()``.

Because every block is a pure function of the plan, a block lost with its worker can be run
again and gives the same bytes; and the order blocks are processed in does not matter.

Sink tasks in the executor's processes: the batches of a route whose sink declares
``parallel_tasks`` may be written where they are made, by sink tasks the executor opens with
``work.open_task(route, task, tasks)`` (one per process, as Kafka Connect runs tasks). Such a
block's ``BlockResult`` lists them in ``written`` instead of ``batches``; the executor calls
the task's ``begin_block``/``end_block`` around each block's batches as the engine does, and
reports what its tasks acknowledged or failed through ``flush_tasks`` (end of every phase:
the masters-before-events barrier) and ``close_tasks`` (end of the run). An executor that
does none of this (the default) leaves every batch to the engine's own sinks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from datagen_kernel.api.options import Option
from datagen_kernel.api.sinks import EncodedBatch, Sink, SinkStats

AppendStream = tuple[int, str]
"""A route's index and an entity: one append-only file of a sink declaring ``append_files``."""


@dataclass
class BlockResult:
    """What one block produced: sink batches per route, in delivery order.

    ``batches``: (route index, batch). ``failures``: batches the executor could not hand over
    (route index, entity, records, reason), counted as failed. ``side``: side outputs for the
    engine (e.g. a transform's ground-truth rows), picklable. ``written``: (route index,
    entity, records) of batches a sink task of the executor already took (``Work.open_task``):
    the engine counts them as generated; their acknowledgements come from ``flush_tasks``.
    """

    block: int | None
    batches: list[tuple[int, EncodedBatch]] = field(default_factory=list)
    failures: list[tuple[int, str, int, str]] = field(default_factory=list)
    side: dict[str, Any] = field(default_factory=dict)
    written: list[tuple[int, str, int]] = field(default_factory=list)


TaskStats = tuple[int, SinkStats]
"""A route's index and what one or more of its sink tasks acknowledged or failed."""


class WorkSpec(Protocol):
    """Plain data that rebuilds a run's ``Work`` in any process with the same plugins installed."""

    def rebuild(self) -> Work:
        """The work, rebuilt here: plugins loaded, plan checked, serializers prepared."""
        ...


class Work(Protocol):
    """A run's blocks, as the engine gives them to an executor."""

    @property
    def spec(self) -> WorkSpec:
        """What rebuilds this work elsewhere (pickle it)."""
        ...

    @property
    def blocks(self) -> int:
        """Number of blocks of the root range (numbered 0 .. blocks-1)."""
        ...

    def process(self, phase: str, block: int) -> BlockResult:
        """Everything ``phase`` emits for ``block``, encoded for each route (pure)."""
        ...

    def append_streams(self) -> list[AppendStream]:
        """The (route, entity) files an executor may append payloads to itself, in any phase."""
        ...

    def append_targets(self, phase: str) -> dict[AppendStream, str]:
        """For ``phase``: the path of each such file that accepts in-place appends now (main
        process, sinks open, everything written so far in the files)."""
        ...

    def task_routes(self) -> list[int]:
        """Routes whose sink may run tasks in the executor's processes (``Sink.parallel_tasks``)."""
        ...

    def open_task(self, route: int, task: int, tasks: int) -> Sink:
        """A new task of ``route``'s sink, opened here (``SinkContext.task`` / ``tasks``).

        The engine's own task of the route is open already (it created what was missing)."""
        ...


class Executor:
    """Base class of executors (``--executor NAME``, options ``-o NAME.KEY=VALUE``).

    ``start(work)`` once, before the first phase (after the global entities were encoded, so
    forked processes inherit what that warmed up); ``run(phase, blocks)`` per phase, yielding
    each block's ``BlockResult`` in the order of ``blocks``; ``close()`` at the end, also when
    the run failed or was interrupted. ``workers`` is ``--workers`` (1 when not given).
    """

    name: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    options: ClassVar[Sequence[Option]] = ()
    sink_tasks: ClassVar[bool] = False
    """Whether the executor writes the routes of ``Work.task_routes()`` with sink tasks of its
    own (``Work.open_task``); the engine then opens those routes' own sinks with the role
    ``coordinator`` (``SinkContext.role``)."""
    workers_given: bool = True
    """Whether the user gave ``--workers``; the engine sets it False when not, before ``start``,
    and an executor may then choose its own size (``dask``: one worker per CPU core) and set
    ``workers`` to it in ``start`` (the summary reports ``workers`` after ``start``)."""

    def __init__(self, config: Mapping[str, Any], workers: int = 1) -> None:
        self.config = dict(config)
        self.workers = workers

    def start(self, work: Work) -> None:
        """Get ready to run ``work``'s blocks (start processes, connect to a cluster)."""
        self.work = work

    def run(self, phase: str, blocks: Sequence[int]) -> Iterator[BlockResult]:
        """The results of ``blocks``, in that order; default: one after the other, here."""
        for block in blocks:
            yield self.work.process(phase, block)

    def flush_tasks(self) -> list[TaskStats]:
        """Flush the sink tasks this executor runs (end of each phase, before the engine's own
        sinks flush) and return what they acknowledged or failed since the last call.
        Default: none (every batch goes through the engine)."""
        return []

    def close_tasks(self, ok: bool) -> list[TaskStats]:
        """Close the sink tasks this executor runs (``Sink.close(ok)``) and return what they
        acknowledged or failed since the last ``flush_tasks``; called before ``close``, also
        after a failure (then it must not hang)."""
        return []

    def close(self) -> None:
        """Stop what ``start`` started; must not hang, even after a failure."""
