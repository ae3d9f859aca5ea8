"""What a generator sees: the run, its block of the root range, its parents' records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

import numpy as np

from datagen_kernel.api.domain import DEFAULT_AS_OF, NEUTRAL_TIMEZONE
from datagen_kernel.api.records import Records
from datagen_kernel.api.schema import EntitySpec
from datagen_kernel.api.seeding import stream_for, uuid4_matrix, uuid4_strings

if TYPE_CHECKING:
    from datagen_kernel.api.columnar import TextColumn

__all__ = ["DEFAULT_AS_OF", "BlockContext", "Generator", "GeneratorWrapper", "RunInfo"]


@dataclass(frozen=True)
class RunInfo:
    """Facts about the run every component may read; all of them feed determinism.

    ``as_of`` (where history ends) and ``timezone`` come from the installed packs'
    ``DomainDefaults`` (``--as-of`` overrides the former); built by hand, a ``RunInfo`` has the
    kernel's neutral ones: 2026-01-01T00:00Z and UTC.
    """

    seed: int
    root_count: int
    as_of: datetime = DEFAULT_AS_OF
    scenario: str | None = None
    mode: str = "backfill"
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    timezone: tzinfo = NEUTRAL_TIMEZONE
    """The run's time zone: text renderings of timestamps carry its offset (records hold UTC
    epoch milliseconds whatever it is)."""

    @property
    def as_of_ms(self) -> int:
        """``as_of`` in milliseconds since the epoch (the form timestamps take in records)."""
        return int(self.as_of.timestamp() * 1000)

    def options_for(self, namespace: str) -> Mapping[str, Any]:
        """Resolved options of a namespace (a pack's own options, or ``scenario``)."""
        return self.options.get(namespace, {})


class BlockContext:
    """Context of one generator call: one entity, one block of the root range.

    ``start``/``stop`` are the root indices of the block (for a global entity: ``0``/``0``
    and ``block`` is ``None``). ``records(name)`` returns records of an entity already
    generated for this block (parents, or global entities), in generation order.
    """

    __slots__ = ("_records", "block", "entity", "run", "start", "stop")

    def __init__(
        self,
        run: RunInfo,
        entity: EntitySpec,
        block: int | None,
        start: int,
        stop: int,
        records: Mapping[str, Records],
    ) -> None:
        self.run = run
        self.entity = entity
        self.block = block
        self.start = start
        self.stop = stop
        self._records = records

    @property
    def size(self) -> int:
        """Number of root records in this block."""
        return self.stop - self.start

    @property
    def seed(self) -> int:
        return self.run.seed

    def rng(self, *purpose: str | int) -> np.random.Generator:
        """A stream for this entity and block; give each drawn array its own ``purpose``."""
        block = -1 if self.block is None else self.block
        return stream_for(self.run.seed, self.entity.name, block, *purpose)

    def stream(self, *key: str | int) -> np.random.Generator:
        """A stream keyed freely (e.g. per parent: ``ctx.stream("txn", account_id)``)."""
        return stream_for(self.run.seed, *key)

    def uuids(self, n: int, purpose: str = "id") -> list[str]:
        """``n`` UUID v4 strings for this entity and block."""
        return uuid4_strings(self.rng(purpose), n)

    def uuid_column(self, n: int, purpose: str = "id") -> TextColumn:
        """The same UUIDs as ``uuids`` as a ``TextColumn`` (for a ``Batch``: no Python strings)."""
        from datagen_kernel.api.columnar import TextColumn

        if n <= 0:
            return TextColumn(np.empty((0, 36), dtype=np.uint8))
        return TextColumn(uuid4_matrix(self.rng(purpose), n))

    def records(self, entity: str) -> Records:
        """Records of ``entity`` generated for this block (or the run, if global).

        Whatever its generator returned: a list of dicts or a ``Batch`` (read columns with
        ``datagen_kernel.column(records, name)``, which works on both).
        """
        try:
            return self._records[entity]
        except KeyError:
            raise KeyError(
                f"{self.entity.name!r} generator asked for {entity!r} records, which are not "
                "generated before it: declare a foreign key to it"
            ) from None

    def has(self, entity: str) -> bool:
        """Whether ``entity`` is part of this run (e.g. an optional pack is installed)."""
        return entity in self._records

    def options(self, namespace: str) -> Mapping[str, Any]:
        return self.run.options_for(namespace)


Generator = Callable[[BlockContext], Records]
"""Produces the records of one entity for one block."""

GeneratorWrapper = Callable[[BlockContext, Generator], Records]
"""Decorates another plugin's generator: gets the context and the wrapped generator."""
