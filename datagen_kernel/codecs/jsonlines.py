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

from datagen_kernel.api.columnar import MISSING, Batch, TextColumn, as_rows
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

# ---------------------------------------------------------------------------------------------
# ragged bytes -> padded matrix






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
        texts = [orjson.dumps(r[field.name], default=raw_default) for r in rows]
        flat = np.frombuffer(b"".join(texts), dtype=np.uint8)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        return Rendered(right_aligned(flat, lengths), False)

    return render


def _loose(values: Sequence[Any]) -> Rendered:
    """Values of no declared field, each as orjson writes it (a ``Raw`` as what it wraps)."""
    from datagen_kernel.codecs.text import raw_default

    texts = [orjson.dumps(v, default=raw_default) for v in values]
    flat = np.frombuffer(b"".join(texts), dtype=np.uint8)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return Rendered(right_aligned(flat, lengths), False)


_NO_ROWS = np.empty(0, dtype=np.intp)
_NONE = np.zeros((0, 0), dtype=np.uint8)


_Patches = dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]]
"""Per field: (rows, their values' text, rows lacking the field)."""


class _Patch:
    """What ``padded`` writes beside a chunk's records: copies of some of its rows after them
    (``copies``: the rows copied), and per field (rows, their values' text, rows lacking it)."""

    __slots__ = ("copies", "fields")

    def __init__(self, copies: np.ndarray[Any, Any], fields: _Patches) -> None:
        self.copies = copies
        self.fields = fields


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
        self._added: tuple[Any, list[bytes]] | None = None  # an edit stage's own records, their lines
        self._patched_by: tuple[Changes, _Patches | None] | None = None  # an edit stage's Changes, their texts
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
            padded = self.padded(records)
            return None if padded is None else bytes(padded.translate(None, b"\x00"))
        # larger batches are cut, to keep each pass's arrays within a core's cache; the chunks'
        # lines are joined once (no bytes copy of each)
        parts: list[bytearray] = []
        for i in range(0, len(records), CHUNK):
            padded = self.padded(records[i : i + CHUNK])
            if padded is None:
                return None
            parts.append(padded.translate(None, b"\x00"))
        return b"".join(parts)

    def _edited(self, records: Edited) -> bytes | None:
        """The lines of an edit stage's records (``Edited``) without reordering any column: the
        block's records are rendered where they stand, a chunk at a time (those written nowhere
        blanked), and cut into pieces where something else comes between them; a record
        written elsewhere or again (moved, repeated) is a piece of its own, used where it goes.
        The stage's own records, when they are ``Changes``, are the block records' rows with
        the changed values put in: in the record's place when nothing else writes that record,
        else as a row of its own after its chunk; other own records are rendered once (for
        every sink batch of the block). The pieces are joined in order."""
        base, order = records.base, records.order
        n = len(base)
        if not records.columnar or not isinstance(base, Batch) or base.overridden:
            merged = records.merged()  # (a list, or none of the block's records)
            return self.encode(merged if merged is not None else as_rows(records))
        changes = records.changes
        own = order >= n
        patches = self._patches(changes) if changes is not None and own.any() else None
        added: Batch | None = None
        from_base = ~own
        eff = order  # per entry: the block record whose row it is written from
        extra = np.empty(0, dtype=np.intp)  # changed copies written as rows of their own
        alone = _NO_ROWS
        if patches is not None:
            assert changes is not None
            ks = order[own] - n
            distinct = np.unique(ks)
            sources = changes.sources[distinct]
            written = np.zeros(n, dtype=bool)
            written[order[~own]] = True
            shared = np.bincount(sources, minlength=n)[sources] > 1
            alone = np.zeros(len(changes), dtype=bool)  # in its record's place
            alone[distinct[~written[sources] & ~shared]] = True
            extra = distinct[~alone[distinct]]
            in_place = own.copy()
            in_place[own] = alone[ks]
            eff = order.copy()
            eff[in_place] = changes.sources[order[in_place] - n]
            from_base = ~own | in_place
        elif own.any():
            got = records.added
            if not isinstance(got, Batch):
                return self.encode(as_rows(records))
            added = got
        src = eff[from_base]
        if not len(src) and not len(extra):
            merged = records.merged()
            return self.encode(merged if merged is not None else as_rows(records))
        extra_src = changes.sources[extra] if changes is not None and len(extra) else extra
        lo = min(int(src.min()) if len(src) else n, int(extra_src.min()) if len(extra) else n)
        hi = max(int(src.max()) + 1 if len(src) else 0, int(extra_src.max()) + 1 if len(extra) else 0)
        inline = np.zeros(len(order), dtype=bool)  # written from ``base`` where it stands
        if len(src):
            ahead = np.empty(len(src), dtype=bool)  # each base record past all the ones before it
            ahead[0] = True
            np.greater(src[1:], np.maximum.accumulate(src)[:-1], out=ahead[1:])
            inline[np.flatnonzero(from_base)[ahead]] = True
        copies = from_base & ~inline  # base records moved or repeated
        if inline.all() and hi - lo == len(order) and not own.any():
            return self.encode(base[lo:hi])
        # which base records are cut (a \x01 instead of their newline, found again after the
        # padding is deleted): one that something else follows, a chunk's last, a record used
        # elsewhere (moved, repeated) and the one before it: each such record is a piece alone
        blank = np.ones(hi - lo, dtype=bool)
        blank[src - lo] = False
        cut = np.zeros(hi - lo, dtype=bool)
        before = np.cumsum(inline)  # inline entries up to each entry
        follows = before[~inline] - 1  # per other entry: the inline entry it follows (-1: none)
        kept = eff[inline]
        cut[kept[follows[follows >= 0]] - lo] = True
        used = np.flatnonzero(~blank)
        if copies.any():
            refs = np.unique(eff[copies]) - lo
            cut[refs] = True
            at = np.searchsorted(used, refs)  # the record before each, where there is one
            cut[used[at[at > 0] - 1]] = True
        last = np.searchsorted(used, np.arange(CHUNK, hi - lo + CHUNK, CHUNK), side="left") - 1
        cut[used[last[last >= 0]]] = True
        segments: list[Any] = []
        extra_segments: list[Any] = []
        if len(extra):  # the copies of the changed records written apart, by their record's chunk
            by_source = np.argsort(extra_src, kind="stable")
            extra, extra_src = extra[by_source], extra_src[by_source]
        # the stage's own records, when their lines are still to make, go with the first
        # chunk, after its records: one rendering pass of each field for both
        pending = added is not None and (self._added is None or self._added[0] is not added)
        for start in range(lo, hi, CHUNK):
            stop = min(start + CHUNK, hi)
            cuts = int(cut[start - lo : stop - lo].sum())
            a, b = np.searchsorted(extra_src, (start, stop)).tolist() if len(extra) else (0, 0)
            if not cuts and a == b:
                continue  # every record of the chunk is blank
            count = stop - start
            part = base[start:stop]
            assert isinstance(part, Batch)
            patch = None
            if patches is not None:
                assert changes is not None
                patch = self._chunk_patch(patches, changes, start, stop, alone, extra[a:b], extra_src[a:b])
            if pending:
                assert added is not None
                part = Batch.concat([part, added])
            padded = self.padded(part, patch)
            if padded is None:
                return None
            rows = len(part) + (b - a)
            size = len(padded) // rows
            matrix = np.frombuffer(padded, dtype=np.uint8).reshape(rows, size)
            matrix[:count][blank[start - lo : stop - lo]] = 0
            matrix[:count][cut[start - lo : stop - lo], size - 1] = 1
            matrix[len(part):, size - 1] = 1
            text = padded.translate(None, b"\x00")
            view = memoryview(text)
            find = text.find
            at_ = 0
            for _ in range(cuts):
                end = find(1, at_)
                segments.append(view[at_:end])
                at_ = end + 1
            if pending:  # the rest: the own records' lines (no changed copies then)
                assert added is not None
                self._own_lines(added, bytes(view[at_:]))
                pending = False
            for _ in range(b - a):
                end = find(1, at_)
                extra_segments.append(view[at_:end])
                at_ = end + 1
        # the piece of each entry that ends one: a base record's segment (where an inline one
        # ends it, or a moved or repeated one's own), a line of the stage's own, a changed copy
        segment_of = np.cumsum(cut) - cut  # per base record: its segment
        piece = np.full(len(order), -1, dtype=np.intp)
        rows_ = eff[from_base] - lo
        piece[from_base] = np.where(cut[rows_] | copies[from_base], segment_of[rows_], -1)
        if added is not None:
            mine = np.flatnonzero(own)
            lines = self._own_lines(added)
            if lines is None:
                return None
            piece[mine] = len(segments) + (order[mine] - n)
            segments.extend(lines)  # (after the segments)
        elif len(extra):
            assert changes is not None
            slot = np.full(len(changes), -1, dtype=np.intp)
            slot[extra] = len(segments) + np.arange(len(extra), dtype=np.intp)
            apart = own & ~from_base
            piece[apart] = slot[order[apart] - n]
            segments.extend(extra_segments)
        chosen = piece[piece >= 0].tolist()
        pieces = [segments[i] for i in chosen]
        pieces.append(b"")
        return b"\n".join(pieces)

    def _patches(self, changes: Changes) -> _Patches | None:
        """Per field ``Changes`` sets: (records, their new values' text (closed), records that
        lack the field), rendered once per ``Changes`` (the sink batches of a block share it);
        None when the json lines cannot be made so (the first field left out)."""
        found = self._patched_by
        if found is not None and found[0] is changes:
            return found[1]
        out: _Patches | None = self._patches_of(changes)
        self._patched_by = (changes, out)
        return out

    def _patches_of(self, changes: Changes) -> _Patches | None:
        out: _Patches = {}
        for name, parts in changes.changes.items():
            i = self.index.get(name)
            events: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []
            for at, values in parts:
                gone = np.zeros(len(at), dtype=bool)
                if isinstance(values, list):
                    gone = np.fromiter((v is MISSING for v in values), dtype=bool, count=len(values))
                    kept = [v for v, g in zip(values, gone.tolist(), strict=True) if not g] if gone.any() else values
                    texts = (self._given(i, kept) if i is not None else _loose(kept)).closed() if kept else _NONE
                elif i is not None:
                    texts = self._render(i, values).closed()
                else:
                    texts = _loose(values.tolist()).closed()
                full = np.zeros((len(at), texts.shape[1]), dtype=np.uint8)
                full[~gone] = texts
                events.append((at, gone, full))
            rows = np.concatenate([e[0] for e in events])
            lacking = np.concatenate([e[1] for e in events])
            width = max(e[2].shape[1] for e in events)
            texts = np.concatenate([_right(e[2], width) for e in events])
            if len(events) > 1:  # a record set twice keeps the last value
                _, first = np.unique(rows[::-1], return_index=True)
                keep = np.sort(len(rows) - 1 - first)
                rows, lacking, texts = rows[keep], lacking[keep], texts[keep]
            if i == 0 and lacking.any():
                return None
            out[name] = (rows[~lacking], texts[~lacking], rows[lacking])
        return out

    @staticmethod
    def _chunk_patch(patches: _Patches, changes: Changes, start: int, stop: int, alone: np.ndarray[Any, Any],
                     extra: np.ndarray[Any, Any], extra_src: np.ndarray[Any, Any]) -> _Patch:
        """The changes written in the block's records ``start:stop``: the ones alone in their
        record's place, and rows added after them (copies of the records ``extra_src``)."""
        sources = changes.sources
        row = np.full(len(changes), -1, dtype=np.intp)  # per changed record: its row in the chunk
        here = alone & (sources >= start) & (sources < stop)
        row[here] = sources[here] - start
        row[extra] = (stop - start) + np.arange(len(extra), dtype=np.intp)
        fields: _Patches = {}
        for name, (rows, texts, lacking) in patches.items():
            at = row[rows]
            hit = at >= 0
            gone = row[lacking]
            gone = gone[gone >= 0]
            if hit.any() or len(gone):
                fields[name] = (at[hit], texts[hit], gone)
        return _Patch(extra_src - start, fields)

    def _own_lines(self, added: Batch, text: bytes | None = None) -> list[bytes] | None:
        """The lines (no newline) of an edit stage's own records (``text``: already rendered),
        rendered once and kept while the batch is the same (the sink batches of a block share it)."""
        if self._added is None or self._added[0] is not added:
            text = self.encode(added) if text is None else text
            if text is None:
                return None
            every = text.split(b"\n")
            every.pop()
            self._added = (added, every)
        return self._added[1]

    def padded(self, records: Sequence[Record], patch: _Patch | None = None) -> bytearray | None:
        """The lines before the NUL padding is deleted: one fixed-size row per record (and, with
        ``patch``, its rows added after them, and its values put in)."""
        columns = self.columns(records)
        if columns is None:
            return None
        rendered = [self._render(i, values) for i, values in enumerate(columns)]
        prefixes = self.prefixes
        absent: list[np.ndarray[Any, Any] | None] = []
        given: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None] = []
        if isinstance(records, Batch) and records.overridden:
            prefixes, rendered, absent, given = self._overridden(records, rendered)
        elif patch is not None:
            prefixes, rendered, absent, given = self._patched(len(records), rendered, patch)
        count = len(records)
        copied = patch.copies if patch is not None else _NO_ROWS
        n = count + len(copied)
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
                if len(values) == n:
                    slot[:] = values
                else:  # the rows copied after the records
                    slot[:count] = values
                    slot[count:] = values[copied]
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

    def _patched(self, count: int, rendered: list[Rendered], patch: _Patch
                 ) -> tuple[list[bytes], list[Rendered], list[np.ndarray[Any, Any] | None],
                            list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None]]:
        """``_overridden`` for the changed values of a ``_Patch`` (texts already rendered)."""
        prefixes = list(self.prefixes)
        out = list(rendered)
        total = count + len(patch.copies)
        absent: list[np.ndarray[Any, Any] | None] = [None] * len(out)
        given: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None] = [None] * len(out)
        for name, (rows, texts, lacking) in patch.fields.items():
            i = self.index.get(name)
            if i is None:  # a field beyond the entity's: the other rows lack it
                i = len(out)
                prefixes.append(f',"{name}":'.encode())
                out.append(Rendered(np.zeros((total, 0), dtype=np.uint8), False))
                without = np.ones(total, dtype=bool)
                without[rows] = False
                absent.append(np.flatnonzero(without))
                given.append(None)
            elif len(lacking):
                absent[i] = lacking
            if len(rows):
                out[i] = _room(out[i], texts)
                given[i] = (rows, texts)
        return prefixes, out, absent, given

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
        plain = over is None and batch.absent(name) is None
        if plain and isinstance(values, list) and self.renderers[i] is render_strings:
            try:
                "".join(values)  # text only (no None)
            except TypeError:
                pass
            else:  # orjson writes the strings as the columns do; '","' is found between them only
                return orjson.dumps(values)[1:-1].replace(b'","', b'"\n"').split(b"\n")
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
        width = present.shape[1]
        if width and present.all():  # no padding at all: every text fills its row
            out: list[bytes] = np.ascontiguousarray(present).view(f"S{width}").ravel().tolist()
            return out
        lines = np.empty((n, width + 1), dtype=np.uint8)
        lines[:, :-1] = present
        lines[:, -1] = 10  # a newline cannot occur inside JSON text
        return lines.tobytes().translate(None, b"\x00").split(b"\n")[:-1]

    def _overridden(self, records: Batch, rendered: list[Rendered]
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
