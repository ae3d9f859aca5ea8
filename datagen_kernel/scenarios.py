"""Scenarios (named presets) and batch transforms (like Kafka Connect's SMTs)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from datagen_kernel.config import Option
from datagen_kernel.generation import Record, RunInfo
from datagen_kernel.schema import EntitySpec
from datagen_kernel.seeding import stream_for


@dataclass(frozen=True)
class Scenario:
    """A named preset: which entities to produce, which transforms to enable, parameters.

    ``entities``: entities to produce (their parents are produced too); ``None`` = all.
    ``transforms``: transform names enabled by this scenario. ``options``: parameters, set
    with ``-o scenario.KEY=VALUE`` and read by generators through
    ``ctx.options("scenario")``. ``extend_entities`` may add fields (e.g. fraud labels).
    """

    name: str
    doc: str = ""
    options: Sequence[Option] = ()
    entities: Sequence[str] | None = None
    transforms: Sequence[str] = ()
    extend_entities: Callable[[dict[str, EntitySpec]], dict[str, EntitySpec]] | None = None


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
