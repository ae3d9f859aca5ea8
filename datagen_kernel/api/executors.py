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
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from datagen_kernel.api.options import Option
from datagen_kernel.api.sinks import EncodedBatch

AppendStream = tuple[int, str]
"""A route's index and an entity: one append-only file of a sink declaring ``append_files``."""


@dataclass
class BlockResult:
    """What one block produced: sink batches per route, in delivery order.

    ``batches``: (route index, batch). ``failures``: batches the executor could not hand over
    (route index, entity, records, reason), counted as failed. ``side``: side outputs for the
    engine (e.g. a transform's ground-truth rows), picklable.
    """

    block: int | None
    batches: list[tuple[int, EncodedBatch]] = field(default_factory=list)
    failures: list[tuple[int, str, int, str]] = field(default_factory=list)
    side: dict[str, Any] = field(default_factory=dict)


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


class Executor:
    """Base class of executors (``--executor NAME``, options ``-o NAME.KEY=VALUE``).

    ``start(work)`` once, before the first phase (after the global entities were encoded, so
    forked processes inherit what that warmed up); ``run(phase, blocks)`` per phase, yielding
    each block's ``BlockResult`` in the order of ``blocks``; ``close()`` at the end, also when
    the run failed or was interrupted. ``workers`` is ``--workers``.
    """

    name: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    options: ClassVar[Sequence[Option]] = ()

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

    def close(self) -> None:
        """Stop what ``start`` started; must not hang, even after a failure."""
