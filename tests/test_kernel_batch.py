"""Columnar batches: the same records as dicts, rows as the truth once built, both forms accepted."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from datagen_kernel import Batch, TextColumn, as_rows, column, make_plugin_host
from datagen_kernel.api.generation import BlockContext, RunInfo
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.engine.validation import foreign_key_violations, schema_violations
from datagen_kernel.testing import ConformancePack, generate_records

OWNER, EVENT = ConformancePack.entities


def _batch() -> Batch:
    return Batch({
        "id": ["a", "b", "c"],
        "amount": np.array([100, -5, 7], dtype=np.int64),
        "day": np.array(["2025-01-02", "2025-02-03", "2025-03-04"], dtype="datetime64[D]"),
        "note": ["x", None, "z"],
    })


def test_columns_hold_the_record_values_as_python_objects() -> None:
    b = _batch()
    assert len(b) == 3 and b.names == ("id", "amount", "day", "note")
    assert b.column("amount") == [100, -5, 7] and type(b.column("amount")[0]) is int
    assert b.column("day")[1] == dt.date(2025, 2, 3)
    assert isinstance(b.values("amount"), np.ndarray)
    assert b[1] == {"id": "b", "amount": -5, "day": dt.date(2025, 2, 3), "note": None}
    assert list(b) == b.rows() and b == b.rows()
    assert list(b.rows()[0]) == ["id", "amount", "day", "note"]  # keys in column order


def test_slices_and_takes_are_batches_of_the_same_records() -> None:
    b = _batch()
    part = b[1:]
    assert isinstance(part, Batch) and part == b.rows()[1:]
    assert b[::2] == [b.rows()[0], b.rows()[2]]
    assert b.take([2, 0]).column("id") == ["c", "a"]


def test_rows_are_the_truth_once_built() -> None:
    b = _batch()
    for row in b:  # e.g. a generator wrapper editing records in place
        row["amount"] += 1
    assert b.column("amount") == [101, -4, 8]
    assert b.values("amount") == [101, -4, 8]
    assert [r["amount"] for r in b[0:2]] == [101, -4]


def test_unequal_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        Batch({"a": [1, 2], "b": [1]})


def test_helpers_accept_both_forms() -> None:
    rows = _batch().rows()
    assert column(rows, "id") == column(_batch(), "id") == ["a", "b", "c"]
    assert as_rows(_batch()) == rows and as_rows(rows) is rows
    assert Batch.from_rows(["id", "note"], rows).column("note") == ["x", None, "z"]


def test_schema_and_foreign_key_checks_read_batches() -> None:
    ok = Batch({"event_id": ["e1"], "owner_id": ["o1"], "amount": [5], "at": [0], "note": [None]})
    assert schema_violations(EVENT, ok) == []
    missing = Batch({"event_id": ["e1"], "owner_id": ["o1"], "amount": [5], "at": [0]})
    [v] = schema_violations(EVENT, missing)
    assert v.rule == "fields" and "note" in v.field
    null_amount = Batch({"event_id": ["e1"], "owner_id": ["o1"], "amount": [None], "at": [0], "note": [None]})
    [v] = schema_violations(EVENT, null_amount)
    assert (v.key, v.field, v.rule) == ("e1", "amount", "not-null")
    index = RecordIndex({OWNER.name: OWNER}, {OWNER.name: Batch({"owner_id": ["o2"]})})
    [v] = foreign_key_violations(EVENT, ok, index)
    assert (v.key, v.field, v.rule) == ("e1", "owner_id", "foreign-key")


def test_a_columnar_generator_runs_through_the_engine() -> None:
    """The conformance pack's events are a Batch; the run validates and delivers them as records."""
    host = make_plugin_host(plugins=[ConformancePack()], entrypoints=False)
    records = generate_records(host, customers=40, seed=3)
    events = records[EVENT.name]
    assert events and all(isinstance(r, dict) for r in events)
    owners = {r["owner_id"] for r in records[OWNER.name]}
    assert {r["owner_id"] for r in events} <= owners
    assert len({r["event_id"] for r in events}) == len(events)
    assert {type(r["amount"]) for r in events} == {int}


def test_text_columns_hold_fixed_width_ascii_and_give_strings() -> None:
    ids = ["aa-1", "bb-2", "cc-3"]
    text = TextColumn(np.frombuffer("".join(ids).encode(), dtype=np.uint8).reshape(3, 4))
    assert text.tolist() == ids and list(text) == ids and text[1] == "bb-2" and len(text) == 3
    b = Batch({"id": text, "n": np.array([1, 2, 3])})
    assert b.column("id") == ids and b[2] == {"id": "cc-3", "n": 3}
    assert Batch({"id": text})[1:].column("id") == ids[1:]
    assert b.take([2, 1]).column("id") == ["cc-3", "bb-2"]
    with pytest.raises(ValueError, match="2-D uint8"):
        TextColumn(np.zeros(3, dtype=np.uint8))


def test_uuid_columns_are_the_uuids_of_the_same_purpose() -> None:
    ctx = BlockContext(RunInfo(seed=7, root_count=10), OWNER, 0, 0, 10, {})
    assert ctx.uuid_column(25).tolist() == ctx.uuids(25)
    assert ctx.uuid_column(5, "other").tolist() == ctx.uuids(5, "other") != ctx.uuids(5)
    assert ctx.uuid_column(0).tolist() == []


