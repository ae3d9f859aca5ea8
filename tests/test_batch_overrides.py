"""Overrides in a ``Batch`` (values that do not fit their column, ``MISSING`` fields, fields
beyond the entity's), the columnar json encoder on them, and edit stages that return a batch of
their own records (``Edits.records``) or tombstones (``Edits.nulls``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datagen_kernel.api import Edited, Edits, Label, Raw
from datagen_kernel.api.columnar import MISSING, Batch, TextColumn, concat_columns
from datagen_kernel.api.schema import Decimal, EntitySpec, Field, Int, Kind, String, Timestamp, Uuid
from datagen_kernel.codecs.json import JsonSerializer
from datagen_kernel.codecs.jsonlines import LineEncoder

SPEC = EntitySpec(
    name="payment",
    kind=Kind.EVENT,
    fields=(Field("id", Uuid()), Field("payer", String()), Field("amount", Decimal(15, 2)),
            Field("tries", Int()), Field("at", Timestamp())),
    primary_key="id",
)
BRT = dt.timezone(dt.timedelta(hours=-3))


def _batch(n: int) -> Batch:
    return Batch({
        "id": TextColumn.from_strings([f"{i:08d}-0000-4000-8000-000000000000" for i in range(n)]),
        "payer": [f"payer \"{i % 7}\" é" for i in range(n)],
        "amount": np.arange(n, dtype=np.int64) * 137,
        "tries": np.arange(n, dtype=np.int64) % 3,
        "at": 1_700_000_000_000 + np.arange(n, dtype=np.int64) * 60_000,
    })


def _overridden(n: int) -> Batch:
    batch = _batch(n)
    batch.override("amount", [1, 4], [Raw("1.234,56"), Raw(None)])
    batch.override("payer", [2], [MISSING])
    batch.override("tries", [3, 4], [MISSING, Raw({"odd": True})])
    batch.override("extra_id", [0, 4], [Raw("ab12"), "cd34"])
    return batch


@pytest.fixture(autouse=True)
def _both_paths(json_writer_path: str) -> None:
    """Every test here with the json writer's C helper and with its numpy path."""


def test_rows_of_an_overridden_batch_hold_the_overrides_and_lack_missing_fields() -> None:
    rows = _overridden(6).rows()
    assert rows[1]["amount"] == Raw("1.234,56") and rows[4]["amount"] == Raw(None)
    assert "payer" not in rows[2] and "tries" not in rows[3]
    assert rows[0]["extra_id"] == Raw("ab12") and rows[4]["extra_id"] == "cd34"
    assert [("extra_id" in r) for r in rows] == [True, False, False, False, True, False]
    assert rows[5] == _batch(6).rows()[5]


def test_take_slice_and_concat_keep_the_overrides() -> None:
    batch = _overridden(6)
    expected = _overridden(6).rows()
    assert batch.take([4, 2, 2, 0]).rows() == [expected[i] for i in (4, 2, 2, 0)]
    for part in (slice(1, 5), slice(0, 6, 2), slice(None, None, -1)):
        assert _overridden(6)[part].rows() == expected[part]
    both = Batch.concat([_batch(3), _overridden(6)])
    assert both.overridden and not _batch(3).overridden
    assert both.column("extra_id") == [None, None, None, Raw("ab12"), None, None, None, "cd34", None]
    assert both.rows() == _batch(3).rows() + expected
    built = _overridden(6)
    built.rows()
    assert Batch.concat([built, _batch(2)]).rows() == expected + _batch(2).rows()  # rows built: same


def test_an_override_needs_positions_inside_the_batch() -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.2"):
        _batch(3).override("amount", [3], [Raw("x")])
    with pytest.raises(ValueError, match="2 positions and 1 values"):
        _batch(3).override("amount", [0, 1], [Raw("x")])


@pytest.mark.parametrize("utc", [False, True])
def test_the_columnar_encoder_writes_overrides_as_the_rows_would_be_written(utc: bool) -> None:
    ser = JsonSerializer({"utc": utc})
    fast = ser.encode(SPEC, _overridden(9)).tolist()
    slow = [orjson.dumps(r) for r in _written_one_by_one(_overridden(9).rows(), utc)]
    assert fast == slow
    assert orjson.loads(fast[2]).keys() == {"id", "amount", "tries", "at"}
    assert orjson.loads(fast[0])["extra_id"] == "ab12"  # a field beyond the entity's, last


def _written_one_by_one(rows: list[dict[str, Any]], utc: bool) -> list[dict[str, Any]]:
    ser = JsonSerializer({"utc": utc})
    return [orjson.loads(ser.encode(SPEC, [r]).tolist()[0]) for r in rows]


def test_texts_are_each_value_as_the_encoder_writes_it() -> None:
    encoder = LineEncoder(SPEC, BRT)
    batch = _overridden(6)
    lines = [orjson.loads(line) for line in encoder.encode(_overridden(6)).splitlines()]  # type: ignore[union-attr]
    for name in SPEC.field_names:
        texts = encoder.texts(batch, name)
        assert [orjson.loads(t) if t else "(none)" for t in texts] == [r.get(name, "(none)") for r in lines]
        assert encoder.texts(_overridden(6).rows(), name) == texts


