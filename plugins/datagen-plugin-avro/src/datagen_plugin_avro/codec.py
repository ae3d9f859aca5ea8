"""Fast Avro encoding of datagen records in the Confluent wire format.

The schema registered with the registry is ``datagen_kernel.schema.to_avro(spec)`` (logical
types: decimal, date, timestamp-millis, uuid). Records hold decimals as scaled ``int`` and
timestamps as epoch-millisecond ``int``; rather than building ``Decimal`` and ``datetime``
objects for a generic writer to take apart again, values are converted straight to their
*physical* form (``bytes``, ``int``, ``long``, ``string``): the bytes on the wire are identical.

Three encoders produce the same bytes. ``MatrixEncoder`` (the usual one) reads a batch's
columns (``Batch.values``: numpy arrays, ``TextColumn`` byte matrices, lists) and builds each
field as a byte matrix, one row per record, with each row's used width; one boolean
compaction then lays every record out end to end in a single buffer, and each record is one
slice of it: no per-value Python object at all. ``ColumnEncoder`` encodes column by column
into per-value ``bytes`` joined per record: the fallback for batches whose padded rows would
be very wide (long free text). fastavro's ``schemaless_writer`` on the parsed physical schema
is the reference (the tests compare all three) and the fallback for schema shapes the column
encoders do not handle.

Wire format of every value: magic byte ``0``, the 4-byte big-endian schema id, Avro binary.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import struct
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import Any

import numpy as np
from fastavro import parse_schema
from fastavro.write import schemaless_writer

from datagen_kernel import Batch, EntitySpec, Record, TextColumn
from datagen_kernel.api.schema import Date, Decimal, Field, Timestamp, to_avro
from datagen_kernel.api.schema import Record as RecordType
from datagen_kernel.codecs.normalise import epoch_millis, scaled_decimal

MAGIC = b"\x00"
_EPOCH_DAYS = dt.date(1970, 1, 1).toordinal()

Converter = Callable[[Any], Any]


def wire_header(schema_id: int) -> bytes:
    """The 5-byte Confluent framing: magic byte then the schema id."""
    return MAGIC + struct.pack(">I", schema_id)


def decimal_bytes(value: Any, scale: int) -> bytes:
    """Avro decimal bytes (big-endian two's complement of the unscaled value, minimal length)."""
    if value.__class__ is not int:  # Decimal, float: the kernel's one rounding rule
        value = scaled_decimal(value, scale)
    n = ((value if value >= 0 else ~value).bit_length() + 8) // 8
    return value.to_bytes(n, "big", signed=True)


def date_days(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(value.toordinal() - _EPOCH_DAYS)


def timestamp_ms(value: Any) -> int:
    """Epoch milliseconds (an aware ``datetime`` rounded by the kernel's rule)."""
    if value.__class__ is int:
        return int(value)
    return epoch_millis(value)


def physical_schema(schema: Any) -> Any:
    """A copy of an Avro schema with logical types replaced by their underlying types."""
    if isinstance(schema, list):
        return [physical_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "logicalType" in schema and schema.get("type") in ("bytes", "int", "long", "string", "fixed"):
        if schema["type"] == "fixed":
            return {k: v for k, v in schema.items() if k not in ("logicalType", "precision", "scale")}
        return schema["type"]
    out = dict(schema)
    if schema.get("type") == "record":
        out["fields"] = [{**f, "type": physical_schema(f["type"])} for f in schema["fields"]]
    elif schema.get("type") == "array":
        out["items"] = physical_schema(schema["items"])
    elif schema.get("type") == "map":
        out["values"] = physical_schema(schema["values"])
    return out


def _field_converter(f: Field) -> Converter | None:
    t = f.type
    if isinstance(t, Decimal):
        scale = t.scale
        return lambda v: decimal_bytes(v, scale)
    if isinstance(t, Date):
        return date_days
    if isinstance(t, Timestamp):
        return timestamp_ms
    if isinstance(t, RecordType):
        inner = record_converter(t.fields)
        return inner
    return None


def record_converter(fields: Sequence[Field]) -> Converter | None:
    """A function copying a record with values in their physical Avro form, or None if none change."""
    plan = [(f.name, conv) for f in fields if (conv := _field_converter(f)) is not None]
    if not plan:
        return None

    def convert(record: Record) -> Record:
        out = dict(record)
        for name, conv in plan:
            v = out.get(name)
            if v is not None:
                out[name] = conv(v)
        return out

    return convert


# ---------------------------------------------------------------------------------------------
# column encoder

_SHORT = 1 << 14
_SMALL_VARINT: list[bytes] = []
for _z in range(2 * _SHORT):
    _b = bytearray()
    _v = _z
    while _v > 0x7F:
        _b.append((_v & 0x7F) | 0x80)
        _v >>= 7
    _b.append(_v)
    _SMALL_VARINT.append(bytes(_b))
_LENGTH: list[bytes] = [_SMALL_VARINT[2 * n] for n in range(_SHORT)]
"""Avro ``long`` encodings of lengths 0 .. 16383 (zigzag of n is 2n)."""
_NULL = b"\x00"
_BRANCH1 = b"\x02"
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def encode_long(value: int) -> bytes:
    """Zigzag varint of one Avro ``int``/``long``."""
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"{value} does not fit an Avro long")
    z = (value << 1) ^ (value >> 63)
    if z < 2 * _SHORT:
        return _SMALL_VARINT[z]
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def encode_longs(values: Sequence[int]) -> list[bytes]:
    """Zigzag varints of many ``long`` values (vectorized)."""
    n = len(values)
    if n < 64:
        return [encode_long(v) for v in values]
    try:
        arr = np.fromiter(values, dtype=np.int64, count=n)
    except OverflowError as exc:
        raise ValueError(f"a value does not fit an Avro long: {exc}") from None
    z = ((arr << 1) ^ (arr >> 63)).view(np.uint64)
    width = np.ones(n, dtype=np.int64)
    for k in range(1, 10):
        width += z >= np.uint64(1 << (7 * k))
    mat = np.empty((n, 10), dtype=np.uint8)
    for k in range(10):
        group = ((z >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        mat[:, k] = group | np.where(width > k + 1, 0x80, 0).astype(np.uint8)
    data = mat.tobytes()
    return [data[i : i + w] for i, w in zip(range(0, 10 * n, 10), width.tolist(), strict=True)]


def encode_decimals(values: Sequence[Any], scale: int) -> list[bytes]:
    """Avro ``bytes`` encodings of decimal values (scaled ints vectorized; others one by one)."""
    n = len(values)
    if n >= 64 and all(v.__class__ is int for v in values):
        try:
            arr = np.fromiter(values, dtype=np.int64, count=n)
        except OverflowError:
            arr = None
        if arr is not None:
            # one 9-byte row per value: [.., length, big-endian two's complement]; the length byte
            # overwrites the first unused sign byte, so each value is one slice of the buffer
            magnitude = np.where(arr >= 0, arr, ~arr)
            width = np.ones(n, dtype=np.int64)
            for k in range(1, 8):
                width += magnitude >= (1 << (8 * k - 1))
            mat = np.empty((n, 9), dtype=np.uint8)
            mat[:, 1:] = arr.astype(">i8").view(np.uint8).reshape(n, 8)
            rows = np.arange(n)
            mat[rows, 8 - width] = (2 * width).astype(np.uint8)  # zigzag varint of the length (<= 16)
            data = mat.tobytes()
            starts = (rows * 9 + 8 - width).tolist()
            return [data[a:b] for a, b in zip(starts, range(9, 9 * n + 9, 9), strict=True)]
    return _encode_text([decimal_bytes(v, scale) for v in values])


def _encode_strings(values: Sequence[str]) -> list[bytes]:
    lengths, short = _LENGTH, _SHORT
    return [lengths[len(b)] + b if len(b) < short else encode_long(len(b)) + b for b in map(str.encode, values)]


def _encode_text(values: Sequence[bytes]) -> list[bytes]:
    lengths = _LENGTH
    return [(lengths[len(b)] if len(b) < _SHORT else encode_long(len(b))) + b for b in values]


def _timestamps(values: Sequence[Any]) -> list[bytes]:
    try:
        return encode_longs(values)  # the usual case: epoch-millisecond ints already
    except TypeError:
        return encode_longs([timestamp_ms(v) for v in values])


ColumnFn = Callable[[Sequence[Any]], list[bytes]]


class Unsupported(Exception):
    """A schema construct the column encoder does not handle (fastavro is used instead)."""


def _column_fn(schema: Any, logical: Any) -> ColumnFn:
    """Encoder of a column of values of ``schema`` (physical) whose logical form is ``logical``."""
    if isinstance(schema, list):
        if len(schema) == 2 and schema[0] == "null":
            inner = _column_fn(schema[1], logical[1])

            def union(values: Sequence[Any]) -> list[bytes]:
                present = [i for i, v in enumerate(values) if v is not None]
                out = [_NULL] * len(values)
                if present:
                    encoded = inner([values[i] for i in present])
                    for i, b in zip(present, encoded, strict=True):
                        out[i] = _BRANCH1 + b
                return out

            return union
        raise Unsupported(f"union {schema}")
    kind = schema["type"] if isinstance(schema, dict) else schema
    ltype = logical.get("logicalType") if isinstance(logical, dict) else None
    if kind in ("int", "long"):
        if ltype == "date":
            return lambda values: encode_longs([date_days(v) for v in values])
        if ltype in ("timestamp-millis", "local-timestamp-millis"):
            return _timestamps
        if ltype is not None:
            raise Unsupported(ltype)
        return encode_longs
    if kind == "string":
        return _encode_strings
    if kind == "bytes":
        if ltype == "decimal":
            scale = logical.get("scale", 0)
            return lambda values: encode_decimals(values, scale)
        if ltype is not None:
            raise Unsupported(ltype)
        return lambda values: _encode_text([bytes(v) for v in values])
    if kind == "boolean":
        return lambda values: [b"\x01" if v else b"\x00" for v in values]
    if kind == "double":
        return lambda values: [struct.pack("<d", v) for v in values]
    if kind == "float":
        return lambda values: [struct.pack("<f", v) for v in values]
    if kind == "null":
        return lambda values: [b""] * len(values)
    if kind == "enum":
        table = {s: encode_long(i) for i, s in enumerate(schema["symbols"])}
        name = schema["name"]

        def enum(values: Sequence[Any]) -> list[bytes]:
            try:
                return [table[v] for v in values]
            except KeyError as exc:
                raise ValueError(f"{exc.args[0]!r} is not a symbol of enum {name}: {list(table)}") from None

        return enum
    if kind == "record":
        return _record_fn(schema, logical)
    raise Unsupported(str(kind))


def _record_fn(schema: dict[str, Any], logical: dict[str, Any]) -> ColumnFn:
    fields = [(f["name"], _column_fn(f["type"], lf["type"]), f)
              for f, lf in zip(schema["fields"], logical["fields"], strict=True)]

    def record(values: Sequence[Any]) -> list[bytes]:
        columns = [_column(name, fn, values) for name, fn, _ in fields]
        return [b"".join(parts) for parts in zip(*columns, strict=True)]

    return record


def column_values(records: Sequence[Any], name: str) -> Any:
    """Field ``name`` of a batch as stored (array, ``TextColumn`` or list), or of dicts as a list."""
    if isinstance(records, Batch):
        try:
            return records.values(name)
        except KeyError:
            raise ValueError(f"field {name!r} is missing from the batch") from None
    try:
        return [r[name] for r in records]
    except KeyError:
        raise ValueError(f"field {name!r} is missing from a record") from None


def _as_list(values: Any) -> list[Any]:
    return values if isinstance(values, list) else values.tolist()


def _column(name: str, fn: ColumnFn, records: Sequence[Any]) -> list[bytes]:
    values = _as_list(column_values(records, name))
    try:
        return fn(values)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"field {name!r}: {exc}") from None


class ColumnEncoder:
    """Encodes a batch of records of one record schema column by column."""

    def __init__(self, schema: dict[str, Any]) -> None:
        physical = physical_schema(schema)
        self.fields = [(f["name"], _column_fn(f["type"], lf["type"]))
                       for f, lf in zip(physical["fields"], schema["fields"], strict=True)]

    def encode(self, records: Sequence[Record], header: bytes) -> list[bytes]:
        if not records:
            return []
        columns = [_column(name, fn, records) for name, fn in self.fields]
        join = b"".join
        return [join(parts) for parts in zip(repeat(header), *columns)]


# ---------------------------------------------------------------------------------------------
# matrix encoder

Piece = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any] | None]
"""One field (or part of one) for a whole batch: a ``uint8`` matrix with one row per record,
bytes left-aligned, and each row's used width (``None`` when every row uses the full width)."""

PieceFn = Callable[[Any], list[Piece]]

MAX_ROW = 2048
"""Padded record width (bytes) above which a batch is encoded by ``ColumnEncoder`` instead."""
_ARANGE = np.arange(MAX_ROW + 64)


def _range(width: int) -> np.ndarray[Any, Any]:
    return _ARANGE[:width] if width <= len(_ARANGE) else np.arange(width)


class _TooWide(Exception):
    """A piece wider than ``MAX_ROW``: the batch goes through ``ColumnEncoder``."""


def _int64(values: Any) -> np.ndarray[Any, Any]:
    """An ``int64`` array of integer values (numpy array or list); ValueError beyond 64 bits."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iub":
        if values.dtype == np.uint64 and values.size and int(values.max()) > _INT64_MAX:
            raise ValueError(f"{int(values.max())} does not fit an Avro long")
        return values.astype(np.int64, copy=False)
    values = _as_list(values)
    try:
        return np.fromiter(values, dtype=np.int64, count=len(values))
    except OverflowError as exc:
        raise ValueError(f"a value does not fit an Avro long: {exc}") from None


def _varint_piece(arr: np.ndarray[Any, Any]) -> Piece:
    """Zigzag varints of an ``int64`` array, as a piece."""
    n = len(arr)
    z = ((arr << 1) ^ (arr >> 63)).view(np.uint64)
    width = np.ones(n, dtype=np.int64)
    for k in range(1, 10):
        more = z >= np.uint64(1 << (7 * k))
        if not more.any():
            break
        width += more
    w_max = int(width.max()) if n else 1
    mat = np.empty((n, w_max), dtype=np.uint8)
    for k in range(w_max):
        group = ((z >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        if k + 1 < w_max:
            group |= (width > k + 1).astype(np.uint8) << np.uint8(7)
        mat[:, k] = group
    return mat, (None if n and int(width.min()) == w_max else width)


def _ragged_piece(items: Sequence[bytes]) -> Piece:
    """Already encoded values (one ``bytes`` per record) as a piece."""
    n = len(items)
    lens = np.fromiter(map(len, items), dtype=np.int64, count=n)
    return _body_piece(lens, np.frombuffer(b"".join(items), dtype=np.uint8))


def _body_piece(lens: np.ndarray[Any, Any], body: np.ndarray[Any, Any]) -> Piece:
    """Concatenated values ``body`` of lengths ``lens`` as a left-aligned matrix."""
    n = len(lens)
    w_max = int(lens.max()) if n else 0
    if w_max > MAX_ROW:
        raise _TooWide
    mat = np.zeros((n, w_max), dtype=np.uint8)
    if w_max:
        mat[_range(w_max)[None, :] < lens[:, None]] = body
    return mat, lens


def _long_pieces(values: Any) -> list[Piece]:
    return [_varint_piece(_int64(values))]


def _date_pieces(values: Any) -> list[Piece]:
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return [_varint_piece(values.astype("datetime64[D]").astype(np.int64))]
    values = _as_list(values)
    if all(v.__class__ is dt.date for v in values):
        return [_varint_piece(np.array(values, dtype="datetime64[D]").astype(np.int64))]
    return [_varint_piece(_int64([date_days(v) for v in values]))]


def _timestamp_pieces(values: Any) -> list[Piece]:
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return [_varint_piece(values.astype("datetime64[ms]").astype(np.int64))]
    try:
        return [_varint_piece(_int64(values))]  # the usual case: epoch-millisecond ints already
    except TypeError:
        return [_varint_piece(_int64([timestamp_ms(v) for v in _as_list(values)]))]


def _decimal_pieces(values: Any, scale: int) -> list[Piece]:
    arr: np.ndarray[Any, Any] | None = None
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        arr = _int64(values)
    else:
        values = _as_list(values)
        if all(v.__class__ is int for v in values):
            try:
                arr = np.fromiter(values, dtype=np.int64, count=len(values))
            except OverflowError:
                arr = None
    if arr is None:
        return [_ragged_piece(_encode_text([decimal_bytes(v, scale) for v in values]))]
    n = len(arr)
    magnitude = np.where(arr >= 0, arr, ~arr)
    width = np.ones(n, dtype=np.int64)
    for k in range(1, 8):
        width += magnitude >= (1 << (8 * k - 1))
    w_max = int(width.max()) if n else 1
    big_endian = arr.astype(">i8").view(np.uint8).reshape(n, 8)
    cols = (8 - width)[:, None] + _ARANGE[:w_max][None, :]  # the last `width` bytes, left-aligned
    np.minimum(cols, 7, out=cols)
    mat = np.empty((n, 1 + w_max), dtype=np.uint8)
    mat[:, 0] = 2 * width  # zigzag varint of the length (<= 16: one byte)
    mat[:, 1:] = np.take_along_axis(big_endian, cols, axis=1)
    return [(mat, None if n and int(width.min()) == w_max else 1 + width)]


def _string_pieces(values: Any) -> list[Piece]:
    if isinstance(values, TextColumn) and values.nulls is None:
        text = values.matrix
        n, width = text.shape
        if values.fixed:  # every value fills the width: the matrix is the text
            prefix = np.frombuffer(encode_long(width), dtype=np.uint8)
            mat = np.empty((n, len(prefix) + width), dtype=np.uint8)
            mat[:, : len(prefix)] = prefix
            mat[:, len(prefix) :] = text
            return [(mat, None)]
        lens = np.count_nonzero(text, axis=1).astype(np.int64)  # NUL-padded: no value holds a NUL
        return [_varint_piece(lens), (text, lens)]
    values = _as_list(values)
    n = len(values)
    if n == 0:
        return []
    # one encode for the whole column: NUL-separated UTF-8, split again with numpy
    data = np.frombuffer("\x00".join(values).encode(), dtype=np.uint8)
    seps = np.flatnonzero(data == 0)
    if len(seps) == n - 1:
        lens = np.diff(seps, prepend=-1, append=len(data)) - 1
        keep = np.ones(len(data), dtype=bool)
        keep[seps] = False
        body = data[keep]
    else:  # some value holds NUL characters
        encoded = [v.encode() for v in values]
        lens = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
        body = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return [_varint_piece(lens), _body_piece(lens, body)]


def _fixed_pieces(values: Any, dtype: str) -> list[Piece]:
    arr = np.asarray(values if isinstance(values, np.ndarray) else _as_list(values), dtype=dtype)
    return [(arr.view(np.uint8).reshape(len(arr), arr.itemsize), None)]


def _boolean_pieces(values: Any) -> list[Piece]:
    arr = np.asarray(values if isinstance(values, np.ndarray) else _as_list(values), dtype=bool)
    return [(arr.astype(np.uint8).reshape(len(arr), 1), None)]


def _enum_pieces_fn(schema: dict[str, Any]) -> PieceFn:
    table = {s: i for i, s in enumerate(schema["symbols"])}
    name = schema["name"]

    def enum(values: Any) -> list[Piece]:
        if isinstance(values, TextColumn) and values.nulls is None and values.width > 0 and len(values):
            # each distinct symbol looked up once
            flat = np.ascontiguousarray(values.matrix).view(f"S{values.width}").ravel()
            distinct, inverse = np.unique(flat, return_inverse=True)
            try:
                codes_of = [table[d.decode("utf-8")] for d in distinct.tolist()]
            except KeyError as exc:
                raise ValueError(f"{exc.args[0]!r} is not a symbol of enum {name}: {list(table)}") from None
            return [_varint_piece(np.array(codes_of, dtype=np.int64)[inverse.ravel()])]
        values = _as_list(values)
        try:
            codes = np.fromiter(map(table.__getitem__, values), dtype=np.int64, count=len(values))
        except KeyError as exc:
            raise ValueError(f"{exc.args[0]!r} is not a symbol of enum {name}: {list(table)}") from None
        return [_varint_piece(codes)]

    return enum


def _union_pieces_fn(inner: PieceFn) -> PieceFn:
    def union(values: Any) -> list[Piece]:
        n = len(values)
        if isinstance(values, TextColumn) and values.nulls is not None:
            rows = np.flatnonzero(~values.nulls)
            return _scatter(n, rows, values.take(rows))
        if isinstance(values, TextColumn) or (isinstance(values, np.ndarray) and values.dtype != object
                                              and not isinstance(values, np.ma.MaskedArray)):
            return [(np.full((n, 1), 2, dtype=np.uint8), None), *inner(values)]
        values = _as_list(values)
        nulls = values.count(None)
        if nulls == n:
            return [(np.zeros((n, 1), dtype=np.uint8), None)]
        if nulls == 0:
            return [(np.full((n, 1), 2, dtype=np.uint8), None), *inner(values)]
        rows = np.flatnonzero(np.fromiter(map(id, values), dtype=np.intp, count=n) != id(None))
        return _scatter(n, rows, [v for v in values if v is not None])

    def _scatter(n: int, rows: np.ndarray[Any, Any], present: Any) -> list[Piece]:
        """Branch bytes of ``n`` values; the inner encoding of the ``present`` ones at ``rows``."""
        branch = np.zeros((n, 1), dtype=np.uint8)
        branch[rows] = 2
        out: list[Piece] = [(branch, None)]
        if not len(rows):
            return out
        for mat, width in inner(present):
            full = np.zeros((n, mat.shape[1]), dtype=np.uint8)
            full[rows] = mat
            widths = np.zeros(n, dtype=np.int64)
            widths[rows] = mat.shape[1] if width is None else width
            out.append((full, widths))
        return out

    return union


def _piece_fn(schema: Any, logical: Any) -> PieceFn:
    """Encoder of a column of values of ``schema`` (physical) whose logical form is ``logical``."""
    if isinstance(schema, list):
        if len(schema) == 2 and schema[0] == "null":
            return _union_pieces_fn(_piece_fn(schema[1], logical[1]))
        raise Unsupported(f"union {schema}")
    kind = schema["type"] if isinstance(schema, dict) else schema
    ltype = logical.get("logicalType") if isinstance(logical, dict) else None
    if kind in ("int", "long"):
        if ltype == "date":
            return _date_pieces
        if ltype in ("timestamp-millis", "local-timestamp-millis"):
            return _timestamp_pieces
        if ltype is not None:
            raise Unsupported(ltype)
        return _long_pieces
    if kind == "string":
        return _string_pieces
    if kind == "bytes" and ltype == "decimal":
        scale = logical.get("scale", 0)
        return lambda values: _decimal_pieces(values, scale)
    if kind == "boolean":
        return _boolean_pieces
    if kind == "double":
        return lambda values: _fixed_pieces(values, "<f8")
    if kind == "float":
        return lambda values: _fixed_pieces(values, "<f4")
    if kind == "null":
        return lambda values: []
    if kind == "enum":
        return _enum_pieces_fn(schema)
    # anything else the column encoder handles (plain bytes, nested records): its bytes, as a piece
    column_fn = _column_fn(schema, logical)
    return lambda values: [_ragged_piece(column_fn(_as_list(values)))]


class MatrixEncoder:
    """Encodes a batch of one record schema as byte matrices, one slice of one buffer per record."""

    def __init__(self, schema: dict[str, Any]) -> None:
        physical = physical_schema(schema)
        self.fields = [(f["name"], _piece_fn(f["type"], lf["type"]))
                       for f, lf in zip(physical["fields"], schema["fields"], strict=True)]

    def encode(self, records: Sequence[Record], header: bytes) -> list[bytes] | None:
        """Framed values, or None when the padded rows would exceed ``MAX_ROW`` bytes."""
        packed = self.encode_packed(records, header)
        if packed is None:
            return None
        data, ends = packed
        bounds = ends.tolist()
        starts = [0, *bounds[:-1]] if bounds else []
        return [data[a:b] for a, b in zip(starts, bounds, strict=True)]

    def encode_packed(self, records: Sequence[Record], header: bytes) -> tuple[bytes, np.ndarray[Any, Any]] | None:
        """All framed values end to end in one buffer, and where each ends; None as ``encode``."""
        n = len(records)
        if n == 0:
            return b"", np.zeros(0, dtype=np.int64)
        pieces: list[Piece] = []
        for name, fn in self.fields:
            values = column_values(records, name)
            try:
                pieces.extend(fn(values))
            except _TooWide:
                return None
            except (TypeError, ValueError, AttributeError, OverflowError) as exc:
                raise ValueError(f"field {name!r}: {exc}") from None
        head = len(header)
        total = head + sum(mat.shape[1] for mat, _ in pieces)
        if total > MAX_ROW:
            return None
        matrix = np.empty((n, total), dtype=np.uint8)
        matrix[:, :head] = np.frombuffer(header, dtype=np.uint8)
        used = np.empty((n, total), dtype=bool)
        used[:, :head] = True
        lengths = np.full(n, head, dtype=np.int64)
        fixed = True
        at = head
        for mat, width in pieces:
            w = mat.shape[1]
            if w == 0:
                continue
            matrix[:, at : at + w] = mat
            if width is None:
                used[:, at : at + w] = True
                lengths += w
            else:
                np.less(_range(w)[None, :], width[:, None], out=used[:, at : at + w])
                lengths += width
                fixed = False
            at += w
        data = matrix.tobytes() if fixed else matrix[used].tobytes()
        return data, np.cumsum(lengths)


class EntityCodec:
    """The schemas of one entity, parsed once, and a batch encoder."""

    def __init__(self, spec: EntitySpec) -> None:
        self.entity = spec.name
        self.schema: dict[str, Any] = to_avro(spec)
        self.schema_str = json.dumps(self.schema)
        self.full_name = f"{self.schema['namespace']}.{self.schema['name']}"
        self.parsed = parse_schema(physical_schema(copy.deepcopy(self.schema)))
        self.convert = record_converter(spec.fields)
        self.columns: ColumnEncoder | None
        self.matrix: MatrixEncoder | None
        try:
            self.columns = ColumnEncoder(self.schema)
            self.matrix = MatrixEncoder(self.schema)
        except Unsupported:
            self.columns = self.matrix = None

    def encode(self, records: Sequence[Record], header: bytes) -> list[bytes]:
        """Framed Avro values, one per record (a list of dicts or a ``Batch``)."""
        if self.matrix is not None:
            out = self.matrix.encode(records, header)
            if out is not None:
                return out
        if self.columns is not None:
            return self.columns.encode(records, header)
        return self.encode_reference(records, header)

    def encode_packed(self, records: Sequence[Record], header: bytes) -> tuple[bytes, np.ndarray[Any, Any]]:
        """``encode``'s values end to end in one buffer, and the offset where each ends."""
        if self.matrix is not None:
            packed = self.matrix.encode_packed(records, header)
            if packed is not None:
                return packed
        values = self.encode(records, header)
        return b"".join(values), np.cumsum(np.fromiter(map(len, values), dtype=np.int64, count=len(values)))

    def encode_reference(self, records: Sequence[Record], header: bytes) -> list[bytes]:
        """The same bytes through fastavro's ``schemaless_writer`` (reference and fallback)."""
        parsed = self.parsed
        convert = self.convert
        buf = io.BytesIO()
        write, getvalue, seek, truncate = buf.write, buf.getvalue, buf.seek, buf.truncate
        out: list[bytes] = []
        append = out.append
        for record in records:
            seek(0)
            truncate()
            write(header)
            schemaless_writer(buf, parsed, convert(record) if convert else record)
            append(getvalue())
        return out
