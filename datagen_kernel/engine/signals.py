"""SIGINT and SIGTERM stop a run at a safe point, with the same cleanup for both.

Python's own SIGINT handler raises ``KeyboardInterrupt`` wherever the main thread happens to be:
inside a Kafka producer's C call (which then reports a ``TypeError``), inside a process pool
holding one of its locks, between a file's write and its bookkeeping. SIGTERM, by default, ends
the process at once: no summary, temporary files and the workers' spill folder left behind.

While ``deferred_signals()`` is active, both signals are only recorded; the engine calls
``check()`` at safe points (between batches, while it waits for a worker's block, in the stream
loop), which raises ``Interrupted`` (a ``KeyboardInterrupt``) there, once. The run then takes its
ordinary interrupted path: the sinks close as failed (files removed, transactions rolled back,
the Kafka producer's queue flushed or counted as failed), the workers stop, the summary is
printed, and the exit status is 130 after SIGINT and 143 after SIGTERM. A second signal raises at
once, wherever it lands: the way out when the cleanup itself cannot finish.

Forked workers must not inherit these handlers: ``reset_in_child()`` gives a worker the default
SIGTERM (the pool stops its workers with it) and makes it ignore SIGINT (Ctrl+C reaches the whole
process group; the main process decides).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}
"""Exit status of a run stopped by each signal (128 + its number, as shells report it)."""


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (``signal``: its name, ``SIGINT`` or ``SIGTERM``)."""

    def __init__(self, signum: int) -> None:
        self.signal = signal.Signals(signum).name
        super().__init__(self.signal)


_pending: list[int] = []
"""The signal received and not acted on yet (at most one)."""
_raised: list[bool] = [False]
_depth: list[int] = [0]


def _handler(signum: int, frame: FrameType | None) -> None:
    if _pending:  # a second signal: stop now, wherever it lands
        raise Interrupted(signum)
    _pending.append(signum)


def pending() -> str | None:
    """The name of the signal received during the run, if any."""
    return signal.Signals(_pending[0]).name if _pending else None


def unhandled() -> str | None:
    """The name of a signal received during the run that no safe point acted on (it came after
    the last one, e.g. while the sinks committed), if any."""
    return pending() if _pending and not _raised[0] else None


def check() -> None:
    """Raise ``Interrupted`` if a signal arrived since the run started (once per signal)."""
    if _pending and not _raised[0]:
        _raised[0] = True
        raise Interrupted(_pending[0])


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """SIGINT and SIGTERM recorded for ``check()`` inside the block; nested uses share one state."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _depth[0]:
        _depth[0] += 1
        try:
            yield
        finally:
            _depth[0] -= 1
        return
    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    _pending.clear()
    _raised[0] = False
    _depth[0] = 1
    try:
        yield
    finally:
        _depth[0] = 0
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        _pending.clear()
        _raised[0] = False


def reset_in_child() -> None:
    """In a forked worker: default SIGTERM, SIGINT ignored, nothing pending."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _pending.clear()
    _raised[0] = False
    _depth[0] = 0


__all__ = ["EXIT_CODES", "Interrupted", "check", "deferred_signals", "pending", "reset_in_child", "unhandled"]
