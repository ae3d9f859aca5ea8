"""Columns rendered as text: one ``uint8`` matrix per column, one row per value, no per-value Python work.

The building blocks of the JSON Lines encoder (``codecs.jsonlines``) and of every text
rendering of timestamps (``iso_timestamps``): digit and calendar tables gathered with numpy,
values padded with NUL bytes wherever convenient (numbers are right-aligned, strings too). A
column a renderer cannot write exactly raises ``Unsupported`` and the caller converts it value
by value instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import orjson

from datagen_kernel.api.columnar import TextColumn

Matrix = np.ndarray[Any, np.dtype[np.uint8]]

_QUOTE = 34
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
NULL = np.frombuffer(b"null", dtype=np.uint8)
_BOOLS = np.array([b"false", b"true"], dtype="S5").view(np.uint8).reshape(2, 5)


def _digit_words(count: int, width: int, pad: int) -> np.ndarray[Any, Any]:
    """``width``-digit text of 0..count-1 as one little-endian word each; leading zeros
    become ``pad`` (except the last digit)."""
    values = np.arange(count, dtype=np.int64)
    chars = np.empty((count, width), dtype=np.uint8)
    for k in range(width):
        power = 10 ** (width - 1 - k)
        digit = (values // power) % 10 + 48
        chars[:, k] = np.where((values >= power) | (power == 1), digit, pad)
    return chars.view(f"<u{width}").ravel()


# digit tables: gathering whole words is far cheaper than computing digits byte by byte
_Z4 = _digit_words(10_000, 4, ord("0"))
"""Four digits, zero-padded."""
_N4 = _digit_words(10_000, 4, 0)
"""Four digits, NUL-padded on the left (the most significant group of a number)."""
_D2 = _digit_words(100, 2, ord("0"))
_DATES_FROM = dt.date(1900, 1, 1).toordinal() - _EPOCH_ORDINAL
_TABLES: dict[str, np.ndarray[Any, Any]] = {}
"""Larger tables, built on first use: ``HH:MM:SS`` of each second of a day, ``.mmm`` of each
millisecond, ``YYYY-MM-DD`` of every day from 1900 to 2099."""


def _table(name: str) -> np.ndarray[Any, Any]:
    found = _TABLES.get(name)
    if found is not None:
        return found
    if name == "tod":
        sod = np.arange(86_400)
        t = struct(sod.size, [("h", "<u2"), ("c1", "u1"), ("m", "<u2"), ("c2", "u1"), ("s", "<u2")])
        t["h"], t["m"], t["s"] = _D2[sod // 3600], _D2[(sod // 60) % 60], _D2[sod % 60]
        t["c1"] = t["c2"] = ord(":")
        found = t.view("<u8")
    elif name == "millis":
        millis = np.arange(1000)
        ms = struct(1000, [("dot", "u1"), ("hundreds", "u1"), ("rest", "<u2")])
        ms["dot"] = ord(".")
        ms["hundreds"] = millis // 100 + 48
        ms["rest"] = _D2[millis % 100]
        found = ms.view("<u4")
    else:
        every = np.arange(_DATES_FROM, dt.date(2100, 1, 1).toordinal() - _EPOCH_ORDINAL, dtype=np.int64)
        year, month, day = _civil(every)
        t = struct(every.size, [("cc", "<u2"), ("yy", "<u2"), ("d1", "u1"), ("mm", "<u2"),
                                 ("d2", "u1"), ("dd", "<u2")])
        t["cc"], t["yy"], t["mm"], t["dd"] = _D2[year // 100], _D2[year % 100], _D2[month], _D2[day]
        t["d1"] = t["d2"] = ord("-")
        found = t.view("V10")
    _TABLES[name] = found
    return found


class Unsupported(Exception):
    """A column the vectorized renderer cannot write exactly; use the per-value conversion."""


class Rendered:
    """A column's JSON text: one right-aligned, NUL-padded row per record.

    ``quoted``: the text still needs the quotes of a JSON string around it (added by the
    line layout, for free).
    """

    __slots__ = ("matrix", "quoted")

    def __init__(self, matrix: Matrix, quoted: bool) -> None:
        self.matrix = np.ascontiguousarray(matrix)
        self.quoted = quoted

    @property
    def width(self) -> int:
        return int(self.matrix.shape[1])

    def closed(self) -> Matrix:
        """The text with its quotes (a copy when they are missing)."""
        if not self.quoted:
            return self.matrix
        out = np.empty((self.matrix.shape[0], self.width + 2), dtype=np.uint8)
        out[:, 0] = _QUOTE
        out[:, 1:-1] = self.matrix
        out[:, -1] = _QUOTE
        return out


def struct(n: int, parts: Sequence[tuple[str, Any]]) -> np.ndarray[Any, Any]:
    """An uninitialised array of ``n`` packed records with the given (name, format) parts."""
    names = [p[0] for p in parts]
    formats = [p[1] for p in parts]
    offsets: list[int] = []
    at = 0
    for fmt in formats:
        offsets.append(at)
        at += np.dtype(fmt).itemsize
    return np.empty(n, dtype=np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": at}))


def as_matrix(struct: np.ndarray[Any, Any]) -> Matrix:
    return struct.view(np.uint8).reshape(struct.size, struct.dtype.itemsize)


# ---------------------------------------------------------------------------------------------
# ragged bytes -> padded matrix


def right_aligned(flat: Matrix, lengths: np.ndarray[Any, Any]) -> Matrix:
    """Values concatenated in ``flat`` with byte ``lengths``, one per row, right-aligned."""
    n = lengths.size
    width = int(lengths.max()) if n else 0
    if n and int(lengths.min()) == width:
        return flat.reshape(n, width)
    # the mask compared in the narrowest integer type that holds the width: with uint8 it is
    # built several times faster than with int64 (measured: 3x for a 65-byte column)
    kind: type[np.integer[Any]] = np.uint8 if width < 256 else np.uint16 if width < 65_536 else np.int64
    column: np.ndarray[Any, Any] = np.arange(width, dtype=kind)
    out = np.zeros((n, width), dtype=np.uint8)
    out[column >= (width - lengths).astype(kind)[:, None]] = flat
    return out


def split_json_array(blob: bytes, separator: bytes) -> Matrix:
    """Elements of a JSON array (``blob`` without brackets), cut at the comma of ``separator``
    (a sequence that can only occur between elements), right-aligned. Each cutting comma
    becomes a NUL at the end of the element before it."""
    raw = np.frombuffer(blob + b",", dtype=np.uint8).copy()
    cuts = np.flatnonzero(raw == ord(","))
    if len(separator) > 1:
        comma_at = separator.index(b",")
        ok = np.ones(cuts.size, dtype=bool)
        for k, byte in enumerate(separator):
            if k == comma_at:
                continue
            pos = cuts + (k - comma_at)
            inside = (pos >= 0) & (pos < raw.size)
            match = np.zeros(cuts.size, dtype=bool)
            match[inside] = raw[pos[inside]] == byte
            ok &= match
        ok[-1] = True  # the comma appended above
        cuts = cuts[ok]
    raw[cuts] = 0
    return right_aligned(raw, np.diff(cuts, prepend=-1))


# ---------------------------------------------------------------------------------------------
# renderers: column (no nulls) -> Rendered


def _as_written(m: Matrix) -> bool:
    """Whether each row of a ``TextColumn`` matrix is its JSON string's text as it is (NUL:
    padding): nothing to escape (control characters, quote, backslash), and ASCII or valid
    UTF-8, written as it is as orjson does (a row cannot end inside a character the next one
    completes: no row starts with a continuation byte)."""
    if not m.size:
        return True
    low, high = int(m.min()), int(m.max())  # reductions: cheaper than a mask of each test
    control = ((m > 0) & (m < 32)).any() if low == 0 else low < 32  # NUL is padding
    if control or (m == _QUOTE).any() or (m == ord("\\")).any():
        return False
    if high < 127:  # ASCII: the usual case
        return True
    if ((m[:, 0] & 0xC0) == 0x80).any():
        return False
    try:
        np.ascontiguousarray(m).tobytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def render_strings(values: Sequence[Any]) -> Rendered:
    if isinstance(values, TextColumn):
        m = values.matrix
        if _as_written(m):
            return Rendered(m, True)  # NUL padding vanishes with the rest
        values = values.tolist()
    if isinstance(values, np.ndarray):
        values = values.tolist()
    try:
        joined = "\x00".join(values)
    except TypeError as exc:
        raise Unsupported(str(exc)) from None
    if '"' not in joined and "\\" not in joined:
        # each value followed by a NUL: the NULs mark the cuts and vanish with the padding
        try:
            raw = np.frombuffer((joined + "\x00").encode("utf-8"), dtype=np.uint8)
        except UnicodeEncodeError as exc:
            raise Unsupported(str(exc)) from None
        cuts = np.flatnonzero(raw < 32)
        if cuts.size == len(values):  # no control character inside a value (those need escapes)
            return Rendered(right_aligned(raw, np.diff(cuts, prepend=-1)), True)
    return Rendered(split_json_array(orjson.dumps(list(values))[1:-1], b'","'), False)


def as_int64(values: Sequence[Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
    if isinstance(values, np.ndarray):
        if values.dtype.kind not in "iu":
            raise Unsupported(f"dtype {values.dtype}")
        return values.astype(np.int64, copy=False)
    if set(map(type, values)) != {int}:
        raise Unsupported("not all int")
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        raise Unsupported("beyond int64") from None


def _number_parts(v: np.ndarray[Any, np.dtype[np.int64]], unit: int) -> tuple[list[tuple[str, Any]], list[Any]]:
    """Struct parts and values of ``sign, whole digits`` of ``v / unit`` (``unit`` a power of 10)."""
    if v.size and int(v.min()) <= -(2**62):
        raise Unsupported("beyond the digit tables")
    magnitude = np.abs(v)
    whole = magnitude // unit if unit > 1 else magnitude
    groups = max(1, -(-len(str(int(whole.max()) if whole.size else 0)) // 4))
    parts: list[tuple[str, Any]] = [("sign", "u1")]
    values: list[Any] = [np.where(v < 0, ord("-"), 0).astype(np.uint8)]
    words: list[Any] = []
    rest = whole
    for k in range(groups):
        higher = rest // 10_000
        group = rest - higher * 10_000
        low = 10 ** (4 * k)
        if k == 0:
            word = np.where(whole >= 10_000, _Z4[group], _N4[group])
        else:
            word = np.where(whole >= low * 10_000, _Z4[group], np.where(whole >= low, _N4[group], 0))
        words.append(word)
        rest = higher
    for k in range(groups - 1, -1, -1):
        parts.append((f"g{k}", "<u4"))
        values.append(words[k])
    return parts, values


def render_ints(values: Sequence[Any]) -> Rendered:
    v = as_int64(values)
    parts, cols = _number_parts(v, 1)
    out = struct(v.size, parts)
    for (name, _), col in zip(parts, cols, strict=True):
        out[name] = col
    return Rendered(as_matrix(out), False)


def decimal_renderer(scale: int) -> Callable[[Sequence[Any]], Rendered]:
    unit = 10**scale

    def render(values: Sequence[Any]) -> Rendered:
        v = as_int64(values)
        parts, cols = _number_parts(v, unit)
        if scale == 0:
            out = struct(v.size, parts)
        else:
            frac = np.abs(v) % unit
            digits = [(f"f{k}", "u1") for k in range(scale)]
            out = struct(v.size, [*parts, ("dot", "u1"), *digits])
            out["dot"] = ord(".")
            for k in range(scale):
                out[f"f{k}"] = (frac // 10 ** (scale - 1 - k)) % 10 + 48
        for (name, _), col in zip(parts, cols, strict=True):
            out[name] = col
        return Rendered(as_matrix(out), True)

    return render


def _civil(days: np.ndarray[Any, np.dtype[np.int64]]) -> tuple[Any, Any, Any]:
    """(year, month, day) of days since 1970-01-01 (proleptic Gregorian), integer arithmetic."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _date_texts(days: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, Any]:
    """``YYYY-MM-DD`` of days since the epoch, one 10-byte item each (years 1900-2099)."""
    table = _table("dates")
    index = days - _DATES_FROM
    if index.size and (int(index.min()) < 0 or int(index.max()) >= table.size):
        raise Unsupported("date outside 1900-2099")
    texts: np.ndarray[Any, Any] = table[index]
    return texts


