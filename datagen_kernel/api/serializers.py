"""Serializer contract (Kafka Connect's converters)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from datagen_kernel.api.options import Option
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import EntitySpec


class Serializer:
    """Turns records of one entity into bytes, one value per record.

    ``open`` runs once in the main process before any worker starts (register schemas,
    parse them); ``serialize`` runs wherever batches are encoded and must be pure.

    ``timezone`` is the run's time zone (``RunInfo.timezone``, which the installed packs
    declare), set by the engine on the instance before ``open``: a text format writes
    timestamps with its offset, e.g. ``to_text_values(entity, records, self.timezone)``.
    A serializer built by hand (a unit test) has the class default, UTC.
    """

    name: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    content_type: ClassVar[str] = "application/octet-stream"
    options: ClassVar[Sequence[Option]] = ()

    timezone: dt.tzinfo = dt.UTC

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    def open(self, entities: Sequence[EntitySpec]) -> None:
        """Prepare for these entities (e.g. register their schemas)."""

    def serialize(
        self, entity: EntitySpec, records: Sequence[Record], *, topic: str | None = None
    ) -> list[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        """Release resources."""
