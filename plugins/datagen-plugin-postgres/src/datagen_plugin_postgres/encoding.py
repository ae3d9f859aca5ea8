"""Records -> COPY payloads (binary or text), column by column.

Pure functions of the entity spec and the records: they run in the process that generated
the batch (a worker with ``--workers`` > 1), so the main process only streams bytes.

Records are read as columns: a ``datagen_kernel.Batch`` hands over its stored columns (numpy
arrays are encoded as they are), a list of dicts is transposed once in C. Column types come
from ``datagen_kernel.schema.sql_type`` (the same function that writes the DDL), so a column
is always encoded the way its table declares it. Values follow the kernel's representation:
decimals are ints scaled by ``10**scale`` (or ``Decimal``), timestamps are epoch milliseconds
(or aware ``datetime``), dates are ``datetime.date`` (``datetime64[D]`` in a batch), and a
nested record (an address) is a dict flattened to ``<field>_<sub>`` columns.

Binary COPY is built without a Python object per value: each column becomes either a block of
fixed-width cells (one numpy row per record, length prefix included) or the concatenated bytes
of its values with their lengths; one numpy gather then interleaves the columns into rows.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from datagen_kernel import Batch, EntitySpec, Record, TextColumn
from datagen_kernel.api.schema import Decimal, sql_columns, sql_type
from datagen_kernel.api.schema import Record as RecordType
from datagen_kernel.codecs.normalise import epoch_millis, scaled_decimal

BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
BINARY_TRAILER = struct.pack(">h", -1)
_PG_EPOCH_MS = 946_684_800_000
"""2000-01-01T00:00:00Z, PostgreSQL's epoch for binary dates and timestamps, in Unix ms."""
_PG_EPOCH_UNIX_DAYS = 10_957
"""Days from 1970-01-01 to 2000-01-01."""
_UNIX_ORDINAL = dt.date(1970, 1, 1).toordinal()

Column = list[Any] | np.ndarray[Any, Any] | TextColumn
"""A column's values: a list of record values, or a numpy array or ``TextColumn`` (from a ``Batch``)."""


class EncodeError(ValueError):
    """A value that its column cannot hold (a generator bug); names the column."""

    def __init__(self, column: str, exc: Exception) -> None:
        super().__init__(f"column {column}: {exc}")
        self.column = column


@dataclass(frozen=True)
class ColumnPlan:
    """One SQL column: its name, its SQL type and where its value sits in a record."""

    name: str
    sql_type: str
    field: str
    sub: str | None
    scale: int
    precision: int = 0


def column_plans(spec: EntitySpec) -> list[ColumnPlan]:
    """The entity's SQL columns in table order (nested records flattened)."""
    plans: list[ColumnPlan] = []
    for f in spec.fields:
        if isinstance(f.type, RecordType):
            for sub in f.type.fields:
                plans.append(ColumnPlan(f"{f.name}_{sub.name}", sql_type(sub.type), f.name, sub.name,
                                        *_digits(sub.type)))
        else:
            plans.append(ColumnPlan(f.name, sql_type(f.type), f.name, None, *_digits(f.type)))
    if [p.name for p in plans] != [name for name, _ in sql_columns(spec)]:
        raise RuntimeError(f"column layout of {spec.name} differs from datagen_kernel.schema.sql_columns")
    return plans


def _digits(t: Any) -> tuple[int, int]:
    return (t.scale, t.precision) if isinstance(t, Decimal) else (0, 0)


# ---------------------------------------------------------------------------------------------
# records -> columns


def all_columns(plans: Sequence[ColumnPlan], records: Sequence[Record]) -> list[Column]:
    """Every SQL column's values, in ``plans`` order (``None`` where a nested record is null).

    A ``Batch`` gives its stored columns (arrays stay arrays); a list of dicts is transposed
    by ``itemgetter`` and ``zip`` in C (a record without some field: that value is NULL).
    """
    fields = list(dict.fromkeys(p.field for p in plans))
    if isinstance(records, Batch):
        names = set(records.names)
        by_field: dict[str, Column] = {
            f: records.values(f) if f in names else [None] * len(records) for f in fields
        }
    else:
        rows = records if isinstance(records, list) else list(records)
        try:
            by_field = dict(zip(fields, _transpose(list(map(itemgetter(*fields), rows)), len(fields)), strict=True))
        except KeyError:
            by_field = {f: [r.get(f) for r in rows] for f in fields}
    out: list[Column] = []
    nested: dict[str, dict[str, Column]] = {}
    for plan in plans:
        if plan.sub is None:
            out.append(by_field[plan.field])
            continue
        if plan.field not in nested:
            subs = [p.sub for p in plans if p.field == plan.field and p.sub is not None]
            nested[plan.field] = _split_nested(by_field[plan.field], subs)
        out.append(nested[plan.field][plan.sub])
    return out


