"""``Values``: a serializer's output, packed; lines split only when someone asks."""

from __future__ import annotations

import pickle

import numpy as np

from datagen_kernel.api import TextColumn, Values


def test_lines_are_split_on_demand_and_written_as_they_are() -> None:
    blob = b'{"a":1}\n{"a":"x\\ny"}\n\n'
    values = Values.lines(blob)
    assert values.joined_lines() is blob, "a file sink writes the buffer itself"
    assert values.tolist() == [b'{"a":1}', b'{"a":"x\\ny"}', b""]
    assert (len(values), values[1], values[-1]) == (3, b'{"a":"x\\ny"}', b"")


def test_pickling_carries_the_offsets_found_where_the_values_were_made() -> None:
    values = Values.lines(b"one\ntwo\n")
    state = values.__getstate__()
    assert state[1] is not None, "the offsets travel with the data"
    again = pickle.loads(pickle.dumps(values))
    assert again == [b"one", b"two"] and again.joined_lines() == b"one\ntwo\n"


def test_packed_lists_rows_and_text() -> None:
    items = [b"", b"a", b"\n", "São Paulo".encode(), b"x" * 300]
    assert Values.of(items).tolist() == items
    assert Values.of(items).joined_lines() == b"".join(i + b"\n" for i in items)
    matrix = np.frombuffer(b"abcdef", dtype=np.uint8).reshape(3, 2)
    assert Values.rows(matrix).tolist() == [b"ab", b"cd", b"ef"]
    assert Values.text(["k1", "São"]) == [b"k1", "São".encode()]
    assert Values.text([7, 12]) == [b"7", b"12"]
    assert Values.text(["a", None]) is None, "a null key is the caller's to render"
    padded = TextColumn(np.array([b"ab\x00", b"abc"], dtype="S3").view(np.uint8).reshape(2, 3))
    assert Values.text(padded) == [b"ab", b"abc"]
