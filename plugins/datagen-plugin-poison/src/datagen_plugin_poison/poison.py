"""The ``poison`` transform: twelve kinds of bad data, each labelled, with a ground-truth manifest.

Record stage (per entity and block, after the rules ran; ``Transform.edit``): each record is
picked for at most one kind, by one stream per kind (``TransformContext.rng``, drawn for the
whole block at once), so the pills depend on the seed, the rates and the block only, never on
``--workers`` or ``--batch-size``. Only the picked records are read; the others are written as
the generator made them (a columnar batch stays columnar): their bytes are those of a clean run.
A changed or added record is a new dict, labelled with its kind and a manifest row (``detail``).

Payload stage (per sink batch and route): what a sink can carry. Kafka gets the header
``datagen.poison=<kind>`` on every pill and null values for tombstones; an Avro route gets
undecodable payloads for malformed values and nulls; a sink that cannot carry a kind drops
that pill (and lists nothing for it). Every pill the sink receives is a manifest row with the
sink's name; the rows come back with the block and are written, in block order, to the
manifest (``poison.manifest``) by the process that runs the sinks.
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from datagen_kernel.api import (
    Batch,
    Decimal,
    Edits,
    EntitySpec,
    Label,
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
from datagen_kernel.codecs.text import format_decimal, format_timestamps, raw_default

KINDS = ("duplicate", "late", "out_of_order", "schema_evolution", "nulls", "malformed", "orphan", "extreme",
         "timezone", "correction", "tombstone", "encoding")
"""The kinds, in the order a record is offered to them (a record gets one kind at most)."""

HEADER = "datagen.poison"
NEW_FIELD = "pix_instant_payment_id"
"""The optional field the schema_evolution kind adds."""
ENCODING_SAMPLES = ("José Conceição Müller", "JosÃ© ConceiÃ§Ã£o MÃ¼ller", "Jo\u200bsé Concei\u200bção")
DEFAULT_MANIFEST = "datagen-poison.jsonl"

KIND_DOCS = {
    "duplicate": "the same record twice (same id, same bytes), right after the first.",
    "late": "the event time moved 2-7 days back, the record emitted further down the block, among later events.",
    "out_of_order": "the record emitted further down the block, after events that happened later; values unchanged.",
    "schema_evolution": f"a new optional field, {NEW_FIELD}, appears on the record (json: an extra key; "
                        "Avro: the message is written with a second, compatible schema version; postgres: rejected).",
    "nulls": "a required field is null or missing (json: null or no key; Avro: a payload that does not decode; "
             "postgres: rejected).",
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


def _row(spec: EntitySpec, record: Mapping[str, Any], kind: str, action: str, block: int | None,
         changed: dict[str, Any] | None = None, original: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"entity": spec.name, "key": record.get(spec.primary_key), "message_key": record.get(spec.message_key),
            "kind": kind, "action": action,
            "block": block, "changed": {} if changed is None else changed,
            "original": {} if original is None else original}


class _Texts:
    """The text form (as the json serializer writes it) of values for the manifest, made for a
    whole block at once: one vectorized conversion per field type instead of one per value."""

    def __init__(self, spec: EntitySpec) -> None:
        self.types = {f.name: f.type for f in spec.fields}
        self.pending: list[tuple[dict[str, Any], str, Any]] = []

    def add(self, target: dict[str, Any], record: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
        for name in names:
            self.pending.append((target, name, record.get(name)))
        return target

    def flush(self, tz: dt.tzinfo) -> None:
        stamps: list[tuple[dict[str, Any], str, int]] = []
        types = self.types
        for target, name, value in self.pending:
            kind = types.get(name)
            if type(value) is int and isinstance(kind, Timestamp):
                stamps.append((target, name, value))
            elif type(value) is int and isinstance(kind, Decimal):
                target[name] = format_decimal(value, kind.scale)
            else:
                target[name] = _plain(value)
        for (target, name, _), text in zip(stamps, format_timestamps([v for _, _, v in stamps], tz), strict=True):
            target[name] = text
        self.pending = []


def _plain(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value, default=raw_default))


def _picks(spec: EntitySpec, n: int, rates: Mapping[str, float], fields: Mapping[str, Any],
           ctx: TransformContext) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(positions, kind numbers) of the records picked, in position order: one draw per record
    and kind from the kind's stream; a record takes the first kind (in ``KINDS`` order) it drew."""
    kind_of = np.full(n, -1, dtype=np.int8)
    for k, kind in enumerate(KINDS):
        if rates[kind] <= 0 or not _possible(kind, spec, fields):
            continue
        draws = ctx.rng(spec.name, kind).random(n)
        kind_of[(draws < rates[kind]) & (kind_of < 0)] = k
    picked = np.flatnonzero(kind_of >= 0)
    return picked, kind_of[picked]


