"""Columnar batches: one entity's records held as columns instead of one dict per record.

A generator may return a ``Batch`` instead of a list of dicts. Building a dict per record
costs more than drawing its values with numpy, and every later stage (rules, serializers,
sink encoders) reads whole columns anyway, so the hot entities of a pack are cheaper as
columns from end to end. Everything that takes records accepts both forms: a ``Batch`` is
also a ``Sequence`` of dicts, built on first use.

Values follow the record contract of ``datagen_kernel.schema``. A column is a Python list of
such values, a numpy array whose ``tolist()`` gives them (``int64`` for int, decimal (scaled)
and timestamp (epoch ms) fields, ``float64``, ``bool``, ``datetime64[D]`` for dates; a
``numpy.ma.MaskedArray`` of those for a nullable field, masked where null), or a
``TextColumn`` of text as UTF-8 bytes. Other nullable and nested fields are lists (``None`` for
null, ``dict`` for a nested record).

Rows are the truth once built: when some code asks for rows (iterates, indexes, or gets
``rows()``), later column reads are taken from those dicts, so a plugin that edits them in
place (a generator wrapper, a transform) is never contradicted by stale columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from operator import itemgetter
from typing import Any, overload

import numpy as np

from datagen_kernel.api.records import Record


class TextColumn:
    """Strings held as one matrix of UTF-8 bytes, one row per value (UUIDs, codes, enum symbols).

    A value shorter than the matrix is right-padded with NUL bytes (so a value cannot hold a
    NUL itself). ``nulls``, when given, marks the null rows. A column form for generators that
    build text in numpy (``BlockContext.uuid_column``, ``from_codes``): serializers read the
    bytes as they are, and Python strings are made only for code that asks for them
    (``tolist()``, ``Batch.column``).
    """

    __slots__ = ("matrix", "nulls")

    def __init__(self, matrix: np.ndarray[Any, np.dtype[np.uint8]],
                 nulls: np.ndarray[Any, np.dtype[np.bool_]] | None = None) -> None:
        if matrix.ndim != 2 or matrix.dtype != np.uint8:
            raise ValueError(f"TextColumn needs a 2-D uint8 matrix, got {matrix.ndim}-D {matrix.dtype}")
        if nulls is not None and (nulls.dtype != np.bool_ or nulls.shape != matrix.shape[:1]):
            raise ValueError(f"TextColumn nulls must be a bool array of {matrix.shape[0]} rows")
        self.matrix = matrix
        self.nulls = nulls if nulls is not None and nulls.any() else None

    @classmethod
    def from_codes(cls, codes: np.ndarray[Any, Any], symbols: Sequence[str],
                   nulls: np.ndarray[Any, np.dtype[np.bool_]] | None = None) -> TextColumn:
        """``symbols[code]`` for each code (an enum column drawn as integer codes)."""
        encoded = [s.encode("utf-8") for s in symbols]
        table = np.array(encoded, dtype=f"S{max(map(len, encoded), default=1)}")
        return cls(table.view(np.uint8).reshape(len(symbols), -1)[codes], nulls)

    @classmethod
    def from_strings(cls, values: Sequence[str | None]) -> TextColumn:
        """A column of Python strings (None for null), e.g. to test a sink with one."""
        encoded = [b"" if v is None else v.encode("utf-8") for v in values]
        table = np.array(encoded, dtype=f"S{max(map(len, encoded), default=1) or 1}")
        nulls = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
        return cls(table.view(np.uint8).reshape(len(values), -1), nulls)

    @property
    def width(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def fixed(self) -> bool:
        """Every value fills the width and none is null (the matrix is the text, as is)."""
        return self.nulls is None and (self.width == 0 or bool((self.matrix[:, -1] != 0).all()))

    def tolist(self) -> list[str | None]:
        flat = np.ascontiguousarray(self.matrix).view(f"S{self.width}").ravel()
        out: list[str | None] = [b.decode("utf-8") for b in flat.tolist()]
        if self.nulls is not None:
            for i in np.flatnonzero(self.nulls).tolist():
                out[i] = None
        return out

    def take(self, indices: np.ndarray[Any, Any]) -> TextColumn:
        return TextColumn(self.matrix[indices], None if self.nulls is None else self.nulls[indices])

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def __iter__(self) -> Iterator[str | None]:
        return iter(self.tolist())

    @overload
    def __getitem__(self, index: int) -> str | None: ...

    @overload
    def __getitem__(self, index: slice) -> TextColumn: ...

    def __getitem__(self, index: int | slice) -> str | TextColumn | None:
        if isinstance(index, slice):
            return TextColumn(self.matrix[index], None if self.nulls is None else self.nulls[index])
        if self.nulls is not None and self.nulls[index]:
            return None
        return bytes(self.matrix[index]).rstrip(b"\x00").decode("utf-8")

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
        """Field names, in column order (once rows are built: the keys of the first row)."""
        if self._rows:
            return tuple(self._rows[0])
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
        """Field ``name`` for vectorized readers: a numpy array, a ``TextColumn`` or a list.

        A masked array (a nullable numeric column) is given as its list of values, with None
        for masked entries; ``stored`` gives it as it is.
        """
        col = self.stored(name)
        if isinstance(col, np.ma.MaskedArray):
            return self.column(name)
        return col

    def stored(self, name: str) -> Column:
        """Field ``name`` exactly as the generator gave it (``numpy.ma.MaskedArray`` included)."""
        if self._rows is not None:
            return self.column(name)
        return self._columns[name]

    @property
    def rows_built(self) -> bool:
        """Whether the dicts exist (and are the batch's truth)."""
        return self._rows is not None

    def row(self, index: int) -> Record:
        """Record ``index`` as a dict: built rows are shared, else a new dict from the columns."""
        if self._rows is not None:
            return self._rows[index]
        return {name: self.column(name)[index] for name in self._columns}

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
            col = self.stored(name)
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


_EPOCH_ORDINAL = 719_163
"""``datetime.date(1970, 1, 1).toordinal()``."""


def int_array(records: Sequence[Record], name: str) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Field ``name`` as an ``int64`` array: a ``Batch``'s own integer array as it is (do not
    modify it), else built from the values. Raises ``TypeError`` on a null or non-integer."""
    if isinstance(records, Batch):
        values = records.values(name)
        if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
            return values.astype(np.int64, copy=False)
        return np.array(values if isinstance(values, list) else list(values), dtype=np.int64)
    return np.fromiter(map(itemgetter(name), records), dtype=np.int64, count=len(records))


def day_array(records: Sequence[Record], name: str) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Date field ``name`` as days since 1970-01-01 (``int64``)."""
    if isinstance(records, Batch):
        values = records.values(name)
        if isinstance(values, np.ndarray) and values.dtype.kind == "M":
            return values.astype("datetime64[D]").astype(np.int64)
    dates = column(records, name)
    return np.fromiter(map(date.toordinal, dates), dtype=np.int64, count=len(dates)) - _EPOCH_ORDINAL


