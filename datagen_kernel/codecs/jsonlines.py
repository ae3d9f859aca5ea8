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

from datagen_kernel.api.columnar import Batch, TextColumn, as_rows
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
from datagen_kernel.api.transforms import Edited, Raw
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
        written elsewhere or again (moved, repeated) is a piece of its own, used where it goes;
        the stage's own records are rendered once (for every sink batch of the block). The
        pieces are joined in order."""
        base, added, order = records.base, records.added, records.order
        n = len(base)
        from_base = order < n
        src = order[from_base]
        if not records.columnar or not len(src) or not isinstance(base, Batch) or base.overridden:
            merged = records.merged()  # (a list, or none of the block's records)
            return self.encode(merged if merged is not None else as_rows(records))
        inline = np.zeros(len(order), dtype=bool)  # written from ``base`` where it stands
        ahead = np.empty(len(src), dtype=bool)  # each base record past all the ones before it
        ahead[0] = True
        np.greater(src[1:], np.maximum.accumulate(src)[:-1], out=ahead[1:])
        inline[np.flatnonzero(from_base)[ahead]] = True
        copies = from_base & ~inline  # base records moved or repeated
        lo, hi = int(src.min()), int(src.max()) + 1
        if inline.all() and hi - lo == len(order):
            return self.encode(base[lo:hi])
        # which base records are cut (a \x01 instead of their newline, found again after the
        # padding is deleted): one that something else follows, a chunk's last, a record used
        # elsewhere (moved, repeated) and the one before it: each such record is a piece alone
        blank = np.ones(hi - lo, dtype=bool)
        blank[src - lo] = False
        cut = np.zeros(hi - lo, dtype=bool)
        before = np.cumsum(inline)  # inline entries up to each entry
        follows = before[~inline] - 1  # per other entry: the inline entry it follows (-1: none)
        kept = order[inline]
        cut[kept[follows[follows >= 0]] - lo] = True
        used = np.flatnonzero(~blank)
        if copies.any():
            refs = np.unique(order[copies]) - lo
            cut[refs] = True
            at = np.searchsorted(used, refs)  # the record before each, where there is one
            cut[used[at[at > 0] - 1]] = True
        last = np.searchsorted(used, np.arange(CHUNK, hi - lo + CHUNK, CHUNK), side="left") - 1
        cut[used[last[last >= 0]]] = True
        segments: list[Any] = []
        # the stage's own records, when their lines are still to make, go with the first
        # chunk, after its records: one rendering pass of each field for both
        pending = bool((~from_base).any()) and (self._added is None or self._added[0] is not added)
        for start in range(lo, hi, CHUNK):
            stop = min(start + CHUNK, hi)
            cuts = int(cut[start - lo : stop - lo].sum())
            if not cuts:
                continue  # every record of the chunk is blank
            count = stop - start
            part = base[start:stop]
            assert isinstance(part, Batch)
            if pending:
                assert isinstance(added, Batch)
                part = Batch.concat([part, added])
            padded = self.padded(part)
            if padded is None:
                return None
            size = len(padded) // len(part)
            matrix = np.frombuffer(padded, dtype=np.uint8).reshape(len(part), size)
            matrix[:count][blank[start - lo : stop - lo]] = 0
            matrix[:count][cut[start - lo : stop - lo], size - 1] = 1
            text = padded.translate(None, b"\x00")
            view = memoryview(text)
            find = text.find
            at_ = 0
            for _ in range(cuts):
                end = find(1, at_)
                segments.append(view[at_:end])
                at_ = end + 1
            if pending:  # the rest: the own records' lines
                assert isinstance(added, Batch)
                self._own_lines(added, bytes(view[at_:]))
                pending = False
        # the piece of each entry that ends one: a base record's segment (where an inline one
        # ends it, or a moved or repeated one's own), a line of the stage's own
        segment_of = np.cumsum(cut) - cut  # per base record: its segment
        piece = np.full(len(order), -1, dtype=np.intp)
        rows = order[from_base] - lo
        piece[from_base] = np.where(cut[rows] | copies[from_base], segment_of[rows], -1)
        own = np.flatnonzero(~from_base)
        if len(own):
            assert isinstance(added, Batch)
            lines = self._own_lines(added)
            if lines is None:
                return None
            piece[own] = len(segments) + (order[own] - n)
            segments.extend(lines)  # (after the segments)
        chosen = piece[piece >= 0].tolist()
        pieces = [segments[i] for i in chosen]
        pieces.append(b"")
        return b"\n".join(pieces)

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

    def padded(self, records: Sequence[Record]) -> bytearray | None:
        """The lines before the NUL padding is deleted: one fixed-size row per record."""
        n = len(records)
        columns = self.columns(records)
        if columns is None:
            return None
        rendered = [self._render(i, values) for i, values in enumerate(columns)]
        prefixes = self.prefixes
        absent: list[np.ndarray[Any, Any] | None] = []
        given: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None] = []
        if isinstance(records, Batch) and records.overridden:
            prefixes, rendered, absent, given = self._overridden(records, rendered)
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
                slot[:] = r.matrix.view(f"V{r.width}").ravel()
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
                r = out[i]
                room = r.width + (2 if r.quoted else 0)
                if texts.shape[1] > room:  # the slot must hold the longest text
                    wider = np.zeros((r.matrix.shape[0], r.width + texts.shape[1] - room), dtype=np.uint8)
                    wider[:, wider.shape[1] - r.width:] = r.matrix
                    out[i] = Rendered(wider, r.quoted)
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
