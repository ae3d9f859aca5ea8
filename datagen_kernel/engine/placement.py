"""The local executor's workers writing payloads into the sinks' files themselves, in block order.

A sink whose output is one append-only file per entity declares ``Sink.append_files`` and
names the file with ``Sink.file_for``. With ``--workers`` > 1 each worker then writes the
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
from datagen_kernel.api.executors import BlockResult
from datagen_kernel.api.sinks import EncodedBatch
from datagen_kernel.api.values import Values

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


def place(result: BlockResult, targets: Mapping[Stream, str], ledger: Ledger) -> None:
    """Write the payloads of ``targets``' streams into their files; mark the batches appended.

    Every block claims its row, even one with nothing to place, so the next one can go on.
    A batch whose write fails leaves ``result.batches`` for ``result.failures`` (counted as
    generated and failed); the offsets stay reserved.
    """
    assert result.block is not None
    placed: list[tuple[Stream, EncodedBatch, bytes]] = []
    sizes: Counter[Stream] = Counter()
    for index, batch in result.batches:
        stream = (index, batch.entity)
        if stream not in targets:
            continue
        payload = batch.payload
        if not isinstance(payload, Values):
            raise PluginError(
                f"route {index} appends {batch.entity!r} to a file but its serializer made a "
                f"{type(payload).__name__}, not Values",
                hint="a serializer's encode must return datagen_kernel.api.Values",
            )
        data = payload.joined_lines()
        placed.append((stream, batch, data))
        sizes[stream] += len(data)
    starts = ledger.claim(result.block, sizes)
    failed: set[int] = set()
    for stream, batch, data in placed:
        offset = starts[stream]
        starts[stream] += len(data)
        batch.payload = None
        batch.appended = True
        try:
            _pwrite(_descriptor(targets[stream]), data, offset)
        except OSError as exc:
            failed.add(id(batch))
            result.failures.append((stream[0], batch.entity, batch.count, f"write failed: {exc.strerror or exc}"))
    if failed:
        result.batches = [(i, b) for i, b in result.batches if id(b) not in failed]


__all__ = ["Ledger", "Stream", "place"]
