"""Transforms (like Kafka Connect's single message transforms) and what they see.

A transform has up to two stages, both acting within one block:

* the record stage (``Transform.apply``): after the rules and schema checks, before encoding.
  It alters, adds, drops or reorders records; a value wrapped in ``Raw`` is written as given,
  bypassing the type checks, by every serializer that can represent it. It may label records
  (``TransformContext.label``): the label travels with the record to the payload stage and to
  the sinks (a sink may route labelled records elsewhere, e.g. a ``_rejected`` table).
  A transform may give an edit stage instead (``Transform.edit``): it gets the records in
  their native form (a list of dicts or a columnar ``Batch``) and returns what it changes
  (``Edits``: the order of the records to write, by position, and its own new records), so
  the records it leaves alone are never turned into dicts and keep the fast encoders.
* the payload stage (``Transform.payload``): after encoding, before the sink, once per route.
  It sees the encoded values (``PayloadBatch``) and may replace one (corrupt bytes), make it a
  null value (a Kafka tombstone), add message headers, duplicate or move messages.

Both stages may emit side rows (``TransformContext.emit``: ground truth, counts); they return
with the block's result to the process that runs the sinks, which hands them to
``Transform.collect`` in block order and calls ``Transform.finish`` at the end of the run (its
answer goes into the run summary). So a transform works the same with every executor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from datagen_kernel.api.columnar import MISSING, Batch, TextColumn, as_rows, is_run
from datagen_kernel.api.generation import RunInfo
from datagen_kernel.api.options import Option
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import EntitySpec
from datagen_kernel.api.seeding import stream_for

if TYPE_CHECKING:
    from datagen_kernel.api.serializers import Serializer


class Raw:
    """A value written as given, bypassing the field's type (``Raw("12,50")`` in a decimal field).

    A transform puts it in a record to produce data a schema forbids: the text serializers
    (json) write the wrapped value as JSON; a serializer that cannot represent it (Avro: text
    in a decimal) fails on that record alone, and the transform's payload stage must then
    give that message its bytes (``PayloadBatch.unencodable``), or the run stops naming the
    transform and the record. The rules and schema checks ran before: they never see it.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Raw) and type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self) -> int:
        return hash((Raw, repr(self.value)))

    def __repr__(self) -> str:
        return f"Raw({self.value!r})"


def unwrap(value: Any) -> Any:
    """The value a ``Raw`` wraps, or ``value`` itself."""
    return value.value if value.__class__ is Raw else value


def has_raw(record: Record) -> bool:
    """Whether ``record`` holds a ``Raw`` value (at its top level)."""
    return any(v.__class__ is Raw for v in record.values())


def unwrapped(record: Record) -> Record:
    """A copy of ``record`` with every ``Raw`` value replaced by what it wraps."""
    return {k: unwrap(v) for k, v in record.items()}


@dataclass(frozen=True)
class Label:
    """What a transform said of a record it changed or added (``TransformContext.label``).

    ``transform``: its name; ``label``: a short word (e.g. the kind of poison pill), which a
    sink may use to route the record (the postgres sink: ``<table>_rejected``, ``reason``);
    ``detail``: anything picklable for the transform's payload stage (e.g. a manifest row).
    """

    transform: str
    label: str
    detail: Any = None


