"""The ``local`` executor: blocks in this process, or in ``--workers`` forked processes.

With one worker (or one block) every block runs here, one after the other. With more, a
fork pool processes blocks; at most ``2 x workers`` blocks are in flight, so a slow sink makes
workers wait instead of piling results up in memory, and results come back in block order.
Everything about moving results between processes is private to this module:

* large payloads leave a worker as files in ``/dev/shm`` (``_Spilled``) instead of through
  the pool's pipe;
* payloads of sinks whose output is one append-only file per entity are written into those
  files by the workers themselves, at offsets a shared ``Ledger`` hands out in block order
  (``placement``): the bytes never come back at all;
* a worker killed from outside (out of memory, a signal) fails the run within a second, busy
  or idle; the pool is then stopped without waiting on its locks (a worker killed while it
  waited for work dies holding the task queue's lock, on which ``Pool.terminate`` would block
  for ever): ``close`` returns within ``_STOP_WAIT_S`` seconds whatever the workers left.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import traceback
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from datagen_kernel.api.errors import DatagenError, PluginError, ValidationFailed
from datagen_kernel.api.executors import BlockResult, Executor, Work
from datagen_kernel.api.sinks import EncodedBatch
from datagen_kernel.api.values import Values
from datagen_kernel.engine import signals
from datagen_kernel.engine.placement import Ledger, Stream, place

_SPILL_ABOVE = 1 << 16
"""Payloads of more bytes than this leave a worker as a file in memory (``_Spilled``).

A large bytes payload sent back through the pool's pipe is pickled, copied through the pipe
in 64 KiB pieces, reassembled and unpickled, while the worker waits for the main process's
result thread. Written to a file in memory it is copied once each way.
"""

_POLL_S = 0.25
"""How often the wait for a block checks that the workers live and that no signal arrived."""

_STOP_WAIT_S = 2.0
"""How long ``close`` lets the pool stop its workers before it kills them (SIGKILL) and leaves
the pool's threads behind."""

_WORK: Work | None = None
_LEDGER: Ledger | None = None
_SPILL_DIR: str | None = None


class _Failure:
    """An error raised in a worker, carried back by value (exceptions may not pickle)."""

    def __init__(self, exc: BaseException) -> None:
        self.kind = type(exc).__name__
        self.message = str(exc)
        self.is_datagen = isinstance(exc, DatagenError)
        self.trace = traceback.format_exc()

    def raise_(self) -> None:
        cls: type[DatagenError] = {
            "ValidationFailed": ValidationFailed,
            "PluginError": PluginError,
        }.get(self.kind, DatagenError)
        if self.is_datagen:
            raise cls(self.message)
        raise PluginError(f"a generator or transform failed in a worker: {self.kind}: {self.message}\n{self.trace}")


class _Spilled:
    """A worker's ``Values`` left in a file of ``_SPILL_DIR``: its bytes, then its offsets.

    The offsets travel with the bytes: sent through the pool's pipe they would cost what the
    file saves (a kafka batch's four columns carry 32 bytes of offsets per message).
    """

    __slots__ = ("ends", "path", "size", "starts")

    def __init__(self, path: str, values: Values) -> None:
        self.path = path
        self.size = len(values.data)
        ends, starts = values.ends, values.starts
        self.ends = len(ends)
        self.starts = -1 if starts is None else len(starts)
        with open(path, "wb") as fh:
            fh.write(values.data)
            fh.write(np.ascontiguousarray(ends, dtype=np.int64).data)
            if starts is not None:
                fh.write(np.ascontiguousarray(starts, dtype=np.int64).data)

    def read(self) -> tuple[bytes, np.ndarray[Any, Any], np.ndarray[Any, Any] | None]:
        """The bytes and offsets, read back once; the file is removed."""
        with open(self.path, "rb", buffering=0) as fh:
            data = fh.read(self.size)
            ends = np.empty(self.ends, dtype=np.int64)
            fh.readinto(ends.data)
            starts = None
            if self.starts >= 0:
                starts = np.empty(self.starts, dtype=np.int64)
                fh.readinto(starts.data)
        os.unlink(self.path)
        return data, ends, starts


def _packed(batch: EncodedBatch) -> Iterator[Values]:
    """The ``Values`` a batch holds: payload, keys, and the items of a tuple of headers."""
    for part in (batch.payload, batch.keys):
        if isinstance(part, Values):
            yield part
    if isinstance(batch.headers, tuple):
        yield from (item for item in batch.headers if isinstance(item, Values))


def _spill(result: BlockResult, phase: str) -> BlockResult:
    if _SPILL_DIR is None:
        return result
    n = 0
    for _, batch in result.batches:
        for values in _packed(batch):
            if len(values.data) > _SPILL_ABOVE:
                spilled = _Spilled(os.path.join(_SPILL_DIR, f"{phase}-{result.block}-{n}"), values)
                n += 1
                values.data = spilled  # type: ignore[assignment]
                values.ends = values.starts = None  # type: ignore[assignment]
    return result


def _unspill(result: BlockResult) -> BlockResult:
    for _, batch in result.batches:
        for values in _packed(batch):
            if isinstance(values.data, _Spilled):
                values.data, values.ends, values.starts = values.data.read()
    return result


_Task = tuple[str, int, dict[Stream, str]]
"""Phase, block, and the files the worker appends payloads to itself (``placement``)."""


def _work(task: _Task) -> BlockResult | _Failure:
    assert _WORK is not None
    phase, block, targets = task
    try:
        result = _WORK.process(phase, block)
        if targets:
            assert _LEDGER is not None
            place(result, targets, _LEDGER)
        return _spill(result, phase)
    except BaseException as exc:  # carried back to the main process
        return _Failure(exc)


