"""The edit stage of transforms (``Transform.edit`` -> ``Edits``): the untouched records keep
their native form, and what the engine writes is what the list form would give, byte for byte."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from datagen_kernel.api import Changes, Edited, Edits, Label, PayloadBatch, Raw
from datagen_kernel.api.columnar import MISSING, Batch, TextColumn
from datagen_kernel.api.schema import Decimal, EntitySpec, Field, Kind, String, Timestamp, Uuid
from datagen_kernel.api.values import Values
from datagen_kernel.codecs.json import JsonSerializer
from datagen_kernel.engine.transforms import interleave, select

SPEC = EntitySpec(
    name="payment",
    kind=Kind.EVENT,
    fields=(Field("id", Uuid()), Field("payer", String()), Field("amount", Decimal(15, 2)), Field("at", Timestamp())),
    primary_key="id",
)


def _batch(n: int) -> Batch:
    ids = [f"{i:08d}-0000-4000-8000-000000000000" for i in range(n)]
    return Batch({
        "id": TextColumn.from_strings(ids),
        "payer": [f"payer {i % 7}" for i in range(n)],
        "amount": np.arange(n, dtype=np.int64) * 137,
        "at": 1_700_000_000_000 + np.arange(n, dtype=np.int64) * 60_000,
    })


def _edits(n: int) -> tuple[Edits, list[dict]]:
    """Record 3 changed (a Raw amount) and moved to the end, record 5 twice, record 8 dropped."""
    batch = _batch(n)
    changed = {**batch.row(3), "amount": Raw("1.234,56")}
    again = dict(batch.row(5))
    order = [i for i in range(n) if i not in (3, 8)]
    order.insert(order.index(5) + 1, n + 1)
    order.append(n)
    return Edits(np.asarray(order), [changed, again]), [changed, again]


@pytest.fixture(autouse=True)
def _both_paths(json_writer_path: str) -> None:
    """Every test here with the json writer's C helper and with its numpy path."""


def test_edited_reads_like_the_list_edits_rows_gives() -> None:
    batch = _batch(12)
    edits, own = _edits(12)
    edited = Edited.of(batch, edits)
    expected = edits.rows(_batch(12))
    assert len(edited) == len(expected) == 12
    assert list(edited) == expected
    assert [edited[i] for i in range(len(edited))] == expected
    assert list(edited[2:7]) == expected[2:7]
    assert edited.column("amount") == [r["amount"] for r in expected]
    assert edited.untouched.tolist() == [r is not own[0] and r is not own[1] for r in expected]


def test_edits_positions_must_exist() -> None:
    with pytest.raises(ValueError, match=r"positions 0\.\.3"):
        Edited.of([{"a": 1}] * 4, Edits([0, 5]))


@pytest.mark.parametrize("batch_size", [12, 5, 1])
def test_an_edited_batch_encodes_as_its_rows_do(batch_size: int) -> None:
    from datagen_kernel.engine.transforms import PayloadStage

    ser = JsonSerializer({"utc": True})
    edits, _ = _edits(12)
    edited = Edited.of(_batch(12), edits)
    rows = edits.rows(_batch(12))
    stage = PayloadStage.__new__(PayloadStage)  # serialize needs no plan for records it can write
    for start in range(0, 12, batch_size):
        got = PayloadStage._serialize_edited(stage, ser, SPEC, edited[start : start + batch_size], {}, "payment")
        assert got[0].tolist() == ser.encode(SPEC, rows[start : start + batch_size]).tolist()


def test_interleave_keeps_each_side_in_order() -> None:
    mask = np.array([True, False, True, True, False])
    second = Values.of([b"X", b"YY"])
    for first in (Values.lines(b"a\nbb\nccc\n"), Values.of([b"a", b"bb", b"ccc"]),
                  Values(b"..a.bb.ccc", np.array([3, 6, 10]), np.array([2, 4, 7]))):
        merged = interleave(mask, first, second)
        assert merged.tolist() == [b"a", b"X", b"bb", b"ccc", b"YY"]
    lines = interleave(mask, Values.lines(b"a\nbb\nccc\n"), second)
    assert lines.joined_lines() == b"a\nX\nbb\nccc\nYY\n"  # still one buffer of lines
    # a value holding the separator cannot join lines: the values are kept apart
    assert interleave(mask, Values.lines(b"a\nbb\nccc\n"), Values.of([b"X\n", b"Y"])).tolist() == \
        [b"a", b"X\n", b"bb", b"ccc", b"Y"]