def edit_stage(spec: EntitySpec, records: Sequence[Record], ctx: TransformContext) -> Edits | None:
    """The pills of one entity's block: only the picked records are read (a columnar ``Batch``
    stays columnar); the others are written as they are."""
    rates = {k: float(ctx.options.get(k) or 0.0) for k in KINDS}
    n = len(records)
    if not n or not any(rates.values()):
        return None
    fields = _fields(spec)
    picked, kinds = _picks(spec, n, rates, fields, ctx)
    if not len(picked):
        return None
    offset = ctx.run.timezone.utcoffset(dt.datetime(2020, 1, 1)) or dt.timedelta(hours=-3)
    fields["offset_ms"] = int(offset.total_seconds() * 1000) or -3 * 3_600_000
    if isinstance(records, Batch):
        rows = records.take(picked).rows() if not records.rows_built else [records.row(i) for i in picked.tolist()]
    else:
        rows = [records[i] for i in picked.tolist()]
    rng = ctx.rng(spec.name, "shape")
    texts = _Texts(spec)
    own: list[Record] = []
    order = np.arange(n, dtype=np.intp).tolist()  # positions; >= n: own[j - n]
    moves: list[tuple[int, int]] = []  # (from, by): records emitted further down the block
    inserts: list[tuple[int, int]] = []  # (after, own record's position)
    block = ctx.block
    label = ctx.label
    add = texts.add
    name_ = ctx.transform
    again: list[tuple[int, Label]] = []  # (position, label) of records written a second time

    def mine(record: Record) -> int:
        own.append(record)
        return n + len(own) - 1

    for i, k, r in zip(picked.tolist(), kinds.tolist(), rows, strict=True):
        kind = KINDS[k]
        if kind == "duplicate" or kind == "tombstone":  # the record again, labelled by position
            again.append((i, Label(name_, kind, _row(spec, r, kind, "added", block))))
            inserts.append((i, -len(again)))
        elif kind == "correction":
            name = fields["amount"]
            copy = {**r, name: max(1, int(r[name]) + int(rng.integers(-5000, 5000)))}
            label(copy, kind, _row(spec, r, kind, "added", block, add({}, copy, [name])))
            inserts.append((i + int(rng.integers(1, 50)), mine(copy)))
        elif kind == "out_of_order":
            copy = dict(r)
            label(copy, kind, _row(spec, r, kind, "moved", block))
            order[i] = mine(copy)
            moves.append((i, int(rng.integers(5, 60))))
        else:
            copy, touched = _change(kind, spec, r, fields, rng, ctx)
            if touched in copy:
                names = [touched] if touched not in r or _differs(copy[touched], r[touched]) else []
                missing = []
            else:
                names, missing = [], [touched]
            shown = add({}, copy, [key for key in names if key in copy])
            shown.update({key: None for key in missing})
            original = add({}, r, [key for key in names + missing if key in r])
            label(copy, kind, _row(spec, r, kind, "changed", block, shown, original))
            order[i] = mine(copy)
            if kind == "late":
                moves.append((i, int(rng.integers(20, 200))))
    texts.flush(ctx.run.timezone)
    # added records follow the record at their anchor position (whatever moved meanwhile)
    anchors = [order[min(after, n - 1)] for after, _ in inserts]
    for at, by in sorted(moves, reverse=True):
        item = order.pop(at)
        order.insert(min(len(order), at + by), item)
    if not inserts:
        return Edits(np.asarray(order, dtype=np.intp), own)
    arranged = np.asarray(order, dtype=np.intp)
    where = np.empty(n + len(own), dtype=np.intp)
    where[arranged] = np.arange(n, dtype=np.intp)
    # np.insert keeps the given order of values inserted at the same place
    final = np.insert(arranged, where[np.asarray(anchors, dtype=np.intp)] + 1,
                      np.asarray([j for _, j in inserts], dtype=np.intp))
    if not again:
        return Edits(final, own)
    slots = np.flatnonzero(final < 0)  # -1 - m: the m-th record written again
    m: list[int] = (-1 - final[slots]).tolist()
    final[slots] = [again[x][0] for x in m]
    return Edits(final, own, {p: again[x][1] for p, x in zip(slots.tolist(), m, strict=True)})


