"""The ``pgcopy-binary`` and ``pgcopy-text`` serializers: rows in PostgreSQL's COPY formats.

They run where batches are generated (worker processes with ``--workers`` > 1), so the
``postgres`` sink's task only streams bytes into ``COPY``. Their output is not one value per
record but one stream chunk per batch (``Values`` of one item): only the ``postgres`` sink takes
them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from datagen_kernel.api import EntitySpec, Record, Serializer, SinkError, Values
from datagen_plugin_postgres.encoding import ENCODERS, ColumnPlan, EncodeError, column_plans


class CopyBinarySerializer(Serializer):
    """COPY ... (FORMAT BINARY) rows, without the header and trailer the sink adds per statement."""

    name = "pgcopy-binary"
    doc = "PostgreSQL COPY binary rows (the postgres sink's default)."
    content_type = "application/vnd.postgresql.copy-binary"
    per_record = False
    copy_format = "binary"

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self._plans: dict[str, list[ColumnPlan]] = {}

    def column_plans(self, entity: EntitySpec) -> list[ColumnPlan]:
        plans = self._plans.get(entity.name)
        if plans is None:
            plans = self._plans[entity.name] = column_plans(entity)
        return plans

    def encode(self, entity: EntitySpec, records: Sequence[Record], destination: str | None = None) -> Values:
        try:
            data = ENCODERS[self.copy_format](self.column_plans(entity), records)
        except EncodeError as exc:
            raise SinkError(
                f"postgres sink cannot store a {entity.name} record in {entity.table_name}: {exc}",
                hint="the generator of this entity produced a value of the wrong type or range; report it to "
                "the authors of the plugin that provides it (datagen plugins)",
            ) from None
        return Values(data, np.array([len(data)], dtype=np.int64))


class CopyTextSerializer(CopyBinarySerializer):
    """COPY ... text rows (tab-separated, escaped)."""

    name = "pgcopy-text"
    doc = "PostgreSQL COPY text rows (postgres.copy_format=text)."
    content_type = "text/tab-separated-values"
    copy_format = "text"
