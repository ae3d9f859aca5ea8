"""JSON Lines built from columns, one numpy byte matrix per field, no per-record Python work.

Each field's column is rendered into a ``uint8`` matrix with one row per record and the
field's JSON text in it, padded with NUL bytes wherever convenient (numbers are right-aligned,
strings too). The matrices are laid side by side between the constant ``{"name":`` parts
and the NULs are deleted in one pass. NUL is safe as padding: JSON text never contains a raw
NUL (a string holding one is written ``\\u0000``).

The output is the text the json serializer has always written: decimals as exact strings,
timestamps ISO 8601 with milliseconds and offset, dates ``YYYY-MM-DD``, strings escaped as
orjson escapes them (its UTF-8, its escapes), floats in orjson's shortest form. A column the
fast renderers do not handle (``Decimal`` objects, aware datetimes, out-of-range years)
goes through the general per-value conversion instead; the rest of the batch stays fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import is_, itemgetter
from typing import Any

import numpy as np
import orjson

from datagen_kernel.api.columnar import MISSING, Batch, TextColumn, TextRows, as_rows, is_run
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import (
    Bool,
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    Float,
    Int,
    Kind,
    String,
    Timestamp,
    Uuid,
)
from datagen_kernel.api.schema import Record as RecordType
from datagen_kernel.api.transforms import Changes, Edited, Raw
from datagen_kernel.codecs.columns import (
    NULL,
    Rendered,
    Unsupported,
    decimal_renderer,
    render_bools,
    render_dates,
    render_floats,
    render_ints,
    render_strings,
    right_aligned,
    split_json_array,
    timestamp_renderer,
)

try:  # the C half of ``LineEncoder.lines``, built with the kernel where a C compiler is found
    from datagen_kernel.codecs import _assemble as _native
except ImportError:  # pragma: no cover - depends on how the kernel was installed
    _native = None  # type: ignore[assignment]

# ---------------------------------------------------------------------------------------------
# renderers: column (no nulls) -> Rendered


def _record_renderer(field: Field, tz: dt.tzinfo) -> Callable[[Sequence[Any]], Rendered]:
    from datagen_kernel.codecs.text import to_text_values  # the general conversion, for nested fields

    assert isinstance(field.type, RecordType)
    nested = EntitySpec(name="nested", kind=Kind.REFERENCE, fields=tuple(field.type.fields),
                        primary_key=field.type.fields[0].name)

    def render(values: Sequence[Any]) -> Rendered:
        if isinstance(values, np.ndarray):
            values = values.tolist()
        if set(map(type, values)) != {dict} or not all(values):
            raise Unsupported("not all non-empty dicts")
        blob = orjson.dumps(to_text_values(nested, values, tz))[1:-1]
        return Rendered(split_json_array(blob, b'},{"'), False)

    return render


def _renderer(field: Field, tz: dt.tzinfo) -> Callable[[Sequence[Any]], Rendered]:
    t = field.type
    if isinstance(t, (String, Uuid, Enum)):
        return render_strings
    if isinstance(t, Decimal):
        return decimal_renderer(t.scale)
    if isinstance(t, Timestamp):
        return timestamp_renderer(tz)
    if isinstance(t, Date):
        return render_dates
    if isinstance(t, Int):
        return render_ints
    if isinstance(t, Float):
        return render_floats
    if isinstance(t, Bool):
        return render_bools
    if isinstance(t, RecordType):
        return _record_renderer(field, tz)
    raise Unsupported(f"field type {t.type_name}")


def _general(field: Field, tz: dt.tzinfo) -> Callable[[Sequence[Any]], Rendered]:
    """Per-value conversion of one column (what the fast renderers decline)."""
    from datagen_kernel.codecs.text import raw_default, to_text_values

    spec = EntitySpec(name="column", kind=Kind.REFERENCE, fields=(field,), primary_key=field.name)

    def render(values: Sequence[Any]) -> Rendered:
        if isinstance(values, np.ndarray):
            values = values.tolist()
        rows = to_text_values(spec, [{field.name: v} for v in values], tz)
        return Rendered(_text_matrix([orjson.dumps(r[field.name], default=raw_default) for r in rows]), False)

    return render


def _loose(values: Sequence[Any]) -> Rendered:
    """Values of no declared field, each as orjson writes it (a ``Raw`` as what it wraps)."""
    from datagen_kernel.codecs.text import raw_default

    plain = [v.value if v.__class__ is Raw else v for v in values]
    texts = _string_texts(plain)
    if texts is None:
        texts = [orjson.dumps(v, default=raw_default) for v in plain]
    return Rendered(_text_matrix(texts), False)


def _text_matrix(texts: Sequence[bytes]) -> np.ndarray[Any, Any]:
    """Texts as the rows of a matrix, right-aligned."""
    flat = np.frombuffer(b"".join(texts), dtype=np.uint8)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return right_aligned(flat, lengths)


def _string_texts(values: list[Any]) -> list[bytes] | None:
    """The JSON text of each value when all are strings (one orjson call: '","' is found
    between the strings only), else None."""
    try:
        "".join(values)
    except TypeError:
        return None
    return orjson.dumps(values)[1:-1].replace(b'","', b'"\n"').split(b"\n") if values else []


def join_rows(count: int, pieces: Sequence[tuple[bytes, TextRows | np.ndarray[Any, Any], Any]],
              end: bytes = b"") -> list[bytes]:
    """``count`` texts made of rows of text matrices without a bytes object per row: text ``e``
    is, piece by piece, the piece's ``prefix`` then row ``index[e]`` of its ``rows`` (a
    ``TextRows`` or its matrix; row ``e`` when ``index`` is None, nothing for -1), then
    ``end``. E.g. a transform's report lines holding its values' JSON text
    (``LineEncoder.value_rows``). In C where the kernel's helper is built, else with numpy:
    the same texts. A row out of range is a ``ValueError``."""
    parts: list[tuple[bytes, np.ndarray[Any, Any], np.ndarray[Any, Any] | None]] = []
    for prefix, rows, index in pieces:
        matrix = rows.matrix if isinstance(rows, TextRows) else rows
        if matrix.ndim != 2 or matrix.dtype != np.uint8:
            raise ValueError(f"join_rows needs uint8 matrices, got {matrix.ndim}-D {matrix.dtype}")
        if matrix.shape[1] == 0 or matrix.strides[1] != 1 or matrix.strides[0] < 0:
            matrix = np.zeros((len(matrix), 1), dtype=np.uint8) if matrix.shape[1] == 0 \
                else np.ascontiguousarray(matrix)
        at = None if index is None else np.ascontiguousarray(index, dtype=np.int64)
        if at is not None and len(at) < count:
            raise ValueError(f"join_rows: an index of {len(at)} rows for {count} texts")
        if at is None and len(matrix) < count:
            raise ValueError(f"join_rows: {len(matrix)} rows for {count} texts")
        parts.append((bytes(prefix), matrix, at))
    if _native is not None:
        return _native.join(count, parts, bytes(end))
    if not count:
        return []
    columns: list[np.ndarray[Any, Any]] = []
    for prefix, matrix, at in parts:
        if prefix:
            columns.append(np.broadcast_to(np.frombuffer(prefix, dtype=np.uint8), (count, len(prefix))))
        if at is None:
            columns.append(matrix[:count])
            continue
        at = at[:count]
        if ((at < -1) | (at >= len(matrix))).any():
            raise ValueError("join_rows: a row out of range of its matrix")
        taken = np.zeros((count, matrix.shape[1]), dtype=np.uint8)
        hit = at >= 0
        taken[hit] = matrix[at[hit]]
        columns.append(taken)
    if end:
        columns.append(np.broadcast_to(np.frombuffer(end, dtype=np.uint8), (count, len(end))))
    laid = np.concatenate(columns, axis=1) if columns else np.zeros((count, 0), dtype=np.uint8)
    ends = np.cumsum(np.count_nonzero(laid, axis=1)).tolist()
    flat = laid.tobytes().translate(None, b"\x00")
    return [flat[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


_NO_ROWS = np.empty(0, dtype=np.intp)
_NONE = np.zeros((0, 0), dtype=np.uint8)


_Patches = dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any] | None]]
"""Per field of ``Changes``: per changed record the index of its text or -1, the texts, and
(None: none) whether it lacks the field."""


class _Patch:
    """The changed values ``padded`` puts in: per field (rows, their values' text, rows lacking it)."""

    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]]
                 ) -> None:
        self.fields = fields


