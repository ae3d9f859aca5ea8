"""The built-in ``json`` serializer: JSON objects, decimals as exact strings, ISO 8601 timestamps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from datagen_kernel.api.columnar import as_rows
from datagen_kernel.api.options import Option
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import EntitySpec, to_json_schema
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.values import Values
from datagen_kernel.codecs.jsonlines import LineEncoder
from datagen_kernel.codecs.text import raw_default, to_text_values


class JsonSerializer(Serializer):
    """JSON values (orjson): decimals as exact strings, timestamps ISO 8601 with the offset of
    the run's time zone (``Serializer.timezone``)."""

    name = "json"
    doc = "JSON objects; decimals as exact strings, timestamps ISO 8601 with offset."
    content_type = "application/json"
    edited = True
    schema_suffix = ".schema.json"
    options = (
        Option("utc", "bool", False, "Write timestamps in UTC (Z) instead of the run's time zone."),
    )

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self._dumps: Callable[[Any], bytes] = orjson.dumps
        self._encoders: dict[str, LineEncoder] = {}

    @property
    def tz(self) -> dt.tzinfo:
        """The zone timestamps are written in: UTC with ``json.utc``, else the run's (``timezone``)."""
        return dt.UTC if self.config.get("utc") else self.timezone

    def serialize(
        self, entity: EntitySpec, records: Sequence[Record], *, topic: str | None = None
    ) -> list[bytes]:
        if not records:
            return []
        return self.serialize_lines(entity, records).splitlines()

    def encode(self, entity: EntitySpec, records: Sequence[Record], destination: str | None = None) -> Values:
        """The values as JSON Lines in one buffer (``Values.lines``: a file sink writes it as is)."""
        return Values.lines(self.serialize_lines(entity, records))

    def schema(self, entity: EntitySpec) -> str:
        return orjson.dumps(to_json_schema(entity), option=orjson.OPT_INDENT_2).decode()

    def serialize_lines(self, entity: EntitySpec, records: Sequence[Record]) -> bytes:
        """All records as JSON Lines (each followed by a newline), in one buffer.

        Built column by column (``datagen_kernel.jsonlines``), in the entity's field order.
        Records that do not hold exactly the entity's fields are written one by one, in the same
        order (fields beyond the entity's after); a ``Raw`` value is written as the JSON of what
        it wraps.
        """
        if not records:
            return b""
        tz = self.tz
        encoder = self._encoders.get(entity.name)
        if encoder is None or encoder.entity is not entity or encoder.tz is not tz:
            encoder = self._encoders[entity.name] = LineEncoder(entity, tz)
        lines = encoder.encode(records)
        if lines is not None:
            return lines
        rows = as_rows(records)
        names = set(entity.field_names)
        odd = [i for i, r in enumerate(rows) if len(r) != len(names) or not names.issuperset(r)]
        if not odd or len(odd) == len(rows):
            return self._general_lines(entity, rows, tz)
        # most records hold the entity's fields: those go the fast way, the others one by one
        odd_set = set(odd)
        fitting = encoder.encode([r for i, r in enumerate(rows) if i not in odd_set])
        if fitting is None:
            return self._general_lines(entity, rows, tz)
        fast = iter(fitting.splitlines(keepends=True))
        slow = iter(self._general_lines(entity, [rows[i] for i in odd], tz).splitlines(keepends=True))
        return b"".join(next(slow) if i in odd_set else next(fast) for i in range(len(rows)))

    @staticmethod
    def _general_lines(entity: EntitySpec, rows: Sequence[Record], tz: dt.tzinfo) -> bytes:
        """Records one by one, in the entity's field order (a field a record lacks left out,
        fields beyond the entity's after), as the columnar path writes them."""
        names = entity.field_names
        known = set(names)
        lines = []
        for r in to_text_values(entity, rows, tz):
            ordered = {k: r[k] for k in names if k in r}
            if len(ordered) != len(r):
                ordered.update((k, v) for k, v in r.items() if k not in known)
            lines.append(orjson.dumps(ordered, default=raw_default) + b"\n")
        return b"".join(lines)
