"""The ``poison`` transform: twelve kinds of bad data, each labelled, with a ground-truth manifest.

Record stage (per entity and block, after the rules ran; ``Transform.edit``): each record is
picked for at most one kind, by one draw per record (``TransformContext.rng``, drawn for the
whole block at once), so the pills depend on the seed, the rates and the block only, never on
``--workers`` or ``--batch-size``. Only the picked records are read; the others are written as
the generator made them (a columnar batch stays columnar): their bytes are those of a clean run.
The changed records and the corrections are ``Changes`` of the picked ones (one value each,
made with numpy; the json serializer writes them from the block records' text); duplicates,
out-of-order records and tombstones are the block's records written again or elsewhere
(``Edits.order``). Each pill is labelled by position with its kind and its manifest row
(``detail``, JSON text of the values as the json serializer writes them).

Payload stage (per sink batch and route): what a sink can carry. Kafka gets the header
``datagen.poison=<kind>`` on every pill and null values for tombstones; an Avro route gets
undecodable payloads for malformed values and nulls; a sink that cannot carry a kind drops
that pill (and lists nothing for it). Every pill the sink receives is a manifest row with the
sink's name; the rows come back with the block and are written as they come, in block order,
to the manifest (``poison.manifest``; under a temporary name until the run ends) by the
process that runs the sinks.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from datagen_kernel.api import (
    Batch,
    Changes,
    Decimal,
    Edits,
    EntitySpec,
    LabelColumn,
    Option,
    PayloadBatch,
    Raw,
    Record,
    RunInfo,
    String,
    Timestamp,
    Transform,
    TransformContext,
)
from datagen_kernel.api.columnar import MISSING, TextColumn, TextRows, as_rows, concat_columns
from datagen_kernel.api.seeding import uuid4_text
from datagen_kernel.codecs.jsonlines import LineEncoder, join_rows

KINDS = ("duplicate", "late", "out_of_order", "schema_evolution", "nulls", "malformed", "orphan", "extreme",
         "timezone", "correction", "tombstone", "encoding")
"""The kinds, in the order a record is offered to them (a record gets one kind at most)."""

HEADER = "datagen.poison"
NEW_FIELD = "pix_instant_payment_id"
"""The optional field the schema_evolution kind adds."""
ENCODING_SAMPLES = ("José Conceição Müller", "JosÃ© ConceiÃ§Ã£o MÃ¼ller", "Jo\u200bsé Concei\u200bção")
_ENCODING_TEXTS = TextRows.of([orjson.dumps(v) for v in ENCODING_SAMPLES]).matrix
"""The samples' JSON text (the changed values' texts are given with them), one per row."""
_CENTS = tuple(f",{c:02d}" for c in range(100))
"""A malformed amount's cents, Brazilian style (``1.234,56``)."""
_NULL = Raw(None)
"""The nulls kind's null value (one object for all: nothing changes a ``Raw``)."""
DEFAULT_MANIFEST = "datagen-poison.jsonl"

KIND_DOCS = {
    "duplicate": "the same record twice (same id, same bytes), right after the first.",
    "late": "the event time moved 2-7 days back, the record emitted further down the block, among later events.",
    "out_of_order": "the record emitted further down the block, after events that happened later; values unchanged.",
    "schema_evolution": f"a new optional field, {NEW_FIELD}, appears on the record (json: an extra key; "
                        "Avro: the message is written with a second, compatible schema version; postgres: rejected).",
    "nulls": "a required field is null or missing, two of the entity's required fields per block, in turn "
             "(json: null or no key; Avro: a payload that does not decode; postgres: rejected).",
    "malformed": "a value of the wrong type or shape: an amount as text ('1.234,56'), letters in a document "
                 "number, an invalid CEP (json: valid JSON, wrong type; Avro: undecodable payload, wrong magic "
                 "byte or unknown schema id; postgres: rejected).",
    "orphan": "a foreign key to no record (a new UUID).",
    "extreme": "an amount at the edge: R$ 0,01 or R$ 9.999.999,99.",
    "timezone": "the event time written with the wrong zone: the UTC wall clock with the run's offset, or the "
                "reverse.",
    "correction": "the same id again, later in the block, with a changed amount (what an upsert or a compacted "
                  "topic consumer sees).",
    "tombstone": "a message with the record's key and a null value (Kafka only; other sinks carry none).",
    "encoding": "a text field with accents, double-encoded UTF-8 ('JosÃ©') or a zero-width character.",
}


def _rate(value: Any) -> str | None:
    return None if value is None or 0.0 <= value <= 1.0 else f"must be within 0..1, got {value}"


