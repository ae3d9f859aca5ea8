"""The json writer's C helper (``datagen_kernel.codecs._assemble``) on its own: what it writes
and how it refuses what would make it read or write out of bounds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from datagen_kernel.codecs import jsonlines

if jsonlines._native is None:
    pytest.skip("the kernel was installed without the json writer's C helper", allow_module_level=True)
assemble = jsonlines._native.assemble


def _matrix(*texts: bytes) -> np.ndarray[Any, Any]:
    """Right-aligned, NUL-padded rows."""
    width = max(map(len, texts))
    return np.frombuffer(b"".join(t.rjust(width, b"\x00") for t in texts), dtype=np.uint8).reshape(len(texts), width)


def test_lines_in_the_entries_order_with_patches_absent_fields_and_fields_beyond() -> None:
    ids = _matrix(b"1", b"22", b"333")
    names = _matrix(b"ana", b"bo", b"c\x00d")  # a NUL inside a row is padding too
    patch_at = np.array([1], dtype=np.int64)  # entry 1's name: the patch's row
    absent_at = np.array([2], dtype=np.int64)  # entry 2: no name
    fields = [(b'{"id":', False, ids, None, None, None),
              (b',"name":', True, names, patch_at, _matrix(b"null"), absent_at),
              (b',"x":', False, None, np.array([3], dtype=np.int64), _matrix(b"1"), None)]  # entry 3 only
    perm = np.array([2, 0, 0, 1], dtype=np.int64)  # the last record first, the first twice
    out = bytearray(4 * 64)
    written = assemble(out, perm, fields)
    assert bytes(out[:written]) == (b'{"id":333,"name":"cd"}\n{"id":1,"name":null}\n{"id":1}\n'
                                    b'{"id":22,"name":"bo","x":1}\n')


def test_the_buffer_needed_counts_each_patch_row_once() -> None:
    ids = _matrix(b"1", b"2")
    fields = [(b"{", False, ids, np.array([1], dtype=np.int64), _matrix(b"12345"), None),
              (b",", False, None, np.array([0], dtype=np.int64), _matrix(b"abc"), None)]
    needed = 2 * (1 + 1 + 2) + 5 + (1 + 3)  # per line: prefix, widest id, brace, newline; the patch; ",abc"
    out = bytearray(needed)
    written = assemble(out, None, fields)
    assert bytes(out[:written]) == b"{1,abc}\n{12345}\n"
    with pytest.raises(ValueError, match="needed"):
        assemble(bytearray(needed - 1), None, fields)


def test_rows_out_of_range_and_buffers_too_small_or_of_the_wrong_shape_are_refused() -> None:
    ids = _matrix(b"1", b"2")
    fields = [(b'{"id":', False, ids, None, None, None)]
    with pytest.raises(ValueError, match="out of range"):
        assemble(bytearray(64), np.array([0, 2], dtype=np.int64), fields)
    with pytest.raises(ValueError, match="out of range"):
        assemble(bytearray(64), np.array([-1], dtype=np.int64), fields)
    with pytest.raises(ValueError, match="needed"):
        assemble(bytearray(3), None, fields)
    with pytest.raises(ValueError, match="uint8 matrix"):
        assemble(bytearray(64), None, [(b'{"id":', False, np.zeros((2, 2), dtype=np.int64), None, None, None)])
    with pytest.raises(ValueError, match="patch: 2 rows for 1 entries"):
        assemble(bytearray(64), None, [(b'{"id":', False, ids, np.zeros(1, dtype=np.int64), ids, None)])
    with pytest.raises(ValueError, match="patch_at: an int64 vector"):
        assemble(bytearray(64), None, [(b'{"id":', False, ids, np.zeros(2, dtype=np.int32), ids, None)])
    for entries in ([1, 0], [0, 0], [0, 5]):  # not ascending, repeated, beyond the entries
        at = np.array(entries, dtype=np.int64)
        with pytest.raises(ValueError, match="not ascending, repeated or out of range"):
            assemble(bytearray(64), None, [(b'{"id":', False, ids, at, ids, None)])
        with pytest.raises(ValueError, match="not ascending, repeated or out of range"):
            assemble(bytearray(64), None, [(b'{"id":', False, ids, None, None, at)])
        with pytest.raises(ValueError, match="not ascending, repeated or out of range"):
            assemble(bytearray(64), None, [*fields, (b",", False, None, at, _matrix(b"a", b"b"), None)])
    with pytest.raises(ValueError, match="matrix: None needs patch_at"):
        assemble(bytearray(64), None, [*fields, (b",", False, None, None, None, None)])


def test_join_makes_one_text_per_entry_from_rows_of_its_pieces() -> None:
    join = jsonlines._native.join
    names = _matrix(b"ana", b"bo", b"c\x00d")
    kinds = _matrix(b"x", b"yy")
    pieces = [(b"<", names, np.array([2, -1, 0], dtype=np.int64)),  # -1: the prefix only
              (b"|", kinds, None)]  # no index: entry e takes row e
    assert join(2, pieces, b">") == [b"<cd|x>", b"<|yy>"]
    assert join(0, pieces, b">") == []


def test_join_refuses_rows_out_of_range_and_short_indexes() -> None:
    join = jsonlines._native.join
    rows = _matrix(b"a", b"b")
    with pytest.raises(ValueError, match="out of range"):
        join(2, [(b"", rows, np.array([0, 2], dtype=np.int64))], b"")
    with pytest.raises(ValueError, match="out of range"):
        join(1, [(b"", rows, np.array([-2], dtype=np.int64))], b"")
    with pytest.raises(ValueError, match="2 rows, 3 needed"):
        join(3, [(b"", rows, None)], b"")
    with pytest.raises(ValueError, match="index"):
        join(3, [(b"", rows, np.array([0, 1], dtype=np.int64))], b"")
    with pytest.raises(ValueError, match="index"):
        join(2, [(b"", rows, np.array([0, 1], dtype=np.int32))], b"")
    with pytest.raises(ValueError, match="matrix"):
        join(2, [(b"", np.zeros((2, 2), dtype=np.int32), None)], b"")
