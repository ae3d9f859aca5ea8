"""Columnar batches: one entity's records held as columns instead of one dict per record.

A generator may return a ``Batch`` instead of a list of dicts. Building a dict per record
costs more than drawing its values with numpy, and every later stage (rules, serializers,
sink encoders) reads whole columns anyway, so the hot entities of a pack are cheaper as
columns from end to end. Everything that takes records accepts both forms: a ``Batch`` is
also a ``Sequence`` of dicts, built on first use.

Values follow the record contract of ``datagen_kernel.schema``. A column is a Python list of
such values, a numpy array whose ``tolist()`` gives them (``int64`` for int, decimal (scaled)
and timestamp (epoch ms) fields, ``float64``, ``bool``, ``datetime64[D]`` for dates), or a
``TextColumn`` of equal-length ASCII strings. Nullable and nested fields are lists (``None``
for null, ``dict`` for a nested record).

Rows are the truth once built: when some code asks for rows (iterates, indexes, or gets
``rows()``), later column reads are taken from those dicts, so a plugin that edits them in
place (a generator wrapper, a transform) is never contradicted by stale columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, overload

import numpy as np

from datagen_kernel.generation import Record


class TextColumn:
    """Equal-length ASCII strings held as one byte matrix, one row per value (e.g. UUIDs).

    A column form for generators that build text in numpy (``BlockContext.uuid_column``):
    serializers read the bytes as they are, and Python strings are made only for code that
    asks for them (``tolist()``, ``Batch.column``).
    """

    __slots__ = ("matrix",)

    def __init__(self, matrix: np.ndarray[Any, np.dtype[np.uint8]]) -> None:
        if matrix.ndim != 2 or matrix.dtype != np.uint8:
            raise ValueError(f"TextColumn needs a 2-D uint8 matrix, got {matrix.ndim}-D {matrix.dtype}")
        self.matrix = matrix

    @property
    def width(self) -> int:
        return int(self.matrix.shape[1])

    def tolist(self) -> list[str]:
        flat = np.ascontiguousarray(self.matrix).view(f"S{self.width}").ravel()
        return [b.decode("ascii") for b in flat.tolist()]

    def take(self, indices: np.ndarray[Any, Any]) -> TextColumn:
        return TextColumn(self.matrix[indices])

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def __iter__(self) -> Iterator[str]:
        return iter(self.tolist())

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> TextColumn: ...

    def __getitem__(self, index: int | slice) -> str | TextColumn:
        if isinstance(index, slice):
            return TextColumn(self.matrix[index])
        return bytes(self.matrix[index]).decode("ascii")

    def __repr__(self) -> str:
        return f"TextColumn({len(self)} x {self.width})"


Column = list[Any] | np.ndarray[Any, Any] | TextColumn


class Batch(Sequence[Record]):
    """Records of one entity as named columns of equal length (in field order)."""

    __slots__ = ("_columns", "_length", "_lists", "_rows")

    def __init__(self, columns: Mapping[str, Column]) -> None:
        lengths = {name: len(col) for name, col in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"Batch columns differ in length: {lengths}")
        self._columns: dict[str, Column] = dict(columns)
        self._length = next(iter(lengths.values()), 0)
        self._lists: dict[str, list[Any]] = {}
        self._rows: list[Record] | None = None

    @classmethod
    def from_rows(cls, names: Iterable[str], rows: Sequence[Record]) -> Batch:
        """Columns of ``rows`` (dicts holding at least ``names``)."""
        return cls({n: list(map(itemgetter(n), rows)) for n in names})

    @property
    def names(self) -> tuple[str, ...]:
        """Field names, in column order (the order of keys in built rows)."""
        return tuple(self._columns)

    def column(self, name: str) -> list[Any]:
        """The values of field ``name`` as Python objects (a list; do not modify it)."""
        if self._rows is not None:
            return list(map(itemgetter(name), self._rows))
        found = self._lists.get(name)
        if found is None:
            col = self._columns[name]
            found = col if isinstance(col, list) else col.tolist()
            self._lists[name] = found
        return found

    def values(self, name: str) -> Column:
        """Field ``name`` as stored (a numpy array or a list), for vectorized readers."""
        if self._rows is not None:
            return self.column(name)
        return self._columns[name]

    def rows(self) -> list[Record]:
        """One dict per record, built once; from then on the rows are the batch's truth."""
        if self._rows is None:
            names = list(self._columns)
            cols = [self.column(n) for n in names]
            self._rows = [dict(zip(names, values, strict=True)) for values in zip(*cols, strict=True)]
            self._lists.clear()
        return self._rows

    def take(self, indices: Sequence[int] | np.ndarray[Any, Any]) -> Batch:
        """A new batch of the records at ``indices`` (in that order)."""
        idx = np.asarray(indices, dtype=np.intp)
        out: dict[str, Column] = {}
        for name in self._columns:
            col = self.values(name)
            if isinstance(col, np.ndarray):
                out[name] = col[idx]
            elif isinstance(col, TextColumn):
                out[name] = col.take(idx)
            else:
                out[name] = [col[i] for i in idx.tolist()]
        return Batch(out)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Record]:
        return iter(self.rows())

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        if isinstance(index, slice):
            if self._rows is not None:
                return self._rows[index]
            return Batch({n: c[index] for n, c in self._columns.items()})
        return self.rows()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Batch, list, tuple)):
            return self.rows() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Batch({self._length} records: {', '.join(self._columns)})"


def column(records: Sequence[Record], name: str) -> list[Any]:
    """Values of field ``name`` across ``records`` (a list of dicts or a ``Batch``)."""
    if isinstance(records, Batch):
        return records.column(name)
    return list(map(itemgetter(name), records))


def as_rows(records: Sequence[Record]) -> list[Record]:
    """``records`` as a list of dicts (a ``Batch`` builds its rows)."""
    if isinstance(records, Batch):
        return records.rows()
    return records if isinstance(records, list) else list(records)


__all__ = ["Batch", "Column", "TextColumn", "as_rows", "column"]