def _batch_patches(patches: _Patches, ks: np.ndarray[Any, Any], own: np.ndarray[Any, Any]
                   ) -> dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """The changed values of a sink batch's entries (``ks``: each entry's changed record where
    ``own``), per field: the entries given a value (in order), their values' text, and the
    entries lacking the field (in order)."""
    entries = np.flatnonzero(own)
    k = ks[own]
    out = {}
    for name, (text_of, texts, lacks) in patches.items():
        at = text_of[k]
        hit = at >= 0
        gone = entries[lacks[k]] if lacks is not None else _NO_ROWS
        if len(gone) or hit.any():
            out[name] = (entries[hit], texts[at[hit]], gone)
    return out


def _window_patches(patches: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]],
                    windows: list[tuple[int, int]]) -> list[_Patch]:
    """Per window ``a..b`` of a sink batch's entries, the changed values (``_batch_patches``) of
    its entries, by the entries' rows in the window: each field cut at every window's edges at once."""
    edges = np.array([a for a, _ in windows] + [windows[-1][1]], dtype=np.intp) if windows else np.zeros(1, np.intp)
    cuts = {name: (np.searchsorted(given, edges).tolist(), np.searchsorted(gone, edges).tolist() if len(gone) else None)
            for name, (given, _, gone) in patches.items()}
    out = []
    for w, (a, _) in enumerate(windows):
        fields = {}
        for name, (given, texts, gone) in patches.items():
            at, gone_at = cuts[name]
            lo, hi = at[w], at[w + 1]
            glo, ghi = (gone_at[w], gone_at[w + 1]) if gone_at is not None else (0, 0)
            if hi > lo or ghi > glo:
                fields[name] = (given[lo:hi] - a, texts[lo:hi], gone[glo:ghi] - a)
        out.append(_Patch(fields))
    return out


