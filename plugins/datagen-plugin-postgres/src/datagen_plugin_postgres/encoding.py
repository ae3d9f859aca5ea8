"""Records -> COPY payloads (binary or text), column by column.

Pure functions of the entity spec and the records: they run in the process that generated
the batch (a worker with ``--workers`` > 1), so the main process only streams bytes.

Column types come from ``datagen_kernel.schema.sql_type`` (the same function that writes the
DDL), so a column is always encoded the way its table declares it. Record values follow the
kernel's representation: decimals are ints scaled by ``10**scale`` (or ``Decimal``),
timestamps are epoch milliseconds (or aware ``datetime``), dates are ``datetime.date``, and a
nested record (an address) is a dict flattened to ``<field>_<sub>`` columns.
"""

from __future__ import annotations

import datetime as dt
import decimal
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from datagen_kernel import EntitySpec, Record
from datagen_kernel.schema import Decimal, sql_columns, sql_type
from datagen_kernel.schema import Record as RecordType

BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
BINARY_TRAILER = struct.pack(">h", -1)
_NULL = struct.pack(">i", -1)
_PG_EPOCH_MS = 946_684_800_000
"""2000-01-01T00:00:00Z, PostgreSQL's epoch for binary dates and timestamps, in Unix ms."""
_PG_EPOCH_UNIX_DAYS = 10_957
"""Days from 1970-01-01 to 2000-01-01."""
_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

Column = list[Any]


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


def column_values(plan: ColumnPlan, records: Sequence[Record]) -> Column:
    """One column's values (``None`` where a nested record is null)."""
    if plan.sub is None:
        name = plan.field
        return [r.get(name) for r in records]
    outer, sub = plan.field, plan.sub
    return [None if (v := r.get(outer)) is None else v.get(sub) for r in records]


def all_columns(plans: Sequence[ColumnPlan], records: Sequence[Record]) -> list[Column]:
    """Every column at once: ``itemgetter`` and ``zip`` transpose the records in C."""
    fields = list(dict.fromkeys(p.field for p in plans))
    try:
        by_field = dict(zip(fields, _transpose(list(map(itemgetter(*fields), records)), len(fields)), strict=True))
    except KeyError:  # a record without some field: that value is NULL
        return [column_values(p, records) for p in plans]
    out: list[Column] = []
    nested: dict[str, dict[str, Column]] = {}
    for plan in plans:
        if plan.sub is None:
            out.append(by_field[plan.field])
            continue
        if plan.field not in nested:
            outer = by_field[plan.field]
            subs = [p.sub for p in plans if p.field == plan.field and p.sub is not None]
            if None in outer or any(not isinstance(v, dict) for v in outer):
                nested[plan.field] = {s: [None if v is None else v.get(s) for v in outer] for s in subs}
            else:
                try:
                    rows = list(map(itemgetter(*subs), outer))
                except KeyError:
                    nested[plan.field] = {s: [v.get(s) for v in outer] for s in subs}
                else:
                    nested[plan.field] = dict(zip(subs, _transpose(rows, len(subs)), strict=True))
        out.append(nested[plan.field][plan.sub])
    return out


def _transpose(rows: list[Any], width: int) -> list[Column]:
    if width == 1:
        return [rows]
    if not rows:
        return [[] for _ in range(width)]
    return [list(c) for c in zip(*rows, strict=True)]


# ---------------------------------------------------------------------------------------------
# value normalisation shared by both formats


def scaled_int(value: Any, scale: int) -> int:
    """A decimal value as an int in units of ``10**-scale`` (ints pass through)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, decimal.Decimal):
        return int(value.quantize(decimal.Decimal(1).scaleb(-scale)).scaleb(scale))
    raise TypeError(f"decimal value must be int (scaled) or Decimal, got {type(value).__name__}")


def epoch_ms(value: Any) -> int:
    """A timestamp value as epoch milliseconds (ints pass through; aware datetimes convert)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError("timestamp datetime values must be timezone-aware")
        delta = value - _UNIX_EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    raise TypeError(f"timestamp value must be int epoch ms or aware datetime, got {type(value).__name__}")


# ---------------------------------------------------------------------------------------------
# binary COPY: each value is int32 length + bytes (length -1 = NULL)


_LEN = [struct.pack(">i", n) for n in range(1024)]
_PACK_INT = struct.Struct(">i").pack

Fixed = np.ndarray
"""A fixed-width column: uint8 array of shape (rows, 4 + width), length prefix included."""