def test_text_columns_from_codes_pad_with_nul_and_carry_nulls() -> None:
    codes = np.array([0, 2, 1, 2])
    text = TextColumn.from_codes(codes, ["PIX", "TED", "BOLETO"], nulls=np.array([False, False, True, False]))
    assert text.tolist() == ["PIX", "BOLETO", None, "BOLETO"] and text[0] == "PIX" and text[2] is None
    assert text[1:].tolist() == ["BOLETO", None, "BOLETO"] and text.take(np.array([3, 0])).tolist() == ["BOLETO", "PIX"]
    assert not text.fixed and TextColumn.from_codes(codes[:1], ["ABC"]).fixed
    assert TextColumn.from_codes(np.array([0, 1]), ["A", "BB"], nulls=np.zeros(2, dtype=bool)).nulls is None


def test_masked_arrays_are_nullable_numeric_columns() -> None:
    paid = np.ma.masked_array(np.array([100, 0, 250]), mask=[False, True, False])
    b = Batch({"id": ["a", "b", "c"], "paid": paid})
    assert b.column("paid") == [100, None, 250]
    assert b.values("paid") == [100, None, 250]  # readers that only know arrays never see a mask
    assert isinstance(b.stored("paid"), np.ma.MaskedArray)
    assert b.take([1, 2]).column("paid") == [None, 250] and b[0:1].column("paid") == [100]
    assert b[1]["paid"] is None


def test_foreign_keys_held_as_text_columns_are_checked() -> None:
    owners = TextColumn.from_strings(["o1", "o1", "o2"])
    events = Batch({"event_id": ["e1", "e2", "e3"], "owner_id": owners, "amount": [5, 6, 7], "at": [0, 0, 0],
                    "note": [None, None, None]})
    index = RecordIndex({OWNER.name: OWNER}, {OWNER.name: Batch({"owner_id": ["o1", "o2"]})})
    assert foreign_key_violations(EVENT, events, index) == []
    index = RecordIndex({OWNER.name: OWNER}, {OWNER.name: Batch({"owner_id": ["o1"]})})
    [v] = foreign_key_violations(EVENT, events, index)
    assert (v.key, v.field, v.rule) == ("e3", "owner_id", "foreign-key") and "'o2'" in v.message


def test_lookups_in_a_columnar_parent_build_only_the_records_asked_for() -> None:
    owners = Batch({"owner_id": ["o1", "o2", "o3"], "name": ["A", "B", "C"]})
    index = RecordIndex({OWNER.name: OWNER}, {OWNER.name: owners})
    assert index.get(OWNER.name, "o2") == {"owner_id": "o2", "name": "B"}
    assert index.get(OWNER.name, "o2") is index.get(OWNER.name, "o2") and index.get(OWNER.name, "zz") is None
    assert not owners.rows_built
    built = Batch({"owner_id": ["o1"], "name": ["A"]})
    built.rows()[0]["name"] = "edited"
    assert RecordIndex({OWNER.name: OWNER}, {OWNER.name: built}).get(OWNER.name, "o1")["name"] == "edited"


def test_lookup_values_count_and_find_read_columns_without_building_records() -> None:
    owners = Batch({"owner_id": ["o1", "o2", "o3"], "name": ["A", "B", None]})
    index = RecordIndex({OWNER.name: OWNER}, {OWNER.name: owners})
    assert index.values(OWNER.name, "name", ["o3", "zz", "o1"]) == [None, None, "A"]
    assert index.count(OWNER.name) == 3 and index.count("absent") == 0
    assert index.find(OWNER.name, "name", "B") == [{"owner_id": "o2", "name": "B"}]
    assert index.find(OWNER.name, "name", None) == [] and index.find(OWNER.name, "name", "Z") == []
    assert not owners.rows_built
    assert index.get(OWNER.name, "o2") == {"owner_id": "o2", "name": "B"}  # get after values
    rows = [{"owner_id": "o1", "name": "A"}, {"owner_id": "o2", "name": "A"}]
    listed = RecordIndex({OWNER.name: OWNER}, {OWNER.name: rows})
    assert listed.values(OWNER.name, "name", ["o2"]) == ["A"] and listed.get(OWNER.name, "zz") is None
    assert listed.find(OWNER.name, "name", "A") == rows


def test_a_field_added_to_built_rows_is_part_of_the_batch() -> None:
    """A generator wrapper that adds a field (``register.extend``) edits the rows."""
    b = Batch({"event_id": ["e1"], "owner_id": ["o1"], "amount": [5], "at": [0]})
    for row in b:
        row["note"] = None
    assert b.names == ("event_id", "owner_id", "amount", "at", "note") and b.column("note") == [None]
    assert schema_violations(EVENT, b) == []


def test_a_text_column_of_no_strings_is_empty() -> None:
    empty = TextColumn.from_strings([])
    assert len(empty) == 0 and empty.tolist() == []
    assert TextColumn.from_strings(["a", None, "bcd"]).tolist() == ["a", None, "bcd"]
