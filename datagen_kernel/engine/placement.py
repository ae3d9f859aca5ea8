"""Workers writing their payloads into the sinks' files themselves, in block order.

A sink whose ``write`` only appends each entity's ``bytes`` payloads to one file tells the
kernel so through ``Sink.append_file``. With ``--workers`` > 1 each worker then writes the
payloads of the block it encoded straight into that file (``os.pwrite``) at the offset the
blocks before it end at, and the main process only accounts for them: the bytes never
cross a process boundary. The offsets come from a ``Ledger`` in shared memory: the worker of
block b waits until block b-1 has published where its payloads end (blocks are handed out
in order, so it rarely waits) and publishes its own ends before writing. The file is
byte-identical to the one the main process would have written batch by batch.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence

from datagen_kernel.api.errors import PluginError
from datagen_kernel.api.sinks import EncodedBatch, PlacedPayload

Stream = tuple[int, str]
"""A route's index and an entity: one file."""

_EMPTY = -2


class Ledger:
    """Where each stream's file ends after each block, shared with the forked workers.

    A ring of ``slots`` rows ``[block, end of stream 0, end of stream 1, ...]``; the row of
    block -1 holds the offsets the phase starts at. Create it before forking the workers.
    """

    def __init__(self, streams: Sequence[Stream], slots: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self.columns = {stream: i + 1 for i, stream in enumerate(streams)}
        self.width = len(streams) + 1
        self.slots = slots
        self._array = ctx.RawArray(ctypes.c_int64, slots * self.width)
        self._lock = ctx.Lock()

    def start(self, base: Mapping[Stream, int]) -> None:
        """Forget every block; block 0's payloads start at ``base`` (0 for streams not in it).

        Only between phases: no worker may be placing payloads.
        """
        with self._lock:
            for row in range(0, self.slots * self.width, self.width):
                self._array[row] = _EMPTY
            row = self._row(-1)
            for stream, column in self.columns.items():
                self._array[row + column] = base.get(stream, 0)
            self._array[row] = -1

    def claim(self, block: int, sizes: Mapping[Stream, int]) -> dict[Stream, int]:
        """Wait for block-1's ends, publish this block's, return where its payloads start."""
        previous, row = self._row(block - 1), self._row(block)
        delay = 0.0001
        while True:
            with self._lock:
                if self._array[previous] == block - 1:
                    starts = {s: self._array[previous + c] for s, c in self.columns.items()}
                    for stream, column in self.columns.items():
                        self._array[row + column] = starts[stream] + sizes.get(stream, 0)
                    self._array[row] = block
                    return starts
            time.sleep(delay)
            delay = min(2 * delay, 0.002)

    def _row(self, block: int) -> int:
        return (block % self.slots) * self.width


_FILES: dict[str, int] = {}
"""File descriptors a worker opened, by path (for the life of the worker)."""


def _descriptor(path: str) -> int:
    fd = _FILES.get(path)
    if fd is None:
        fd = _FILES[path] = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    return fd


def _pwrite(fd: int, data: bytes | bytearray | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def place(output: Sequence[tuple[int, EncodedBatch]], block: int, targets: Mapping[Stream, str],
          ledger: Ledger) -> None:
    """Write the payloads of ``targets``' streams into their files; leave ``PlacedPayload``s.

    Every block claims its row, even one with nothing to place, so the next one can go on.
    A write that fails is reported in its ``PlacedPayload`` (the main process counts the
    batch as failed); the offsets stay reserved.
    """
    placed: list[tuple[Stream, EncodedBatch]] = []
    sizes: Counter[Stream] = Counter()
    for index, batch in output:
        stream = (index, batch.entity)
        if stream not in targets:
            continue
        if not isinstance(batch.payload, (bytes, bytearray, memoryview)):
            raise PluginError(
                f"the sink of route {index} gave a file for {batch.entity!r} (append_file) but "
                f"encoded a {type(batch.payload).__name__} payload, not bytes",
                hint="a sink that returns a file from append_file must encode bytes",
            )
        placed.append((stream, batch))
        sizes[stream] += len(batch.payload)
    starts = ledger.claim(block, sizes)
    for stream, batch in placed:
        data = batch.payload
        offset = starts[stream]
        starts[stream] += len(data)
        error = None
        try:
            _pwrite(_descriptor(targets[stream]), data, offset)
        except OSError as exc:
            error = f"write failed: {exc.strerror or exc}"
        batch.payload = PlacedPayload(offset, len(data), error)


__all__ = ["Ledger", "Stream", "place"]