OPTIONS = (
    *(Option(kind, "float", 0.0, f"Share of records made {kind}: {KIND_DOCS[kind]}", validator=_rate,
             minimum=0.0, maximum=1.0)
      for kind in KINDS),
    Option("entities", "list", ["events"],
           "Entities to poison: names, or the kinds events, masters, references."),
    Option("manifest", "path", None,
           f"Where the ground-truth manifest goes (JSON Lines); default: {DEFAULT_MANIFEST} in the json "
           f"sink's folder, else in the current folder."),
)


# -- record stage ------------------------------------------------------------------------------------


def _fields(spec: EntitySpec) -> dict[str, Any]:
    """The fields each kind works on (None where the entity has none)."""
    fk = {f.field for f in spec.foreign_keys}
    keys = {spec.primary_key, spec.message_key, *fk}
    # event times stay: a sink derives message attributes from them (CloudEvents ce_time)
    required = [f.name for f in spec.fields if not f.nullable and f.name not in keys
                and not isinstance(f.type, Timestamp)]
    return {
        "time": next((f.name for f in spec.fields if isinstance(f.type, Timestamp) and not f.nullable), None),
        "amount": next((f.name for f in spec.fields if isinstance(f.type, Decimal) and not f.nullable), None),
        "text": next((f.name for f in spec.fields if isinstance(f.type, String) and not f.nullable
                      and f.name not in keys), None),
        "document": next((f.name for f in spec.fields if isinstance(f.type, String)
                          and any(w in f.name for w in ("cpf", "cnpj", "cep", "document"))), None),
        "fk": next((f.field for f in spec.foreign_keys if f.field != spec.message_key), None)
              or next((f.field for f in spec.foreign_keys), None),
        "required": required,
    }


def _possible(kind: str, spec: EntitySpec, fields: Mapping[str, Any]) -> bool:
    if kind in ("late", "timezone"):
        return fields["time"] is not None
    if kind in ("extreme", "correction"):
        return fields["amount"] is not None
    if kind == "orphan":
        return fields["fk"] is not None
    if kind == "encoding":
        return fields["text"] is not None
    if kind == "nulls":
        return bool(fields["required"])
    if kind == "malformed":
        return bool(fields["amount"] or fields["document"] or fields["required"])
    return True


_ACTIONS = {"duplicate": b"added", "tombstone": b"added", "correction": b"added", "out_of_order": b"moved"}
_CODE = {kind: k for k, kind in enumerate(KINDS)}
_DUPLICATE, _LATE, _OUT_OF_ORDER, _CORRECTION, _TOMBSTONE = (
    _CODE[k] for k in ("duplicate", "late", "out_of_order", "correction", "tombstone"))
_HEX_DIGITS = np.flatnonzero(uuid4_text(np.zeros((1, 16), dtype=np.uint8))[0] != ord("-"))
"""Columns of a UUID's text (as ``uuid4_text`` writes it) that hold its hex digits, not its dashes."""
_KIND_WORDS = np.array(KINDS, dtype=object)
_KIND_ROWS = TextRows.of([kind.encode() for kind in KINDS]).matrix
_ACTION_ROWS = TextRows.of([_ACTIONS.get(kind, b"changed") for kind in KINDS]).matrix
"""Each kind's name and manifest action, one per row (indexed by kind number)."""
_NULL_TEXT = TextRows.of([b"null"]).matrix
_EXTREME, _ENCODING = _CODE["extreme"], _CODE["encoding"]
"""The kinds whose new value may equal the original (then the manifest lists no change)."""
_ENCODERS: dict[tuple[str, str], LineEncoder] = {}
"""Per process: (entity, zone) -> the json encoder of the entity (the manifest's value texts)."""


def _encoder(spec: EntitySpec, tz: dt.tzinfo) -> LineEncoder:
    key = (spec.name, str(tz))
    found = _ENCODERS.get(key)
    if found is None or found.entity is not spec:
        found = _ENCODERS[key] = LineEncoder(spec, tz)
    return found


def _ints(column: Any) -> np.ndarray[Any, np.dtype[np.int64]]:
    """A writable int64 copy of an integer column (scaled decimals, epoch-ms timestamps)."""
    if isinstance(column, np.ndarray):
        return np.array(column, dtype=np.int64)
    return np.fromiter(map(int, column), dtype=np.int64, count=len(column))


def _like(column: Any, values: np.ndarray[Any, Any]) -> Any:
    """``values`` in the form of ``column`` (a list stays a list: the block's column and the
    stage's own are then joined as they are)."""
    return values.tolist() if isinstance(column, list) else values