def _length(n: int) -> bytes:
    return _LEN[n] if n < 1024 else _PACK_INT(n)


def _int64_array(values: Column) -> np.ndarray[Any, Any] | None:
    """``values`` as int64 if they all are plain ints that fit, else None (then: per value).

    Strict on purpose: a float or bool where an int belongs is never truncated silently; the
    per-value path then raises or encodes it explicitly.
    """
    try:
        arr = np.array(values)
    except (TypeError, ValueError, OverflowError):
        return None
    if arr.ndim != 1 or arr.dtype.kind != "i" or len(arr) != len(values):
        return None
    return arr.astype(np.int64, copy=False)


def _block(arr: np.ndarray[Any, Any], dtype: str) -> Fixed:
    """Length-prefixed big-endian values as a (rows, 4 + width) uint8 block."""
    width = np.dtype(dtype).itemsize
    out = np.empty(len(arr), dtype=[("len", ">i4"), ("val", dtype)])
    out["len"] = width
    out["val"] = arr
    return out.view(np.uint8).reshape(len(arr), 4 + width)


def _rows_of(block: Fixed) -> list[bytes]:
    raw = block.tobytes()
    step = block.shape[1]
    return [raw[i : i + step] for i in range(0, len(raw), step)]


def _with_nulls(values: Column, encode: Callable[[Column], list[bytes] | Fixed]) -> list[bytes]:
    """Encode the non-NULL values with ``encode``, NULL (length -1) for the others."""
    present = [i for i, v in enumerate(values) if v is not None]
    out = [_NULL] * len(values)
    if present:
        encoded = encode([values[i] for i in present])
        if isinstance(encoded, np.ndarray):
            encoded = _rows_of(encoded)
        for i, b in zip(present, encoded, strict=True):
            out[i] = b
    return out


def _fixed_values(values: Column, dtype: str, convert: Callable[[Any], Any]) -> Fixed:
    return _block(np.array([convert(v) for v in values], dtype=np.float64 if dtype == ">f8" else np.int64), dtype)


def _bin_text(values: Column) -> list[bytes]:
    if None in values:
        return _with_nulls(values, _bin_text)
    parts = "\x00".join(values).encode("utf-8").split(b"\x00")
    if len(parts) != len(values):  # a value holds NUL (PostgreSQL refuses it): one by one
        parts = [v.encode("utf-8") for v in values]
    lens = list(map(len, parts))
    prefixes = map(_LEN.__getitem__, lens) if max(lens, default=0) < 1024 else map(_length, lens)
    return list(map(bytes.__add__, prefixes, parts))


def _bin_uuid(values: Column) -> list[bytes] | Fixed:
    if None in values:
        return _with_nulls(values, _bin_uuid)
    raw = bytes.fromhex("".join(values).replace("-", ""))
    if len(raw) != 16 * len(values):
        raise ValueError("a value is not a UUID")
    block = np.empty((len(values), 20), dtype=np.uint8)
    block[:, :4] = np.frombuffer(_LEN16, dtype=np.uint8)
    block[:, 4:] = np.frombuffer(raw, dtype=np.uint8).reshape(len(values), 16)
    return block


_LEN16 = struct.pack(">i", 16)


