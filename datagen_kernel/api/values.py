"""``Values``: what a serializer makes of a batch, one byte string per record, held packed.

A batch's values travel from the process that generated and serialized them to the sink's
task, often across a process boundary. Held as one buffer and the offsets where each value
ends, a column of values is two objects to pickle whatever its length, and the encoders that
build whole columns in numpy (JSON Lines, the Avro matrix encoder, UUID byte matrices) hand
their buffers over without making an object per value. A sink takes them as it needs them:
``tolist()`` for one ``bytes`` per record, ``data`` for the values end to end (with ``lines()``
they are newline-terminated JSON Lines, which a file sink writes as they are).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from datagen_kernel.api.columnar import TextColumn

Offsets = np.ndarray[Any, np.dtype[np.int64]]


class Values:
    """Byte strings ``data[starts[i]:ends[i]]``, in record order (picklable, compact).

    ``starts`` None: each value starts where the previous one ended (the first at 0).
    ``separator``: set when ``data`` is the values each followed by that byte (``lines``);
    then the offsets are found only when asked for (a file sink writes ``data`` as it is).
    """

    __slots__ = ("_ends", "_starts", "data", "separator")

    def __init__(self, data: bytes, ends: Offsets | None, starts: Offsets | None = None,
                 separator: bytes | None = None) -> None:
        if ends is None and separator is None:
            raise ValueError("Values need their ends, or a separator to find them by")
        self.data = data
        self._ends = ends
        self._starts = starts
        self.separator = separator

    @property
    def ends(self) -> Offsets:
        """Where each value ends in ``data``."""
        if self._ends is None:
            self._split()
        assert self._ends is not None
        return self._ends

    @ends.setter
    def ends(self, ends: Offsets) -> None:
        self._ends = ends

    @property
    def starts(self) -> Offsets | None:
        """Where each value starts in ``data`` (None: where the previous one ended)."""
        if self._ends is None:
            self._split()
        return self._starts

    @starts.setter
    def starts(self, starts: Offsets | None) -> None:
        self._starts = starts

    def __getstate__(self) -> tuple[Any, ...]:
        # offsets are found where the values were made (a worker), not where they are read
        if self._ends is None and isinstance(self.data, (bytes, bytearray)):
            self._split()
        return (self.data, self._ends, self._starts, self.separator)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.data, self._ends, self._starts, self.separator = state

    def _split(self) -> None:
        assert self.separator is not None
        ends = np.flatnonzero(np.frombuffer(self.data, dtype=np.uint8) == self.separator[0])
        starts = np.empty_like(ends)
        if len(ends):
            starts[0] = 0
            starts[1:] = ends[:-1] + 1
        self._ends, self._starts = ends, starts

    @classmethod
    def of(cls, items: Sequence[bytes]) -> Values:
        """Pack a list of byte strings."""
        lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        return cls(b"".join(items), np.cumsum(lengths))

    @classmethod
    def rows(cls, matrix: np.ndarray[Any, Any]) -> Values:
        """The rows of a ``uint8`` matrix, each one value of the matrix's width."""
        n, width = matrix.shape
        return cls(np.ascontiguousarray(matrix).tobytes(), np.arange(width, (n + 1) * width, width, dtype=np.int64))

    @classmethod
    def lines(cls, blob: bytes, separator: bytes = b"\n") -> Values:
        """The lines of ``blob``, each followed by ``separator`` (one byte), without it."""
        return cls(blob, None, None, separator)

    @classmethod
    def text(cls, values: Any) -> Values | None:
        """UTF-8 text of a column's values (``str(value)``), e.g. message keys; None if one is null.

        Accepts what a batch stores (a ``TextColumn``, a numpy array, a list).
        """
        if isinstance(values, TextColumn) and values.nulls is None:
            if values.fixed:
                return cls.rows(values.matrix)
            n, width = values.matrix.shape  # NUL-padded values
            starts = np.arange(0, n * width, width, dtype=np.int64)
            return cls(np.ascontiguousarray(values.matrix).tobytes(),
                       starts + np.count_nonzero(values.matrix, axis=1), starts)
        if isinstance(values, (np.ndarray, TextColumn)):
            values = values.tolist()
        try:
            joined = "".join(values)
        except TypeError:  # not all str: numbers, or a null
            if any(v is None for v in values):
                return None
            return cls.of([str(v).encode() for v in values])
        if joined.isascii():
            return cls(joined.encode(), np.cumsum(np.fromiter(map(len, values), dtype=np.int64, count=len(values))))
        return cls.of([v.encode() for v in values])

    def joined_lines(self) -> bytes:
        """The values each followed by a newline, end to end (``data`` itself for ``lines``)."""
        if self.separator == b"\n":
            return self.data
        items = self.tolist()
        return b"\n".join(items) + b"\n" if items else b""

    def tolist(self) -> list[bytes]:
        data = self.data
        if self._ends is None and self.separator is not None and isinstance(data, bytes):
            return data.split(self.separator)[:-1]  # each value is followed by the separator
        ends = self.ends.tolist()
        starts = [0, *ends[:-1]] if ends else []
        if self.starts is not None:
            starts = self.starts.tolist()
        return [data[a:b] for a, b in zip(starts, ends, strict=True)]

    @property
    def nbytes(self) -> int:
        return len(self.data)

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> bytes:
        end = int(self.ends[index])
        if self.starts is not None:
            return self.data[int(self.starts[index]):end]
        index = index % len(self) if index < 0 else index
        return self.data[int(self.ends[index - 1]) if index else 0:end]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Values):
            return self.tolist() == other.tolist()
        if isinstance(other, list):
            return self.tolist() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Values({len(self)} values, {len(self.data)} bytes)"


def as_list(items: Sequence[Any] | Values) -> list[Any]:
    """``items`` as a list (``Values`` are sliced)."""
    if isinstance(items, Values):
        return items.tolist()
    return items if isinstance(items, list) else list(items)


__all__ = ["Values", "as_list"]