def render_dates(values: Sequence[Any]) -> Rendered:
    if isinstance(values, np.ndarray):
        if values.dtype != np.dtype("datetime64[D]"):
            raise Unsupported(f"dtype {values.dtype}")
        days = values.astype(np.int64)
    else:
        if set(map(type, values)) != {dt.date}:
            raise Unsupported("not all datetime.date")
        days = np.fromiter(map(dt.date.toordinal, values), dtype=np.int64, count=len(values)) - _EPOCH_ORDINAL
    texts = _date_texts(days)
    return Rendered(texts.view(np.uint8).reshape(texts.size, 10), True)


def timestamp_renderer(tz: dt.tzinfo) -> Callable[[Sequence[Any]], Rendered]:
    offset = tz.utcoffset(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert offset is not None
    off_ms = int(offset.total_seconds() * 1000)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        suffix = b"Z"
    else:
        h, m = divmod(abs(minutes), 60)
        suffix = f"{'+' if minutes > 0 else '-'}{h:02d}:{m:02d}".encode()
    tail = np.frombuffer(suffix, dtype=f"V{len(suffix)}")[0]

    def render(values: Sequence[Any]) -> Rendered:
        local = as_int64(values) + off_ms
        secs = local // 1000
        days = secs // 86400
        out = struct(local.size, [("date", "V10"), ("t", "u1"), ("tod", "<u8"), ("ms", "<u4"),
                                   ("zone", f"V{len(suffix)}")])
        out["date"] = _date_texts(days)
        out["t"] = ord("T")
        out["tod"] = _table("tod")[secs - days * 86400]
        out["ms"] = _table("millis")[local - secs * 1000]
        out["zone"] = tail
        return Rendered(as_matrix(out), True)

    return render


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def iso_timestamp_matrix(ms: np.ndarray[Any, np.dtype[np.int64]], tz: dt.tzinfo) -> Matrix:
    """ISO 8601 text with milliseconds and offset (``Z`` for UTC) of epoch milliseconds, one
    row of ASCII bytes each; ``ValueError`` for a date outside 1900-2099."""
    try:
        return timestamp_renderer(tz)(cast(Sequence[Any], ms)).matrix
    except Unsupported as exc:
        raise ValueError(str(exc)) from None


def iso_timestamps(ms: np.ndarray[Any, np.dtype[np.int64]], tz: dt.tzinfo) -> list[str]:
    """ISO 8601 text with milliseconds and offset (``Z`` for UTC) of epoch milliseconds."""
    try:
        matrix = iso_timestamp_matrix(ms, tz)
    except ValueError:  # beyond the date table: the standard library, value by value
        zulu = tz.utcoffset(_EPOCH) == dt.timedelta(0)
        texts = [(_EPOCH + dt.timedelta(milliseconds=v)).astimezone(tz).isoformat(timespec="milliseconds")
                 for v in ms.tolist()]
        return [t[:-6] + "Z" for t in texts] if zulu else texts
    flat = np.ascontiguousarray(matrix).view(f"S{matrix.shape[1]}").ravel()
    return [b.decode("ascii") for b in flat.tolist()]


def render_floats(values: Sequence[Any]) -> Rendered:
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if set(map(type, values)) - {float, int}:
        raise Unsupported("not all float")
    return Rendered(split_json_array(orjson.dumps(list(values))[1:-1], b","), False)


def render_bools(values: Sequence[Any]) -> Rendered:
    if isinstance(values, np.ndarray):
        if values.dtype != np.bool_:
            raise Unsupported(f"dtype {values.dtype}")
        flags = values
    else:
        if set(map(type, values)) != {bool}:
            raise Unsupported("not all bool")
        flags = np.array(values, dtype=bool)
    return Rendered(_BOOLS[flags.astype(np.intp)], False)








# ---------------------------------------------------------------------------------------------
# assembling lines