class LabelColumn(Mapping[int, "Label"]):
    """Labels of many entries held as columns: entry ``positions[k]`` has the label ``words[k]``
    of ``transform``, with the detail ``details[k]`` (``details`` None: no detail).

    For a transform that labels many records (``Edits(..., labels=LabelColumn(...))``): the
    engine carries the columns to the payload stage (``PayloadBatch.label_column()``) and the
    sinks, and makes a ``Label`` only where some code reads one (``column[i]``). It reads as
    the ``{position: Label}`` dict it stands for."""

    __slots__ = ("_where", "details", "positions", "transform", "words")

    def __init__(self, transform: str, positions: Sequence[int] | np.ndarray[Any, Any], words: Sequence[str],
                 details: Sequence[Any] | None = None) -> None:
        self.transform = transform
        self.positions = np.asarray(positions, dtype=np.intp)
        self.words = list(words)
        self.details = None if details is None else list(details)
        if self.positions.ndim != 1 or len(self.words) != len(self.positions) or (
                self.details is not None and len(self.details) != len(self.positions)):
            raise ValueError("LabelColumn needs as many words (and details) as positions")
        self._where: dict[int, int] | None = None

    def at(self, k: int) -> Label:
        """The ``k``-th label (in column order)."""
        return Label(self.transform, self.words[k], None if self.details is None else self.details[k])

    def take(self, ks: np.ndarray[Any, Any], positions: np.ndarray[Any, Any]) -> LabelColumn:
        """The labels ``ks`` (indices in this column), given the entries ``positions``."""
        words = self.words
        details = self.details
        if is_run(ks):
            lo, hi = int(ks[0]), int(ks[-1]) + 1  # (a run of entries: its labels are a run too)
            return LabelColumn(self.transform, positions, words[lo:hi], None if details is None else details[lo:hi])
        pick = ks.tolist()
        return LabelColumn(self.transform, positions, [words[k] for k in pick],
                           None if details is None else [details[k] for k in pick])

    def by_position(self) -> dict[int, str]:
        """``{position: word}`` (what a sink gets in ``EncodedBatch.labels``)."""
        return dict(zip(self.positions.tolist(), self.words, strict=True))

    def __getitem__(self, i: int) -> Label:
        if self._where is None:
            self._where = {p: k for k, p in enumerate(self.positions.tolist())}
        return self.at(self._where[i])

    def __iter__(self) -> Iterator[int]:
        return iter(self.positions.tolist())

    def __len__(self) -> int:
        return len(self.positions)

    def __repr__(self) -> str:
        return f"LabelColumn({self.transform!r}, {len(self)} labels)"


class TransformContext:
    """What a transform sees besides the records: the run, the block, its own streams.

    ``label(record, word, detail)`` labels a record of the list the record stage returns;
    ``emit(row)`` adds a side row (returned with the block, see ``Transform.collect``).
    ``state``: in the process that runs the sinks, one dict for the whole run
    (``Transform.collect`` / ``finish`` keep what they gather there). ``null_values``: in the
    record stage, whether some sink of the entity carries a null value (``Edits.nulls``, a
    Kafka tombstone); when none does, a transform may leave such messages unmade.
    """

    __slots__ = ("block", "labels", "null_values", "options", "run", "side", "state", "transform")

    def __init__(self, run: RunInfo, transform: str, block: int | None, options: Mapping[str, Any],
                 null_values: bool = True) -> None:
        self.run = run
        self.transform = transform
        self.block = block
        self.options = options
        self.null_values = null_values
        self.labels: dict[int, tuple[Record, Label]] = {}
        self.side: list[Any] = []
        self.state: dict[str, Any] = {}

    def rng(self, entity: str, *purpose: str | int) -> np.random.Generator:
        """A stream for this transform, entity and block (independent of the batch size)."""
        block = -1 if self.block is None else self.block
        return stream_for(self.run.seed, "transform", self.transform, entity, block, *purpose)

    def label(self, record: Record, label: str, detail: Any = None) -> None:
        """Label ``record`` (one of the records the stage returns; a dict of its own, not
        shared with another position)."""
        self.labels[id(record)] = (record, Label(self.transform, label, detail))

    def emit(self, row: Any) -> None:
        """A side row (picklable) for ``Transform.collect`` in the process that runs the sinks."""
        self.side.append(row)