def test_merged_and_selected_lines_know_the_bounds_a_scan_finds() -> None:
    mask = np.array([False, True, True, False, True, True])
    merged = interleave(mask, Values.lines(b"a\nbb\n\nccc\n"), Values.of([b"X", b"YY"]))
    for values in (merged, select(merged, np.array([True, False, True, True, False, True]))):
        scanned = Values.lines(values.data)
        assert values.ends.tolist() == scanned.ends.tolist()
        assert values.starts is not None and scanned.starts is not None
        assert values.starts.tolist() == scanned.starts.tolist()


def test_labels_by_position_label_entries_without_a_copy() -> None:
    from datagen_kernel.api.generation import RunInfo
    from datagen_kernel.api.transforms import TransformContext
    from datagen_kernel.engine.transforms import LabelTable

    batch = _batch(6)
    twice = Label("t", "duplicate", {"key": 2})
    edits = Edits(np.asarray([0, 1, 2, 2, 3, 4, 5]), (), {3: twice})
    edited = Edited.of(batch, edits)
    assert edited.untouched.all()  # the second record 2 is encoded with the untouched ones
    assert LabelTable().of(edited) == {3: twice}
    assert LabelTable().of(edited[2:5]) == {1: twice}
    assert LabelTable().of(edited.take([3, 0])) == {0: twice}
    assert LabelTable().of(edited[:3]) == {}
    ctx = TransformContext(RunInfo(seed=1, root_count=6), "t", 0, {})
    rows = edits.rows(_batch(6), ctx)
    assert rows[3] == rows[2] and rows[3] is not rows[2]
    assert list(ctx.labels.values()) == [(rows[3], twice)]
    with pytest.raises(ValueError, match=r"entries 0\.\.6"):
        Edited.of(batch, Edits(np.arange(7) % 6, (), {7: twice}))


def test_select_keeps_the_marked_values() -> None:
    keep = np.array([False, True, True, False, True])
    for values in (Values.lines(b"a\nb\ncc\nd\ne\n"), Values.of([b"a", b"b", b"cc", b"d", b"e"])):
        assert select(values, keep).tolist() == [b"b", b"cc", b"e"]
    assert select(Values.lines(b"a\nb\n"), np.array([True, True])).tolist() == [b"a", b"b"]


def _payload(n: int) -> PayloadBatch:
    records = [{"id": str(i)} for i in range(n)]
    values = Values.lines(b"".join(b"v%d\n" % i for i in range(n)))
    labels = {i: Label("t", "tombstone") for i in (1, 4)}
    return PayloadBatch(SPEC, "json", "json", None, "payment", records, values, labels, {}, False, False)


def test_dropping_alone_is_told_to_the_engine_and_reads_as_dropped() -> None:
    view = _payload(6)
    view.drop(4)
    view.drop(1)
    assert view.dropped() == [1, 4]
    assert len(view) == 4
    assert [view.records[i]["id"] for i in range(len(view))] == ["0", "2", "3", "5"]  # reading applies them
    assert [view.value(i) for i in range(4)] == [b"v0", b"v2", b"v3", b"v5"]
    assert view.dropped() is None


@pytest.mark.parametrize("steps", [[("drop", 1), ("drop", 3)], [("drop", 4), ("dup", 0), ("drop", 1)],
                                   [("drop", 2), ("move", 0), ("drop", 0)]])
def test_any_order_of_changes_gives_what_lists_would(steps: list[tuple[str, int]]) -> None:
    view = _payload(6)
    model = [(str(i), b"v%d" % i) for i in range(6)]
    for op, i in steps:
        if op == "drop":
            view.drop(i)
            model.pop(i)
        elif op == "dup":
            view.duplicate(i)
            model.insert(i + 1, model[i])
        else:
            view.move(i, 3)
            model.insert(3, model.pop(i))
    values, order, _, _, _ = view.parts()
    assert values == [v for _, v in model]
    assert [str(j) for j in order] == [k for k, _ in model]


