"""``TextRows`` (texts as the rows of a matrix) and ``join_rows``, on the json writer's two
paths (its C helper and numpy: the same texts)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from datagen_kernel.api import Changes, Edits, EntitySpec, Field
from datagen_kernel.api.columnar import MISSING, Batch, TextColumn, TextRows
from datagen_kernel.api.schema import Decimal, Kind, String, Uuid
from datagen_kernel.api.transforms import Edited
from datagen_kernel.codecs.jsonlines import LineEncoder, join_rows

BRT = dt.timezone(dt.timedelta(hours=-3))


def test_text_rows_read_as_their_texts_whatever_the_padding() -> None:
    rows = TextRows(np.frombuffer(b"\x00ab" b"c\x00d" b"efg", dtype=np.uint8).reshape(3, 3))
    assert len(rows) == 3 and rows.width == 3
    assert rows.tolist() == [b"ab", b"cd", b"efg"] == list(rows)
    assert rows[1] == b"cd"
    assert rows[1:].tolist() == [b"cd", b"efg"]
    assert rows.take(np.array([2, 0])).tolist() == [b"efg", b"ab"]
    given = TextRows.of([b'"x"', b"null", b""])
    assert given.tolist() == [b'"x"', b"null", b""]
    assert TextRows.of([]).tolist() == []
    assert TextRows(np.frombuffer(b"abcd", dtype=np.uint8).reshape(2, 2)).tolist() == [b"ab", b"cd"]  # unpadded


def test_text_rows_need_a_uint8_matrix() -> None:
    with pytest.raises(ValueError, match="2-D uint8"):
        TextRows(np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match="2-D uint8"):
        TextRows(np.zeros((2, 2), dtype=np.int64))


def test_join_rows_puts_prefixes_and_rows_together(json_writer_path: str) -> None:
    names = TextRows.of([b'"ana"', b'"bo"'])
    kinds = np.frombuffer(b"\x00x" b"yy", dtype=np.uint8).reshape(2, 2)
    texts = join_rows(3, [
        (b'{"name":', names, np.array([1, -1, 0])),  # -1: nothing but the prefix
        (b',"kind":"', kinds, np.array([0, 0, 1])),
        (b'","n":', TextRows.of([b"1", b"22", b"333"]), None),  # no index: row e for text e
    ], b"}")
    assert texts == [b'{"name":"bo","kind":"x","n":1}', b'{"name":,"kind":"x","n":22}',
                     b'{"name":"ana","kind":"yy","n":333}']
    assert join_rows(0, [(b"a", names, None)], b"") == []
    assert join_rows(2, [(b"", TextRows.of([]), np.array([-1, -1]))], b".") == [b".", b"."]  # no rows at all


def test_join_rows_refuses_rows_out_of_range(json_writer_path: str) -> None:
    names = TextRows.of([b"a", b"b"])
    with pytest.raises(ValueError, match="out of range"):
        join_rows(2, [(b"", names, np.array([0, 2]))])
    with pytest.raises(ValueError, match="1 rows for 2 texts"):
        join_rows(2, [(b"", names, np.array([0]))])
    with pytest.raises(ValueError, match="2 rows for 3 texts"):
        join_rows(3, [(b"", names, None)])
    with pytest.raises(ValueError, match="uint8"):
        join_rows(1, [(b"", np.zeros((1, 1), dtype=np.int32), None)])


SPEC = EntitySpec(name="item", kind=Kind.EVENT, primary_key="item_id",
                  fields=(Field("item_id", Uuid()), Field("amount", Decimal(12, 2)), Field("note", String(40))))


def _block() -> Batch:
    ids = TextColumn.from_strings([f"00000000-0000-4000-8000-00000000000{i}" for i in range(4)])
    return Batch({"item_id": TextColumn(ids.matrix), "amount": np.array([100, 250, 399, 1], dtype=np.int64),
                  "note": ["a", "b", "c", "d"]})


def test_value_rows_are_the_texts_the_json_writer_writes() -> None:
    encoder = LineEncoder(SPEC, BRT)
    block = _block()
    for name in ("item_id", "amount", "note"):
        assert encoder.value_rows(name, block.base(name)).tolist() == encoder.value_texts(name, block.base(name))
    assert encoder.value_rows("amount", np.array([], dtype=np.int64)).tolist() == []


def test_changes_given_texts_as_rows_are_written_as_given_as_lists(json_writer_path: str) -> None:
    block = _block()
    encoder = LineEncoder(SPEC, BRT)

    def written(texts_of: type) -> bytes | None:
        changes = Changes([1, 2, 3], zone=BRT)
        changes.set("amount", [0, 1], np.array([5, 7], dtype=np.int64), texts_of([b"0.05", b"0.07"]))
        changes.set("note", [2], [MISSING], texts_of([b"null"]))
        changes.set("extra", [1], ["x"], texts_of([b'"x"']))
        edits = Edits(np.array([0, 4, 1, 5, 6], dtype=np.intp), changes)
        return encoder.encode(Edited.of(block, edits))

    as_rows = written(TextRows.of)
    assert as_rows == written(list)
    assert as_rows is not None and as_rows.splitlines()[1].endswith(b'"amount":0.05,"note":"b"}')
    assert b'"amount":0.07,"note":"c","extra":"x"}' in as_rows
    assert as_rows.splitlines()[4].endswith(b'"amount":"0.01"}')  # the note left out