class Changes:
    """An edit stage's own records as copies of the block's records with a few values changed
    (``Edits(order, records=Changes(...))``): record ``k`` is the block's record ``sources[k]``
    with the values ``set`` gave it. Cheaper than changed copies made apart: the json
    serializer writes such a record from the text of the block's record, the changed values
    put in (no record rendered twice); other serializers get the copies as the stage's own
    records (``records``), made once per block."""

    __slots__ = ("_made", "changes", "sources", "texts", "zone")

    def __init__(self, sources: Sequence[int] | np.ndarray[Any, Any], zone: dt.tzinfo | None = None) -> None:
        self.sources = np.asarray(sources, dtype=np.intp)
        if self.sources.ndim != 1:
            raise ValueError("Changes needs a 1-D sequence of positions")
        self.changes: dict[str, list[tuple[np.ndarray[Any, Any], Any]]] = {}
        """Per field, the ``set`` calls in order: (records, values)."""
        self.texts: dict[str, list[Sequence[bytes] | None]] = {}
        """Per field, per ``set`` call: the values' JSON text given with them (None: not given)."""
        self.zone = zone
        """The time zone the timestamps of those texts are written in (None: not said)."""
        self._made: tuple[Sequence[Record], Sequence[Record]] | None = None

    def set(self, name: str, rows: Sequence[int] | np.ndarray[Any, Any], values: Any,
            texts: Sequence[bytes] | None = None) -> None:
        """Field ``name`` of the records ``rows`` (indices in this sequence) gets ``values``: a
        numpy array or ``TextColumn`` in the form of the block's column (scaled integers for
        decimals, epoch milliseconds for timestamps), or a list of values (``Raw`` to break the
        schema on purpose, ``MISSING`` to leave the field out). A field the entity lacks is
        added to those records only. A record set twice keeps the last value.

        ``texts`` (optional): each value's JSON text as the json serializer writes it (a string
        with its quotes, a ``Raw`` as what it wraps; anything for ``MISSING``), when the stage
        has it anyway (e.g. for a report): the json serializer then puts these in instead of
        rendering the values again. A timestamp's text (or a record field's) depends on the
        zone: those are used only by a json serializer writing in the ``zone`` the ``Changes``
        were made with."""
        at = np.asarray(rows, dtype=np.intp)
        if at.ndim != 1 or len(at) != len(values):
            raise ValueError(f"Changes.set got {len(at)} records and {len(values)} values")
        if texts is not None and len(texts) != len(at):
            raise ValueError(f"Changes.set got {len(at)} values and {len(texts)} texts")
        if len(at) and (at.min() < 0 or at.max() >= len(self.sources)):
            raise ValueError(f"Changes.set records must be within 0..{len(self.sources) - 1}")
        if len(at):
            self.changes.setdefault(name, []).append((at, values))
            self.texts.setdefault(name, []).append(texts)

    def __len__(self) -> int:
        return len(self.sources)

    def records(self, block: Sequence[Record]) -> Sequence[Record]:
        """The changed copies, made from ``block`` (the records the stage got) the first time:
        a ``Batch`` when ``block`` is one (values that do not fit a column as overrides), else
        a list of dicts."""
        made = self._made
        if made is not None and made[0] is block:
            return made[1]
        if isinstance(block, Batch) and not block.rows_built:
            out: Sequence[Record] = self._batch(block)
        else:
            rows = as_rows(block)
            copies = [dict(rows[j]) for j in self.sources.tolist()]
            for name, parts in self.changes.items():
                for at, values in parts:
                    listed = values.tolist() if not isinstance(values, list) else values
                    for k, value in zip(at.tolist(), listed, strict=True):
                        if value is MISSING:
                            copies[k].pop(name, None)
                        else:
                            copies[k][name] = value
            out = copies
        self._made = (block, out)
        return out

    def _batch(self, block: Batch) -> Batch:
        own = block.take(self.sources)
        columns: dict[str, Any] = {name: own.base(name) for name in own.names}
        later: list[tuple[str, np.ndarray[Any, Any], list[Any]]] = []  # values kept beside the column
        overridden: set[str] = set()
        for name, parts in self.changes.items():
            for at, values in parts:
                column = columns.get(name)
                if name in overridden or column is None or own.overrides(name) is not None:
                    fits = False
                elif isinstance(column, np.ndarray) and not isinstance(column, np.ma.MaskedArray):
                    fits = isinstance(values, np.ndarray) and np.can_cast(values.dtype, column.dtype, "same_kind")
                elif isinstance(column, TextColumn):
                    fits = isinstance(values, TextColumn) and values.width <= column.width and values.nulls is None \
                        and column.nulls is None
                elif isinstance(column, list):
                    values = values.tolist() if not isinstance(values, list) else values
                    fits = not any(v.__class__ is Raw or v is MISSING for v in values)
                else:
                    fits = False
                if fits:
                    assert column is not None
                    copy = column.matrix.copy() if isinstance(column, TextColumn) else column.copy()
                    if isinstance(column, TextColumn):
                        copy[at] = 0
                        copy[at, : values.width] = values.matrix
                        columns[name] = TextColumn(copy)
                    elif isinstance(column, list):
                        for k, value in zip(at.tolist(), values, strict=True):
                            copy[k] = value
                        columns[name] = copy
                    else:
                        copy[at] = values
                        columns[name] = copy
                    continue
                overridden.add(name)  # (the field's later values go on top of these)
                listed = values.tolist() if not isinstance(values, list) else list(values)
                later.append((name, at, listed))
        out = Batch(columns)
        for name in own.names:  # what the block's records held beside their columns
            over = own.overrides(name)
            if over is not None:
                out.override(name, over[0], over[1])
            lacking = own.absent(name)
            if lacking is not None:
                out.override(name, np.flatnonzero(lacking), [MISSING] * int(lacking.sum()))
        for name, at, listed in later:
            out.override(name, at, listed)
        return out