def test_a_label_column_reads_as_the_dict_it_stands_for_and_stays_columns_to_the_payload_stage() -> None:
    from datagen_kernel.api import LabelColumn

    column = LabelColumn("t", [4, 1, 7], ["late", "dup", "late"], [b"a", b"b", b"c"])
    assert dict(column) == {4: Label("t", "late", b"a"), 1: Label("t", "dup", b"b"), 7: Label("t", "late", b"c")}
    assert column.by_position() == {4: "late", 1: "dup", 7: "late"}
    with pytest.raises(ValueError, match="as many words"):
        LabelColumn("t", [1, 2], ["x"])
    for ks in ([1, 2], [2, 0], [0, 2], [1]):  # a run of labels is taken as a slice, the others one by one
        taken = column.take(np.array(ks), np.array([10, 11][: len(ks)]))
        assert dict(taken) == {10 + j: column.at(k) for j, k in enumerate(ks)}
    edited = Edited.of(_batch(12), Edits(np.arange(12)[::-1].copy(), (), column))
    by_position = edited.labels_by_position()
    assert isinstance(by_position, LabelColumn) and dict(by_position) == dict(column)
    part = edited[2:9]
    assert dict(part.labels_by_position()) == {2: column[4], 5: column[7]}  # entries 4 and 7, moved by 2
    view = PayloadBatch(SPEC, "json", "json", None, "payment", list(part), None, part.labels_by_position(), {},
                        False, False)
    got = view.label_column()
    assert got is not None and got.positions.tolist() == [2, 5] and got.details == [b"a", b"c"]
    view.drop(0)  # once messages move, the labels are read as a dict
    assert view.label_column() is None and dict(view.labels) == {1: column[4], 4: column[7]}


def _own(base: Batch, picks: np.ndarray, m: int) -> Batch:
    """Copies of the records ``picks``, a third with a Raw amount, some without a payer, two with
    a field beyond the entity's."""
    from datagen_kernel.api.columnar import MISSING

    own = base.take(picks)
    own.override("amount", np.arange(0, m, 3), [Raw("1.234,56")] * len(range(0, m, 3)))
    own.override("payer", np.arange(1, m, 4), [MISSING] * len(range(1, m, 4)))
    own.override("extra_note", np.arange(2, m, 5)[:2], [Raw("x")] * len(np.arange(2, m, 5)[:2]))
    return own


@pytest.mark.parametrize("chunk", [3, 7, 4096])
@pytest.mark.parametrize("seed", range(12))
def test_edited_lines_without_reordering_columns_are_those_of_the_records_in_order(
        monkeypatch: pytest.MonkeyPatch, chunk: int, seed: int) -> None:
    """The json encoder writes an ``Edited`` of batches in place (``LineEncoder._edited``): base
    records dropped, repeated, moved back, own records (overrides, a missing and an extra field)
    before, between and after them, each sink batch's slice, across chunk boundaries."""
    from datagen_kernel.codecs import jsonlines

    monkeypatch.setattr(jsonlines, "CHUNK", chunk)
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    picks = rng.integers(0, n, size=int(rng.integers(0, 12)))
    m = len(picks)
    keep = rng.random(n) < 0.8
    entries = [*np.flatnonzero(keep).tolist(), *rng.integers(0, n, size=int(rng.integers(0, 4))).tolist(),
               *range(n, n + m)]
    if rng.random() < 0.3:
        order = np.asarray(entries, dtype=np.intp)[rng.permutation(len(entries))]
    else:  # mostly in place, as an edit stage leaves them
        where = [e if e < n else int(rng.integers(0, n)) for e in entries] + rng.random(len(entries))
        order = np.asarray(entries, dtype=np.intp)[np.argsort(where, kind="stable")]
    edited = Edited.of(_batch(n), Edits(order, _own(_batch(n), picks, m)))
    rows = Edits(order, _own(_batch(n), picks, m)).rows(_batch(n))
    ser = JsonSerializer({"utc": True})
    size = int(rng.integers(1, len(order) + 2))
    for start in range(0, len(order), size):
        part = edited[start : start + size]
        assert part.columnar
        assert ser.encode(SPEC, part).tolist() == ser.encode(SPEC, rows[start : start + size]).tolist()


@pytest.mark.parametrize("edited", [True, False])
def test_a_serializer_gets_an_edit_stages_records_as_it_declares(edited: bool) -> None:
    """``Serializer.edited``: such a serializer gets the ``Edited`` itself (the json one writes it
    in place), any other one batch of the records in order (``Edited.merged``)."""
    from datagen_kernel.api import Serializer
    from datagen_kernel.engine.transforms import PayloadStage

    seen: list[object] = []

    class RecordingSerializer(Serializer):  # a fake: it writes each record's id and tells what it got
        name = "recording"

        def serialize(self, entity: EntitySpec, records: Any, *, topic: str | None = None) -> list[bytes]:
            seen.append(records)
            return [str(r["id"]).encode() for r in records]

    RecordingSerializer.edited = edited
    listed, _ = _edits(12)
    edits = Edits(listed.order, Batch.from_rows(SPEC.field_names, list(listed.records)))  # columnar
    got = PayloadStage._serialize_edited(PayloadStage.__new__(PayloadStage), RecordingSerializer({}), SPEC,
                                         Edited.of(_batch(12), edits), {}, "payment")
    assert [type(s) for s in seen] == [Edited if edited else Batch]
    assert got[0].tolist() == [str(r["id"]).encode() for r in edits.rows(_batch(12))]


