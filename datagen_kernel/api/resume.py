"""Resumable runs: what a sink keeps of the blocks it committed, as Kafka Connect keeps offsets.

A run is identified by its *run key*: a hash of everything that decides its data (seed,
count, as-of, time zone, scenario, options, transforms, routes and their serializers, plugin
versions), not of what only decides how it is made (``--workers``, ``--batch-size``,
``--executor``). In resumable mode (``datagen run --resumable``, and ``--resume``) each sink
of the run commits every block together with a mark saying so (the block's rows and a row of
``_datagen_blocks`` in one PostgreSQL transaction; the block's messages and a message of the
state topic in one Kafka transaction), so a block is either committed with its mark or not
at all. ``datagen run ... --resume`` asks each sink which blocks of the run it holds
(``Sink.resume_state``) and generates only the others, from the same seed: the result is the
same as one uninterrupted run.

A sink that can keep such state declares ``Sink.resumable``; the engine gives it a
``ResumeContext`` in ``SinkContext.resume`` when the run is resumable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GLOBALS_BLOCK = "globals"
"""How a mark names the block of the global entities (``block`` None) in text keys."""


@dataclass(frozen=True)
class ResumeContext:
    """Given to a resumable sink (``SinkContext.resume``) when the run is resumable.

    ``key``: the run key (stable for the same parameters). ``params``: what the run was asked,
    JSON-able, for the sink to record with the run (the engine compares it when a resume finds
    another run). ``started``: the sink's state already holds this run (``--resume`` of a run
    an earlier attempt began): keep what is there (no truncation, no "already holds rows").
    """

    key: str
    params: Mapping[str, Any]
    started: bool = False


@dataclass(frozen=True)
class RunRecord:
    """A run as a sink's state records it."""

    key: str
    params: Mapping[str, Any]
    complete: bool = False
    started_at: str = ""
    finished_at: str = ""


@dataclass
class ResumeState:
    """What a sink holds of runs (``Sink.resume_state``).

    ``run``: the record of the run asked for (None: the sink holds nothing of it).
    ``committed``: the blocks of that run it committed, as (phase, block), block None for
    the global entities. ``latest_incomplete``: the most recently started run that is not
    complete, whatever its key (a resume with other parameters is refused by naming it).
    ``where``: the state's location, for messages (e.g. "table public._datagen_runs").
    """

    run: RunRecord | None = None
    committed: set[tuple[str, int | None]] = field(default_factory=set)
    latest_incomplete: RunRecord | None = None
    where: str = ""


def block_label(block: int | None) -> str:
    """A block as state keys write it: its number, or ``globals``."""
    return GLOBALS_BLOCK if block is None else str(block)


def parse_block(text: str) -> int | None:
    return None if text == GLOBALS_BLOCK else int(text)


__all__ = ["GLOBALS_BLOCK", "ResumeContext", "ResumeState", "RunRecord", "block_label", "parse_block"]
