"""Transforms (like Kafka Connect's single message transforms) and what they see."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from datagen_kernel.api.generation import RunInfo
from datagen_kernel.api.options import Option
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import EntitySpec
from datagen_kernel.api.seeding import stream_for


class TransformContext:
    """What a transform sees besides the records: the run, the block, its own streams."""

    __slots__ = ("block", "options", "run", "transform")

    def __init__(self, run: RunInfo, transform: str, block: int | None, options: Mapping[str, Any]) -> None:
        self.run = run
        self.transform = transform
        self.block = block
        self.options = options

    def rng(self, entity: str, *purpose: str | int) -> np.random.Generator:
        """A stream for this transform, entity and block (independent of the batch size)."""
        block = -1 if self.block is None else self.block
        return stream_for(self.run.seed, "transform", self.transform, entity, block, *purpose)


TransformFn = Callable[[EntitySpec, list[Record], TransformContext], list[Record]]


@dataclass(frozen=True)
class Transform:
    """Alters, adds or drops records after validation and before serialization.

    Enabled with ``--transform NAME`` or by a scenario. ``apply`` gets all records of one
    entity for one block as a list of dicts (never a sink batch, so the result does not
    depend on ``--batch-size``; a columnar ``Batch`` is turned into rows first) and returns
    the records to keep. ``entities`` limits it (``None`` =
    every entity); ``extend_entity`` declares fields it adds.
    """

    name: str
    apply: TransformFn
    doc: str = ""
    options: Sequence[Option] = ()
    entities: Sequence[str] | None = None
    extend_entity: Callable[[EntitySpec], EntitySpec] | None = None
