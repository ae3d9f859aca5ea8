"""``Packed``: a list of byte strings held as one buffer and offsets, for the trip from a worker.

A batch's values, keys and CloudEvents attributes travel from the worker that encoded them to
the producing process by pickle. Pickled as lists, every value is one object to write, memoize
and rebuild (four per message); packed, a column is two buffers whatever its length, and the
encoders that build whole columns in numpy (the Avro matrix encoder, UUID byte matrices, the
RFC 3339 texts, JSON Lines) hand their buffers over without making per-value objects at all.
The producing process slices each column once (``tolist``) on its way into ``produce``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np


class Packed:
    """Byte strings ``data[starts[i]:ends[i]]``, in order (picklable, compact)."""

    __slots__ = ("data", "ends", "starts")

    def __init__(self, data: bytes, ends: np.ndarray[Any, Any], starts: np.ndarray[Any, Any] | None = None) -> None:
        self.data = data
        self.ends = ends
        self.starts = starts
        """None: each item starts where the previous one ended (the first at 0)."""

    @classmethod
    def of(cls, items: Sequence[bytes]) -> Packed:
        """Pack a list of byte strings."""
        lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        return cls(b"".join(items), np.cumsum(lengths))

    @classmethod
    def rows(cls, matrix: np.ndarray[Any, Any]) -> Packed:
        """The rows of a ``uint8`` matrix, each one item of the matrix's width."""
        n, width = matrix.shape
        return cls(np.ascontiguousarray(matrix).tobytes(), np.arange(width, (n + 1) * width, width, dtype=np.int64))

    @classmethod
    def lines(cls, blob: bytes, separator: bytes = b"\n") -> Packed:
        """The lines of ``blob``, each followed by ``separator`` (one byte), without it."""
        ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == separator[0])
        starts = np.empty_like(ends)
        if len(ends):
            starts[0] = 0
            starts[1:] = ends[:-1] + 1
        return cls(blob, ends, starts)

    def tolist(self) -> list[bytes]:
        data = self.data
        ends = self.ends.tolist()
        starts = [0, *ends[:-1]] if ends else []
        if self.starts is not None:
            starts = self.starts.tolist()
        return [data[a:b] for a, b in zip(starts, ends, strict=True)]

    def __len__(self) -> int:
        return len(self.ends)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Packed):
            return self.tolist() == other.tolist()
        if isinstance(other, list):
            return self.tolist() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Packed({len(self)} items, {len(self.data)} bytes)"


def as_list(items: Sequence[Any] | Packed) -> list[Any]:
    """``items`` as a list (a ``Packed`` column is sliced)."""
    if isinstance(items, Packed):
        return items.tolist()
    return items if isinstance(items, list) else list(items)
