"""The transforms' two stages inside a block (see ``datagen_kernel.api.transforms``).

The record stage runs after the rules and schema checks (``BlockProcessor.transform``); the
payload stage runs on each sink batch once its serializer encoded it (``PayloadStage``). Labels
given to records in the record stage are found again by the records' identity in the batches
made of them, within the block. A sink that takes labelled records apart (``Sink.labelled_apart``)
gets them in batches of their own (``EncodedBatch.labelled``), their values JSON objects.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from datagen_kernel.api.columnar import Batch, as_rows
from datagen_kernel.api.errors import DatagenError, PluginError
from datagen_kernel.api.records import Record, Records
from datagen_kernel.api.schema import EntitySpec, Kind
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import EncodedBatch, Sink
from datagen_kernel.api.transforms import (
    Edited,
    Label,
    LabelColumn,
    PayloadBatch,
    Transform,
    TransformContext,
    has_raw,
    unwrapped,
)
from datagen_kernel.api.values import Values
from datagen_kernel.engine.runplan import Plan

KeysFn = Callable[[Sink, EntitySpec, Records], Any]

_KIND_WORDS = {"event": Kind.EVENT, "events": Kind.EVENT, "master": Kind.MASTER, "masters": Kind.MASTER,
               "reference": Kind.REFERENCE, "references": Kind.REFERENCE}


def selects(transform: Transform, options: Mapping[str, Any], spec: EntitySpec) -> bool:
    """Whether ``transform`` acts on ``spec`` (its ``entities``, and its entities option)."""
    if transform.entities is not None and spec.name not in transform.entities:
        return False
    if transform.entities_option is None:
        return True
    chosen = options.get(transform.entities_option)
    if chosen is None:
        return True
    if isinstance(chosen, str):
        chosen = [c.strip() for c in chosen.split(",") if c.strip()]
    return any(c == spec.name or _KIND_WORDS.get(c) == spec.kind for c in chosen)


def record_name(spec: EntitySpec, record: Record) -> str:
    """How a message names a record: its entity and primary key."""
    key = record.get(spec.primary_key) if isinstance(record, dict) else None
    return f"{spec.name} {spec.primary_key}={key!r}"


def apply_record_stage(transform: Transform, spec: EntitySpec, recs: Records, ctx: TransformContext) -> Records:
    """``transform.apply`` on one entity's records of one block; an error names the transform
    and the first record it fails on alone. A transform with an edit stage (``Transform.edit``)
    gets the records as they are (a list or a ``Batch``) and its result is an ``Edited``."""
    if isinstance(recs, Edited) and recs.marks is not None:  # labels by position go with copies
        rows = list(recs)
        for i, lab in recs.labels_by_position().items():
            copy = rows[i] = dict(rows[i])
            ctx.labels[id(copy)] = (copy, lab)
        native: Records = rows
    else:
        native = recs if isinstance(recs, (list, Batch)) else as_rows(recs)
    try:
        if transform.edit is not None:
            edits = transform.edit(spec, native, ctx)
            return recs if edits is None else Edited.of(native, edits)
        return transform.apply(spec, as_rows(native), ctx)
    except DatagenError:
        raise
    except Exception as exc:
        culprit = _culprit(transform, spec, as_rows(native), ctx)
        where = f" on record {culprit}" if culprit else f" on {spec.name!r}"
        raise PluginError(
            f"transform {transform.name!r} failed{where} in block {ctx.block}: {type(exc).__name__}: {exc}",
            hint="this is a bug in the plugin providing it; rerun with --debug for the traceback",
        ) from exc


def _culprit(transform: Transform, spec: EntitySpec, rows: Sequence[Record], ctx: TransformContext) -> str | None:
    """The first record the transform fails on when given it alone (None: none does)."""
    for record in rows:
        probe = TransformContext(ctx.run, ctx.transform, ctx.block, ctx.options, ctx.null_values)
        try:
            transform.apply(spec, [dict(record)], probe)
        except Exception:
            return record_name(spec, record)
    return None


class LabelTable:
    """The labels and side rows the transforms gave in the block being processed."""

    def __init__(self) -> None:
        self.by_id: dict[int, tuple[Record, Label]] = {}
        self.side: dict[str, list[Any]] = {}

    def __bool__(self) -> bool:
        return bool(self.by_id)

    def clear(self) -> None:
        self.by_id = {}
        self.side = {}

    def add(self, ctx: TransformContext) -> None:
        self.by_id.update(ctx.labels)
        self.emit(ctx)

    def emit(self, ctx: TransformContext) -> None:
        if ctx.side:
            self.side.setdefault(ctx.transform, []).extend(ctx.side)
            ctx.side = []

    def of(self, recs: Records) -> Mapping[int, Label]:
        """Labels of ``recs`` by position (a record counts only if it is the labelled object)."""
        by_id = self.by_id
        out: dict[int, Label] = {}
        if isinstance(recs, Edited):  # the transform's own records, and entries labelled by position
            given = recs.labels_by_position()
            if recs.changes is not None or isinstance(recs.added, Batch):  # labelled by position only
                return given
            out.update(given)
            own = np.flatnonzero(~recs.untouched)
            for i, r in zip(own.tolist(), recs.added_part(~recs.untouched), strict=True):
                found = by_id.get(id(r))
                if found is not None and found[0] is r:
                    out[i] = found[1]
        elif isinstance(recs, list):
            for i, r in enumerate(recs):
                found = by_id.get(id(r))
                if found is not None and found[0] is r:
                    out[i] = found[1]
        return out

    def remember(self, labelled: Mapping[int, tuple[Record, Label]]) -> None:
        """Labels of records by identity (a stream's records, released after their block)."""
        self.by_id.update(labelled)

    def forget(self, labelled: Mapping[int, tuple[Record, Label]]) -> None:
        for key in labelled:
            self.by_id.pop(key, None)

    def take_side(self) -> dict[str, list[Any]]:
        side, self.side = self.side, {}
        return side


class PayloadStage:
    """Serializes a sink batch and runs the transforms' payload stages on it."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._wants: dict[str, list[tuple[Transform, Mapping[str, Any]]]] = {}

    def stages(self, spec: EntitySpec) -> list[tuple[Transform, Mapping[str, Any]]]:
        found = self._wants.get(spec.name)
        if found is None:
            found = self._wants[spec.name] = [(t, o) for t, o in self.plan.transforms
                                              if t.payload is not None and selects(t, o, spec)]
        return found

    def wants(self, spec: EntitySpec) -> bool:
        return bool(self.stages(spec))

    def serialize(self, ser: Serializer, spec: EntitySpec, recs: Records, destination: str) -> Any:
        """``ser.encode``; with transforms enabled, a failure names the serializer and the record.
        An ``Edited``'s untouched records are encoded in their native form, the transform's own
        apart, and the values merged in order."""
        if isinstance(recs, Edited):
            return self._serialize_edited(ser, spec, recs, {}, destination)[0]
        try:
            return ser.encode(spec, recs, destination)
        except DatagenError:
            raise
        except Exception as exc:
            if not self.plan.transforms:
                raise
            culprit = self._culprit(ser, spec, recs, destination)
            names = ", ".join(repr(t.name) for t, _ in self.plan.transforms)
            raise PluginError(
                f"serializer {ser.name!r} cannot write record {culprit or spec.name} after transform(s) {names}: "
                f"{type(exc).__name__}: {exc}",
                hint="a transform that breaks the schema on purpose wraps such a value in Raw "
                     "(datagen_kernel.api.Raw); see 'Transforms' in docs/plugins.md",
            ) from exc

    @staticmethod
    def _culprit(ser: Serializer, spec: EntitySpec, recs: Records, destination: str) -> str | None:
        for record in as_rows(recs):
            try:
                ser.encode(spec, [record], destination)
            except Exception:
                return record_name(spec, record)
        return None

    def encode(self, index: int, sink: Sink, ser: Serializer | None, spec: EntitySpec, recs: Records,
               labels: Mapping[int, Label], destination: str, table: LabelTable, keys: KeysFn) -> EncodedBatch:
        """The batch, its labelled records written apart or through the payload stages."""
        route = self.plan.routes[index]
        if labels and type(sink).labelled_apart:
            return self._apart(index, sink, ser, spec, recs, labels, destination, keys, table)
        payload = None
        problems: dict[int, str] = {}
        if ser is not None:
            if isinstance(recs, Edited):
                payload, problems = self._serialize_edited(ser, spec, recs, labels, destination)
            else:
                payload, problems = self._serialize_labelled(ser, spec, recs, labels, destination)
        stages = self.stages(spec)
        nulls = recs.nulls if isinstance(recs, Edited) and type(sink).null_values else None
        if not stages and nulls is None:
            self._check(spec, ser, recs, problems, [])
            batch = EncodedBatch(spec.name, len(recs), payload, keys(sink, spec, recs), sink.headers(spec, recs))
            batch.labels = _words(labels)
            return batch
        view = PayloadBatch(spec, route.route.sink, route.label, ser, destination, recs, payload, labels,
                            problems, type(sink).null_values, type(sink).record_headers)
        if nulls is not None:  # the tombstones of an edit stage (``Edits.nulls``)
            for i in np.flatnonzero(nulls).tolist():
                view.set_value(i, None)
        self._run(stages, view, table)
        if not view.changed:
            self._check(spec, ser, recs, problems, [t.name for t, _ in stages])
            batch = EncodedBatch(spec.name, len(recs), payload, keys(sink, spec, recs), sink.headers(spec, recs))
            batch.labels = _words(labels)
            return batch
        dropped = view.dropped()
        if dropped is not None:  # only messages dropped: the others keep their values as they are
            return self._without(spec, sink, ser, recs, payload, problems, labels, dropped, keys,
                                 [t.name for t, _ in stages])
        values, order, label_list, headers, left = view.parts()
        rows = take_records(recs, order)
        self._check(spec, ser, rows, {i: p for i, p in enumerate(left) if p is not None},
                    [t.name for t, _ in stages])
        packed = _pack(values, payload) if ser is not None else None
        if view.reordered:
            batch = EncodedBatch(spec.name, len(rows), packed, keys(sink, spec, rows), sink.headers(spec, rows))
        else:
            batch = EncodedBatch(spec.name, len(rows), packed, keys(sink, spec, recs), sink.headers(spec, recs))
        batch.labels = {i: lab.label for i, lab in enumerate(label_list) if lab is not None} or None
        batch.nulls = [i for i, v in enumerate(values) if v is None] or None
        batch.record_headers = {i: list(h) for i, h in enumerate(headers) if h} or None
        return batch

    def _without(self, spec: EntitySpec, sink: Sink, ser: Serializer | None, recs: Records, payload: Any,
                 problems: Mapping[int, str], labels: Mapping[int, Label], dropped: list[int], keys: KeysFn,
                 stages: list[str]) -> EncodedBatch:
        """The batch less the messages at ``dropped``."""
        keep = np.ones(len(recs), dtype=bool)
        keep[dropped] = False
        kept = np.flatnonzero(keep)
        shift = np.cumsum(~keep)  # dropped at or before each position
        rows = take_records(recs, kept)
        self._check(spec, ser, recs, {i: p for i, p in problems.items() if keep[i]}, stages)
        packed = select(payload, keep) if ser is not None else None
        batch = EncodedBatch(spec.name, len(rows), packed, keys(sink, spec, rows), sink.headers(spec, rows))
        batch.labels = {i - int(shift[i]): lab.label for i, lab in labels.items() if keep[i]} or None
        return batch

    def _run(self, stages: list[tuple[Transform, Mapping[str, Any]]], view: PayloadBatch, table: LabelTable) -> None:
        """The payload stage of each transform on ``view``; an error names the transform."""
        for transform, options in stages:
            ctx = TransformContext(self.plan.run, transform.name, None, options)
            assert transform.payload is not None
            try:
                transform.payload(view, ctx)
            except DatagenError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"transform {transform.name!r} failed on a batch of {view.entity.name!r} for sink "
                    f"{view.route!r}: {type(exc).__name__}: {exc}",
                    hint="this is a bug in the plugin providing it; rerun with --debug for the traceback",
                ) from exc
            table.emit(ctx)

    @staticmethod
    def _check(spec: EntitySpec, ser: Serializer | None, rows: Sequence[Record], problems: Mapping[int, str],
               stages: list[str]) -> None:
        if not problems:
            return
        i, reason = next(iter(sorted(problems.items())))
        assert ser is not None
        by = f"; the payload stage of {', '.join(stages)} gave it no value" if stages else ""
        raise PluginError(
            f"serializer {ser.name!r} cannot write record {record_name(spec, rows[i])}, which a transform "
            f"changed: {reason}{by}",
            hint="a Raw value must be one the route's serializer can represent, or the transform's "
                 "payload stage must give such a message its bytes (PayloadBatch.set_value)",
        )

    def _serialize_edited(self, ser: Serializer, spec: EntitySpec, recs: Edited, labels: Mapping[int, Label],
                          destination: str) -> tuple[Any, dict[int, str]]:
        """Values of an ``Edited``: its untouched records as they are (a ``Batch`` keeps the
        columnar encoders), the transform's own records (labelled ones may hold ``Raw``) apart."""
        if type(ser).edited:  # it writes them in order itself
            try:
                return ser.encode(spec, recs, destination), {}
            except Exception:
                pass  # the long way below names the record
        mask = recs.untouched
        if mask.all():
            return self.serialize(ser, spec, recs.base_part(mask), destination), {}
        merged = recs.merged()
        if merged is not None:  # one columnar batch; a serializer that refuses it goes the long way
            try:
                return ser.encode(spec, merged, destination), {}
            except Exception:
                pass
        own = np.flatnonzero(~mask)
        where = {int(i): n for n, i in enumerate(own.tolist())}
        own_labels = {where[i]: lab for i, lab in labels.items() if i in where}
        added, own_problems = self._serialize_labelled(ser, spec, recs.added_part(~mask), own_labels, destination)
        problems = {int(own[n]): reason for n, reason in own_problems.items()}
        if not mask.any():
            return added, problems
        base = self.serialize(ser, spec, recs.base_part(mask), destination)
        return interleave(mask, base, added), problems

    @staticmethod
    def _serialize_labelled(ser: Serializer, spec: EntitySpec, recs: Records, labels: Mapping[int, Label],
                            destination: str) -> tuple[Any, dict[int, str]]:
        """Values of ``recs``; if the serializer refuses the batch, the unlabelled records are
        encoded together and each labelled one alone (its ``Raw`` values unwrapped): those it
        still refuses get an empty value and the reason (``PayloadBatch.unencodable``)."""
        try:
            return ser.encode(spec, recs, destination), {}
        except DatagenError:
            if not labels:
                raise
            first: Exception | None = None
        except Exception as exc:
            if not labels:
                raise
            first = exc
        rows = as_rows(recs)
        clean = [i for i in range(len(rows)) if i not in labels]
        values: list[bytes] = [b""] * len(rows)
        if clean:
            try:
                encoded = ser.encode(spec, [rows[i] for i in clean], destination).tolist()
            except Exception:
                if first is not None:
                    raise first from None
                raise
            for i, value in zip(clean, encoded, strict=True):
                values[i] = value
        problems: dict[int, str] = {}
        for i in sorted(labels):
            record = rows[i]
            try:
                values[i] = ser.encode(spec, [unwrapped(record) if has_raw(record) else record],
                                       destination).tolist()[0]
            except Exception as exc:
                problems[i] = f"{type(exc).__name__}: {exc}"
        return Values.of(values), problems

    def _apart(self, index: int, sink: Sink, ser: Serializer | None, spec: EntitySpec, recs: Records,
               labels: Mapping[int, Label], destination: str, keys: KeysFn, table: LabelTable) -> EncodedBatch:
        """The unlabelled records as usual; the labelled ones as JSON in a batch of their own
        (``EncodedBatch.rest``, ``labelled``), after the payload stages saw them."""
        from datagen_kernel.codecs.json import JsonSerializer

        order = sorted(labels)
        apart = [recs[i] for i in order]
        kept = take_records(recs, np.setdiff1d(np.arange(len(recs)), np.asarray(order, dtype=np.intp)))
        payload = None
        if ser is not None:
            payload = self.serialize(ser, spec, kept, destination) if kept else Values.of([])
        batch = EncodedBatch(spec.name, len(kept), payload, keys(sink, spec, kept) if kept else None,
                             sink.headers(spec, kept) if kept else None)
        route = self.plan.routes[index]
        values = JsonSerializer({"utc": True}).encode(spec, apart, destination)
        view = PayloadBatch(spec, route.route.sink, route.label, None, destination, apart, values,
                            {n: labels[i] for n, i in enumerate(order)}, {}, False, False)
        self._run(self.stages(spec), view, table)
        if view.changed:
            json_values, _, label_list, _, _ = view.parts()
            values = Values.of([b"null" if v is None else v for v in json_values])
            marks = {n: lab.label for n, lab in enumerate(label_list) if lab is not None}
        else:
            marks = {n: labels[i].label for n, i in enumerate(order)}
        if len(values):
            batch.rest = EncodedBatch(spec.name, len(values), values, labels=marks, labelled=True)
        return batch


def _words(labels: Mapping[int, Label]) -> dict[int, str] | None:
    """``EncodedBatch.labels``: each labelled position's word."""
    if isinstance(labels, LabelColumn):
        return labels.by_position() or None
    return {i: lab.label for i, lab in labels.items()} or None


def take_records(recs: Records, indices: Sequence[int] | np.ndarray[Any, Any]) -> Records:
    """The records of ``recs`` at ``indices`` (a ``Batch`` or ``Edited`` stays one)."""
    if isinstance(recs, (Batch, Edited)):
        return recs.take(indices)
    return [recs[i] for i in (indices.tolist() if isinstance(indices, np.ndarray) else indices)]


def _pack(values: list[bytes | None], was: Any) -> Values:
    """``values`` (None as empty) packed; as lines again where ``was`` was JSON Lines."""
    items = [b"" if v is None else v for v in values]
    sep = was.separator if isinstance(was, Values) else None
    if sep and len(sep) == 1 and None not in values:
        blob = sep.join(items) + sep if items else b""
        if blob.count(sep) == len(items):  # no value holds the separator
            return Values.lines(blob, sep)
    return Values.of(items)


def interleave(mask: np.ndarray[Any, Any], first: Values, second: Values) -> Values:
    """One value per position of ``mask``: ``first``'s in order where it is True, ``second``'s
    where it is False. JSON Lines stay one buffer of lines (a file sink writes it as is)."""
    if first.starts is not None and first.separator is None:  # scattered values: point at them
        return _pointing(mask, first, second)
    sep = first.separator or b""
    fe = first.ends
    fs = np.empty_like(fe)
    if len(fe):
        fs[0] = 0
        fs[1:] = fe[:-1] + len(sep)
    own = second.tolist()
    if sep and any(sep in v for v in own):
        return _pointing(mask, first, second)
    flips = np.flatnonzero(np.diff(mask.view(np.int8))) + 1
    bounds = [0, *flips.tolist(), len(mask)]
    data = first.data
    starts, ends, width = fs.tolist(), fe.tolist(), len(sep)
    pieces: list[bytes] = []
    k = j = 0  # next value of first, of second
    untouched = bool(mask[0])
    for a, b in itertools.pairwise(bounds):
        if untouched:
            pieces.append(data[starts[k]:ends[k + b - a - 1] + width])
            k += b - a
        else:
            for v in own[j : j + b - a]:
                pieces.append(v)
                pieces.append(sep)
            j += b - a
        untouched = not untouched
    blob = b"".join(pieces)
    lengths = np.empty(len(mask), dtype=np.int64)
    lengths[mask] = fe - fs
    lengths[~mask] = np.fromiter(map(len, own), dtype=np.int64, count=len(own))
    if sep:  # the lines' bounds are known: a later step (``select``) need not scan for them
        ends = np.cumsum(lengths + width) - width
        return Values(blob, ends, ends - lengths, sep)
    return Values(blob, np.cumsum(lengths))


def select(values: Values, keep: np.ndarray[Any, Any]) -> Values:
    """The values at the positions ``keep`` marks (JSON Lines stay one buffer of lines)."""
    if keep.all():
        return values
    if values.separator is None:
        return Values.of([v for v, k in zip(values.tolist(), keep.tolist(), strict=True) if k])
    sep = values.separator
    all_ends = values.ends
    ends = all_ends.tolist()
    flips = np.flatnonzero(np.diff(keep.view(np.int8))) + 1
    bounds = [0, *flips.tolist(), len(keep)]
    data = values.data
    pieces = []
    kept = bool(keep[0])
    for a, b in itertools.pairwise(bounds):
        if kept:
            pieces.append(data[ends[a - 1] + len(sep) if a else 0:ends[b - 1] + len(sep)])
        kept = not kept
    starts = values.starts
    if starts is None:
        starts = np.empty_like(all_ends)
        starts[:1] = 0
        starts[1:] = all_ends[:-1] + len(sep)
    lengths = (all_ends - starts)[keep]
    new_ends = np.cumsum(lengths + len(sep)) - len(sep)
    return Values(b"".join(pieces), new_ends, new_ends - lengths, sep)


def _pointing(mask: np.ndarray[Any, Any], first: Values, second: Values) -> Values:
    def bounds(values: Values) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        ends = values.ends
        starts = values.starts
        if starts is None:
            starts = np.empty_like(ends)
            if len(ends):
                starts[0] = 0
                starts[1:] = ends[:-1]
        return starts, ends

    (fs, fe), (ss, se) = bounds(first), bounds(second)
    starts = np.empty(len(mask), dtype=np.int64)
    ends = np.empty(len(mask), dtype=np.int64)
    starts[mask], ends[mask] = fs, fe
    starts[~mask], ends[~mask] = ss + len(first.data), se + len(first.data)
    return Values(bytes(first.data) + bytes(second.data), ends, starts)


class TransformCollector:
    """In the process that runs the sinks: side rows to ``Transform.collect``, then ``finish``."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.contexts = {t.name: TransformContext(plan.run, t.name, None, o) for t, o in plan.transforms}
        self.transforms = {t.name: t for t, _ in plan.transforms}

    def collect(self, side: Mapping[str, Any]) -> None:
        for name, rows in side.get("transforms", {}).items():
            transform = self.transforms.get(name)
            if transform is not None and transform.collect is not None:
                transform.collect(rows, self.contexts[name])

    def finish(self, ok: bool, errors: list[str]) -> dict[str, Any]:
        """What each transform's ``finish`` reports (an error in one is added to ``errors``)."""
        out: dict[str, Any] = {}
        for name, transform in self.transforms.items():
            if transform.finish is None:
                continue
            try:
                said = transform.finish(self.contexts[name], ok)
            except Exception as exc:
                errors.append(f"transform {name!r} failed to finish: {type(exc).__name__}: {exc}")
                continue
            if said:
                out[name] = dict(said)
        return out