def _split_nested(outer: Column, subs: list[str]) -> dict[str, Column]:
    """Sub-field columns of a column of nested records (dicts, or None for a null record)."""
    outer = _as_list(outer)
    if set(map(type, outer)) == {dict}:
        try:
            rows = list(map(itemgetter(*subs), outer))
        except KeyError:
            pass
        else:
            return dict(zip(subs, _transpose(rows, len(subs)), strict=True))
    return {s: [v.get(s) if isinstance(v, dict) else None for v in outer] for s in subs}


def _transpose(rows: list[Any], width: int) -> list[list[Any]]:
    if width == 1:
        return [rows]
    if not rows:
        return [[] for _ in range(width)]
    return [list(c) for c in zip(*rows, strict=True)]


# ---------------------------------------------------------------------------------------------
# value normalisation shared by both formats


def scaled_int(value: Any, scale: int) -> int:
    """A decimal value as an int in units of ``10**-scale`` (ints pass through; ``Decimal`` and
    ``float`` are rounded by the kernel's one rule, ``datagen_kernel.codecs.normalise``)."""
    if value.__class__ is int:
        return int(value)
    return scaled_decimal(value, scale)


def epoch_ms(value: Any) -> int:
    """A timestamp value as epoch milliseconds (ints pass through; an aware datetime is rounded
    to the millisecond by the kernel's rule)."""
    if value.__class__ is int:
        return int(value)
    return epoch_millis(value)


def _as_list(values: Column) -> list[Any]:
    return values if isinstance(values, list) else values.tolist()


# ---------------------------------------------------------------------------------------------
# binary COPY: each value is int32 length + bytes (length -1 = NULL)

Fixed = np.ndarray
"""Fixed-width cells: a uint8 array of shape (rows, 4 + width), length prefix included."""


@dataclass(frozen=True)
class Varying:
    """Cells of varying width: each value's byte length (-1 = NULL) and all values' bytes."""

    lengths: np.ndarray[Any, Any]
    data: np.ndarray[Any, Any]


Cells = Fixed | Varying


def _int64_array(values: Column) -> np.ndarray[Any, Any] | None:
    """``values`` as int64 if they all are plain ints that fit, else None (then: per value).

    Strict on purpose: a float or bool where an int belongs is never truncated silently; the
    per-value path then raises or encodes it explicitly.
    """
    if isinstance(values, np.ndarray):
        arr = values
    else:
        try:
            arr = np.array(values)
        except (TypeError, ValueError, OverflowError):
            return None
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or len(arr) != len(values):
        return None
    if arr.dtype.kind == "u" and len(arr) and int(arr.max()) >= 2**63:
        return None
    return arr.astype(np.int64, copy=False)


def _block(arr: np.ndarray[Any, Any], dtype: str) -> Fixed:
    """Length-prefixed big-endian values as a (rows, 4 + width) uint8 block."""
    width = np.dtype(dtype).itemsize
    out = np.empty(len(arr), dtype=[("len", ">i4"), ("val", dtype)])
    out["len"] = width
    out["val"] = arr
    return out.view(np.uint8).reshape(len(arr), 4 + width)


def _varying(parts: list[bytes]) -> Varying:
    return Varying(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)),
                   np.frombuffer(b"".join(parts), dtype=np.uint8))


def _with_nulls(values: Column, encode: Callable[[Column], Cells]) -> Cells:
    """Encode the non-NULL values with ``encode``; NULL (length -1) for the others."""
    values = _as_list(values)
    if None not in values:
        return encode(values)
    lengths = np.full(len(values), -1, dtype=np.int64)
    if values.count(None) == len(values):
        return Varying(lengths, np.empty(0, dtype=np.uint8))
    present = np.array([v is not None for v in values], dtype=bool)
    cells = encode([v for v in values if v is not None])
    if isinstance(cells, Varying):
        lengths[present] = cells.lengths
        return Varying(lengths, cells.data)
    lengths[present] = cells.shape[1] - 4
    return Varying(lengths, np.ascontiguousarray(cells[:, 4:]).reshape(-1))


