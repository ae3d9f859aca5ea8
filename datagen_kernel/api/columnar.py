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

A few values may differ from their column's type (``Batch.override``): a transform's ``Raw``
values, or ``MISSING`` where a record lacks the field. The column keeps its form, and the
exceptions are kept beside it, so the other values stay cheap to encode.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from operator import itemgetter
from typing import Any, overload

import numpy as np

from datagen_kernel.api.records import Record


class _Missing:
    """The type of ``MISSING``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING = _Missing()
"""An override meaning "this record has no such field" (its dict lacks the key; see ``Batch.override``)."""


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
        width = max(map(len, encoded), default=1) or 1
        table = np.array(encoded, dtype=f"S{width}")
        nulls = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
        return cls(table.view(np.uint8).reshape(len(values), width), nulls)

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
        # np.take gathers rows several times faster than matrix[indices]
        return TextColumn(np.take(self.matrix, indices, axis=0), None if self.nulls is None else self.nulls[indices])

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


class TextRows(Sequence[bytes]):
    """Texts held as the rows of a uint8 matrix, the NUL bytes of a row being its padding
    (wherever they are): e.g. the JSON text of many values as the json serializer writes
    them (``LineEncoder.value_rows``; JSON text holds neither a NUL nor a newline, nor may a
    text here). It reads as the sequence of its texts, but code that only moves texts around
    (``Changes.set(..., texts)``, ``join_rows``) takes ``matrix`` as it is: no bytes object
    is made per text."""

    __slots__ = ("matrix",)

    def __init__(self, matrix: np.ndarray[Any, Any]) -> None:
        if matrix.ndim != 2 or matrix.dtype != np.uint8:
            raise ValueError(f"TextRows needs a 2-D uint8 matrix, got {matrix.ndim}-D {matrix.dtype}")
        self.matrix = matrix

    @classmethod
    def of(cls, texts: Sequence[bytes]) -> TextRows:
        """Texts given as bytes objects (left-aligned rows)."""
        if not len(texts):
            return cls(np.zeros((0, 0), dtype=np.uint8))
        table = np.array(texts, dtype=bytes)
        return cls(table.view(np.uint8).reshape(len(texts), table.dtype.itemsize))

    @property
    def width(self) -> int:
        return int(self.matrix.shape[1])

    def tolist(self) -> list[bytes]:
        """Each row without its padding."""
        rows = self.matrix
        width = rows.shape[1]
        if not len(rows):
            return []
        if width and rows.all():  # no padding at all: every text fills its row
            out: list[bytes] = np.ascontiguousarray(rows).view(f"S{width}").ravel().tolist()
            return out
        lines = np.empty((rows.shape[0], width + 1), dtype=np.uint8)
        lines[:, :-1] = rows
        lines[:, -1] = 10  # (no text holds a newline)
        return lines.tobytes().translate(None, b"\x00").split(b"\n")[:-1]

    def take(self, indices: np.ndarray[Any, Any]) -> TextRows:
        return TextRows(np.take(self.matrix, indices, axis=0))

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.tolist())

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> TextRows: ...

    def __getitem__(self, index: int | slice) -> bytes | TextRows:
        if isinstance(index, slice):
            return TextRows(self.matrix[index])
        text: bytes = self.matrix[index].tobytes()
        return text.replace(b"\x00", b"")

    def __repr__(self) -> str:
        return f"TextRows({len(self)} x {self.width})"


Column = list[Any] | np.ndarray[Any, Any] | TextColumn


class Batch(Sequence[Record]):
    """Records of one entity as named columns of equal length (in field order)."""

    __slots__ = ("_absent", "_columns", "_length", "_lists", "_over", "_rows")

    def __init__(self, columns: Mapping[str, Column]) -> None:
        lengths = {name: len(col) for name, col in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"Batch columns differ in length: {lengths}")
        self._columns: dict[str, Column] = dict(columns)
        self._length = next(iter(lengths.values()), 0)
        self._lists: dict[str, list[Any]] = {}
        self._rows: list[Record] | None = None
        self._over: dict[str, tuple[np.ndarray[Any, Any], list[Any]]] = {}
        self._absent: dict[str, np.ndarray[Any, np.dtype[np.bool_]]] = {}

    @classmethod
    def from_rows(cls, names: Iterable[str] | None, rows: Sequence[Record]) -> Batch:
        """Columns ``names`` of ``rows`` (None: every key any row has); a row lacking one of
        them lacks it in the batch too (``MISSING``)."""
        if names is None:
            keys: dict[str, None] = {}
            for r in rows:
                keys.update(dict.fromkeys(r))
            names = keys
        names = list(names)
        try:
            return cls({n: list(map(itemgetter(n), rows)) for n in names})
        except KeyError:  # some row lacks a field
            pass
        out = cls({n: [r.get(n) for r in rows] for n in names})
        for n in names:
            lacking = [i for i, r in enumerate(rows) if n not in r]
            if lacking:
                out.override(n, lacking, [MISSING] * len(lacking))
        return out

    @property
    def names(self) -> tuple[str, ...]:
        """Field names, in column order (once rows are built: the keys of the first row)."""
        if self._rows:
            return tuple(self._rows[0])
        return tuple(self._columns)

    def column(self, name: str) -> list[Any]:
        """The values of field ``name`` as Python objects (a list; do not modify it); None
        where a record lacks the field."""
        if self._rows is not None:
            try:
                return list(map(itemgetter(name), self._rows))
            except KeyError:  # a record lacks the field
                return [r.get(name) for r in self._rows]
        found = self._lists.get(name)
        if found is None:
            col = self._columns[name]
            found = col if isinstance(col, list) else col.tolist()
            over = self._over.get(name)
            absent = self._absent.get(name)
            if over is not None or absent is not None:
                found = list(found)
                if over is not None:
                    for i, v in zip(over[0].tolist(), over[1], strict=True):
                        found[i] = v
                if absent is not None:
                    for i in np.flatnonzero(absent).tolist():
                        found[i] = None
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
        """Field ``name`` exactly as the generator gave it (``numpy.ma.MaskedArray`` included);
        a column with overrides (``override``) is given as its list of values."""
        if self._rows is not None or name in self._over or name in self._absent:
            return self.column(name)
        return self._columns[name]

    @property
    def rows_built(self) -> bool:
        """Whether the dicts exist (and are the batch's truth)."""
        return self._rows is not None

    # -- overrides: values that do not fit their column ------------------------------------------
    def override(self, name: str, positions: Sequence[int] | np.ndarray[Any, Any], values: Sequence[Any]) -> None:
        """Set field ``name`` of the records at ``positions`` to ``values``, which need not fit the
        column (``Raw`` values; ``MISSING`` leaves the field out of the record), keeping the
        column as it is for the other records, so encoders stay vectorized. A new ``name`` adds
        a field the other records lack. For a batch a plugin made itself (a transform's own
        records), before anything reads it."""
        if self._rows is not None:
            raise ValueError("Batch.override needs a batch whose rows were not built")
        pos = np.asarray(positions, dtype=np.intp)
        vals = list(values)
        if pos.ndim != 1 or len(pos) != len(vals):
            raise ValueError(f"Batch.override got {len(pos)} positions and {len(vals)} values")
        if len(pos) and (pos.min() < 0 or pos.max() >= self._length):
            raise ValueError(f"Batch.override positions must be within 0..{self._length - 1}")
        if name not in self._columns:
            self._columns[name] = [None] * self._length
            self._absent[name] = np.ones(self._length, dtype=bool)
        gone = np.fromiter((v is MISSING for v in vals), dtype=bool, count=len(vals))
        absent = self._absent.get(name)
        if gone.any() or absent is not None:
            if absent is None:
                absent = self._absent[name] = np.zeros(self._length, dtype=bool)
            absent[pos[gone]] = True
            absent[pos[~gone]] = False
            if not absent.any():
                del self._absent[name]
        kept = np.flatnonzero(~gone)
        merged = dict(zip(self._over[name][0].tolist(), self._over[name][1], strict=True)) if name in self._over else {}
        for at in pos[gone].tolist():
            merged.pop(at, None)
        merged.update(zip(pos[kept].tolist(), [vals[k] for k in kept.tolist()], strict=True))
        if merged:
            order = np.fromiter(sorted(merged), dtype=np.intp, count=len(merged))
            self._over[name] = (order, [merged[i] for i in order.tolist()])
        else:
            self._over.pop(name, None)
        self._lists.pop(name, None)

    def overrides(self, name: str) -> tuple[np.ndarray[Any, Any], list[Any]] | None:
        """(positions, values) that ``override`` set in field ``name`` (``MISSING`` aside), or
        None: for vectorized readers, which take the other values from ``base(name)``."""
        return None if self._rows is not None else self._over.get(name)

    def absent(self, name: str) -> np.ndarray[Any, np.dtype[np.bool_]] | None:
        """Per record, whether it lacks field ``name`` (``MISSING``), or None when none does."""
        return None if self._rows is not None else self._absent.get(name)

    def base(self, name: str) -> Column:
        """Field ``name``'s column without its overrides (``stored`` when it has none)."""
        if self._rows is not None:
            return self.column(name)
        return self._columns[name]

    @property
    def overridden(self) -> bool:
        """Whether some values are overrides (``override``)."""
        return self._rows is None and bool(self._over or self._absent)

    @classmethod
    def concat(cls, batches: Sequence[Batch]) -> Batch:
        """One batch of the records of ``batches``, in order, overrides kept; a field some of
        them lack is missing from their records."""
        batches = [b if b._rows is None else Batch.from_rows(None, b._rows) for b in batches]
        names: dict[str, None] = {}
        for b in batches:
            names.update(dict.fromkeys(b._columns))
        parts: dict[str, list[Column]] = {n: [] for n in names}
        lacking: dict[str, list[tuple[int, int]]] = {}
        offset = 0
        for b in batches:
            have = b._columns
            for n in names:
                if n in have:
                    parts[n].append(b.base(n))
                else:
                    parts[n].append([None] * len(b))
                    lacking.setdefault(n, []).append((offset, len(b)))
            offset += len(b)
        out = cls({n: concat_columns(cols) for n, cols in parts.items()})
        overs: dict[str, tuple[list[np.ndarray[Any, Any]], list[Any]]] = {}
        offset = 0
        for b in batches:
            for n, (pos, vals) in b._over.items():
                got = overs.setdefault(n, ([], []))
                got[0].append(pos + offset)
                got[1].extend(vals)
            for n, mask in b._absent.items():
                if n not in out._absent:
                    out._absent[n] = np.zeros(out._length, dtype=bool)
                out._absent[n][offset : offset + len(b)] = mask
            offset += len(b)
        for n, spans in lacking.items():
            if n not in out._absent:
                out._absent[n] = np.zeros(out._length, dtype=bool)
            for at, size in spans:
                out._absent[n][at : at + size] = True
        out._over = {n: (np.concatenate(p), v) for n, (p, v) in overs.items()}
        return out

    def row(self, index: int) -> Record:
        """Record ``index`` as a dict: built rows are shared, else a new dict from the columns."""
        if self._rows is not None:
            return self._rows[index]
        if self.overridden:
            return self.take([index]).rows()[0]
        return {name: self.column(name)[index] for name in self._columns}

    def rows(self) -> list[Record]:
        """One dict per record, built once; from then on the rows are the batch's truth."""
        if self._rows is None:
            names = list(self._columns)
            cols = [c if isinstance(c, list) else c.tolist() for c in self._columns.values()]
            rows = [dict(zip(names, values, strict=True)) for values in zip(*cols, strict=True)]
            for n, (pos, vals) in self._over.items():
                for i, v in zip(pos.tolist(), vals, strict=True):
                    rows[i][n] = v
            for n, mask in self._absent.items():
                for i in np.flatnonzero(mask).tolist():
                    del rows[i][n]
            self._rows = rows
            self._over = {}
            self._absent = {}
            self._lists.clear()
        return self._rows

    def take(self, indices: Sequence[int] | np.ndarray[Any, Any]) -> Batch:
        """A new batch of the records at ``indices`` (in that order)."""
        idx = np.asarray(indices, dtype=np.intp)
        if self._rows is not None:  # the rows are the truth: a lacking key stays lacking
            rows = self._rows
            return Batch.from_rows(None, [rows[i] for i in idx.tolist()])
        out: dict[str, Column] = {}
        getter: Any = None
        for name in self._columns:
            col = self.base(name)
            if isinstance(col, np.ndarray):
                out[name] = col[idx]
            elif isinstance(col, TextColumn):
                out[name] = col.take(idx)
            elif len(idx) > 1:
                if getter is None:
                    getter = itemgetter(*idx.tolist())
                out[name] = list(getter(col))
            else:
                out[name] = [col[i] for i in idx.tolist()]
        taken = Batch(out)
        if self._rows is None:
            for name, (pos, vals) in self._over.items():
                where = np.full(self._length, -1, dtype=np.intp)
                where[pos] = np.arange(len(pos), dtype=np.intp)
                hit = where[idx]
                at = np.flatnonzero(hit >= 0)
                if len(at):
                    taken._over[name] = (at, [vals[k] for k in hit[at].tolist()])
            for name, mask in self._absent.items():
                picked = mask[idx]
                if picked.any():
                    taken._absent[name] = picked
        return taken

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
            if not self.overridden:
                return Batch({n: c[index] for n, c in self._columns.items()})
            start, stop, step = index.indices(self._length)
            if step != 1:
                return self.take(np.arange(self._length, dtype=np.intp)[index])
            part = Batch({n: c[index] for n, c in self._columns.items()})  # views: no copy of a chunk
            for name, (pos, vals) in self._over.items():
                at = np.flatnonzero((pos >= start) & (pos < stop))
                if len(at):
                    part._over[name] = (pos[at] - start, [vals[k] for k in at.tolist()])
            for name, mask in self._absent.items():
                if mask[index].any():
                    part._absent[name] = mask[index]
            return part
        return self.rows()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Batch, list, tuple)):
            return self.rows() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Batch({self._length} records: {', '.join(self._columns)})"


