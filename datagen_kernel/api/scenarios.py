"""Scenarios (named presets) and batch transforms (like Kafka Connect's SMTs)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datagen_kernel.api.options import Option
from datagen_kernel.api.schema import EntitySpec


@dataclass(frozen=True)
class Scenario:
    """A named preset: which entities to produce, which transforms to enable, parameters.

    ``entities``: entities to produce (their parents are produced too); ``None`` = all.
    ``transforms``: transform names enabled by this scenario. ``options``: parameters, set
    with ``-o scenario.KEY=VALUE`` and read by generators through
    ``ctx.options("scenario")``. ``extend_entities`` may add fields (e.g. fraud labels).
    ``transform_options``: per enabled transform, option values the scenario sets (e.g.
    ``{"poison": {"duplicate": 0.01}}``); they replace the transform's defaults, and ``-o``,
    the environment and a config file still override them.
    """

    name: str
    doc: str = ""
    options: Sequence[Option] = ()
    entities: Sequence[str] | None = None
    transforms: Sequence[str] = ()
    extend_entities: Callable[[dict[str, EntitySpec]], dict[str, EntitySpec]] | None = None
    transform_options: Mapping[str, Mapping[str, Any]] | None = None