def _picks(spec: EntitySpec, n: int, rates: Mapping[str, float], fields: Mapping[str, Any],
           ctx: TransformContext) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.random.Generator]:
    """(positions, kind numbers) of the records picked, in position order, and the block's
    stream, which the pills' shapes are drawn from next. A record gets the
    first kind (in ``KINDS`` order) of independent draws at each kind's rate: one uniform draw
    per record from the block's stream, cut into one band per kind whose width is the chance
    of that outcome (rate times the chance no earlier kind was drawn)."""
    key = (id(spec), tuple(rates.values()))
    found = _EDGES.get(key)
    if found is None or found[0] is not spec:
        bands = []
        left = 1.0  # chance that no earlier kind was drawn
        for kind in KINDS:
            rate = rates[kind] if _possible(kind, spec, fields) else 0.0
            bands.append(left * rate)
            left *= 1.0 - rate
        found = _EDGES[key] = (spec, np.cumsum(bands))
    edges = found[1]
    rng = ctx.rng(spec.name, "pick")
    draws = rng.random(n)
    picked = np.flatnonzero(draws < edges[-1])
    kinds = np.searchsorted(edges, draws[picked], side="right").astype(np.int8)
    return picked, kinds, rng


_FIELDS: dict[int, tuple[EntitySpec, dict[str, Any]]] = {}
_EDGES: dict[tuple[int, tuple[float, ...]], tuple[EntitySpec, np.ndarray[Any, Any]]] = {}
"""Per process: (entity, rates) -> the upper edge of each kind's band of the pick draw."""


def _fields_of(spec: EntitySpec) -> dict[str, Any]:
    found = _FIELDS.get(id(spec))
    if found is None or found[0] is not spec:
        found = _FIELDS[id(spec)] = (spec, _fields(spec))
    return found[1]