def _changes(n: int, rng: np.random.Generator) -> Changes:
    """Changed copies of random records (several may copy one): typed new values, ``Raw``
    ones, a field left out, a field the entity lacks, a field set twice."""
    changes = Changes(rng.integers(0, n, size=int(rng.integers(1, 12))))
    m = len(changes)
    rows = rng.permutation(m)[: max(1, m // 2)]
    changes.set("at", rows, 1_800_000_000_000 + rows.astype(np.int64) * 7)
    changes.set("amount", np.arange(0, m, 3), [Raw("1.234,56")] * len(range(0, m, 3)))
    changes.set("amount", np.arange(0, m, 6), np.full(len(range(0, m, 6)), 999_999_999, dtype=np.int64))
    changes.set("payer", np.arange(1, m, 4), [MISSING] * len(range(1, m, 4)))
    changes.set("payer", np.arange(2, m, 4), ["José Conceição Müller"] * len(range(2, m, 4)))
    changes.set("id", np.arange(0, m, 5), TextColumn.from_strings(["ffffffff-0000-4000-8000-00000000000f"] * len(
        range(0, m, 5))))
    changes.set("extra_note", np.arange(2, m, 5)[:2], [Raw("x")] * len(np.arange(2, m, 5)[:2]))
    if rng.random() < 0.2:  # the first field left out: written from the copies
        changes.set("id", [m - 1], [MISSING])
    return changes


def test_changes_are_the_block_records_with_the_values_set() -> None:
    batch = _batch(6)
    changes = Changes([4, 1, 4])
    changes.set("amount", [0, 2], np.array([1, 2], dtype=np.int64))
    changes.set("amount", [2], [Raw("3,00")])  # the last value set wins
    changes.set("payer", [1], [MISSING])
    changes.set("note", [1], ["new"])
    expected = [{**batch.row(4), "amount": 1},
                {k: v for k, v in batch.row(1).items() if k != "payer"} | {"note": "new"},
                {**batch.row(4), "amount": Raw("3,00")}]
    assert Edits([0, 6, 2, 3, 7, 8], changes).rows(_batch(6)) == [
        batch.row(0), expected[0], batch.row(2), batch.row(3), expected[1], expected[2]]
    assert Changes([4, 1, 4]).records(_batch(6).rows()) == [batch.row(4), batch.row(1), batch.row(4)]
    made = changes.records(batch)
    assert isinstance(made, Batch) and made.rows() == expected
    assert changes.records(batch) is made  # made once per block
    with pytest.raises(ValueError, match=r"within 0\.\.2"):
        changes.set("amount", [3], [1])


@pytest.mark.parametrize("chunk", [3, 7, 4096])
@pytest.mark.parametrize("seed", range(12))
def test_changes_are_written_as_their_copies_would_be(monkeypatch: pytest.MonkeyPatch, chunk: int, seed: int) -> None:
    """The json encoder writes ``Changes`` from the block records' rows (the changed values put
    in, in the record's place or as a row of its own): the lines are those of the copies, for
    copies in their record's place, moved, repeated, sharing a record, beside the record itself,
    in each sink batch's slice, across chunk boundaries."""
    from datagen_kernel.codecs import jsonlines

    monkeypatch.setattr(jsonlines, "CHUNK", chunk)
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    changes = _changes(n, rng)
    m = len(changes)
    keep = rng.random(n) < 0.8
    entries = [*np.flatnonzero(keep).tolist(), *rng.integers(0, n, size=int(rng.integers(0, 4))).tolist(),
               *range(n, n + m), *(n + rng.integers(0, m, size=int(rng.integers(0, 3)))).tolist()]
    sources = changes.sources
    if rng.random() < 0.3:
        order = np.asarray(entries, dtype=np.intp)[rng.permutation(len(entries))]
    else:  # mostly in place, as an edit stage leaves them
        where = [e if e < n else int(sources[e - n]) for e in entries] + rng.random(len(entries))
        order = np.asarray(entries, dtype=np.intp)[np.argsort(where, kind="stable")]
    edited = Edited.of(_batch(n), Edits(order, changes))
    rows = Edits(order, changes).rows(_batch(n))  # the copies as dicts, written one by one
    ser = JsonSerializer({"utc": True})
    size = int(rng.integers(1, len(order) + 2))
    for start in range(0, len(order), size):
        part = edited[start : start + size]
        assert part.changes is changes
        assert ser.encode(SPEC, part).tolist() == ser.encode(SPEC, rows[start : start + size]).tolist()


def test_changes_texts_are_what_the_json_serializer_puts_in() -> None:
    """``Changes.set(..., texts)``: the json serializer writes the texts given instead of
    rendering the values (other serializers get the values); a timestamp's texts are not used
    when the ``Changes`` do not say the zone they were written in."""
    batch = _batch(4)
    changes = Changes([1, 2])
    changes.set("payer", [0], ["Ana"], [b'"given text"'])
    changes.set("amount", [1], np.array([5], dtype=np.int64), [b"0.050"])  # (its own rendering: 0.05)
    changes.set("at", [0, 1], np.array([0, 0], dtype=np.int64), [b'"not a timestamp"'] * 2)
    changes.set("payer", [1], [MISSING], [b"null"])
    edited = Edited.of(batch, Edits([0, 4, 5, 3], changes))
    lines = JsonSerializer({"utc": True}).encode(SPEC, edited).tolist()
    assert b'"payer":"given text"' in lines[1]
    assert b'"amount":0.050,' in lines[2] and b'"payer"' not in lines[2]
    assert b'"at":"1970-01-01T00:00:00.000Z"' in lines[1] and b"not a timestamp" not in b"".join(lines)
    assert changes.records(batch).rows()[0]["payer"] == "Ana"
    with pytest.raises(ValueError, match="1 values and 2 texts"):
        changes.set("payer", [0], ["x"], [b'"x"', b'"y"'])


def test_changes_timestamp_texts_are_used_in_their_zone_only() -> None:
    """A timestamp's text given to ``Changes.set`` is put in by a json serializer writing in the
    zone the ``Changes`` were made with, and rendered again by one writing in another zone."""
    import datetime as dt

    changes = Changes([1], zone=dt.UTC)
    changes.set("at", [0], np.array([0], dtype=np.int64), [b'"1970-01-01T00:00:00.000+00:00"'])
    edited = Edited.of(_batch(3), Edits([0, 3, 2], changes))
    assert b'"at":"1970-01-01T00:00:00.000+00:00"' in JsonSerializer({"utc": True}).encode(SPEC, edited).tolist()[1]
    other = JsonSerializer({})
    other.timezone = dt.timezone(dt.timedelta(hours=-3))
    assert b'"at":"1969-12-31T21:00:00.000-03:00"' in other.encode(SPEC, edited).tolist()[1]


def test_fields_beyond_a_narrow_entity_follow_their_rows() -> None:
    """Fields the entity lacks, longer than a whole line of it, on some rows each (one row has
    both, one has a copy moved before its record): written after the row's own fields, as the
    copies as dicts are."""
    import datetime as dt

    from datagen_kernel.codecs.jsonlines import LineEncoder

    spec = EntitySpec(name="tiny", kind=Kind.EVENT, fields=(Field("k", String()),), primary_key="k")
    batch = Batch({"k": ["a", "b", "c", "d", "e"]})
    apart = Batch({"k": ["a", "b", "c", "d", "e"]})  # (made into dicts: the other stays columnar)
    changes = Changes([1, 3, 4])
    changes.set("first_extra_field", [0, 1], [Raw("x" * 90), Raw(["é", 2])])
    changes.set("second", [1, 2], [Raw({"y": None}), Raw(1.5)])
    order = [0, 7, 5, 2, 1, 6, 3]
    edited = Edited.of(batch, Edits(order, changes))
    rows = Edits(order, changes).rows(apart)
    lines = LineEncoder(spec, dt.UTC).encode(edited)  # (the fast path itself, not a fallback)
    assert lines == JsonSerializer({"utc": True}).serialize_lines(spec, rows)
    assert lines.splitlines()[5] == b'{"k":"d","first_extra_field":["\xc3\xa9",2],"second":{"y":null}}'
