"""Serializer contract (Kafka Connect's converters), chosen per route.

A route (``--sink NAME[:SELECTOR]``) uses its sink's default serializer or the one named by
``-o NAME.serializer=SERIALIZER``. The engine calls, in this order: ``open(entities)`` and
``prepare(entity, destination)`` for each routed entity, once, in the main process before any
block is generated; ``encode(entity, records, destination)`` in whichever process generated
the batch (it must be pure); ``close()`` at the end. ``schema(entity)`` serves
``datagen schemas export --format NAME``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from datagen_kernel.api.options import Option
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import EntitySpec
from datagen_kernel.api.values import Values


class Serializer:
    """Turns records of one entity into bytes, one value per record.

    Subclasses implement ``serialize`` (a list of ``bytes``), or ``encode`` when they build
    the values in one buffer (``Values``).

    ``timezone`` is the run's time zone (``RunInfo.timezone``, which the installed packs
    declare), set by the engine on the instance before ``open``: a text format writes
    timestamps with its offset, e.g. ``to_text_values(entity, records, self.timezone)``.
    A serializer built by hand (a unit test) has the class default, UTC.
    """

    name: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    content_type: ClassVar[str] = "application/octet-stream"
    options: ClassVar[Sequence[Option]] = ()
    per_record: ClassVar[bool] = True
    """One value per record (a Kafka message, a line). False for a serializer whose output is
    a stream only its own sink reads (e.g. PostgreSQL COPY rows): sinks that take any
    serializer do not accept it."""
    edited: ClassVar[bool] = False
    """``encode`` also takes the records an edit stage left (``Edited``: the block's records in
    a new order, with the transform's own among them) and writes them in that order itself;
    else the engine gives it one ``Batch`` of them (``Edited.merged``)."""
    schema_suffix: ClassVar[str | None] = None
    """File suffix of ``schema(entity)`` (e.g. ``.avsc``); None: the serializer exports no schema."""

    timezone: dt.tzinfo = dt.UTC

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    def open(self, entities: Sequence[EntitySpec]) -> None:
        """Prepare for these entities (parse schemas, build encoders)."""

    def prepare(self, entity: EntitySpec, destination: str) -> None:
        """Prepare ``entity`` for one destination (a topic, a table, a file), e.g. register its
        schema in a registry; raise ``SinkError`` when that fails (the run stops before any
        record is generated)."""

    def schema(self, entity: EntitySpec) -> str | None:
        """The schema this serializer writes ``entity`` with, as text (None: schemaless)."""
        return None

    def encode(self, entity: EntitySpec, records: Sequence[Record], destination: str | None = None) -> Values:
        """The values of ``records``, in order (default: ``serialize``, packed)."""
        return Values.of(self.serialize(entity, records, topic=destination))

    def serialize(
        self, entity: EntitySpec, records: Sequence[Record], *, topic: str | None = None
    ) -> list[bytes]:
        """One value per record; ``topic`` is the destination (e.g. for a schema subject)."""
        if type(self).encode is not Serializer.encode:
            return self.encode(entity, records, topic).tolist()
        raise NotImplementedError(f"serializer {self.name!r} implements neither serialize nor encode")

    def close(self) -> None:
        """Release resources."""