def edit_stage(spec: EntitySpec, records: Sequence[Record], ctx: TransformContext) -> Edits | None:
    """The pills of one entity's block, made column by column: the picked records' new values
    are made with numpy and given as ``Changes`` of the block's records, written with the
    others in one columnar pass; no record becomes a dict. Each pill's manifest row (the JSON
    text of its values as the json serializer writes them) is its label's detail."""
    rates = {k: float(ctx.options.get(k) or 0.0) for k in KINDS}
    n = len(records)
    if not n or not any(rates.values()):
        return None
    fields = _fields_of(spec)
    picked, kinds, rng = _picks(spec, n, rates, fields, ctx)
    m = len(picked)
    if not m:
        return None
    tz = ctx.run.timezone
    offset = tz.utcoffset(dt.datetime(2020, 1, 1)) or dt.timedelta(hours=-3)
    offset_ms = int(offset.total_seconds() * 1000) or -3 * 3_600_000
    # every draw of the stage, one vector each, in one fixed order, from the stream the picks
    # were drawn from (the pills depend on the seed, the rates and the block only)
    coin = rng.random(m)
    small = rng.integers(0, 1 << 30, size=m)
    delta = rng.integers(-5000, 5000, size=m)
    new_ids = rng.integers(0, 256, size=(m, 16), dtype=np.uint8)  # (written out where used)
    if not ctx.null_values and rates["tombstone"]:  # no sink of the entity carries one: left unmade
        made = kinds != _TOMBSTONE
        if not made.all():
            picked, kinds, coin, small, delta, new_ids = (x[made] for x in (picked, kinds, coin, small, delta, new_ids))
            m = len(picked)
            if not m:
                return None
    if isinstance(records, Batch):
        batch, src = records, picked  # ``src``: each pill's record in ``batch``
    else:  # a list: only the picked records become a batch
        rows = as_rows(records)
        batch, src = Batch.from_rows(spec.field_names, [rows[i] for i in picked.tolist()]), np.arange(m)

    # pills written as the block's record is (again, elsewhere, or again with a null value), and
    # those that become the stage's own records (their index in ``picked``)
    as_is = (kinds == _DUPLICATE) | (kinds == _OUT_OF_ORDER) | (kinds == _TOMBSTONE)
    own_rows = np.flatnonzero(~as_is)
    changes = Changes(picked[own_rows], zone=tz)  # each own record: its block record, a value changed
    okind = kinds[own_rows]
    ocoin, osmall, odelta = coin[own_rows], small[own_rows], delta[own_rows]
    # (field, own rows, their new values' texts, or None: the new values, to render)
    touched: list[tuple[str, np.ndarray[Any, Any], TextRows | None, Any]] = []

    by_kind = np.argsort(okind, kind="stable")  # own rows kind by kind, each kind's in order
    bounds = np.searchsorted(okind[by_kind], np.arange(len(KINDS) + 1)).tolist()

    def where(kind: str) -> np.ndarray[Any, Any]:
        code = _CODE[kind]
        return by_kind[bounds[code] : bounds[code + 1]]

    def change(name: str, rows: np.ndarray[Any, Any], values: Any, texts: np.ndarray[Any, Any] | None = None) -> None:
        touched.append((name, rows, None if texts is None else TextRows(texts), values))  # (set below)

    def ints(name: str, rows: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
        return _ints(_taken(batch.base(name), src[own_rows[rows]]))

    time_name, amount_name = fields["time"], fields["amount"]
    if time_name is not None:
        rows = np.sort(np.concatenate([where("late"), where("timezone")]))
        if len(rows):
            stamps = ints(time_name, rows)
            late = okind[rows] == _LATE
            stamps -= np.where(late, (2 + osmall[rows] % 6) * 86_400_000, 0)
            stamps += np.where(late, 0, np.where(ocoin[rows] < 0.5, offset_ms, -offset_ms))
            change(time_name, rows, _like(batch.base(time_name), stamps))
    if amount_name is not None:
        rows = np.sort(np.concatenate([where("extreme"), where("correction")]))
        if len(rows):
            amounts = ints(amount_name, rows)
            extreme = okind[rows] == _CODE["extreme"]
            edge = np.where(ocoin[rows] < 0.5, 1, 999_999_999)
            amounts = np.where(extreme, edge, np.maximum(1, amounts + odelta[rows]))
            change(amount_name, rows, _like(batch.base(amount_name), amounts))
    orphan = where("orphan")
    if len(orphan):
        fk = fields["fk"]
        col = batch.base(fk)
        fresh = uuid4_text(new_ids[own_rows[orphan]])
        if isinstance(col, TextColumn) and col.width == 36 and col.nulls is None:
            change(fk, orphan, TextColumn(np.ascontiguousarray(fresh)))
        else:
            change(fk, orphan, [t.decode("ascii") for t in fresh.view("S36").ravel().tolist()])
    encoding = where("encoding")
    if len(encoding):
        picks = (osmall[encoding] % len(ENCODING_SAMPLES)).tolist()
        change(fields["text"], encoding, [ENCODING_SAMPLES[x] for x in picks], _ENCODING_TEXTS[picks])
    evolved = where("schema_evolution")
    if len(evolved):
        quoted = np.full((len(evolved), 34), ord('"'), dtype=np.uint8)  # a UUID's hex digits, quoted
        quoted[:, 1:-1] = uuid4_text(new_ids[own_rows[evolved]])[:, _HEX_DIGITS]
        texts = quoted.view("S34").ravel().tolist()
        change(NEW_FIELD, evolved, [Raw(t[1:-1].decode("ascii")) for t in texts], quoted)
    nulls = where("nulls")
    if len(nulls):
        required = _nulled(fields["required"], ctx.block)
        chosen = osmall[nulls] % len(required)
        for j in dict.fromkeys(chosen.tolist()):
            rows = nulls[chosen == j]
            gone = ocoin[rows] >= 0.5
            change(required[j], rows, [MISSING if g else _NULL for g in gone.tolist()],
                   _repeated(_NULL_TEXT, len(rows)))
    malformed = where("malformed")
    if len(malformed):
        document = fields["document"]
        as_document = ocoin[malformed] < 0.3 if document else np.zeros(len(malformed), dtype=bool)
        if len(malformed[as_document]):
            rows = malformed[as_document]
            change(document, rows, [Raw("12A.45B.789-0X")] * len(rows), _repeated(_BAD_DOCUMENT, len(rows)))
        rows = malformed[~as_document]
        if len(rows) and amount_name:
            cents = ints(amount_name, rows)  # as text, Brazilian style: 1.234,56
            whole = "\n".join(map(format, (cents // 100).tolist(), repeat(","))).replace(",", ".").split("\n")
            texts = [w + _CENTS[c] for w, c in zip(whole, (cents % 100).tolist(), strict=True)]
            quoted_texts = TextRows.of([b'"' + t.encode() + b'"' for t in texts]).matrix
            change(amount_name, rows, list(map(Raw, texts)), quoted_texts)
        elif len(rows):
            first = fields["required"][0]
            change(first, rows, [Raw({"unexpected": True}) for _ in range(len(rows))],
                   _repeated(_UNEXPECTED, len(rows)))

    # the manifest: per pill, its row (sorted keys, "sink" added by ``collect``) with its changed
    # value, new and original text (each own record has one), joined from the texts' matrices
    encoder = _encoder(spec, tz)
    key_name, mk_name = spec.primary_key, spec.message_key
    keys = encoder.value_rows(key_name, _taken(batch.base(key_name), src)).matrix
    mkeys = keys if mk_name == key_name else (
        encoder.value_rows(mk_name, _taken(batch.base(mk_name), src)).matrix if mk_name else None)
    by_field: dict[str, list[tuple[np.ndarray[Any, Any], TextRows | None, Any]]] = {}
    for name, rows, given, values in touched:
        if len(rows):
            by_field.setdefault(name, []).append((rows, given, values))
    names: list[bytes] = []  # '"name":' of each field changed
    name_of = np.full(m, -1, dtype=np.int64)  # per pill: the field it changes (in ``names``), -1: none
    news: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []  # (pills, their new values' text)
    olds: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []  # (pills, their original text)
    for f, (name, parts) in enumerate(by_field.items()):
        # one rendering per field: the original values of its rows, then the new ones to render
        rows_all = parts[0][0] if len(parts) == 1 else np.concatenate([rows for rows, _, _ in parts])
        declared = name in encoder.index
        columns_of = [_taken(batch.base(name), src[own_rows[rows_all]])] if declared else []
        columns_of.extend(values for _, given, values in parts if given is None)
        rendered = encoder.value_rows(name, concat_columns(columns_of)).matrix if columns_of else None
        at_new = len(rows_all) if declared else 0
        at_old = 0
        names.append(b'"' + name.encode() + b'":')
        for rows, given, values in parts:
            count = len(rows)
            if given is None:
                assert rendered is not None
                new, at_new = rendered[at_new : at_new + count], at_new + count
            else:
                new = given.matrix
            changes.set(name, rows, values, TextRows(new))  # (the json serializer puts the texts in)
            pills_of = own_rows[rows]
            name_of[pills_of] = f
            news.append((pills_of, new))
            if declared:  # (a field the entity lacks has no original)
                assert rendered is not None
                olds.append((pills_of, rendered[at_old : at_old + count]))
            at_old += count
    new_texts, new_of = _stacked(news, m)
    old_texts, old_of = _stacked(olds, m)
    old_of[kinds == _CORRECTION] = -1  # a correction is a record of its own: no original listed
    same = np.flatnonzero(((kinds == _EXTREME) | (kinds == _ENCODING)) & (old_of >= 0))
    if len(same):  # a new value equal to the original: no change listed
        lengths = np.count_nonzero(new_texts[new_of[same]], axis=1)
        same = same[lengths == np.count_nonzero(old_texts[old_of[same]], axis=1)]
        equal = [a == b for a, b in zip(TextRows(new_texts[new_of[same]]).tolist(),
                                         TextRows(old_texts[old_of[same]]).tolist(), strict=True)]
        same = same[np.array(equal, dtype=bool)] if equal else same
        name_of[same] = new_of[same] = old_of[same] = -1
    original_of = np.where(old_of >= 0, name_of, -1)
    names_rows = TextRows.of(names).matrix

    # where each record goes: untouched ones keep their place (key = position); a moved one
    # goes ``by`` records further down; an added one right after its anchor record (whatever
    # moved meanwhile); ties keep the order they were made in
    pill_key = picked.astype(np.float64)
    moved = (kinds == _LATE) | (kinds == _OUT_OF_ORDER)
    by = np.where(kinds == _LATE, 20 + small % 180, 5 + small % 55)
    moved_from = picked[moved]  # (in order, as ``picked`` is)
    moved_to = np.minimum(n - 1, moved_from + by[moved]) + 0.5
    pill_key[moved] = moved_to

    def key_of(at: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:  # records' keys: position or where moved
        out = at.astype(np.float64)
        if len(moved_from) and len(at):
            j = np.minimum(np.searchsorted(moved_from, at), len(moved_from) - 1)
            hit = moved_from[j] == at
            out[hit] = moved_to[j[hit]]
        return out

    correction = kinds == _CORRECTION
    anchor = np.minimum(n - 1, picked[correction] + 1 + small[correction] % 49)
    pill_key[correction] = key_of(anchor) + 0.25
    again = (kinds == _DUPLICATE) | (kinds == _TOMBSTONE)
    pill_key[again] = key_of(picked[again]) + 0.125
    removed = picked[~(correction | again)]  # replaced by the own copy, or moved (in order)
    keep = np.ones(n, dtype=bool)
    keep[removed] = False
    pill_value = picked.copy()
    pill_value[own_rows] = n + np.arange(len(own_rows), dtype=np.intp)
    tomb = kinds == _TOMBSTONE
    pills = np.concatenate([np.flatnonzero(~tomb), np.flatnonzero(tomb)])  # (the order ties keep)
    # the kept records (keys: their positions, in order) and the pills merged: a kept record's
    # key never equals a pill's (a pill's is fractional, or the position of a record not kept),
    # so the kept records before a pill are the positions below its key less the removed ones
    kept = np.flatnonzero(keep)
    rows_at = pills[np.argsort(pill_key[pills], kind="stable")]  # the pills, in the order written
    written_keys = pill_key[rows_at]
    at = (np.ceil(written_keys).astype(np.intp) - np.searchsorted(removed, written_keys)
          + np.arange(len(rows_at), dtype=np.intp))
    order = np.empty(len(kept) + len(rows_at), dtype=np.intp)
    in_place = np.ones(len(order), dtype=bool)
    in_place[at] = False
    order[in_place] = kept
    order[at] = pill_value[rows_at]

    # one label per pill, its manifest row as its detail (made in the order written)
    words = _KIND_WORDS[kinds[rows_at]].tolist()
    kind_at = kinds[rows_at].astype(np.int64)
    block = b"null" if ctx.block is None else str(ctx.block).encode()
    details = join_rows(len(rows_at), [
        (b'{"action":"', _ACTION_ROWS, kind_at),
        (b'","block":' + block + b',"changed":{', names_rows, name_of[rows_at]),
        (b"", new_texts, new_of[rows_at]),
        (b'},"entity":' + orjson.dumps(spec.name) + b',"key":', keys, rows_at),
        (b',"kind":"', _KIND_ROWS, kind_at),
        (b'","message_key":', _NULL_TEXT if mkeys is None else mkeys,
         np.zeros(len(rows_at), dtype=np.int64) if mkeys is None else rows_at),
        (b',"original":{', names_rows, original_of[rows_at]),
        (b"", old_texts, old_of[rows_at]),
    ], b"}")
    labels = LabelColumn(ctx.transform, at, words, details)
    tombstones = at[kinds[rows_at] == _TOMBSTONE]
    return Edits(order, changes, labels, tombstones)


_BAD_DOCUMENT = TextRows.of([b'"12A.45B.789-0X"']).matrix
_UNEXPECTED = TextRows.of([b'{"unexpected":true}']).matrix


def _repeated(row: np.ndarray[Any, Any], n: int) -> np.ndarray[Any, Any]:
    """A one-row text matrix ``n`` times."""
    return np.repeat(row, n, axis=0)


def _stacked(parts: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]], m: int
             ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Text matrices of some pills in one matrix, and per pill (of ``m``) its row there (-1: none)."""
    of = np.full(m, -1, dtype=np.int64)
    if not parts:
        return np.zeros((1, 1), dtype=np.uint8), of
    width = max(texts.shape[1] for _, texts in parts)
    out = np.zeros((sum(len(pills) for pills, _ in parts), width), dtype=np.uint8)
    at = 0
    for pills, texts in parts:
        out[at : at + len(pills), width - texts.shape[1] :] = texts
        of[pills] = np.arange(at, at + len(pills), dtype=np.int64)
        at += len(pills)
    return out, of


NULLED_PER_BLOCK = 2
"""Required fields the nulls kind empties in one block (in turn, block after block)."""


def _nulled(required: Sequence[str], block: int | None) -> Sequence[str]:
    """The required fields the nulls kind empties in ``block``: ``NULLED_PER_BLOCK`` of them, the
    next ones in field order block after block (as a producer bug hits a field for a while;
    a run of a few blocks covers every required field)."""
    if len(required) <= NULLED_PER_BLOCK:
        return required
    start = (0 if block is None else block) * NULLED_PER_BLOCK
    return [required[(start + j) % len(required)] for j in range(NULLED_PER_BLOCK)]


def _taken(column: Any, rows: np.ndarray[Any, Any]) -> Any:
    if isinstance(column, (np.ndarray, TextColumn)):
        return column[rows] if isinstance(column, np.ndarray) else column.take(rows)
    if len(rows) > 1:
        return list(itemgetter(*rows.tolist())(column))
    return [column[i] for i in rows.tolist()]


def record_stage(spec: EntitySpec, records: list[dict[str, Any]], ctx: TransformContext) -> list[dict[str, Any]]:
    """The same pills on a list of dicts (``Transform.apply``)."""
    edits = edit_stage(spec, records, ctx)
    return records if edits is None else edits.rows(records, ctx)


# -- payload stage -----------------------------------------------------------------------------------

_AVRO_MAGIC = b"\x00"


def payload_stage(batch: PayloadBatch, ctx: TransformContext) -> None:
    """Each pill as the sink can carry it; the batch's manifest rows (kinds and lines, in the
    batch's order) go back as one side row ``(sink, kinds, lines)``, the sink's name added by
    ``collect``."""
    name_ = ctx.transform
    route = batch.route
    plain = batch.serializer_name != "avro" and not batch.record_headers and not batch.null_values
    column = batch.label_column()
    if plain and column is not None and column.transform == name_ and "tombstone" not in column.words:
        # a sink of text lines (json): the values stay as they are, the labels as columns
        assert column.details is not None
        ctx.side.append((route, column.words, column.details))
        return
    labels = [(i, lab) for i, lab in batch.labels.items() if lab.transform == name_]
    if not labels:
        return
    kinds: list[str] = []
    lines: list[bytes] = []
    if plain:  # tombstones cannot be carried
        drops = []
        for i, label in labels:
            if label.label == "tombstone":
                drops.append(i)
            else:
                kinds.append(label.label)
                lines.append(label.detail)
        for i in sorted(drops, reverse=True):
            batch.drop(i)
        ctx.side.append((route, kinds, lines))
        return
    avro = batch.serializer_name == "avro"
    for i, label in sorted(labels, reverse=True):  # from the end: a dropped message moves none before it
        kind = label.label
        extra = b""
        if kind == "tombstone":
            if not batch.null_values:
                batch.drop(i)
                continue
            batch.set_value(i, None)
        elif avro and kind == "schema_evolution":
            version, value = _evolved(batch, batch.records[i])
            batch.set_value(i, value)
            extra = b',"schema_id":' + str(version).encode()
        elif avro and (i in batch.unencodable or kind in ("malformed", "nulls")):
            key = orjson.loads(label.detail + b"}")["key"]
            batch.set_value(i, _undecodable(batch.value(i) or b"", zlib.crc32(str(key).encode())))
            extra = b',"payload":"undecodable"'
        if batch.record_headers:
            batch.add_header(i, HEADER, kind.encode())
        kinds.append(kind)
        lines.append(label.detail + extra)
    ctx.side.append((route, kinds[::-1], lines[::-1]))


_EVOLVED: dict[tuple[str, str, str], tuple[int, Any]] = {}
"""Per process: (registry, subject, entity) -> the second schema version's id and its codec."""


def _evolved(batch: PayloadBatch, record: Mapping[str, Any]) -> tuple[int, bytes]:
    """The record written with the entity's second schema version (the new optional field), which
    is registered under the subject (compatibility BACKWARD) the first time a process needs it."""
    from confluent_kafka.schema_registry import Schema
    from datagen_plugin_avro.codec import EntityCodec, wire_header  # type: ignore[import-untyped]

    from datagen_kernel.api import Field

    serializer: Any = batch.serializer
    spec = batch.entity
    subject = serializer.subject(spec, batch.destination)
    cache_key = (serializer.url, subject, spec.name)
    found = _EVOLVED.get(cache_key)
    if found is None:
        evolved = spec.with_fields(Field(NEW_FIELD, String(32), nullable=True,
                                         doc="Added part-way through the stream (poison: schema_evolution)."))
        codec = EntityCodec(evolved)
        client = serializer._registry()
        client.set_compatibility(subject_name=subject, level="BACKWARD")
        version_id = int(client.register_schema(subject, Schema(codec.schema_str, "AVRO")))
        found = _EVOLVED[cache_key] = (version_id, (codec, wire_header(version_id)))
    version_id, (codec, header) = found
    plain = {k: (v.value if v.__class__ is Raw else v) for k, v in record.items()}
    return version_id, bytes(codec.encode([plain], header)[0])


def _undecodable(value: bytes, i: int) -> bytes:
    """An Avro message no consumer decodes: a wrong magic byte, an unknown schema id, or a body
    that does not decode (the choice follows the record's key, so it is deterministic)."""
    body = value[5:] if len(value) > 5 else b""
    if i % 3 == 0:
        return b"\x07" + value[1:] if value else b"\x07\x00\x00\x00\x01"
    if i % 3 == 1:
        return _AVRO_MAGIC + struct.pack(">I", 0x7FFF_FFF0) + body
    return value[:5] + b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"


# -- the process that runs the sinks ---------------------------------------------------------------


def collect(rows: list[Any], ctx: TransformContext) -> None:
    """One block's manifest rows (side rows ``(sink, kinds, lines)``, one per sink batch),
    written as they come to the manifest's temporary file: sink by sink (by name), a sink's
    batches in order, so the manifest does not depend on how the records were cut into
    batches (``finish`` gives the file its name)."""
    state = ctx.state
    counts: Counter[tuple[str, str]] = state.setdefault("counts", Counter())
    by_sink: dict[str, list[bytes]] = {}
    for sink, kinds, lines in rows:
        by_sink.setdefault(sink, []).extend(lines)
        for kind, n in Counter(kinds).items():
            counts[(kind, sink)] += n
    out = _manifest_out(ctx)
    for sink, lines in sorted(by_sink.items()):  # each line ends with the sink's name and the closing brace
        if lines:
            end = b',"sink":' + orjson.dumps(sink) + b"}\n"
            out.write(end.join(lines))
            out.write(end)
            state["pills"] = state.get("pills", 0) + len(lines)


def _manifest_out(ctx: TransformContext) -> Any:
    """The manifest's temporary file, opened on first use."""
    out = ctx.state.get("out")
    if out is None:
        path = manifest_path(ctx)
        path.parent.mkdir(parents=True, exist_ok=True)
        out = ctx.state["out"] = path.with_name(path.name + ".tmp").open("wb")
    return out


def manifest_path(ctx: TransformContext) -> Path:
    return manifest_file(ctx.run, ctx.options)


def manifest_file(run: RunInfo, options: Mapping[str, Any]) -> Path:
    """``poison.manifest``, else ``datagen-poison.jsonl`` beside the json sink's files, else here."""
    given = options.get("manifest")
    if given:
        return Path(given)
    json_options = run.options.get("json") if run.options else None
    if json_options and json_options.get("path"):
        return Path(json_options["path"]) / DEFAULT_MANIFEST
    return Path(DEFAULT_MANIFEST)


PARTIAL = ".partial"
"""Suffix of the manifest of a run that failed or was interrupted (``complete: false``)."""


def finish(ctx: TransformContext, ok: bool) -> dict[str, Any]:
    """The manifest gets its name when the run succeeded. A run that failed or was interrupted
    leaves the pills it handed to the sinks (whether they kept them or not) as
    ``<manifest>.partial``, or nothing if there were none: never a manifest that looks complete.
    An earlier attempt's ``.partial`` is removed either way (it is not this run's)."""
    state = ctx.state
    counts: Counter[tuple[str, str]] = state.get("counts", Counter())
    path = manifest_path(ctx)
    partial = path.with_name(path.name + PARTIAL)
    partial.unlink(missing_ok=True)
    out = state.get("out")
    pills = state.get("pills", 0)
    if ok:
        out = _manifest_out(ctx)  # (an empty manifest when no pill was made)
        out.close()
        Path(out.name).replace(path)
        written: Path | None = path
    else:
        written = partial if pills else None
        if out is not None:
            out.close()
            if pills:
                Path(out.name).replace(partial)
            else:
                Path(out.name).unlink(missing_ok=True)
    by_kind: dict[str, dict[str, int]] = {}
    for (kind, sink), n in sorted(counts.items()):
        by_kind.setdefault(kind, {})[sink] = n
    return {"manifest": None if written is None else str(written), "complete": ok, "pills": pills,
            "counts": by_kind}


DESCRIBE = "Kinds (-o poison.KIND=RATE, 0..1; a record gets one kind at most):\n" + "\n".join(
    f"  {k:<17} {v}" for k, v in KIND_DOCS.items()
) + (
    "\n\nIn each sink: kafka marks every pill with the header datagen.poison=<kind> (tombstones are null "
    "values); json writes valid JSON with the wrong types and drops tombstones; an Avro route writes "
    "malformed values and nulls as payloads that do not decode (wrong magic byte, unknown schema id, a "
    "body cut short). Every pill a sink receives is a line of the manifest (entity, key, kind, sink, "
    "action added/changed/moved, changed and original values); the run summary counts them per kind "
    "and sink."
)

POISON = Transform(
    "poison",
    record_stage,
    "Poison pills: twelve kinds of bad data, labelled, with a ground-truth manifest.",
    options=OPTIONS,
    payload=payload_stage,
    collect=collect,
    finish=finish,
    describe=DESCRIBE,
    entities_option="entities",
    output_files=lambda run, options: [str(manifest_file(run, options))],
    edit=edit_stage,
)

__all__ = ["HEADER", "KINDS", "KIND_DOCS", "NEW_FIELD", "POISON"]
