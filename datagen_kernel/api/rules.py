"""Data-quality rules: plugin rules plus the schema rules every entity gets for free."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from datagen_kernel.api.columnar import Batch
from datagen_kernel.api.columnar import column as column_of
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import EntitySpec


@dataclass(frozen=True)
class Violation:
    """One broken rule: which entity, record key, field and rule, and what was wrong."""

    entity: str
    key: Any
    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.entity} {self.key}: field {self.field!r} broke rule {self.rule!r}: {self.message}"


class Lookup(Protocol):
    """Finds records by primary key, for rules that look at parents."""

    def get(self, entity: str, key: Any) -> Record | None: ...

    def has_entity(self, entity: str) -> bool: ...


Check = Callable[[EntitySpec, Sequence[Record], Lookup], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    """A named check over batches of one entity (``entity='*'`` for every entity)."""

    name: str
    entity: str
    check: Check
    doc: str = ""


class RecordIndex:
    """``Lookup`` over in-memory record lists, indexed lazily by primary key."""

    def __init__(self, specs: Mapping[str, EntitySpec], records: Mapping[str, Sequence[Record]]) -> None:
        self._specs = specs
        self._records = records
        self._index: dict[str, dict[Any, Record]] = {}
        self._positions: dict[str, dict[Any, int]] = {}
        self._keys: dict[tuple[str, str], set[Any]] = {}

    def has_entity(self, entity: str) -> bool:
        return entity in self._records

    def get(self, entity: str, key: Any) -> Record | None:
        idx = self._index.get(entity)
        if idx is None:
            pk = self._specs[entity].primary_key
            records = self._records.get(entity, ())
            if isinstance(records, Batch) and not records.rows_built:
                # a columnar batch: find positions, build only the records asked for
                self._positions[entity] = {k: i for i, k in enumerate(records.column(pk))}
                idx = {}
            else:
                idx = {r[pk]: r for r in records}
            self._index[entity] = idx
        found = idx.get(key)
        if found is None and entity in self._positions:
            position = self._positions[entity].get(key)
            if position is not None:
                batch = self._records[entity]
                assert isinstance(batch, Batch)
                found = idx[key] = batch.row(position)
        return found

    def keys(self, entity: str, field: str | None = None) -> set[Any]:
        """Every value of ``field`` (default: the primary key) among ``entity``'s records."""
        spec = self._specs[entity]
        name = field or spec.primary_key
        cache_key = (entity, name)
        found = self._keys.get(cache_key)
        if found is None:
            found = set(column_of(self._records.get(entity, ()), name))
            self._keys[cache_key] = found
        return found