def _announce(started: Any) -> None:
    """Pool initializer: the signals of a worker (``signals.reset_in_child``), then tell the
    main process this worker's pid."""
    signals.reset_in_child()
    started.put(os.getpid())


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: fall back to whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


class LocalExecutor(Executor):
    """Blocks in this process or in ``--workers`` forked processes of this machine."""

    name = "local"
    doc = "This machine: one process, or --workers forked processes (the default)."

    def __init__(self, config: Mapping[str, Any], workers: int = 1) -> None:
        super().__init__(config, workers)
        self._pool: Any = None
        self._started: Any = None  # workers put their pid here as they start
        self._pids: set[int] = set()
        self._lost = False  # a worker died under the run: the pool's locks cannot be trusted
        self._spill = contextlib.ExitStack()

    def start(self, work: Work) -> None:
        global _WORK, _LEDGER
        super().start(work)
        _WORK = work
        _LEDGER = None
        if self.workers <= 1 or work.blocks <= 1:
            return
        self._spill.enter_context(_spill_dir())
        # shared with the workers, so made before they are forked
        _LEDGER = Ledger(work.append_streams(), slots=self._window() + 2)
        ctx = multiprocessing.get_context("fork")
        self._started = ctx.SimpleQueue()
        self._pool = ctx.Pool(self.workers, initializer=_announce, initargs=(self._started,))

    def run(self, phase: str, blocks: Sequence[int]) -> Iterator[BlockResult]:
        if self._pool is None:
            yield from super().run(phase, blocks)
            return
        targets = self.work.append_targets(phase)
        if targets:
            assert _LEDGER is not None
            _LEDGER.start({stream: os.path.getsize(path) for stream, path in targets.items()})
        window = self._window()
        pending: deque[Any] = deque()
        todo = deque(blocks)
        while pending or todo:
            while todo and len(pending) < window:
                pending.append(self._pool.apply_async(_work, ((phase, todo.popleft(), targets),)))
            result = self._result(pending.popleft())
            if isinstance(result, _Failure):
                result.raise_()
            else:
                yield _unspill(result)
        self._check_workers()  # one that died idle took no block, but the pool is broken

    def close(self) -> None:
        global _WORK, _LEDGER
        if self._pool is not None:
            pool, self._pool = self._pool, None
            self._collect_pids()
            _stop_pool(pool, self._pids, kill_first=self._lost)
        self._spill.close()
        _WORK = None
        _LEDGER = None

    def _window(self) -> int:
        """Blocks in flight at most: when a destination is slower than generation, workers
        wait instead of piling finished blocks up in memory."""
        return 2 * self.workers

    def _result(self, pending: Any) -> BlockResult | _Failure:
        """Wait for a block's result, failing if a worker process ends under the run.

        A worker killed from outside (out of memory, a signal) takes its block with it: the
        pool would wait for that result forever, and so would the next block's worker in the
        ``Ledger``. Every ``_POLL_S`` seconds the wait checks that the workers are still there,
        and whether SIGINT or SIGTERM arrived (``signals.check``).
        """
        while True:
            signals.check()
            try:
                result: BlockResult | _Failure = pending.get(timeout=_POLL_S)
                return result
            except multiprocessing.TimeoutError:
                pass
            self._check_workers()

    def _collect_pids(self) -> None:
        while self._started is not None and not self._started.empty():
            self._pids.add(self._started.get())

    def _check_workers(self) -> None:
        """Fail the run if a worker process has ended (the pool never ends one itself)."""
        self._collect_pids()
        for pid in sorted(self._pids):
            if not _alive(pid):
                self._lost = True
                raise DatagenError(
                    f"worker process {pid} ended while the run was going (killed by a signal, "
                    "or out of memory?); the run stops and its sinks keep nothing of it",
                    hint="the system log (dmesg) says why; if memory is short, rerun with fewer --workers",
                )


def _stop_pool(pool: Any, pids: set[int], kill_first: bool) -> None:
    """Stop the pool's workers and threads, within ``_STOP_WAIT_S`` seconds whatever happened.

    ``Pool.terminate`` first takes the task queue's lock, which a worker killed while it waited
    for work still holds: it would block for ever. It runs in a thread here; if it has not
    finished in time (or a worker is known to be dead), every worker is killed and the thread,
    blocked on that lock, is left behind (a daemon: it does not keep the process alive).
    """
    workers = {p.pid for p in getattr(pool, "_pool", ()) if p.pid} | pids
    stopper = threading.Thread(target=_terminate, args=(pool,), name="datagen-pool-stop", daemon=True)
    if kill_first:
        _kill(workers)
    stopper.start()
    stopper.join(_STOP_WAIT_S / 4 if kill_first else _STOP_WAIT_S)
    if stopper.is_alive():
        _kill(workers | {p.pid for p in getattr(pool, "_pool", ()) if p.pid})
        stopper.join(_STOP_WAIT_S / 4)


def _terminate(pool: Any) -> None:
    pool.terminate()
    pool.join()


def _kill(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _spill_dir() -> Iterator[None]:
    """A private folder in ``/dev/shm`` for the workers' large payloads (none without it)."""
    global _SPILL_DIR
    if not os.path.isdir("/dev/shm") or not os.access("/dev/shm", os.W_OK):
        yield
        return
    _SPILL_DIR = tempfile.mkdtemp(prefix="datagen-", dir="/dev/shm")
    try:
        yield
    finally:
        shutil.rmtree(_SPILL_DIR, ignore_errors=True)
        _SPILL_DIR = None