def _bin_text(values: Column) -> Cells:
    values = _as_list(values)
    try:
        joined = "".join(values)
    except TypeError:
        bad = next(v for v in values if not isinstance(v, str))
        raise TypeError(f"text value expected, got {type(bad).__name__} {bad!r}") from None
    raw = joined.encode("utf-8")
    n = len(values)
    chars = np.fromiter(map(len, values), dtype=np.int64, count=n)
    data = np.frombuffer(raw, dtype=np.uint8)
    if len(raw) == len(joined):  # ASCII: bytes = characters
        width = len(raw) // n if n else 0
        if n and width and width * n == len(raw) and chars.min() == width:  # every value as long: fixed cells
            return _prefixed(data.reshape(n, width))
        return Varying(chars, data)
    starts = np.flatnonzero((data & 0xC0) != 0x80)  # first byte of each character
    ends = np.append(starts, len(raw))[np.cumsum(chars)]
    return Varying(np.diff(ends, prepend=0), data)


def _prefixed(matrix: np.ndarray[Any, Any]) -> Fixed:
    """Fixed cells of equal-width values given as an (n, width) byte matrix."""
    n, width = matrix.shape
    block = np.empty((n, 4 + width), dtype=np.uint8)
    block[:, :4] = np.frombuffer(struct.pack(">i", width), dtype=np.uint8)
    block[:, 4:] = matrix
    return block


