"""Sink contract, in the spirit of Kafka Connect's SinkTask.

A sink task is ``open(context)`` -> ``write(batch)`` ... -> ``flush()`` (at the end of each
phase) -> ``close(ok)``, and reports what its destination acknowledged through ``stats``.
It receives batches already encoded by its route's serializer (``EncodedBatch.payload``, a
``Values``), in a deterministic order, parents' batches before their children's. It never
sees how the executor moved them (processes, spill files, placement).

What a sink needs of the engine it declares, as class attributes read by
``capabilities()``: whether masters must be complete before events (``phase_barrier``),
which serializers it takes (``serializers``, default ``serializer_name``), whether several
tasks may write at once from several processes (``parallel_tasks``; a distributed executor
then writes from its workers, see ``api.executors``), whether it needs message keys
(``message_keys``), and whether its output is one append-only file per entity
(``append_files``, then ``file_for``). ``begin_block`` / ``end_block`` frame each block's
batches (e.g. one transaction per block).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from datagen_kernel.api.columnar import as_rows, column
from datagen_kernel.api.generation import RunInfo
from datagen_kernel.api.options import Option
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import EntitySpec

if TYPE_CHECKING:
    from datagen_kernel.api.serializers import Serializer


@dataclass
class EncodedBatch:
    """A sink batch: ``count`` records of ``entity``, encoded.

    ``payload``: the route serializer's ``Values`` (None for a sink without serializer).
    ``keys``: each record's message key (``EntitySpec.message_key``), as the sink's
    ``message_keys`` asks. ``headers``: what the sink's ``headers`` made
    of the records where they were generated. ``appended``: the executor already appended
    the payload to ``file_for(entity)`` (sinks declaring ``append_files``): only account
    for it. A batch may cross a process boundary: everything in it is picklable.
    """

    entity: str
    count: int
    payload: Any
    keys: Any = None
    headers: Any = None
    appended: bool = False


@dataclass(frozen=True)
class PlacedPayload:
    """Kernel 1: a payload a worker wrote into a sink's file (``Sink.append_file``).

    Deprecated; kept so that code importing it keeps importing. Kernel 2 marks such a batch
    ``EncodedBatch.appended`` instead, and no sink sees offsets.
    """

    offset: int
    size: int
    error: str | None = None

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass
class SinkStats:
    """What a destination acknowledged, per entity. Sinks update it; the summary reads it."""

    acknowledged: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def ack(self, entity: str, n: int = 1) -> None:
        self.acknowledged[entity] += n

    def fail(self, entity: str, n: int = 1, reason: str | None = None) -> None:
        self.failed[entity] += n
        if reason and len(self.errors) < 20 and reason not in self.errors:
            self.errors.append(reason)


@dataclass(frozen=True)
class SinkContext:
    """Given to ``Sink.open``: the run and the entities routed to this sink, parents first.

    ``serializer``: the route's serializer (None for a sink without one); ``task`` and
    ``tasks``: this task's number and how many tasks write the route at once. ``role``:
    ``single`` (the engine's task writes the whole route, the default), ``coordinator`` (the
    engine's own task of a route whose blocks the executor's sink tasks write: it writes the
    global entities, and its ``close`` runs after every task's), ``task`` (a sink task the
    executor opened in one of its processes, ``Work.open_task``). ``run_id``: unique to the
    run and the same in all its tasks (e.g. to name what the tasks leave for the coordinator).
    """

    run: RunInfo
    entities: Mapping[str, EntitySpec]
    all_entities: Mapping[str, EntitySpec]
    route: str
    serializer: Serializer | None = None
    task: int = 0
    tasks: int = 1
    role: str = "single"
    run_id: str = ""


@dataclass(frozen=True)
class SinkCapabilities:
    """What a sink declares to the engine and executors (see ``Sink.capabilities``)."""

    phase_barrier: bool
    serializers: tuple[str, ...] | None
    """Serializer names the sink takes (None: any per-record serializer; empty: none)."""
    default_serializer: str | None
    parallel_tasks: bool
    message_keys: bool | None
    append_files: bool


class Sink:
    """Base class of sinks (like a Kafka Connect sink task).

    Lifecycle: ``open`` -> ``write`` (batches in a deterministic order, parents' batches
    before their children's) -> ``flush`` (at the end of each phase: masters and references
    are complete before events) -> ``close(ok)``. Report what the destination acknowledged
    through ``self.stats``; the run fails unless every record is acknowledged.
    """

    name: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    options: ClassVar[Sequence[Option]] = ()
    serializer_name: ClassVar[str | None] = "json"
    """The default serializer of the sink's routes; None: the sink takes no serializer."""
    serializers: ClassVar[tuple[str, ...] | None] = None
    """Serializers a route of this sink may choose (``-o NAME.serializer=...``); None: any
    per-record serializer when ``serializer_name`` is set, none otherwise."""
    phase_barrier: ClassVar[bool] = True
    """Whether masters and references must be written (and flushed) before any event.

    Keep it for any destination a reader may see while the run goes on (a database, a
    topic, a terminal). A sink whose output only appears at the end, in separate places per
    entity (files renamed into place by ``close``), may set it False: when no sink of the run
    needs the barrier, the kernel generates each block once and writes masters and events
    of a block together, and the output is the same."""
    parallel_tasks: ClassVar[bool] = False
    """Whether several tasks of the sink (one per process, each its own ``open`` ... ``close``)
    may write one route at once, as Kafka Connect runs tasks: an executor may then write
    from the processes that generate. Each task reports its own ``stats``."""
    message_keys: ClassVar[bool | None] = None
    """Whether batches carry each record's message key (``EncodedBatch.keys``): True, as UTF-8
    ``Values``; False, not at all. None (the kernel 1 default, for sinks that do not say):
    as a list of ``str``."""
    append_files: ClassVar[bool] = False
    """Whether the sink's output is one file per entity to which each batch's payload
    (``Values.joined_lines()``) is appended as it is: the executor may then append
    payloads itself, from the processes that encode them (see ``file_for``)."""

    run: RunInfo = RunInfo(seed=0, root_count=0)
    """The run (its time zone, as-of, options); the engine sets it on every sink it creates,
    before any other call, in every process (e.g. ``self.run.timezone`` for text output)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)
        self.serializer: Serializer | None = None
        """The route's serializer; set by the engine before ``open``."""
        self.stats = SinkStats()

    @classmethod
    def capabilities(cls) -> SinkCapabilities:
        """The sink's declarations, in one place (``datagen sinks describe`` shows them)."""
        accepted = cls.serializers
        if accepted is None and cls.serializer_name is None:
            accepted = ()
        return SinkCapabilities(cls.phase_barrier, accepted, cls.serializer_name, cls.parallel_tasks,
                                cls.message_keys, cls.append_files)

    @classmethod
    def default_serializer(cls, config: Mapping[str, Any]) -> str | None:
        """The serializer of a route that names none (default: ``serializer_name``)."""
        return cls.serializer_name

    @classmethod
    def output_files(cls, config: Mapping[str, Any], entities: Sequence[str]) -> dict[str, str]:
        """For a sink that writes files: the file each entity ends in once the run completes
        (a path, from the resolved ``config``). The kernel writes the run manifest
        (``_datagen-run.json``) in their folder and warns about files there the run does not
        write. Default: none."""
        return {}

    # -- where batches are generated ---------------------------------------------------------
    def destination(self, entity: EntitySpec) -> str:
        """Where ``entity`` goes (a topic, a table, a file name): given to the serializer's
        ``prepare`` and ``encode``. Called before ``open``; default: the entity's name."""
        return entity.name

    def headers(self, entity: EntitySpec, records: Sequence[Record]) -> Any:
        """Per-record headers (or other attributes) of a batch, computed where it is generated
        and carried in ``EncodedBatch.headers``; must be pure and picklable. Default: None."""
        return None

    # -- the task ----------------------------------------------------------------------------
    def open(self, context: SinkContext) -> None:
        """Connect, create what is missing, check what exists; raise ``SinkError`` if not."""

    def file_for(self, entity: str) -> str | None:
        """For a sink declaring ``append_files``: the path of the file ``entity``'s payloads
        are appended to, with everything the sink buffered already in it; None when this
        task writes the entity itself (e.g. compressed output)."""
        return None

    def write(self, batch: EncodedBatch) -> None:
        """Deliver a batch and account for it in ``self.stats``."""
        raise NotImplementedError

    def delivery(self) -> str | None:
        """The delivery guarantee this task gives, for the summary (e.g. "at-least-once"); None:
        nothing to say (the default)."""
        return None

    def begin_block(self, phase: str, block: int | None) -> None:
        """The batches of ``block`` of ``phase`` come next (None: the global entities, or a
        stream's next group). Default: nothing. A sink may group a block's batches (e.g. one
        Kafka transaction per block); every write until ``end_block`` belongs to it."""

    def end_block(self, phase: str, block: int | None) -> None:
        """Every batch of the block announced by ``begin_block`` was written. Default: nothing."""

    def flush(self) -> None:
        """Wait until everything written so far is acknowledged (or failed)."""

    def close(self, ok: bool) -> None:
        """Release resources; ``ok`` is False when the run failed (discard partial output)."""

    # -- kernel 1 ----------------------------------------------------------------------------
    def encode(self, entity: EntitySpec, records: Sequence[Record]) -> EncodedBatch:
        """Kernel 1's worker-side step; the engine calls it only for a sink that overrides it.

        Deprecated: encoding is the serializer's job (``Serializer.encode``); per-record
        attributes go in ``headers``. The default is what kernel 1 did: serialized values and
        the records' message keys as text.
        """
        keys = list(map(str, column(records, entity.message_key)))
        if self.serializer is None:
            return EncodedBatch(entity.name, len(records), as_rows(records), keys)
        values = self.serializer.serialize(entity, records)
        return EncodedBatch(entity.name, len(records), values, keys)

    def append_file(self, entity: str) -> tuple[str, int] | None:
        """Kernel 1's in-place writing; deprecated and no longer called (see ``file_for``)."""
        return None


LEGACY_METHODS = ("encode", "append_file")
"""Kernel 1 methods whose override makes the engine drive a sink the kernel 1 way."""


def legacy_overrides(sink_cls: type[Sink]) -> list[str]:
    """The kernel 1 methods ``sink_cls`` overrides (the engine adapts to them, with a warning)."""
    return [m for m in LEGACY_METHODS if getattr(sink_cls, m) is not getattr(Sink, m)]