def _bin_bool(values: Column) -> list[bytes]:
    true, false = struct.pack(">i?", 1, True), struct.pack(">i?", 1, False)
    return [_NULL if v is None else (true if v else false) for v in values]


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
    biggest = int(np.abs(arr).max()) * mult
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
        out["digits"][:, k] = (magnitude // 10000 ** (groups - 1 - k)) % 10000
    return out.view(np.uint8).reshape(len(arr), out.dtype.itemsize)


def _bin_numeric(values: Column, precision: int, scale: int) -> list[bytes] | Fixed:
    if None in values:
        return _with_nulls(values, lambda present: _bin_numeric(present, precision, scale))
    fast = _numeric_vector(values, precision, scale)
    if fast is not None:
        return fast
    out: list[bytes] = []
    for v in values:
        body = numeric_binary(scaled_int(v, scale), scale)
        out.append(_length(len(body)) + body)
    return out


def _as_int(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    raise TypeError(f"int value expected, got {type(v).__name__} {v!r}")


def _bin_ints(values: Column, dtype: str) -> list[bytes] | Fixed:
    if None in values:
        return _with_nulls(values, lambda present: _bin_ints(present, dtype))
    arr = _int64_array(values)
    if arr is None:
        arr = np.array([_as_int(v) for v in values], dtype=object)
        if any(v < -(2**63) or v >= 2**63 for v in arr):
            raise OverflowError("value out of BIGINT range")
        arr = arr.astype(np.int64)
    if dtype == ">i4" and len(arr) and (arr.min() < -(2**31) or arr.max() > 2**31 - 1):
        raise OverflowError("value out of INTEGER range")
    return _block(arr, dtype)


def _bin_timestamps(values: Column) -> list[bytes] | Fixed:
    if None in values:
        return _with_nulls(values, _bin_timestamps)
    arr = _int64_array(values)
    if arr is None:
        arr = np.array([epoch_ms(v) for v in values], dtype=np.int64)
    return _block((arr - _PG_EPOCH_MS) * 1000, ">i8")


def _bin_dates(values: Column) -> list[bytes] | Fixed:
    if None in values:
        return _with_nulls(values, _bin_dates)
    if not all(type(v) is dt.date for v in values):
        raise TypeError("date values must be datetime.date")
    days = np.array(values, dtype="datetime64[D]").astype(np.int64) - _PG_EPOCH_UNIX_DAYS
    return _block(days, ">i4")


def _bin_floats(values: Column) -> list[bytes] | Fixed:
    if None in values:
        return _with_nulls(values, _bin_floats)
    return _fixed_values(values, ">f8", float)


def _binary(plan: ColumnPlan, values: Column) -> list[bytes] | Fixed:
    t = plan.sql_type
    if t == "TEXT" or t.startswith("VARCHAR"):
        return _bin_text(values)
    if t == "UUID":
        return _bin_uuid(values)
    if t == "INTEGER":
        return _bin_ints(values, ">i4")
    if t == "BIGINT":
        return _bin_ints(values, ">i8")
    if t == "DOUBLE PRECISION":
        return _bin_floats(values)
    if t == "BOOLEAN":
        return _bin_bool(values)
    if t.startswith("NUMERIC"):
        return _bin_numeric(values, plan.precision, plan.scale)
    if t == "DATE":
        return _bin_dates(values)
    if t == "TIMESTAMPTZ":
        return _bin_timestamps(values)
    raise TypeError(f"no binary COPY encoder for SQL type {t}")


def binary_column(plan: ColumnPlan, values: Column) -> list[bytes]:
    """Each value of a column in binary COPY form (length prefix included)."""
    out = _binary(plan, values)
    return _rows_of(out) if isinstance(out, np.ndarray) else out


def encode_binary(plans: Sequence[ColumnPlan], records: Sequence[Record]) -> bytes:
    """The tuples of a binary COPY stream (without header and trailer).

    Neighbouring fixed-width columns (and the tuple's field count) are glued into one bytes
    object per row with numpy, so each row is joined from few pieces.
    """
    n = len(records)
    if not n:
        return b""
    head = np.empty((n, 2), dtype=np.uint8)
    head[:] = np.frombuffer(struct.pack(">h", len(plans)), dtype=np.uint8)
    pieces: list[list[bytes]] = []
    glued: list[Fixed] = [head]
    for plan, values in zip(plans, all_columns(plans, records), strict=True):
        out = _checked(_binary, plan, values)
        if isinstance(out, np.ndarray):
            glued.append(out)
            continue
        if glued:
            pieces.append(_rows_of(np.hstack(glued)))
            glued = []
        pieces.append(out)
    if glued:
        pieces.append(_rows_of(np.hstack(glued)))
    if len(pieces) == 1:
        return b"".join(pieces[0])
    return b"".join(map(b"".join, zip(*pieces, strict=True)))


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


def text_column(plan: ColumnPlan, values: Column) -> list[str]:
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
    columns = [_checked(text_column, p, v) for p, v in zip(plans, all_columns(plans, records), strict=True)]
    lines = ["\t".join(row) for row in zip(*columns, strict=True)]
    lines.append("")
    return "\n".join(lines).encode("utf-8")


def _checked(encode: Callable[[ColumnPlan, Column], Any], plan: ColumnPlan, values: Column) -> Any:
    try:
        return encode(plan, values)
    except (TypeError, ValueError, OverflowError, AttributeError, struct.error) as exc:
        raise EncodeError(plan.name, exc) from None


ENCODERS: dict[str, Callable[[Sequence[ColumnPlan], Sequence[Record]], bytes]] = {
    "binary": encode_binary,
    "text": encode_text,
}