def _tails(beyond: list[tuple[bytes, np.ndarray[Any, Any], np.ndarray[Any, Any]]], marked: np.ndarray[Any, Any]
           ) -> np.ndarray[Any, Any]:
    """Per row of ``marked`` (the rows having fields beyond the entity's: per field its
    ``,"name":`` text, the rows and their values' text), the text after its last field: each
    of those fields it has, then the closing brace and newline (NUL-padded)."""
    width = sum(len(prefix) + texts.shape[1] for prefix, _, texts in beyond) + 2
    out = np.zeros((len(marked), width), dtype=np.uint8)
    at = 0
    for prefix, given, texts in beyond:
        where = np.searchsorted(marked, given)
        out[where, at : at + len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
        out[where, at + len(prefix) : at + len(prefix) + texts.shape[1]] = texts
        at += len(prefix) + texts.shape[1]
    out[:, at] = ord("}")
    out[:, at + 1] = ord("\n")
    return out


def _ascending(rows: np.ndarray[Any, Any], texts: np.ndarray[Any, Any]
               ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Entries and their texts in ascending order of the entries, the last text of an entry
    given twice (as the C helper reads them)."""
    at = np.ascontiguousarray(rows, dtype=np.int64)
    if len(at) > 1 and not (at[1:] > at[:-1]).all():
        _, last = np.unique(at[::-1], return_index=True)
        keep = len(at) - 1 - last
        at, texts = at[keep], texts[keep]
    return at, np.ascontiguousarray(texts)


def _windows(src: np.ndarray[Any, Any], size: int) -> list[tuple[int, int]]:
    """Windows of about ``size`` entries whose records (``src``, -1: none) do not overlap: each
    ends where every record before it comes before every record after it."""
    total = len(src)
    if total <= size:
        return [(0, total)]
    top = np.maximum.accumulate(src)  # (-1 is below every record)
    bottom = np.minimum.accumulate(np.where(src >= 0, src, np.iinfo(np.intp).max)[::-1])[::-1]
    clean = np.flatnonzero(top[:-1] < bottom[1:]) + 1  # entry positions a window may start at
    out = []
    a = 0
    while total - a > size:
        j = int(np.searchsorted(clean, a + size))
        b = int(clean[j]) if j < len(clean) else total
        out.append((a, b))
        a = b
    if a < total:
        out.append((a, total))
    return out


def _room(r: Rendered, texts: np.ndarray[Any, Any]) -> Rendered:
    """``r`` with a slot that holds ``texts`` (with their quotes) in place of a value: widened
    where one is longer than the slot."""
    room = r.width + (2 if r.quoted else 0)
    if texts.shape[1] <= room:
        return r
    wider = np.zeros((r.matrix.shape[0], r.width + texts.shape[1] - room), dtype=np.uint8)
    wider[:, wider.shape[1] - r.width:] = r.matrix
    return Rendered(wider, r.quoted)


def _right(matrix: np.ndarray[Any, Any], width: int) -> np.ndarray[Any, Any]:
    """Right-aligned text rows widened to ``width``."""
    if matrix.shape[1] == width:
        return matrix
    out = np.zeros((matrix.shape[0], width), dtype=np.uint8)
    out[:, width - matrix.shape[1] :] = matrix
    return out


# ---------------------------------------------------------------------------------------------
# assembling lines


CHUNK = 4096
"""Records rendered per pass: larger batches are cut (measured: 4,096 rows beat 20,000 and 2,000)."""


class LineEncoder:
    """JSON Lines of one entity's records (lists of dicts or ``Batch``es), in field order."""

    def __init__(self, entity: EntitySpec, tz: dt.tzinfo) -> None:
        self.entity = entity
        self.tz = tz
        self.names = entity.field_names
        self.fields = set(self.names)
        self.prefixes = [(("{" if i == 0 else ",") + f'"{name}":').encode() for i, name in enumerate(self.names)]
        self.renderers = [_renderer(f, tz) for f in entity.fields]
        self.general = [_general(f, tz) for f in entity.fields]
        self._patched_by: tuple[Changes, _Patches | None] | None = None  # an edit stage's Changes, their texts
        self._rows_read: tuple[Sequence[Record], Batch] | None = None  # a block of dicts, read into columns
        self.index = {name: i for i, name in enumerate(self.names)}

    def columns(self, records: Sequence[Record]) -> list[Any] | None:
        """Each field's column, or None when the records do not have exactly the fields (a
        ``Batch`` with overrides: its columns without them, see ``padded``)."""
        if isinstance(records, Batch) and not records.rows_built:
            if records.overridden:
                names = set(records.names)
                if not names.issuperset(self.names) or records.absent(self.names[0]) is not None:
                    return None
                return [records.base(n) for n in self.names]
            if set(records.names) != set(self.names):
                return None
            return [records.stored(n) for n in self.names]
        records = as_rows(records)
        if set(map(len, records)) != {len(self.names)}:
            return None
        try:
            return [list(map(itemgetter(n), records)) for n in self.names]
        except KeyError:
            return None

    def encode(self, records: Sequence[Record]) -> bytes | None:
        """The records as JSON Lines (each line ends with ``\\n``); None if they do not fit the
        entity's fields (the caller then writes them as they are)."""
        if not records:
            return b""
        if isinstance(records, Edited):
            return self._edited(records)
        if len(records) <= CHUNK:
            lines = self.lines(records)
            return None if lines is None else bytes(lines)
        # larger batches are cut, to keep each pass's arrays within a core's cache; the chunks'
        # lines are joined once (no bytes copy of each)
        parts: list[bytearray] = []
        for i in range(0, len(records), CHUNK):
            lines = self.lines(records[i : i + CHUNK])
            if lines is None:
                return None
            parts.append(lines)
        return b"".join(parts)

    def _edited(self, records: Edited) -> bytes | None:
        """The lines of an edit stage's records (``Edited``) without reordering any column: the
        entries are cut into windows of about ``CHUNK`` whose block records do not overlap; each
        window renders its slice of the block once (column by column), lays its rows out in the
        entries' order by gathering each field's rendered text (a record written twice or
        elsewhere is gathered twice or elsewhere), puts in the changed values of the stage's
        ``Changes`` (rows of the records they copy), then deletes the padding. Other own records
        of the stage are rendered with the window that writes them."""
        order = records.order
        base = self._block(records)
        if base is None:
            merged = records.merged()  # (a list, or none of the block's records)
            return self.encode(merged if merged is not None else as_rows(records))
        n = len(base)
        changes = records.changes
        own = order >= n
        patches = self._patches(changes) if changes is not None and own.any() else None
        added: Batch | None = None
        src = order  # per entry: the block record whose row it is (-1: an own record rendered apart)
        if own.any():
            src = order.copy()
            if patches is not None:
                assert changes is not None
                src[own] = changes.sources[order[own] - n]
            else:
                got = records.added
                if not isinstance(got, Batch):
                    merged = records.merged()
                    return self.encode(merged if merged is not None else as_rows(records))
                added = got
                src[own] = -1
        elif is_run(order):
            return self.encode(base[int(order[0]) : int(order[-1]) + 1])  # a slice as it stands
        parts: list[Any] = []
        batch_patches = _batch_patches(patches, order - n, own) if patches is not None else None
        windows = _windows(src, CHUNK)
        window_patches = _window_patches(batch_patches, windows) if batch_patches is not None else None
        for w, (a, b) in enumerate(windows):
            here = src[a:b]
            from_base = None if added is None else here >= 0  # (None: every entry a block record's)
            based = here if from_base is None else here[from_base]
            lo, hi = (int(based.min()), int(based.max()) + 1) if len(based) else (0, 0)
            if hi - lo > 2 * (b - a) + CHUNK:  # scattered far apart: only the rows used
                used, inverse = np.unique(based, return_inverse=True)
                rows = inverse if from_base is None else np.empty_like(here)
                if from_base is not None:
                    rows[from_base] = inverse
                part: Batch = base.take(used)
            else:
                rows = here - lo  # (the stage's own records, -1, get their rows below)
                part = base[lo:hi]  # type: ignore[assignment]
            if from_base is not None and not from_base.all():
                assert added is not None
                mine = order[a:b][~from_base] - n
                rows[~from_base] = len(part) + np.arange(len(mine), dtype=np.intp)
                part = Batch.concat([part, added.take(mine)])
            patch = None
            beyond: list[tuple[bytes, np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []
            if batch_patches is not None:
                assert window_patches is not None
                patch = window_patches[w]
                for name in [f for f in patch.fields if f not in self.index]:
                    given, texts, _ = patch.fields.pop(name)
                    beyond.append((f',"{name}":'.encode(), given, texts))
            if not beyond:
                lines = self.lines(part, patch, rows)
                if lines is None:
                    return None
                parts.append(lines)
                continue
            assert patch is not None
            if _native is not None:  # each such row's fields beyond the entity's written before its brace
                lines = self.lines(part, patch, rows, beyond)
                if lines is None:
                    return None
                parts.append(lines)
                continue
            marked = beyond[0][1] if len(beyond) == 1 else np.unique(np.concatenate([g for _, g, _ in beyond]))
            # the fields beyond the entity's go after the few rows that have them, not in a
            # slot that would widen every row: each such row is followed by rows of its own
            # (continuation rows) holding the fields' text and the closing brace, which takes
            # the place of the row's own
            tails = _tails(beyond, marked)
            # continuation rows per such row: a row is at least as wide as the entity's constant
            # parts, so this many hold the tail
            spare = -(-tails.shape[1] // (sum(map(len, self.prefixes)) + 2))
            at = np.arange(b - a, dtype=np.intp) + spare * np.searchsorted(marked, np.arange(b - a), side="left")
            follow = (at[marked][:, None] + np.arange(1, spare + 1)).ravel()  # the continuation rows
            wide = np.empty(len(at) + len(follow), dtype=np.intp)
            wide[at] = rows
            wide[follow] = np.repeat(rows[marked], spare)
            patch = _Patch({name: (at[given], texts, at[gone]) for name, (given, texts, gone) in patch.fields.items()})
            padded = self.padded(part, patch, wide)
            if padded is None:
                return None
            size = len(padded) // len(wide)  # (at least the constant parts' width: the tails fit)
            matrix = np.frombuffer(padded, dtype=np.uint8).reshape(len(wide), size)
            matrix[at[marked], size - 2 :] = 0  # the row's own closing brace and newline
            room = np.zeros((len(marked), spare * size), dtype=np.uint8)
            room[:, : tails.shape[1]] = tails
            matrix[follow] = room.reshape(len(follow), size)
            parts.append(padded.translate(None, b"\x00"))
        return b"".join(parts)

    def _block(self, records: Edited) -> Batch | None:
        """The block's records as a ``Batch`` with no overrides (None: not so): a block of dicts
        holding exactly the entity's fields is read into columns once (the sink batches of a
        block share it), as ``columns`` would for each."""
        base = records.base
        if isinstance(base, Batch):
            return base if records.columnar and not base.overridden else None
        if records.changes is None and len(records.added):
            return None
        found = self._rows_read
        if found is not None and found[0] is base:
            return found[1]
        rows = as_rows(base)
        if set(map(len, rows)) != {len(self.names)}:
            return None
        batch = Batch.from_rows(self.names, rows)  # (a row lacking one of them: overridden)
        if batch.overridden:
            return None
        self._rows_read = (base, batch)
        return batch

    def _patches(self, changes: Changes) -> _Patches | None:
        """Per field ``Changes`` sets, rendered once per ``Changes`` (the sink batches of a block
        share it): per changed record, the index of its new value's text (closed) or -1, the
        texts, and whether it lacks the field; None when the json lines cannot be made so (the
        first field left out)."""
        found = self._patched_by
        if found is not None and found[0] is changes:
            return found[1]
        out = self._patches_of(changes)
        self._patched_by = (changes, out)
        return out

    def _patches_of(self, changes: Changes) -> _Patches | None:
        out: _Patches = {}
        for name, parts in changes.changes.items():
            i = self.index.get(name)
            # texts given with the values are put in as they are; a timestamp's (or a record's)
            # only when written in this serializer's zone
            zoned = i is not None and isinstance(self.entity.fields[i].type, (Timestamp, RecordType)) \
                and (changes.zone is None or changes.zone != self.tz)
            given = changes.texts.get(name) if not zoned else None
            events: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []
            for j, (at, values) in enumerate(parts):
                known = given[j] if given is not None else None
                if isinstance(known, TextRows):  # the texts' matrix as it is (none left out)
                    texts = known.matrix
                    gone = np.fromiter(map(is_, values, repeat(MISSING)), dtype=bool, count=len(values)) \
                        if isinstance(values, list) else np.zeros(len(at), dtype=bool)
                    if gone.any():
                        texts = texts.copy()
                        texts[gone] = 0
                elif isinstance(values, list):
                    gone = np.fromiter(map(is_, values, repeat(MISSING)), dtype=bool, count=len(values))
                    if known is not None:
                        kept_texts = [t for t, g in zip(known, gone.tolist(), strict=True) if not g] if gone.any() \
                            else known
                        texts = _text_matrix(kept_texts) if len(kept_texts) else _NONE
                    else:
                        kept = [v for v, g in zip(values, gone.tolist(), strict=True) if not g] if gone.any() \
                            else values
                        texts = (self._given(i, kept) if i is not None else _loose(kept)).closed() if kept else _NONE
                    if gone.any():
                        full = np.zeros((len(at), texts.shape[1]), dtype=np.uint8)
                        full[~gone] = texts
                        texts = full
                else:
                    gone = np.zeros(len(at), dtype=bool)
                    if known is not None:
                        texts = _text_matrix(known)
                    else:
                        texts = self._render(i, values).closed() if i is not None else _loose(values.tolist()).closed()
                events.append((at, gone, texts))
            if len(events) == 1:
                rows, lacking, texts = events[0]
            else:
                rows = np.concatenate([e[0] for e in events])
                lacking = np.concatenate([e[1] for e in events])
                width = max(e[2].shape[1] for e in events)
                texts = np.concatenate([_right(e[2], width) for e in events])
                if np.bincount(rows).max() > 1:  # a record set twice keeps the last value
                    _, first = np.unique(rows[::-1], return_index=True)
                    last = len(rows) - 1 - first
                    rows, lacking, texts = rows[last], lacking[last], texts[last]
            if i == 0 and lacking.any():
                return None
            text_of = np.full(len(changes), -1, dtype=np.intp)
            text_of[rows] = np.arange(len(rows), dtype=np.intp)
            lacks = np.zeros(len(changes), dtype=bool)
            lacks[rows] = lacking
            text_of[lacks] = -1
            out[name] = (text_of, texts, lacks if lacks.any() else None)
        return out

    def lines(self, records: Sequence[Record], patch: _Patch | None = None,
              perm: np.ndarray[Any, Any] | None = None,
              beyond: list[tuple[bytes, np.ndarray[Any, Any], np.ndarray[Any, Any]]] | None = None
              ) -> bytearray | None:
        """The JSON lines ``padded`` lays out, without the padding (None: the records do not fit
        the entity's fields). With the C helper each line is written once, straight from the
        rendered columns, and the fields ``beyond`` the entity's (each its ``,"name":`` text,
        the entries that have it and their values' text) go before the closing brace of those
        entries' lines; without it (none such then), ``padded`` with its
        NULs deleted: the same bytes."""
        if _native is None:
            assert not beyond
            padded = self.padded(records, patch, perm)
            return None if padded is None else padded.translate(None, b"\x00")
        laid = self._laid_out(records, patch, perm, room=False)
        if laid is None:
            return None
        n, perm, prefixes, rendered, absent, given = laid
        fields: list[tuple[bytes, bool, Any, Any, Any, Any]] = []
        bound = 2 * n  # (the closing brace and newline of each line)
        for i, (prefix, r) in enumerate(zip(prefixes, rendered, strict=True)):
            patch_at = texts = gone = None
            found = given[i] if i < len(given) else None
            if found is not None:
                patch_at, texts = _ascending(*found)
                bound += texts.size
            lacking = absent[i] if i < len(absent) else None
            if lacking is not None:
                gone = np.ascontiguousarray(lacking, dtype=np.int64)  # (ascending: flatnonzero's)
            fields.append((prefix, r.quoted, r.matrix, patch_at, texts, gone))
            bound += n * (len(prefix) + r.width + (2 if r.quoted else 0))
        for prefix, given_at, given_texts in beyond or ():  # only where an entry has it
            at, texts = _ascending(given_at, given_texts)
            fields.append((prefix, False, None, at, texts, None))
            bound += texts.size + len(at) * len(prefix)
        out = bytearray(bound)
        order = None if perm is None else np.ascontiguousarray(perm, dtype=np.int64)
        del out[_native.assemble(out, order, fields):]
        return out

    def _laid_out(self, records: Sequence[Record], patch: _Patch | None, perm: np.ndarray[Any, Any] | None,
                  room: bool = True) -> tuple[int, np.ndarray[Any, Any] | None, list[bytes], list[Rendered],
                             list[np.ndarray[Any, Any] | None],
                             list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None]] | None:
        """What a line holds, field by field: (entries, their rows or None: in order, the
        fields' constant prefixes, their rendered text, the entries lacking each, the entries
        given other text and that text)."""
        if perm is not None and isinstance(records, Batch) and records.overridden:
            records, perm = records.take(perm), None
        columns = self.columns(records)
        if columns is None:
            return None
        rendered = [self._render(i, values) for i, values in enumerate(columns)]
        n = len(records) if perm is None else len(perm)
        prefixes = self.prefixes
        absent: list[np.ndarray[Any, Any] | None] = []
        given: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None] = []
        if isinstance(records, Batch) and records.overridden:
            prefixes, rendered, absent, given = self._overridden(records, rendered, room)
        elif patch is not None:
            rendered, absent, given = self._patched(rendered, patch, room)
        return n, perm, prefixes, rendered, absent, given

    def padded(self, records: Sequence[Record], patch: _Patch | None = None,
               perm: np.ndarray[Any, Any] | None = None) -> bytearray | None:
        """The lines before the NUL padding is deleted: one fixed-size row per record; with
        ``perm``, one row per entry of ``perm`` (the record it names: rows gathered in another
        order, some twice, some not), and ``patch``'s values put in those rows."""
        laid = self._laid_out(records, patch, perm)
        if laid is None:
            return None
        n, perm, prefixes, rendered, absent, given = laid
        # a row: the constant parts with each field's text between them; quotes of string
        # fields are constants too
        template = bytearray()
        slots: list[tuple[int, Rendered]] = []
        spans: list[tuple[int, int]] = []  # each field's bytes, name to closing quote
        text = b""
        for prefix, r in zip(prefixes, rendered, strict=True):
            begin = len(template) + len(text)
            template += text + prefix + (b'"' if r.quoted else b"")
            slots.append((len(template), r))
            template += bytes(r.width)
            text = b'"' if r.quoted else b""
            spans.append((begin, len(template) + len(text)))
        template += text + b"}\n"
        size = len(template)
        buf = bytearray(n * size)
        np.frombuffer(buf, dtype=f"V{size}")[:] = np.frombuffer(bytes(template), dtype=f"V{size}")[0]
        for offset, r in slots:
            if r.width:
                slot = np.ndarray((n,), dtype=f"V{r.width}", buffer=buf, offset=offset, strides=(size,))
                values = r.matrix.view(f"V{r.width}").ravel()
                if perm is None:
                    slot[:] = values
                else:  # gathered straight into the rows
                    np.take(values, perm, out=slot, mode="clip")
        for (offset, r), (_, end), found in zip(slots, spans, given, strict=False):
            if found is not None:  # overridden values: their own text (quotes included) in the value's place
                rows, texts = found
                start = offset - 1 if r.quoted else offset
                value = np.ndarray((n,), dtype=f"V{end - start}", buffer=buf, offset=start, strides=(size,))
                value[rows] = np.zeros(1, dtype=f"V{end - start}")[0]
                width = texts.shape[1]
                if width:
                    at = np.ndarray((n,), dtype=f"V{width}", buffer=buf, offset=end - width, strides=(size,))
                    at[rows] = np.ascontiguousarray(texts).view(f"V{width}").ravel()
        for (begin, end), lacking in zip(spans, absent, strict=False):
            if lacking is not None:  # a field some records lack: its name and value are left out
                span = np.ndarray((n,), dtype=f"V{end - begin}", buffer=buf, offset=begin, strides=(size,))
                span[lacking] = np.zeros(1, dtype=f"V{end - begin}")[0]
        return buf

    def _patched(self, rendered: list[Rendered], patch: _Patch, room: bool = True
                 ) -> tuple[list[Rendered], list[np.ndarray[Any, Any] | None],
                            list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None]]:
        """``_overridden`` for the changed values of a ``_Patch`` (texts already rendered, rows
        among the rows written; fields beyond the entity's are ``_edited``'s)."""
        out = list(rendered)
        absent: list[np.ndarray[Any, Any] | None] = [None] * len(out)
        given: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None] = [None] * len(out)
        for name, (rows, texts, lacking) in patch.fields.items():  # (the entity's fields only)
            i = self.index[name]
            if len(lacking):
                absent[i] = lacking
            if len(rows):
                if room:  # (a slot that holds them; the C helper writes them apart)
                    out[i] = _room(out[i], texts)
                given[i] = (rows, texts)
        return out, absent, given

    @staticmethod
    def _extra(records: Batch, name: str) -> Rendered:
        """A field beyond the entity's: the values of the records that have it and no override."""
        n = len(records)
        present = np.ones(n, dtype=bool)
        lacking = records.absent(name)
        if lacking is not None:
            present &= ~lacking
        over = records.overrides(name)
        if over is not None:
            present[over[0]] = False
        rows = np.flatnonzero(present)
        if not len(rows):
            return Rendered(np.zeros((n, 0), dtype=np.uint8), False)
        base = records.base(name)
        values = base.tolist() if not isinstance(base, list) else base
        given = _loose([values[i] for i in rows.tolist()]).matrix
        out = np.zeros((n, given.shape[1]), dtype=np.uint8)
        out[rows] = given
        return Rendered(out, False)

    def _given(self, i: int, values: list[Any]) -> Rendered:
        """Overridden values of field ``i`` (beyond the entity's: ``i >= len(names)``): ``Raw``
        ones (and text in a text field) as orjson writes them, the others the general way."""
        textual = i < len(self.names) and isinstance(self.entity.fields[i].type, (String, Uuid, Enum))
        if i >= len(self.names) or all(v.__class__ is Raw or (textual and v.__class__ is str) for v in values):
            return _loose(values)
        return self.general[i](values)

    def texts(self, records: Sequence[Record], name: str) -> list[bytes]:
        """The JSON text of field ``name`` of each record, as ``encode`` writes it (``b""`` where
        a record lacks it): e.g. values quoted in a report, made for the whole column at once."""
        n = len(records)
        if not n:
            return []
        batch = records if isinstance(records, Batch) and not records.rows_built else None
        i = self.names.index(name)
        if batch is None:
            batch = Batch.from_rows([name], as_rows(records))
        over = batch.overrides(name)
        values = batch.base(name)
        if over is None and batch.absent(name) is None:
            return self.value_texts(name, values)
        present = self._render(i, values).closed()
        if over is not None:
            given = self._given(i, over[1]).closed()
            width = max(present.shape[1], given.shape[1])
            merged = np.zeros((n, width), dtype=np.uint8)
            merged[:, width - present.shape[1]:] = present
            merged[over[0]] = 0
            merged[over[0], width - given.shape[1]:] = given
            present = merged
        lacking_mask = batch.absent(name)
        if lacking_mask is not None:
            present = present.copy()
            present[lacking_mask] = 0
        return TextRows(present).tolist()

    def value_rows(self, name: str, values: Any) -> TextRows:
        """``value_texts`` as the rows of a matrix (no bytes object per value): for
        ``join_rows`` and ``Changes.set(..., texts)``."""
        if not len(values):
            return TextRows(_NONE)
        return TextRows(self._render(self.index[name], values).closed())

    def value_texts(self, name: str, values: Any) -> list[bytes]:
        """``texts`` of a column of field ``name`` (a list, numpy array or ``TextColumn``,
        nothing overridden or missing): the JSON text of each value, as ``encode`` writes it."""
        if not len(values):
            return []
        i = self.index[name]
        if isinstance(values, list) and self.renderers[i] is render_strings:
            strings = _string_texts(values)  # (orjson writes the strings as the columns do)
            if strings is not None:
                return strings
        return self.value_rows(name, values).tolist()

    def _overridden(self, records: Batch, rendered: list[Rendered], room: bool = True
                    ) -> tuple[list[bytes], list[Rendered], list[np.ndarray[Any, Any] | None],
                               list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None]]:
        """The fields of a ``Batch`` with overrides: per field, the overridden records and their
        values' text (with quotes), which ``padded`` writes in place of the column's (a slot
        widened where such a text is longer), the records lacking the field, and the fields
        beyond the entity's (which the other records lack) after the entity's own."""
        prefixes = list(self.prefixes)
        out = list(rendered)
        absent: list[np.ndarray[Any, Any] | None] = []
        given: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None] = []
        extra = [name for name in records.names if name not in self.fields]
        for i, name in enumerate([*self.names, *extra]):
            if i >= len(self.names):  # values only where a record has the field (overrides, mostly)
                prefixes.append(f',"{name}":'.encode())
                out.append(self._extra(records, name))
            over = records.overrides(name)
            if over is None:
                given.append(None)
            else:
                texts = self._given(i, over[1]).closed()
                if room:  # (a slot that holds them; the C helper writes them apart)
                    out[i] = _room(out[i], texts)
                given.append((over[0], texts))
            lacking = records.absent(name)
            absent.append(None if lacking is None else np.flatnonzero(lacking))
        return prefixes, out, absent, given

    def _render(self, i: int, values: Any) -> Rendered:
        nulls: np.ndarray[Any, Any] | None = None
        if isinstance(values, TextColumn):
            if values.nulls is not None:
                nulls = values.nulls
                values = TextColumn(values.matrix[~nulls])
        elif isinstance(values, np.ma.MaskedArray):
            mask = np.ma.getmaskarray(values)
            if mask.any():
                nulls = mask
            values = values.data[~mask] if nulls is not None else values.data
        elif not isinstance(values, np.ndarray) or values.dtype == object:
            if isinstance(values, np.ndarray):
                values = values.tolist()
            if None in values:
                if values[0] is None and values.count(None) == len(values):
                    return Rendered(np.broadcast_to(NULL, (len(values), 4)), False)
                nulls = np.fromiter(map(is_, values, repeat(None)), dtype=bool, count=len(values))
                values = [v for v in values if v is not None]
        if nulls is not None and not len(values):
            return Rendered(np.broadcast_to(NULL, (nulls.size, 4)), False)
        try:
            present = self.renderers[i](values)
        except Unsupported:
            present = self._declined(i, values)
        if nulls is None:
            return present
        closed = present.closed()
        out = np.zeros((nulls.size, max(closed.shape[1], 4)), dtype=np.uint8)
        out[~nulls, : closed.shape[1]] = closed
        out[nulls, :4] = NULL
        return Rendered(out, False)

    def _declined(self, i: int, values: Any) -> Rendered:
        """A column the fast renderer declined: when it is a few ``Raw`` values among values of the
        field's type (a transform's), the others still go the fast way."""
        if isinstance(values, list):
            raws = np.fromiter((v.__class__ is Raw for v in values), dtype=bool, count=len(values))
            if raws.any() and not raws.all():
                rest = [v for v, r in zip(values, raws.tolist(), strict=True) if not r]
                try:
                    kept = self.renderers[i](rest)
                except Unsupported:
                    kept = self.general[i](rest)
                given = self.general[i]([v for v, r in zip(values, raws.tolist(), strict=True) if r])
                a, b = kept.closed(), given.closed()
                out = np.zeros((len(values), max(a.shape[1], b.shape[1])), dtype=np.uint8)
                out[~raws, : a.shape[1]] = a
                out[raws, : b.shape[1]] = b
                return Rendered(out, False)
        return self.general[i](values)


__all__ = ["LineEncoder"]