_DASHES = (8, 13, 18, 23)
_HEX_VALUE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX_VALUE[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX_VALUE[_c] = 10 + _i
_HEX_COLUMNS = np.array([i for i in range(36) if i not in _DASHES])


def _uuid_matrix(matrix: np.ndarray[Any, Any]) -> Fixed:
    """UUID cells from an (n, 36) matrix of their ASCII text, decoded in numpy."""
    n, width = matrix.shape
    if width != 36 or (n and not (matrix[:, list(_DASHES)] == ord("-")).all()):
        raise ValueError("a value is not a UUID (36 characters, dashes at 8, 13, 18 and 23)")
    nibbles = _HEX_VALUE[matrix[:, _HEX_COLUMNS]]
    if n and nibbles.max() > 15:
        raise ValueError("a UUID holds a character that is not a hex digit")
    block = np.empty((n, 20), dtype=np.uint8)
    block[:, :4] = np.frombuffer(_LEN16, dtype=np.uint8)
    block[:, 4:] = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
    return block




def _bin_uuid(values: Column) -> Cells:
    values = _as_list(values)
    n = len(values)
    try:
        joined = "".join(values)
    except TypeError:
        raise TypeError("UUID values must be str") from None
    if len(joined) != 36 * n or any(joined[d::36].count("-") != n for d in _DASHES):
        raise ValueError("a value is not a UUID (36 characters, dashes at 8, 13, 18 and 23)")
    raw = bytes.fromhex(joined.replace("-", ""))
    block = np.empty((n, 20), dtype=np.uint8)
    block[:, :4] = np.frombuffer(_LEN16, dtype=np.uint8)
    block[:, 4:] = np.frombuffer(raw, dtype=np.uint8).reshape(n, 16)
    return block


_LEN16 = struct.pack(">i", 16)


def _bin_bool(values: Column) -> Cells:
    flags = values if isinstance(values, np.ndarray) and values.dtype == bool else [bool(v) for v in values]
    return _block(np.asarray(flags, dtype=bool), "?")


def numeric_binary(value: int, scale: int) -> bytes:
    """PostgreSQL's binary NUMERIC of ``value * 10**-scale`` (without the length prefix).

    Layout: ndigits, weight, sign, dscale (int16 each), then ndigits base-10000 digits;
    the digit groups are aligned on the decimal point.
    """
    sign = 0x4000 if value < 0 else 0
    v = -value if value < 0 else value
    frac_groups = (scale + 3) // 4
    v *= 10 ** (frac_groups * 4 - scale)
    digits: list[int] = []
    while v:
        v, d = divmod(v, 10000)
        digits.append(d)
    if not digits:
        return struct.pack(">hhHh", 0, 0, 0, scale)
    weight = len(digits) - frac_groups - 1
    trailing = 0
    while digits[trailing] == 0:
        trailing += 1
    digits = digits[trailing:]
    digits.reverse()
    return struct.pack(f">hhHh{len(digits)}h", len(digits), weight, sign, scale, *digits)


def _numeric_vector(values: Column, precision: int, scale: int) -> Fixed | None:
    """Every value of a NUMERIC(p,s) column with the same digit layout, via numpy.

    All values get ``groups`` base-10000 digits (leading and trailing zero digits included,
    which PostgreSQL strips on receipt), so each encoded value has the same width. None
    when a value is a ``Decimal`` or out of int64 range: then value by value.
    """
    arr = _int64_array(values)
    if arr is None or not len(arr):
        return None
    frac_groups = (scale + 3) // 4
    int_groups = max(1, -(-(precision - scale) // 4))
    groups = int_groups + frac_groups
    mult = 10 ** (frac_groups * 4 - scale)
    biggest = max(int(arr.max()), -int(arr.min())) * mult
    if biggest >= min(10000**groups, 2**63):
        return None
    magnitude = np.abs(arr) * mult
    out = np.empty(len(arr), dtype=[("len", ">i4"), ("ndigits", ">i2"), ("weight", ">i2"), ("sign", ">u2"),
                                     ("dscale", ">i2"), ("digits", ">i2", (groups,))])
    out["len"] = 8 + 2 * groups
    out["ndigits"] = groups
    out["weight"] = int_groups - 1
    out["sign"] = np.where(arr < 0, 0x4000, 0)
    out["dscale"] = scale
    for k in range(groups):
        divisor = 10000 ** (groups - 1 - k)
        # NUMERIC(20,6) and wider: the leading digits of int64 magnitudes are 0 (and their divisors overflow int64)
        out["digits"][:, k] = 0 if divisor >= 2**63 else (magnitude // divisor) % 10000
    return out.view(np.uint8).reshape(len(arr), out.dtype.itemsize)


def _bin_numeric(values: Column, precision: int, scale: int) -> Cells:
    fast = _numeric_vector(values, precision, scale)
    if fast is not None:
        return fast
    return _varying([numeric_binary(scaled_int(v, scale), scale) for v in _as_list(values)])


def _as_int(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    raise TypeError(f"int value expected, got {type(v).__name__} {v!r}")


def _bin_ints(values: Column, dtype: str) -> Cells:
    arr = _int64_array(values)
    if arr is None:
        objs = np.array([_as_int(v) for v in _as_list(values)], dtype=object)
        if any(v < -(2**63) or v >= 2**63 for v in objs):
            raise OverflowError("value out of BIGINT range")
        arr = objs.astype(np.int64)
    if dtype == ">i4" and len(arr) and (arr.min() < -(2**31) or arr.max() > 2**31 - 1):
        raise OverflowError("value out of INTEGER range")
    return _block(arr, dtype)


def _bin_timestamps(values: Column) -> Cells:
    arr = _int64_array(values)
    if arr is None:
        arr = np.array([epoch_ms(v) for v in _as_list(values)], dtype=np.int64)
    return _block((arr - _PG_EPOCH_MS) * 1000, ">i8")


def _bin_dates(values: Column) -> Cells:
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        days = values.astype("datetime64[D]").astype(np.int64)
    else:
        values = _as_list(values)
        if set(map(type, values)) - {dt.date}:
            raise TypeError("date values must be datetime.date")
        # toordinal in C: numpy's own conversion of date objects costs 25 times more
        days = np.fromiter(map(dt.date.toordinal, values), dtype=np.int64, count=len(values)) - _UNIX_ORDINAL
    return _block(days - _PG_EPOCH_UNIX_DAYS, ">i4")


def _bin_floats(values: Column) -> Cells:
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return _block(values.astype(np.float64, copy=False), ">f8")
    return _block(np.array([float(v) for v in _as_list(values)], dtype=np.float64), ">f8")


_NULLABLE_ARRAY_KINDS = "OUS"
"""numpy dtype kinds that can hold None (object) or are converted to lists first (strings)."""


def binary_cells(plan: ColumnPlan, values: Column) -> Cells:
    """One column's values as binary COPY cells (fixed-width block or varying bytes)."""
    t = plan.sql_type
    if isinstance(values, TextColumn):
        if values.fixed and (t == "TEXT" or t.startswith("VARCHAR")):
            return _prefixed(values.matrix)
        if values.fixed and t == "UUID":
            return _uuid_matrix(values.matrix)
        values = values.tolist()  # padded, with nulls, or another type: the general path
    elif isinstance(values, np.ndarray) and values.dtype.kind in _NULLABLE_ARRAY_KINDS:
        values = values.tolist()
    if t == "TEXT" or t.startswith("VARCHAR"):
        return _with_nulls(values, _bin_text)
    if t == "UUID":
        return _with_nulls(values, _bin_uuid)
    if t == "INTEGER":
        return _with_nulls(values, lambda v: _bin_ints(v, ">i4"))
    if t == "BIGINT":
        return _with_nulls(values, lambda v: _bin_ints(v, ">i8"))
    if t == "DOUBLE PRECISION":
        return _with_nulls(values, _bin_floats)
    if t == "BOOLEAN":
        return _with_nulls(values, _bin_bool)
    if t.startswith("NUMERIC"):
        return _with_nulls(values, lambda v: _bin_numeric(v, plan.precision, plan.scale))
    if t == "DATE":
        return _with_nulls(values, _bin_dates)
    if t == "TIMESTAMPTZ":
        return _with_nulls(values, _bin_timestamps)
    raise TypeError(f"no binary COPY encoder for SQL type {t}")


def binary_column(plan: ColumnPlan, values: Column) -> list[bytes]:
    """Each value of a column in binary COPY form (length prefix included; for tests)."""
    cells = binary_cells(plan, values)
    if isinstance(cells, np.ndarray):
        return [bytes(row) for row in cells]
    out: list[bytes] = []
    pos = 0
    for length in cells.lengths.tolist():
        if length < 0:
            out.append(struct.pack(">i", -1))
            continue
        out.append(struct.pack(">i", length) + cells.data[pos : pos + length].tobytes())
        pos += length
    return out


GATHER_CHUNK_BYTES = 1 << 20
"""Output bytes assembled per numpy gather (bounds its index array to 4-8 MiB)."""


def encode_binary(plans: Sequence[ColumnPlan], records: Sequence[Record]) -> bytes:
    """The tuples of a binary COPY stream (without header and trailer).

    Each tuple is the field count, then per column a length and the value's bytes. Runs of
    fixed-width cells (and the length prefixes of varying ones) are glued into one block per
    run with ``np.hstack``; the varying values stay concatenated per column. The tuples are
    then one gather: for every output byte, where it sits in those sources.
    """
    n = len(records)
    if not n:
        return b""
    head = np.empty((n, 2), dtype=np.uint8)
    head[:] = np.frombuffer(struct.pack(">h", len(plans)), dtype=np.uint8)
    parts: list[Fixed | Varying] = []
    run: list[Fixed] = [head]
    for plan, values in zip(plans, all_columns(plans, records), strict=True):
        cells = _checked(binary_cells, plan, values)
        if isinstance(cells, np.ndarray):
            run.append(cells)
            continue
        run.append(cells.lengths.astype(">i4").view(np.uint8).reshape(n, 4))
        parts.append(np.hstack(run) if len(run) > 1 else run[0])
        parts.append(cells)
        run = []
    if run:
        parts.append(np.hstack(run) if len(run) > 1 else run[0])
    if len(parts) == 1:
        return parts[0].tobytes()  # type: ignore[union-attr]
    return _interleave(parts, n)


def _interleave(parts: list[Fixed | Varying], n: int) -> bytes:
    """Row i of the result is the i-th cell(s) of every part, in part order."""
    sources: list[np.ndarray[Any, Any]] = []
    starts: list[np.ndarray[Any, Any]] = []
    lengths: list[np.ndarray[Any, Any]] = []
    base = 0
    for part in parts:
        if isinstance(part, np.ndarray):
            width = part.shape[1]
            sources.append(part.reshape(-1))
            starts.append(np.arange(base, base + n * width, width, dtype=np.int64))
            lengths.append(np.full(n, width, dtype=np.int64))
            base += n * width
        else:
            size = np.maximum(part.lengths, 0)
            ends = np.cumsum(size)
            if int(ends[-1]) != len(part.data):
                raise RuntimeError("varying cells: lengths do not add up to the data")
            sources.append(part.data)
            starts.append(base + ends - size)
            lengths.append(size)
            base += len(part.data)
    seg_len = np.stack(lengths, axis=1).reshape(-1)
    seg_end = np.cumsum(seg_len)
    shift = np.stack(starts, axis=1).reshape(-1) - (seg_end - seg_len)
    source = np.concatenate(sources)
    total = int(seg_end[-1])
    # int32 indexes when they fit: numpy repeats 4-byte items several times faster than 8-byte
    itype = np.int32 if max(total, len(source)) < 2**31 else np.int64
    shift = shift.astype(itype)
    out = np.empty(total, dtype=np.uint8)
    width = len(parts)
    rows_per_chunk = max(1, GATHER_CHUNK_BYTES * n // max(total, 1))
    for r0 in range(0, n, rows_per_chunk):
        a, b = r0 * width, min(n, r0 + rows_per_chunk) * width
        lo = int(seg_end[a] - seg_len[a])
        hi = int(seg_end[b - 1])
        index = np.repeat(shift[a:b], seg_len[a:b])
        index += np.arange(lo, hi, dtype=itype)
        np.take(source, index, out=out[lo:hi])
    return out.tobytes()


# ---------------------------------------------------------------------------------------------
# text COPY: tab-separated, backslash escapes, \N for NULL

_SEP = "\x1f"
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _escape_all(values: list[str]) -> list[str]:
    """Escape a column at once: join, replace, split (per value only if the separator occurs)."""
    if not values:
        return values
    joined = _SEP.join(values)
    if joined.count(_SEP) != len(values) - 1:
        return [_escape_one(v) for v in values]
    if not any(c in joined for c in "\\\t\n\r"):
        return values
    for old, new in _ESCAPES:
        joined = joined.replace(old, new)
    return joined.split(_SEP)


def _escape_one(v: str) -> str:
    for old, new in _ESCAPES:
        v = v.replace(old, new)
    return v


def _txt_strings(values: Column) -> list[str]:
    present = [v for v in values if v is not None]
    escaped = iter(_escape_all(present))
    return ["\\N" if v is None else next(escaped) for v in values]


def _txt_numeric(values: Column, scale: int) -> list[str]:
    out: list[str] = []
    for v in values:
        if v is None:
            out.append("\\N")
            continue
        n = scaled_int(v, scale)
        if scale == 0:
            out.append(str(n))
        else:
            sign = "-" if n < 0 else ""
            q, r = divmod(-n if n < 0 else n, 10**scale)
            out.append(f"{sign}{q}.{r:0{scale}d}")
    return out


def _txt_timestamps(values: Column) -> list[str]:
    ms = [None if v is None else epoch_ms(v) for v in values]
    present = [v for v in ms if v is not None]
    if not present:
        return ["\\N"] * len(values)
    text = iter(np.datetime_as_string(np.array(present, dtype="datetime64[ms]"), unit="ms").tolist())
    return ["\\N" if v is None else next(text) + "Z" for v in ms]


def text_column(plan: ColumnPlan, values: list[Any]) -> list[str]:
    t = plan.sql_type
    if t == "TEXT" or t.startswith("VARCHAR"):
        return _txt_strings(values)
    if t == "UUID":
        return ["\\N" if v is None else v for v in values]
    if t in ("INTEGER", "BIGINT"):
        return ["\\N" if v is None else str(int(v)) for v in values]
    if t == "DOUBLE PRECISION":
        return ["\\N" if v is None else repr(float(v)) for v in values]
    if t == "BOOLEAN":
        return ["\\N" if v is None else ("t" if v else "f") for v in values]
    if t.startswith("NUMERIC"):
        return _txt_numeric(values, plan.scale)
    if t == "DATE":
        return ["\\N" if v is None else v.isoformat() for v in values]
    if t == "TIMESTAMPTZ":
        return _txt_timestamps(values)
    raise TypeError(f"no text COPY encoder for SQL type {t}")


def encode_text(plans: Sequence[ColumnPlan], records: Sequence[Record]) -> bytes:
    """Lines of a text-format COPY stream (UTF-8)."""
    if not records:
        return b""
    columns = [_checked(text_column, p, _as_list(v)) for p, v in zip(plans, all_columns(plans, records), strict=True)]
    lines = ["\t".join(row) for row in zip(*columns, strict=True)]
    lines.append("")
    return "\n".join(lines).encode("utf-8")


def _checked(encode: Callable[[ColumnPlan, Any], Any], plan: ColumnPlan, values: Any) -> Any:
    try:
        return encode(plan, values)
    except (TypeError, ValueError, OverflowError, AttributeError, struct.error) as exc:
        raise EncodeError(plan.name, exc) from None


ENCODERS: dict[str, Callable[[Sequence[ColumnPlan], Sequence[Record]], bytes]] = {
    "binary": encode_binary,
    "text": encode_text,
}
