"""Sink contract: encode in the generating process, write in the run's main process."""

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
    """A batch ready for a sink: ``count`` records of ``entity`` in ``payload``.

    ``payload`` is whatever the sink's ``encode`` made (by default a list of serialized
    values); ``keys`` holds each record's message key (``EntitySpec.message_key``) as text.
    It crosses a process boundary when ``--workers`` > 1, so it must be picklable.
    """

    entity: str
    count: int
    payload: Any
    keys: list[str] | None = None


@dataclass(frozen=True)
class PlacedPayload:
    """A payload a worker already wrote into the sink's file (see ``Sink.append_file``).

    ``offset`` and ``size`` say where; ``error`` is set when the write failed (the kernel then
    counts the batch as failed and does not call ``write``).
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
    """Given to ``Sink.open``: the run and the entities routed to this sink, parents first."""

    run: RunInfo
    entities: Mapping[str, EntitySpec]
    all_entities: Mapping[str, EntitySpec]
    route: str


class Sink:
    """Base class of sinks (like a Kafka Connect sink connector).

    Lifecycle, in the main process: ``open`` -> ``write`` (batches in a deterministic order,
    parents' batches before their children's) -> ``flush`` (at the end of each phase:
    masters and references are complete before events) -> ``close(ok)``. ``encode`` runs
    where the batch was generated (a worker process with ``--workers`` > 1): put the
    expensive, pure work there. Report what the destination acknowledged through
    ``self.stats``; the run fails unless every record is acknowledged.
    """

    name: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    options: ClassVar[Sequence[Option]] = ()
    serializer_name: ClassVar[str | None] = "json"
    """Value serializer this sink uses; ``None`` means the sink encodes records itself."""
    phase_barrier: ClassVar[bool] = True
    """Whether masters and references must be written (and flushed) before any event.

    Keep it for any destination a reader may see while the run goes on (a database, a
    topic, a terminal). A sink whose output only appears at the end, in separate places per
    entity (files renamed into place by ``close``), may set it False: when no sink of the run
    needs the barrier, the kernel generates each block once and writes masters and events
    of a block together, and the output is the same."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)
        self.serializer: Serializer | None = None
        self.stats = SinkStats()

    # -- worker side -------------------------------------------------------------------------
    def encode(self, entity: EntitySpec, records: Sequence[Record]) -> EncodedBatch:
        """Turn records into a payload for ``write``; default: serialized values + keys."""
        keys = list(map(str, column(records, entity.message_key)))
        if self.serializer is None:
            return EncodedBatch(entity.name, len(records), as_rows(records), keys)
        values = self.serializer.serialize(entity, records)
        return EncodedBatch(entity.name, len(records), values, keys)

    # -- main side ---------------------------------------------------------------------------
    def open(self, context: SinkContext) -> None:
        """Connect, create what is missing, check what exists; raise ``SinkError`` if not."""

    def append_file(self, entity: str) -> tuple[str, int] | None:
        """The file ``entity``'s payloads are appended to, for workers to write them in place.

        Only for a sink whose ``write`` appends each ``bytes`` payload of the entity, as it
        is, to one file. Return the file's path and the offset the next payload starts at
        (flush any buffered writer first). With ``--workers`` > 1 the kernel asks at the start
        of each phase; each worker then writes its block's payloads into the file itself,
        in block order, and ``write`` receives a ``PlacedPayload``: account for the batch and
        continue at ``payload.end``. The default, None: payloads come to ``write``.
        """
        return None

    def write(self, batch: EncodedBatch) -> None:
        """Deliver a batch and account for it in ``self.stats``."""
        raise NotImplementedError

    def flush(self) -> None:
        """Wait until everything written so far is acknowledged (or failed)."""

    def close(self, ok: bool) -> None:
        """Release resources; ``ok`` is False when the run failed (discard partial output)."""
