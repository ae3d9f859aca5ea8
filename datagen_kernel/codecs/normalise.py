"""The normalise step: every value in the one exact form its field type holds, before any serializer.

The block pipeline is generate -> normalise -> validate -> transform -> serialize -> sink.
Normalise runs once per emitted batch, in the kernel, so every sink (json, console, PostgreSQL
binary and text COPY, Kafka JSON, Avro) receives the same values and no serializer has to
decide how to round.

The rule for a value given with more precision than its type:

- ``decimal(p, s)``: rounded to ``s`` places **half away from zero** (``ROUND_HALF_UP``, the
  rounding of PostgreSQL's ``numeric`` and of commercial arithmetic): ``0.125`` -> ``0.13``,
  ``-0.125`` -> ``-0.13``. A ``float`` is taken as the decimal it prints as (``repr``:
  ``2.675`` is 2.675, not the binary fraction just below it), then rounded. Result: an ``int``
  in units of ``10**-s``.
- ``timestamp``: an aware ``datetime`` becomes epoch milliseconds, sub-millisecond parts
  rounded by the same rule (500 microseconds round away from the epoch).
- everything else is already exact.

A value its type cannot hold is an error naming the entity, the field, the record's key and
the value (``ValidationFailed``), whatever the sinks: a decimal with more integer digits than
``p - s``; a timestamp outside ``TIMESTAMP_RANGE`` or a naive ``datetime``; a date outside
years 1-9999 or a ``datetime`` where a date belongs; an int outside what its column holds
(``int`` for ``Int(maximum <= 2**31 - 1)``, else ``long``); a NaN or infinite float; a bool
field holding anything but a bool.

Cost: a column already exact (an integer numpy array, a list of ints...) is checked with one
dtype or type test and C-level ``min``/``max`` per column, never value by value in Python;
only values that need rounding are converted one at a time. Text has no precision to round:
text columns are passed as they are. Their constraints (no NUL character or lone surrogate,
``max_length``, enum symbols, canonical uuids) would cost a scan of every character, about as
much as generating the text; ``check_text`` does it on demand (plugin tests), the engine's
validation sample checks lengths and symbols on every block.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import operator
import re
from collections.abc import Sequence
from functools import partial
from operator import itemgetter
from typing import Any

import numpy as np

from datagen_kernel.api.columnar import Batch, TextColumn
from datagen_kernel.api.errors import ValidationFailed
from datagen_kernel.api.records import Record, Records
from datagen_kernel.api.schema import (
    Bool,
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    FieldType,
    Float,
    Int,
    String,
    Timestamp,
    Uuid,
)
from datagen_kernel.api.schema import Record as RecordType

ROUNDING = decimal.ROUND_HALF_UP
"""The one rounding mode of every value given with more precision than its type."""

_CONTEXT = decimal.Context(prec=200, rounding=ROUNDING, Emax=10_000, Emin=-10_000,
                           traps=[decimal.InvalidOperation, decimal.Inexact, decimal.Overflow])
"""Exact arithmetic up to 200 digits: scaling a value with more digits traps (``Inexact``)
instead of rounding it silently; rounding itself is ``to_integral_value``, which never traps."""
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)

TIMESTAMP_RANGE = (
    (dt.datetime(1, 1, 2, tzinfo=dt.UTC) - _EPOCH) // _MS,
    (dt.datetime(9999, 12, 30, 23, 59, 59, 999_000, tzinfo=dt.UTC) - _EPOCH) // _MS,
)
"""Epoch milliseconds every sink can write in any run time zone: 0001-01-02T00:00:00Z through
9999-12-30T23:59:59.999Z (a day's margin on each side of the years 1-9999 of ISO 8601 text,
``datetime`` and PostgreSQL ``date`` alike)."""

DATE_RANGE = (dt.date.min, dt.date.max)
"""Dates every sink can write: 0001-01-01 through 9999-12-31."""
_DAY_RANGE = (dt.date.min.toordinal() - 719_163, dt.date.max.toordinal() - 719_163)

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_UUID = re.compile(r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})*")
_BOOLS = {bool, np.bool_}
_NOT_NONE = partial(operator.is_not, None)


class ValueRangeError(ValueError):
    """A value its field type cannot hold (raised by the value functions below)."""

    def __init__(self, value: Any, reason: str) -> None:
        super().__init__(f"{value} {reason}")
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# values


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to an int, halves away from zero."""
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return -q if numerator < 0 else q