@pytest.mark.parametrize("same_width", [True, False])
def test_texts_of_a_plain_batch_are_the_bytes_of_its_lines(same_width: bool) -> None:
    """Texts that fill their rows (same width) and padded ones: each is the value's bytes in the line."""
    encoder = LineEncoder(SPEC, BRT)
    batch = _batch(12) if not same_width else Batch({
        "id": [f"{i:08d}-0000-4000-8000-000000000000" for i in range(12)], "payer": ["same"] * 12,
        "amount": np.full(12, 1234, dtype=np.int64), "tries": np.full(12, 7, dtype=np.int64),
        "at": np.full(12, 1_700_000_000_000, dtype=np.int64)})
    lines = encoder.encode(batch).splitlines()  # type: ignore[union-attr]
    for i, name in enumerate(SPEC.field_names):
        after = b"}" if i == len(SPEC.field_names) - 1 else b',"' + SPEC.field_names[i + 1].encode() + b'":'
        for line, text in zip(lines, encoder.texts(batch, name), strict=True):
            assert b'"' + name.encode() + b'":' + text + after in line


def test_value_texts_of_a_column_in_any_form_are_its_texts() -> None:
    """A column given as a list, a numpy array or a ``TextColumn`` (and two joined with
    ``concat_columns``) has the texts of the same values in a batch."""
    encoder = LineEncoder(SPEC, BRT)
    batch = _batch(12)
    for name in SPEC.field_names:
        texts = encoder.texts(batch, name)
        column = batch.base(name)
        forms = [column, column.tolist() if not isinstance(column, list) else column]
        if isinstance(column, list) and all(isinstance(v, str) for v in column):
            forms.append(TextColumn.from_strings(column))
        for form in forms:
            assert encoder.value_texts(name, form) == texts
            joined = concat_columns([form[:5], form[5:]])
            assert encoder.value_texts(name, joined) == texts
    assert encoder.value_texts("amount", []) == []


@settings(max_examples=25, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 11), st.sampled_from(["raw", "missing", "plain"]),
                          st.sampled_from(["payer", "amount", "tries", "at", "new"])), max_size=12),
       st.integers(1, 12))
def test_any_overrides_encode_as_their_rows_do(changes: list[tuple[int, str, str]], size: int) -> None:
    batch = _batch(12)
    plain = {"payer": "x", "amount": 5, "tries": 7, "at": 1_600_000_000_000, "new": "n"}
    for at, what, name in changes:
        value = Raw([at]) if what == "raw" else MISSING if what == "missing" else plain[name]
        batch.override(name, [at], [value])
    rows = [dict(r) for r in batch.take(np.arange(12)).rows()]
    ser = JsonSerializer({})
    got = b"".join(ser.encode(SPEC, batch[i : i + size]).joined_lines() for i in range(0, 12, size))
    assert got == ser.encode(SPEC, rows).joined_lines()


def _edited_with_own_batch() -> tuple[Edited, list[dict[str, Any]]]:
    base = _batch(8)
    own = base.take([2, 5])
    own.override("amount", [0], [Raw("12,50")])
    own.override("payer", [1], [MISSING])
    order = [0, 1, 8, 3, 4, 6, 9, 7, 5, 4]  # 2 and 5 replaced, 5 moved, 4 twice
    edits = Edits(np.asarray(order), own, {2: Label("t", "changed"), 6: Label("t", "moved"), 9: Label("t", "again")},
                  nulls=[9])
    return Edited.of(_batch(8), edits), edits.rows(_batch(8))


def test_an_edit_stage_batch_of_its_own_records_is_encoded_as_one_batch() -> None:
    edited, rows = _edited_with_own_batch()
    merged = edited.merged()
    assert merged is not None and merged.rows() == rows
    assert list(edited) == rows
    assert edited.labels_by_position()[9].label == "again"
    ser = JsonSerializer({})
    assert ser.encode(SPEC, merged).tolist() == ser.encode(SPEC, rows).tolist()


def test_tombstone_entries_are_marked_and_can_be_left_out() -> None:
    edited, rows = _edited_with_own_batch()
    assert edited.nulls is not None and edited.nulls.tolist() == [False] * 9 + [True]
    kept = edited.take(np.flatnonzero(~edited.nulls))
    assert list(kept) == rows[:9] and kept.nulls is None
    assert edited[8:].nulls is not None
    with pytest.raises(ValueError, match=r"entries 0\.\.9"):
        Edited.of(_batch(8), Edits(np.arange(10) % 8, nulls=[10]))


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("chunk", [3, 4096])
def test_the_json_serializer_writes_an_edited_batch_as_its_rows(reverse: bool, chunk: int,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from datagen_kernel.codecs import jsonlines
    from datagen_kernel.engine.transforms import PayloadStage

    monkeypatch.setattr(jsonlines, "CHUNK", chunk)  # slices of the base several passes apart
    edited, rows = _edited_with_own_batch()
    if reverse:  # far apart in every pass: the records are taken, not sliced
        edited, rows = edited.take(np.arange(len(edited))[::-1]), rows[::-1]
    ser = JsonSerializer({})
    stage = PayloadStage.__new__(PayloadStage)  # serialize needs no plan for records it can write
    got, problems = PayloadStage._serialize_edited(stage, ser, SPEC, edited, {}, "payment")
    assert not problems
    assert got.tolist() == ser.encode(SPEC, rows).tolist()


def test_from_rows_keeps_a_lacking_field_lacking() -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 2}, {"a": 3, "b": "z", "c": Raw(None)}]
    batch = Batch.from_rows(None, rows)
    assert batch.names == ("a", "b", "c") and batch.absent("b") is not None
    assert batch.rows() == rows
    assert Batch.from_rows(["a"], rows).rows() == [{"a": 1}, {"a": 2}, {"a": 3}]