def record_stage(spec: EntitySpec, records: list[dict[str, Any]], ctx: TransformContext) -> list[dict[str, Any]]:
    """The same pills on a list of dicts (``Transform.apply``)."""
    edits = edit_stage(spec, records, ctx)
    return records if edits is None else edits.rows(records, ctx)


def _differs(a: Any, b: Any) -> bool:
    return a.__class__ is Raw or type(a) is not type(b) or a != b


def _change(kind: str, spec: EntitySpec, r: Mapping[str, Any], fields: Mapping[str, Any], rng: Any,
            ctx: TransformContext) -> tuple[dict[str, Any], str]:
    """A changed copy of ``r`` and the one field the kind set (or deleted)."""
    out = dict(r)
    name: str
    if kind == "late":
        name = fields["time"]
        out[name] = int(r[name]) - int(rng.integers(2, 8)) * 86_400_000
    elif kind == "timezone":
        name = fields["time"]
        ms = fields["offset_ms"]
        out[name] = int(r[name]) + (ms if rng.random() < 0.5 else -ms)
    elif kind == "schema_evolution":
        name = NEW_FIELD
        out[name] = Raw(uuid.UUID(bytes=rng.bytes(16), version=4).hex)
    elif kind == "nulls":
        name = fields["required"][int(rng.integers(0, len(fields["required"])))]
        if rng.random() < 0.5:
            out[name] = Raw(None)
        else:
            del out[name]
    elif kind == "malformed":
        choice = rng.random()
        if fields["document"] and choice < 0.3:
            name = fields["document"]
            out[name] = Raw("12A.45B.789-0X")
        elif fields["amount"]:
            name = fields["amount"]
            cents = int(r[name])
            out[name] = Raw(f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}")
        else:
            name = fields["required"][0]
            out[name] = Raw({"unexpected": True})
    elif kind == "orphan":
        name = fields["fk"]
        out[name] = str(uuid.UUID(bytes=rng.bytes(16), version=4))
    elif kind == "extreme":
        name = fields["amount"]
        out[name] = 1 if rng.random() < 0.5 else 999_999_999
    elif kind == "encoding":
        name = fields["text"]
        out[name] = ENCODING_SAMPLES[int(rng.integers(0, len(ENCODING_SAMPLES)))]
    else:
        raise ValueError(f"poison kind {kind!r} changes no field")
    return out, name


# -- payload stage -----------------------------------------------------------------------------------

_AVRO_MAGIC = b"\x00"


def payload_stage(batch: PayloadBatch, ctx: TransformContext) -> None:
    labels = {i: lab for i, lab in batch.labels.items() if lab.transform == ctx.transform}
    if not labels:
        return
    avro = batch.serializer_name == "avro"
    for i in sorted(labels, reverse=True):
        label = labels[i]
        kind = label.label
        row = dict(label.detail or {})
        row["sink"] = batch.route
        if kind == "tombstone":
            if not batch.null_values:
                batch.drop(i)
                continue
            batch.set_value(i, None)
        elif avro and kind == "schema_evolution":
            version, value = _evolved(batch, batch.records[i])
            batch.set_value(i, value)
            row["schema_id"] = version
        elif avro and (i in batch.unencodable or kind in ("malformed", "nulls")):
            batch.set_value(i, _undecodable(batch.value(i) or b"", zlib.crc32(str(row["key"]).encode())))
            row["payload"] = "undecodable"
        if batch.record_headers:
            batch.add_header(i, HEADER, kind.encode())
        ctx.emit(row)


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
    state = ctx.state
    lines: list[bytes] = state.setdefault("lines", [])
    counts: Counter[tuple[str, str]] = state.setdefault("counts", Counter())
    # one block's rows, in an order that does not depend on how its records were cut into batches
    encoded = sorted(orjson.dumps(row, default=raw_default, option=orjson.OPT_SORT_KEYS) for row in rows)
    lines.extend(encoded)
    for row in rows:
        counts[(row["kind"], row["sink"])] += 1


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


def finish(ctx: TransformContext, ok: bool) -> dict[str, Any]:
    state = ctx.state
    lines: list[bytes] = state.get("lines", [])
    counts: Counter[tuple[str, str]] = state.get("counts", Counter())
    path = manifest_path(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(b"".join(line + b"\n" for line in lines))
    tmp.replace(path)
    by_kind: dict[str, dict[str, int]] = {}
    for (kind, sink), n in sorted(counts.items()):
        by_kind.setdefault(kind, {})[sink] = n
    return {"manifest": str(path), "pills": len(lines), "counts": by_kind}


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