def scaled_decimal(value: Any, scale: int) -> int:
    """A decimal field's value as an ``int`` in units of ``10**-scale``, rounded by the rule.

    ``int`` (scaled already) passes through; ``Decimal`` and ``float`` (the value itself, not
    scaled) are rounded half away from zero. ``TypeError`` for anything else, ``ValueError``
    for NaN and infinities.
    """
    if value.__class__ is int:
        return int(value)
    if isinstance(value, bool):
        raise TypeError("bool value; use int (scaled), Decimal or float")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueRangeError(value, "is not a number a decimal can hold")
        value = decimal.Decimal(repr(float(value)))
    elif isinstance(value, (int, np.integer)):
        return operator.index(value)
    elif isinstance(value, np.floating):
        return scaled_decimal(float(value), scale)
    if not isinstance(value, decimal.Decimal):
        raise TypeError(f"{type(value).__name__} value; use int (scaled), Decimal or float")
    if not value.is_finite():
        raise ValueRangeError(value, "is not a number a decimal can hold")
    try:
        return int(value.scaleb(scale, _CONTEXT).to_integral_value(ROUNDING, _CONTEXT))
    except decimal.DecimalException:
        raise ValueRangeError(value, "has too many digits") from None


def epoch_millis(value: Any) -> int:
    """A timestamp field's value as epoch milliseconds, sub-millisecond parts rounded by the rule.

    ``int`` (epoch ms) passes through; an aware ``datetime`` converts; ``TypeError`` for a
    naive ``datetime`` or anything else.
    """
    if value.__class__ is int:
        return int(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError(f"naive datetime {value.isoformat()}; timestamps must be timezone-aware")
        delta = value - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return round_half_up(micros, 1000)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return operator.index(value)
    raise TypeError(f"{type(value).__name__} value; use int epoch milliseconds or an aware datetime")


# ---------------------------------------------------------------------------------------------
# the step


class _Problem(Exception):
    def __init__(self, index: int, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.value = value
        self.reason = reason


def normalise(spec: EntitySpec, records: Records) -> Records:
    """``records`` with every value in its type's exact form (see the module's rule).

    Returns ``records`` itself when nothing needs converting (the usual case); otherwise a new
    ``Batch`` (for a batch) or new dicts (for a list of dicts): the generator's own objects are
    never modified. Raises ``ValidationFailed`` for a value its type cannot hold.
    """
    n = len(records)
    if n == 0:
        return records
    columnar = isinstance(records, Batch) and not records.rows_built
    changed: dict[str, list[Any]] = {}
    for f in spec.fields:
        if columnar:
            assert isinstance(records, Batch)
            try:
                stored: Any = records.stored(f.name)
            except KeyError:
                continue  # a missing column is validation's to report
        else:
            try:
                stored = list(map(itemgetter(f.name), records))
            except KeyError:
                stored = [r.get(f.name) for r in records]
        try:
            fixed = _column(f, stored)
        except _Problem as p:
            raise _error(spec, records, f, p) from None
        if fixed is not None:
            changed[f.name] = fixed
    if not changed:
        return records
    if columnar:
        assert isinstance(records, Batch)
        return Batch({name: changed.get(name, records.stored(name)) for name in records.names})
    out: list[Record] = []
    for i, r in enumerate(records):
        copy = dict(r)
        for name, values in changed.items():
            if name in copy:
                copy[name] = values[i]
        out.append(copy)
    return out


def _error(spec: EntitySpec, records: Records, f: Field, p: _Problem) -> ValidationFailed:
    try:
        key = records[p.index].get(spec.primary_key) if not isinstance(records, Batch) else \
            records.column(spec.primary_key)[p.index]
    except (KeyError, IndexError):
        key = None
    at = f" in record {key!r}" if key is not None else ""
    return ValidationFailed(
        f"entity {spec.name!r}, field {f.name!r} ({f.describe()}){at}: value {_text(p.value)} {p.reason}",
        hint="this is a bug in the generator of the plugin providing it (see 'Values and rounding' in "
             "docs/plugins.md); rerun with --debug for the traceback",
    )


def _text(value: Any) -> str:
    """A value as a message shows it: decimals as their digits, the rest as ``repr``."""
    return str(value) if isinstance(value, decimal.Decimal) else repr(value)


def _column(f: Field, stored: Any) -> list[Any] | None:
    """The converted column of field ``f`` (a list), or None when ``stored`` is exact already."""
    t = f.type
    if isinstance(stored, TextColumn) or isinstance(t, (String, Uuid, Enum)):
        return None  # text has no precision to round; its constraints: see check_text
    if isinstance(stored, np.ndarray):
        return _array(t, stored)
    values: list[Any] = stored if isinstance(stored, list) else list(stored)
    present = values
    if None in values:
        present = list(filter(_NOT_NONE, values))  # C-level: no Python code per value
        if not present:
            return None
    return _values(t, values, present)


def _array(t: FieldType, arr: np.ndarray[Any, Any]) -> list[Any] | None:
    """Checks of a numpy column: dtype once, then vectorized bounds; a float or object array of
    a decimal or timestamp goes value by value."""
    data = arr.compressed() if isinstance(arr, np.ma.MaskedArray) else arr
    kind = data.dtype.kind
    if data.size == 0:
        return None
    if isinstance(t, (Int, Decimal, Timestamp)) and kind in "iu":
        lo, hi = _bounds(t)
        if data.dtype.itemsize < 8 and kind == "i" and lo <= INT32[0] and hi >= INT32[1]:
            return None
        mn, mx = int(data.min()), int(data.max())
        if mn < lo:
            raise _problem(arr, mn, _range_reason(t), _shown(t, mn))
        if mx > hi:
            raise _problem(arr, mx, _range_reason(t), _shown(t, mx))
        return None
    if isinstance(t, Float) and kind == "f":
        if not np.isfinite(data).all():
            bad = data[~np.isfinite(data)][0]
            raise _problem(arr, bad, "is not a finite number (JSON and Avro readers would disagree)")
        return None
    if isinstance(t, Date) and kind == "M":
        if np.datetime_data(data.dtype)[0] != "D":
            raise _Problem(0, data[0], f"is a datetime64[{np.datetime_data(data.dtype)[0]}] column; "
                                       "a date field takes datetime64[D]")
        days = data.astype(np.int64)
        mn, mx = int(days.min()), int(days.max())
        if mn < _DAY_RANGE[0] or mx > _DAY_RANGE[1]:
            raise _problem(arr, np.datetime64(mn if mn < _DAY_RANGE[0] else mx, "D"),
                           "is outside the dates every sink can write (0001-01-01 to 9999-12-31)")
        return None
    if isinstance(t, Bool) and kind == "b":
        return None
    listed = arr.tolist()
    present = [v for v in listed if v is not None]
    return _values(t, listed, present)


def _problem(arr: np.ndarray[Any, Any], value: Any, reason: str, shown: Any = None) -> _Problem:
    """The problem of ``value`` at its first place in ``arr`` (shown as ``shown`` if given)."""
    data = arr.filled(value) if isinstance(arr, np.ma.MaskedArray) else arr
    hits = np.flatnonzero(data == value)
    if shown is None:
        shown = value.item() if isinstance(value, np.generic) else value
    return _Problem(int(hits[0]) if hits.size else 0, shown, reason)


def _bounds(t: FieldType) -> tuple[int, int]:
    if isinstance(t, Decimal):
        limit = 10**t.precision - 1
        return -limit, limit
    if isinstance(t, Timestamp):
        return TIMESTAMP_RANGE
    assert isinstance(t, Int)
    return INT64 if t.maximum is None or t.maximum > INT32[1] else INT32


def _range_reason(t: FieldType) -> str:
    if isinstance(t, Decimal):
        digits = t.precision - t.scale
        return f"does not fit {t.describe()} (at most {digits} integer digit{'s' if digits != 1 else ''})"
    if isinstance(t, Timestamp):
        return "is outside the timestamps every sink can write (0001-01-02T00:00:00Z to 9999-12-30T23:59:59.999Z)"
    lo, hi = _bounds(t)
    return f"does not fit the field's {'int' if (lo, hi) == INT32 else 'long'} column ({lo} to {hi})"


def _index(values: list[Any], value: Any) -> int:
    for i, v in enumerate(values):
        if v is value:
            return i
    return values.index(value)


def _values(t: FieldType, values: list[Any], present: list[Any]) -> list[Any] | None:
    """Checks of a column given as Python values (None for null); a converted copy if needed."""
    kinds = set(map(type, present))
    if isinstance(t, (Decimal, Timestamp, Int)):
        if kinds != {int}:
            if isinstance(t, Int):
                return _ints(t, values, present, kinds)
            scale = t.scale if isinstance(t, Decimal) else None
            fixed: list[Any] = []
            for i, v in enumerate(values):
                try:
                    if v is None:
                        fixed.append(None)
                    else:
                        fixed.append(epoch_millis(v) if scale is None else scaled_decimal(v, scale))
                except ValueRangeError as exc:
                    raise _Problem(i, v, exc.reason) from None
                except (TypeError, ValueError) as exc:
                    raise _Problem(i, v, f"cannot be used: {exc}") from None
            try:
                _check_range(t, fixed, [v for v in fixed if v is not None])
            except _Problem as p:  # show the value as the generator gave it
                raise _Problem(p.index, values[p.index], p.reason) from None
            return fixed
        _check_range(t, values, present)
        return None
    if isinstance(t, Date):
        if kinds != {dt.date}:
            for i, v in enumerate(values):
                if v is not None and (not isinstance(v, dt.date) or isinstance(v, dt.datetime)):
                    raise _Problem(i, v, "is not a datetime.date (a date field holds no time of day)")
        return None
    if isinstance(t, Float):
        if not kinds <= {float, int}:
            bad = next(v for v in present if type(v) not in (float, int))
            raise _Problem(_index(values, bad), bad, "is not a float")
        arr = np.array(present, dtype=np.float64)
        if not np.isfinite(arr).all():
            bad = present[int(np.flatnonzero(~np.isfinite(arr))[0])]
            raise _Problem(_index(values, bad), bad, "is not a finite number (JSON and Avro readers would disagree)")
        return None
    if isinstance(t, Bool):
        if not kinds <= _BOOLS:
            bad = next(v for v in present if type(v) not in _BOOLS)
            raise _Problem(_index(values, bad), bad, "is not a bool")
        return None
    if isinstance(t, (String, Uuid, Enum)):
        return None  # text has no precision to round; its constraints: see check_text
    if isinstance(t, RecordType):
        return _nested(t, values, present)
    return None


def _ints(t: Int, values: list[Any], present: list[Any], kinds: set[type]) -> list[Any] | None:
    fixed: list[Any] = []
    for i, v in enumerate(values):
        if v is None or v.__class__ is int:
            fixed.append(v)
        elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
            fixed.append(operator.index(v))
        else:
            raise _Problem(i, v, "is not an int")
    _check_range(t, fixed, [v for v in fixed if v is not None])
    return fixed


def _check_range(t: FieldType, values: list[Any], present: list[int]) -> None:
    if not present:
        return
    lo, hi = _bounds(t)
    mn, mx = min(present), max(present)
    if mn < lo:
        raise _Problem(_index(values, mn), _shown(t, mn), _range_reason(t))
    if mx > hi:
        raise _Problem(_index(values, mx), _shown(t, mx), _range_reason(t))


def _shown(t: FieldType, value: int) -> Any:
    """A decimal's scaled int as its decimal value (what the user gave), for messages."""
    if isinstance(t, Decimal):
        return decimal.Decimal(value).scaleb(-t.scale)
    return value


def check_text(spec: EntitySpec, records: Records) -> None:
    """The text fields' constraints on every value: a NUL character or a lone surrogate (no
    sink can store them alike), ``max_length``, enum symbols, the canonical uuid form.

    Not part of ``normalise``: it reads every character of every text value, which costs about
    as much as generating them, so the engine leaves it to the validation sample and the sinks;
    a plugin's tests can call it on the records its generators give. Raises ``ValidationFailed``
    like ``normalise``.
    """
    for f in spec.fields:
        if not isinstance(f.type, (String, Uuid, Enum)):
            continue
        stored = records.stored(f.name) if isinstance(records, Batch) and not records.rows_built else \
            [r.get(f.name) for r in records]
        if isinstance(stored, TextColumn):
            stored = stored.tolist()
        values = stored if isinstance(stored, list) else list(stored)
        present = list(filter(_NOT_NONE, values))
        if not present:
            continue
        try:
            _strings(f.type, values, present, set(map(type, present)))
        except _Problem as p:
            raise _error(spec, records, f, p) from None


def _strings(t: FieldType, values: list[Any], present: list[Any], kinds: set[type]) -> None:
    if kinds != {str}:
        bad = next(v for v in present if type(v) is not str)
        if not isinstance(bad, str):
            raise _Problem(_index(values, bad), bad, "is not a str")
    joined = "".join(present)
    if "\x00" in joined:
        bad = next(v for v in present if "\x00" in v)
        raise _Problem(_index(values, bad), bad, "holds a NUL character, which PostgreSQL text cannot store")
    if not joined.isascii():
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError:
            bad = next(v for v in present if not _utf8(v))
            raise _Problem(_index(values, bad), bad, "is not valid Unicode text (a lone surrogate)") from None
    if isinstance(t, String) and t.max_length:
        longest = max(present, key=len)
        if len(longest) > t.max_length:
            raise _Problem(_index(values, longest), longest, f"is longer than {t.max_length} characters")
    elif isinstance(t, Enum):
        bad_symbols = set(present) - set(t.symbols)
        if bad_symbols:
            bad = next(v for v in present if v in bad_symbols)
            raise _Problem(_index(values, bad), bad, f"is not one of {list(t.symbols)}")
    elif isinstance(t, Uuid) and (len(joined) != 36 * len(present) or not joined.islower()
                                  or joined.count("-") != 4 * len(present)):
        # the cheap test (36 characters each, four dashes each, no capital letter) failed or
        # could not tell (no letter at all): the exact one, value by value
        bad = next((v for v in present if not _UUID.fullmatch(v) or len(v) != 36), None)
        if bad is not None:
            raise _Problem(_index(values, bad), bad, "is not a uuid in canonical lower-case form")


def _utf8(v: str) -> bool:
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _nested(t: RecordType, values: list[Any], present: list[Any]) -> list[Any] | None:
    if not all(isinstance(v, dict) for v in present):
        bad = next(v for v in present if not isinstance(v, dict))
        raise _Problem(_index(values, bad), bad, "is not a dict (a nested record)")
    changed: dict[str, list[Any]] = {}
    for sub in t.fields:
        column = [v.get(sub.name) for v in present]
        try:
            fixed = _column(sub, column)
        except _Problem as p:
            raise _Problem(_index(values, present[p.index]), p.value, f"(in {sub.name!r}) {p.reason}") from None
        if fixed is not None:
            changed[sub.name] = fixed
    if not changed:
        return None
    out: list[Any] = []
    at = 0
    for v in values:
        if v is None:
            out.append(None)
            continue
        copy = dict(v)
        for name, column in changed.items():
            if name in copy:
                copy[name] = column[at]
        out.append(copy)
        at += 1
    return out


def exact(spec: EntitySpec, records: Sequence[Record]) -> bool:
    """Whether ``normalise`` would return ``records`` unchanged (for tests and plugins)."""
    return normalise(spec, records) is records


__all__ = [
    "DATE_RANGE",
    "ROUNDING",
    "TIMESTAMP_RANGE",
    "ValueRangeError",
    "check_text",
    "epoch_millis",
    "exact",
    "normalise",
    "round_half_up",
    "scaled_decimal",
]