@dataclass(frozen=True)
class Edits:
    """What an edit stage (``Transform.edit``) changes in one entity's records of one block.

    ``order`` lists the records to write, in order, by position: ``j < n`` (``n`` the number
    of records the stage got) is the record at position ``j``, untouched; ``j >= n`` is
    ``records[j - n]``, one of the stage's own records (a changed copy or an added record, a
    dict of its own, which ``TransformContext.label`` may label). A position may appear more
    than once or not at all (a duplicate, a dropped record). An int sequence or numpy array.

    ``labels`` labels entries of ``order`` by their index in it, without a copy of the record:
    e.g. an untouched record written a second time, labelled, is encoded with the other
    untouched ones (same bytes, no dict made). A ``LabelColumn`` labels many at once.

    ``records`` may be a ``Batch`` (e.g. taken from the stage's own batch, changed column by
    column, ``Batch.override`` for values that break the schema): when the records the stage
    got are a ``Batch`` too, the engine encodes all of them as one batch, no dict made. Such
    records are labelled by position (``labels``). Cheaper still when each is a block record
    with a few values changed: ``Changes`` (the json serializer then writes it from the block
    record's text).
    """

    order: Sequence[int] | np.ndarray[Any, Any]
    records: Sequence[Record] | Changes = ()
    labels: Mapping[int, Label] = field(default_factory=dict)
    nulls: Sequence[int] | np.ndarray[Any, Any] = ()
    """Entries of ``order`` whose message is the record's key with a null value (a tombstone),
    where the sink carries null values (``Sink.null_values``: Kafka); other sinks leave them
    out, labels included."""

    def rows(self, records: Sequence[Record], ctx: TransformContext | None = None) -> list[Record]:
        """The records to write as a list of dicts, ``records`` being those the stage got; with
        ``ctx``, each entry ``labels`` names is a copy labelled there (``TransformContext.label``)."""
        rows = records.rows() if isinstance(records, Batch) else records
        n = len(rows)
        own = self.records.records(records) if isinstance(self.records, Changes) else self.records
        if isinstance(own, Batch):
            own = own.rows()
        out = [rows[j] if j < n else own[j - n] for j in np.asarray(self.order, dtype=np.intp).tolist()]
        if ctx is not None:
            for i, lab in sorted(self.labels.items()):
                copy = out[i] = dict(out[i])
                ctx.labels[id(copy)] = (copy, lab)
        return out