def text_matrix(values: Sequence[Any]) -> np.ndarray[Any, np.dtype[np.uint8]] | None:
    """Equal-length ASCII strings as an ``(n, width)`` byte matrix (a fixed ``TextColumn``);
    None when they are not all such strings."""
    if not values or not isinstance(values[0], str) or not values[0]:
        return None
    width = len(values[0])
    try:
        if set(map(len, values)) != {width}:
            return None
        data = "".join(values).encode("ascii")
    except (TypeError, UnicodeEncodeError):
        return None
    return np.frombuffer(data, dtype=np.uint8).reshape(len(values), width)


def take_text(records: Sequence[Record], name: str, index: np.ndarray[Any, Any]) -> TextColumn | list[Any]:
    """Field ``name`` at positions ``index`` (e.g. each child's parent id): a ``TextColumn``
    when the values are equal-length ASCII strings such as ids, else a list."""
    values = records.values(name) if isinstance(records, Batch) else column(records, name)
    if isinstance(values, TextColumn):  # np.take gathers rows several times faster than matrix[index]
        nulls = None if values.nulls is None else values.nulls[index]
        return TextColumn(np.take(values.matrix, index, axis=0), nulls)
    listed = values.tolist() if isinstance(values, np.ndarray) else list(values)
    matrix = text_matrix(listed)
    if matrix is None:
        return np.array(listed, dtype=object)[index].tolist()  # type: ignore[no-any-return]
    return TextColumn(np.take(matrix, index, axis=0))


__all__ = ["Batch", "Column", "TextColumn", "as_rows", "column", "day_array", "int_array", "take_text",
           "text_matrix"]
