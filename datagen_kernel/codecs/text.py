"""Serializer contract (Kafka Connect's converters) and the built-in ``json`` serializer."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import Date, Decimal, EntitySpec, Field, Timestamp
from datagen_kernel.api.schema import Record as RecordType
from datagen_kernel.api.transforms import Raw
from datagen_kernel.codecs.columns import iso_timestamps
from datagen_kernel.codecs.normalise import epoch_millis, scaled_decimal

SAO_PAULO = dt.timezone(dt.timedelta(hours=-3), "America/Sao_Paulo")
"""Deprecated: the banking pack's zone (``datagen_plugin_banking.common.SAO_PAULO``), kept so that
plugins importing it from here keep working. The kernel uses it for nothing: a run's time zone
is ``RunInfo.timezone``, declared by the installed packs."""


# ---------------------------------------------------------------------------------------------
# value conversions shared by text serializers


def format_decimal(value: Any, scale: int) -> str:
    """Exact text of a decimal value held as scaled ``int`` (or ``Decimal``/``float``, rounded by
    the kernel's rule: ``datagen_kernel.codecs.normalise.scaled_decimal``)."""
    if value.__class__ is not int:
        value = scaled_decimal(value, scale)
    if scale == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    q, r = divmod(abs(value), 10**scale)
    return f"{sign}{q}.{r:0{scale}d}"


def format_decimals(values: Sequence[Any], scale: int) -> list[str | None]:
    """``format_decimal`` over a column (fast path for cents that fit a double exactly)."""
    if scale == 2 and values and set(map(type, values)) == {int} and min(values) > -(10**15) and max(values) < 10**15:
        # |v| < 1e15 cents: v / 100 is within 0.002 of the exact value, so rounding to two
        # places gives exactly the decimal digits of v
        return [f"{v / 100:.2f}" for v in values]
    return [None if v is None else format_decimal(v, scale) for v in values]


def format_timestamps(values: Sequence[Any], tz: dt.tzinfo | None = None) -> list[str | None]:
    """ISO 8601 text with milliseconds and the offset of ``tz`` (None: UTC, ``Z``) for
    epoch-millisecond ints (vectorized). Pass the run's zone: ``RunInfo.timezone``."""
    if tz is None:
        tz = dt.UTC
    if not values:
        return []
    if set(map(type, values)) == {int}:  # the common case, converted in one go
        try:
            return list(iso_timestamps(np.array(values, dtype=np.int64), tz))
        except OverflowError:
            pass
    out: list[str | None] = [None] * len(values)
    idx = [i for i, v in enumerate(values) if type(v) is int]
    if idx:
        ms = np.fromiter((values[i] for i in idx), dtype=np.int64, count=len(idx))
        for i, text in zip(idx, iso_timestamps(ms, tz), strict=True):
            out[i] = text
    for i, v in enumerate(values):
        if isinstance(v, dt.datetime):  # rounded to the millisecond by the kernel's rule
            out[i] = iso_timestamps(np.array([epoch_millis(v)], dtype=np.int64), tz)[0]
        elif v is not None and type(v) is not int:
            raise TypeError(f"{type(v).__name__} value in a timestamp field; use epoch milliseconds (int) "
                            "or an aware datetime")
    return out


def parse_timestamp(text: str) -> int:
    """Epoch milliseconds of an ISO 8601 timestamp with offset."""
    return epoch_millis(dt.datetime.fromisoformat(text))


def parse_decimal(text: Any, scale: int) -> int:
    """Scaled ``int`` of a decimal given as text or number (exact for text; more places than
    ``scale`` are rounded by the kernel's rule)."""
    return scaled_decimal(decimal.Decimal(str(text)), scale)


def _plan(fields: Sequence[Field]) -> list[tuple[str, str, Any]]:
    """Fields needing conversion for text formats: (name, kind, arg)."""
    plan: list[tuple[str, str, Any]] = []
    for f in fields:
        if isinstance(f.type, Decimal):
            plan.append((f.name, "decimal", f.type.scale))
        elif isinstance(f.type, Timestamp):
            plan.append((f.name, "timestamp", None))
        elif isinstance(f.type, RecordType):
            sub = _plan(f.type.fields)
            if sub:
                plan.append((f.name, "record", sub))
    return plan


def to_text_values(
    entity: EntitySpec, records: Sequence[Record], tz: dt.tzinfo | None = None
) -> list[Record]:
    """Copies of ``records`` with decimals and timestamps as text, for text outputs (JSON, CSV, logs).

    Public (``from datagen_kernel import to_text_values``). Decimals become exact text in the
    field's scale (``1234.50``); timestamps ISO 8601 with milliseconds and the offset of ``tz``
    (None: UTC, ``Z``); nested records are converted too; other values are left as they are
    (dates stay ``datetime.date``). A ``Raw`` value in a decimal or timestamp field is
    written as what it wraps; elsewhere it stays a ``Raw`` (``raw_default`` serves JSON).
    Pass the run's time zone, ``RunInfo.timezone``: a sink reads
    it from ``self.run.timezone``, a serializer from ``self.timezone``. Columnar batches are
    read as records.
    """
    plan = _plan(entity.fields)
    if not plan:
        return list(records)
    out = [r.copy() for r in records]
    for name, column in _text_columns(plan, out, tz):
        lacking = [r for r in out if name not in r]  # a record without the field stays without it
        for r, v in zip(out, column, strict=True):
            r[name] = v
        for r in lacking:
            del r[name]
    return out


def _text_columns(
    plan: list[tuple[str, str, Any]], records: Sequence[Record], tz: dt.tzinfo | None
) -> list[tuple[str, list[Any]]]:
    """(field, text column) for every field of ``plan``; nested records are copied."""
    out: list[tuple[str, list[Any]]] = []
    for name, kind, arg in plan:
        column: list[Any] = [r.get(name) for r in records]
        converted: list[Any]
        raws = [i for i, v in enumerate(column) if v.__class__ is Raw]
        if raws:
            column = [None if v.__class__ is Raw else v for v in column]
        if kind == "decimal":
            converted = format_decimals(column, arg)
        elif kind == "timestamp":
            converted = format_timestamps(column, tz)
        else:
            converted = list(column)
            present = [i for i, v in enumerate(column) if v is not None]
            nested = [dict(column[i]) for i in present]
            for sub_name, sub_column in _text_columns(arg, nested, tz):
                for r, v in zip(nested, sub_column, strict=True):
                    r[sub_name] = v
            for i, value in zip(present, nested, strict=True):
                converted[i] = value
        for i in raws:
            converted[i] = records[i][name].value
        out.append((name, converted))
    return out


def raw_default(value: Any) -> Any:
    """``default`` for ``orjson.dumps``: a ``Raw`` value as what it wraps."""
    if value.__class__ is Raw:
        return value.value
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def from_text_values(entity: EntitySpec, obj: Mapping[str, Any]) -> Record:
    """Inverse of ``to_text_values`` for one JSON object (used by ``datagen validate``)."""
    return _decode(entity.fields, obj)


def _decode(fields: Sequence[Field], obj: Mapping[str, Any]) -> Record:
    rec = dict(obj)
    for f in fields:
        v = rec.get(f.name)
        if v is None:
            continue
        if isinstance(f.type, Decimal):
            rec[f.name] = parse_decimal(v, f.type.scale)
        elif isinstance(f.type, Timestamp):
            rec[f.name] = parse_timestamp(v)
        elif isinstance(f.type, Date):
            rec[f.name] = dt.date.fromisoformat(v)
        elif isinstance(f.type, RecordType):
            rec[f.name] = _decode(f.type.fields, v)
    return rec