class Edited(Sequence[Record]):
    """Records after an edit stage: ``base`` (a list or a ``Batch``) reordered, with the stage's
    own records (``Edits``) among them. The engine encodes the untouched part in its native
    form; to any other reader it is a sequence of dicts. ``marks``: per entry, the index in
    ``marked`` of its label by position (``Edits.labels``), -1 for none (None: no such label).
    ``nulls``: per entry, whether its message has a null value (``Edits.nulls``; None: none has).
    ``changes``: the stage's own records as ``Changes`` of ``base``'s, when it gave them so (then
    ``added`` makes the copies on first use)."""

    __slots__ = ("_added", "base", "changes", "marked", "marks", "nulls", "order")

    def __init__(self, base: Sequence[Record], order: np.ndarray[Any, Any], added: Sequence[Record] | Changes,
                 marks: np.ndarray[Any, Any] | None = None, marked: Sequence[Label] | LabelColumn = (),
                 nulls: np.ndarray[Any, np.dtype[np.bool_]] | None = None) -> None:
        self.base = base
        self.order = order
        self.changes = added if isinstance(added, Changes) else None
        self._added = None if isinstance(added, Changes) else added
        self.marks = marks
        self.marked = marked
        self.nulls = nulls if nulls is not None and nulls.any() else None

    @classmethod
    def of(cls, base: Sequence[Record], edits: Edits) -> Edited:
        n = len(base)
        order = np.asarray(edits.order, dtype=np.intp)
        if order.ndim != 1 or (len(order) and (order.min() < 0 or order.max() >= n + len(edits.records))):
            raise ValueError(f"Edits.order must hold positions 0..{n + len(edits.records) - 1}")
        given = edits.records
        added = given if isinstance(given, (Batch, Changes)) else list(given)
        nulls = None
        if len(edits.nulls):
            where = np.asarray(edits.nulls, dtype=np.intp)
            if where.min() < 0 or where.max() >= len(order):
                raise ValueError(f"Edits.nulls must name entries 0..{len(order) - 1} of Edits.order")
            nulls = np.zeros(len(order), dtype=bool)
            nulls[where] = True
        if not edits.labels:
            return cls(base, order, added, nulls=nulls)
        column = edits.labels if isinstance(edits.labels, LabelColumn) else None
        at = column.positions if column is not None else np.fromiter(edits.labels, dtype=np.intp,
                                                                      count=len(edits.labels))
        if at.min() < 0 or at.max() >= len(order):
            raise ValueError(f"Edits.labels must label entries 0..{len(order) - 1} of Edits.order")
        marks = np.full(len(order), -1, dtype=np.intp)
        marks[at] = np.arange(len(at), dtype=np.intp)
        return cls(base, order, added, marks, column if column is not None else list(edits.labels.values()), nulls)

    @property
    def added(self) -> Sequence[Record]:
        """The stage's own records (``Changes`` made into copies on first use)."""
        if self._added is None:
            assert self.changes is not None
            self._added = self.changes.records(self.base)
        return self._added

    def _with(self, index: Any) -> Edited:
        return Edited(self.base, self.order[index], self.changes if self.changes is not None else self.added,
                      None if self.marks is None else self.marks[index], self.marked,
                      None if self.nulls is None else self.nulls[index])

    def labels_by_position(self) -> Mapping[int, Label]:
        """The labels given by position (``Edits.labels``), by position in this sequence (a
        ``LabelColumn`` when they were given as one)."""
        if self.marks is None:
            return {}
        at = np.flatnonzero(self.marks >= 0)
        marked = self.marked
        if isinstance(marked, LabelColumn):
            return marked.take(self.marks[at], at)
        return {i: marked[m] for i, m in zip(at.tolist(), self.marks[at].tolist(), strict=True)}

    @property
    def untouched(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Per position: whether the record is one of ``base``'s."""
        return self.order < len(self.base)

    def base_part(self, mask: np.ndarray[Any, Any]) -> Sequence[Record]:
        """``base``'s records at the positions ``mask`` selects (all untouched), in order."""
        picked = self.order[mask]
        if isinstance(self.base, Batch):
            return self.base.take(picked)
        base = self.base
        return [base[j] for j in picked.tolist()]

    def added_part(self, mask: np.ndarray[Any, Any]) -> Sequence[Record]:
        """The stage's own records at the positions ``mask`` selects (none untouched), in order
        (a ``Batch`` when they are one)."""
        n = len(self.base)
        added = self.added
        if isinstance(added, Batch):
            return added.take(self.order[mask] - n)
        return [added[j - n] for j in self.order[mask].tolist()]

    @property
    def columnar(self) -> bool:
        """Whether the stage got a ``Batch`` (its rows not built) and its own records are one
        too (or none): then ``merged`` gives one ``Batch``."""
        base = self.base
        if not isinstance(base, Batch) or base.rows_built:
            return False
        if self.changes is not None:
            return True  # (its copies are a Batch too)
        added = self.added
        return not len(added) or (isinstance(added, Batch) and not added.rows_built)

    def merged(self) -> Batch | None:
        """All the records, in order, as one ``Batch`` when the stage got a ``Batch`` and its own
        records are one too (or none); else None."""
        base, added = self.base, self.added
        if not isinstance(base, Batch) or base.rows_built:
            return None
        if not len(added):
            return base.take(self.order)
        if not isinstance(added, Batch):
            return None
        n = len(base)
        order = self.order
        from_base = order < n
        if not from_base.any():
            return added.take(order - n)
        lo, hi = int(order[from_base].min()), int(order[from_base].max()) + 1
        local = np.where(from_base, order - lo, order - n + (hi - lo))  # the span of base this part reads
        return Batch.concat([base[lo:hi] if (lo, hi) != (0, n) else base, added]).take(local)  # type: ignore[list-item]

    def take(self, indices: Sequence[int] | np.ndarray[Any, Any]) -> Edited:
        return self._with(np.asarray(indices, dtype=np.intp))

    def column(self, name: str) -> list[Any]:
        """Field ``name`` at each position (None where a record lacks it)."""
        mask = self.untouched
        out = np.empty(len(self.order), dtype=object)
        if mask.any():
            base = self.base
            values = base.column(name) if isinstance(base, Batch) else [r[name] for r in base]
            out[mask] = np.asarray(values, dtype=object)[self.order[mask]]
        if not mask.all():
            out[~mask] = [r.get(name) for r in self.added_part(~mask)]
        return out.tolist()

    def __len__(self) -> int:
        return len(self.order)

    def _row(self, j: int) -> Record:
        n = len(self.base)
        if j >= n:
            added = self.added
            return added.row(j - n) if isinstance(added, Batch) else added[j - n]
        base = self.base
        return base.row(j) if isinstance(base, Batch) else base[j]

    def __iter__(self) -> Iterator[Record]:
        rows = self.base.rows() if isinstance(self.base, Batch) else self.base
        n = len(rows)
        added = self.added.rows() if isinstance(self.added, Batch) else self.added
        for j in self.order.tolist():
            yield rows[j] if j < n else added[j - n]

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> Edited: ...

    def __getitem__(self, index: int | slice) -> Record | Edited:
        if isinstance(index, slice):
            return self._with(index)
        return self._row(int(self.order[index]))

    def __repr__(self) -> str:
        return f"Edited({len(self)} records, {int((~self.untouched).sum())} of the transform's own)"


class PayloadBatch:
    """One sink batch of one entity for one route, encoded, as the payload stage sees it.

    ``records`` are the batch's records (as the serializer got them), ``labels`` their labels
    by position; ``value(i)`` is a message's encoded bytes. The methods change the batch:
    ``set_value`` (other bytes, or None for a null value: a Kafka tombstone, where the sink
    ``null_values``), ``add_header`` (where the sink takes ``record_headers``),
    ``duplicate``, ``move`` and ``drop``. ``unencodable``: positions whose record the serializer could
    not write (a ``Raw`` value it cannot represent), with the reason; each must get a value.
    """

    def __init__(self, entity: EntitySpec, sink: str, route: str, serializer: Serializer | None,
                 destination: str, records: Sequence[Record], values: Any,
                 labels: Mapping[int, Label], unencodable: Mapping[int, str],
                 null_values: bool, record_headers: bool) -> None:
        self.entity = entity
        self.sink = sink
        self.route = route
        self.serializer = serializer
        self.serializer_name = serializer.name if serializer is not None else None
        self.destination = destination
        self.null_values = null_values
        self.record_headers = record_headers
        self._records = records
        self._payload = values
        self._labels: Mapping[int, Label] = labels if isinstance(labels, LabelColumn) else dict(labels)
        self._unencodable = dict(unencodable)
        self._values: list[bytes | None] | None = None
        self._order: list[int] = []  # positions in ``records`` (the records are read only when asked)
        self._label_list: list[Label | None] = []
        self._headers: list[list[tuple[str, bytes]] | None] = []
        self._problems: list[str | None] = []
        self._drops: list[int] = []  # dropped positions not yet applied to the lists (descending)
        self.changed = False
        self.reordered = False

    # -- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._records) - len(self._drops) if self._values is None else len(self._values)

    @property
    def records(self) -> Sequence[Record]:
        if self._drops:
            self._lists()
        return self._records if self._values is None else _Picked(self._records, self._order)

    @property
    def labels(self) -> Mapping[int, Label]:
        if self._drops:
            self._lists()
        if self._values is None:
            return self._labels
        return {i: lab for i, lab in enumerate(self._label_list) if lab is not None}

    def label_column(self) -> LabelColumn | None:
        """The labels as columns, when they came as a ``LabelColumn`` and nothing moved yet
        (else None: read ``labels``)."""
        if self._values is None and not self._drops and isinstance(self._labels, LabelColumn):
            return self._labels
        return None

    @property
    def unencodable(self) -> dict[int, str]:
        if self._drops:
            self._lists()
        if self._values is None:
            return self._unencodable
        return {i: p for i, p in enumerate(self._problems) if p is not None}

    def value(self, i: int) -> bytes | None:
        if self._values is None:
            self._lists()
        assert self._values is not None
        return self._values[i]

    def headers_of(self, i: int) -> list[tuple[str, bytes]]:
        """The headers payload stages added to message ``i``."""
        if self._values is None:
            return []
        return list(self._headers[i] or [])

    # -- changing -----------------------------------------------------------------------------
    def set_value(self, i: int, value: bytes | None) -> None:
        """Message ``i``'s value: other bytes, or None for a null value (a tombstone)."""
        if value is None and not self.null_values:
            raise ValueError(f"sink {self.sink!r} cannot carry a null value")
        self._lists()
        assert self._values is not None
        self._values[i] = value
        self._problems[i] = None
        self.changed = True

    def add_header(self, i: int, name: str, value: bytes) -> None:
        if not self.record_headers:
            raise ValueError(f"sink {self.sink!r} takes no per-message headers")
        self._lists()
        self._headers[i] = [*(self._headers[i] or []), (name, value)]
        self.changed = True

    def duplicate(self, i: int, at: int | None = None, label: Label | None = None) -> int:
        """A copy of message ``i`` (same record, value and headers) inserted at ``at`` (default
        right after it), labelled ``label``; returns its position."""
        self._lists()
        assert self._values is not None
        at = i + 1 if at is None else at
        self._values.insert(at, self._values[i])
        self._order.insert(at, self._order[i])
        self._label_list.insert(at, label)
        self._headers.insert(at, list(self._headers[i] or []))
        self._problems.insert(at, self._problems[i])
        self.changed = self.reordered = True
        return at

    def move(self, i: int, to: int) -> None:
        """Message ``i`` moved to position ``to`` (e.g. delayed to the end of the batch)."""
        self._lists()
        assert self._values is not None
        columns: tuple[list[Any], ...] = (self._values, self._order, self._label_list, self._headers, self._problems)
        for column in columns:
            column.insert(to, column.pop(i))
        self.changed = self.reordered = True

    def drop(self, i: int) -> None:
        """Message ``i`` removed (e.g. one this sink cannot carry)."""
        if self._values is None and (not self._drops or i < self._drops[-1]) and 0 <= i < len(self._records):
            self._drops.append(i)  # nothing else changed yet: the engine may keep the values as they are
            self.changed = self.reordered = True
            return
        self._lists()
        columns: tuple[list[Any], ...] = (self._values or [], self._order, self._label_list, self._headers,
                                          self._problems)
        for column in columns:
            column.pop(i)
        self.changed = self.reordered = True

    def _lists(self) -> None:
        if self._values is not None:
            return
        n = len(self._records)
        payload = self._payload
        self._values = list(payload.tolist()) if payload is not None else [b""] * n
        self._order = list(range(n))
        self._label_list = [self._labels.get(i) for i in range(n)]
        self._headers = [None] * n
        self._problems = [self._unencodable.get(i) for i in range(n)]
        drops, self._drops = self._drops, []
        for i in drops:
            self.drop(i)

    def dropped(self) -> list[int] | None:
        """For the engine: the positions dropped, in order, when dropping is all that changed
        (else None)."""
        return sorted(self._drops) if self._values is None and self._drops else None

    def parts(self) -> tuple[list[bytes | None], list[int], list[Label | None],
                             list[list[tuple[str, bytes]] | None], list[str | None]]:
        """(values, record positions in the batch as given, labels, headers, problems) per
        position, for the engine."""
        self._lists()
        assert self._values is not None
        return self._values, self._order, self._label_list, self._headers, self._problems


class _Picked(Sequence[Record]):
    """``records[order[i]]`` for each position ``i`` (read on demand)."""

    __slots__ = ("order", "records")

    def __init__(self, records: Sequence[Record], order: list[int]) -> None:
        self.records = records
        self.order = order

    def __len__(self) -> int:
        return len(self.order)

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        if isinstance(index, slice):
            return [self.records[j] for j in self.order[index]]
        records = self.records
        j = self.order[index]
        return records.row(j) if isinstance(records, Batch) else records[j]


TransformFn = Callable[[EntitySpec, list[Record], TransformContext], list[Record]]
EditFn = Callable[[EntitySpec, Sequence[Record], TransformContext], "Edits | None"]
PayloadFn = Callable[[PayloadBatch, TransformContext], None]
CollectFn = Callable[[list[Any], TransformContext], None]
FinishFn = Callable[[TransformContext, bool], Mapping[str, Any] | None]


def _keep(spec: EntitySpec, records: list[Record], ctx: TransformContext) -> list[Record]:
    return records


@dataclass(frozen=True)
class Transform:
    """Alters, adds or drops records after validation and before serialization (``apply``),
    and their encoded messages before the sink (``payload``).

    Enabled with ``--transform NAME`` or by a scenario (``Scenario.transforms``), options
    ``-o NAME.KEY=VALUE``. ``apply`` gets all records of one entity for one block as a list of
    dicts (never a sink batch, so the result does not depend on ``--batch-size``; a columnar
    ``Batch`` is turned into rows first) and returns the records to keep. ``payload`` gets
    each sink batch of those records per route, encoded (``PayloadBatch``). ``collect`` gets
    each block's side rows (``TransformContext.emit``) in block order, in the process that
    runs the sinks; ``finish`` ends the run there, and what it returns is reported in the run
    summary under the transform's name. ``entities`` limits it (``None`` = every entity);
    ``extend_entity`` declares fields it adds.
    """

    name: str
    apply: TransformFn = _keep
    doc: str = ""
    options: Sequence[Option] = ()
    entities: Sequence[str] | None = None
    extend_entity: Callable[[EntitySpec], EntitySpec] | None = None
    payload: PayloadFn | None = None
    collect: CollectFn | None = None
    finish: FinishFn | None = None
    describe: str = ""
    """A longer description for ``datagen transforms describe NAME`` (e.g. what each option
    does in each sink)."""
    entities_option: str | None = None
    """The name of one of ``options`` (a list) that chooses the entities at run time (``None``
    in it: every entity; the kinds ``master``, ``reference``, ``event`` select by kind)."""
    output_files: Callable[[RunInfo, Mapping[str, Any]], Sequence[str]] | None = None
    """Files the transform writes beside the data (e.g. a ground-truth manifest), given the run
    and its options: the run manifest lists them, so they are not taken for a stale dataset."""
    edit: EditFn | None = None
    """The record stage in the cheap form, used instead of ``apply`` when given: it gets one
    entity's records of one block as they are (a list of dicts or a columnar ``Batch``: read
    the rows it picks with ``Batch.take``/``row``, never all of them) and returns ``Edits``
    (None: nothing changed). The records it leaves alone keep the fast encoders. Keep
    ``apply`` doing the same on a list (``Edits.rows``): the engine uses it to name the record
    an error comes from."""