def concat_columns(cols: Sequence[Column]) -> Column:
    """Columns of one field, one after the other, in a form they share (else a list)."""
    if len(cols) == 1:
        return cols[0]
    if all(isinstance(c, TextColumn) for c in cols):
        texts = [c for c in cols if isinstance(c, TextColumn)]
        width = max(c.width for c in texts)
        if all(c.width == width for c in texts):
            matrix = np.concatenate([c.matrix for c in texts])
        else:
            matrix = np.zeros((sum(len(c) for c in texts), width), dtype=np.uint8)
            at = 0
            for c in texts:
                matrix[at : at + len(c), : c.width] = c.matrix
                at += len(c)
        nulls = None
        if any(c.nulls is not None for c in texts):
            nulls = np.concatenate([np.zeros(len(c), dtype=bool) if c.nulls is None else c.nulls for c in texts])
        return TextColumn(matrix, nulls)
    if all(isinstance(c, np.ndarray) for c in cols):
        arrays = [c for c in cols if isinstance(c, np.ndarray)]
        if len({a.dtype for a in arrays}) == 1 and arrays[0].dtype != object:
            if any(isinstance(a, np.ma.MaskedArray) for a in arrays):
                return np.ma.concatenate(arrays)  # type: ignore[no-untyped-call,no-any-return]
            return np.concatenate(arrays)
    out: list[Any] = []
    for part in cols:
        out.extend(part if isinstance(part, list) else part.tolist())
    return out


def is_run(positions: np.ndarray[Any, Any]) -> bool:
    """Whether ``positions`` are consecutive ascending integers (a slice: ``a, a+1, ..., b``)."""
    n = len(positions)
    return bool(n) and int(positions[-1]) - int(positions[0]) == n - 1 and bool((np.diff(positions) == 1).all())


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


__all__ = ["MISSING", "Batch", "Column", "TextColumn", "TextRows", "as_rows", "column", "concat_columns", "day_array",
           "int_array", "is_run", "take_text", "text_matrix"]
