"""What runs inside a Dask worker: the rebuilt work and the sink tasks of a run.

A worker rebuilds the run's work once from its pickled spec (``Work.spec``) and keeps it,
with its sink tasks, in this module's state for the life of the run (keyed by the run's
token). Sink tasks (one per route and worker thread) are opened on the first block that
needs them and closed by ``close_tasks`` at the end of the run. A block's batches for those
routes are written here, framed by ``begin_block``/``end_block``, and flushed before the
block's result leaves the worker: a block the client has a result for is acknowledged (or
failed) by its destination, and a block lost with its worker is run again elsewhere.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import threading
import traceback
from collections import Counter
from collections.abc import Iterable
from typing import Any

from datagen_kernel.api import BlockResult, DatagenError, Sink, SinkStats, TaskStats, Work

KILL_HOOK = "DATAGEN_DASK_TEST_KILL"
"""Test hook: the path of a file holding ``PHASE BLOCK``. The first worker to reach that
block takes the file (renames it) and kills itself with SIGKILL, after writing the block's
first batch to its sink tasks (part of a block produced, nothing committed) or, without sink
tasks, after processing the block. For the tests of lost workers; never set it otherwise."""

_LOCK = threading.Lock()
_RUNS: dict[str, _Run] = {}


class _Task:
    """One sink task and what it has reported to the client so far."""

    def __init__(self, route: int, sink: Sink) -> None:
        self.route = route
        self.sink = sink
        self.acked: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.errors = 0

    def report(self) -> TaskStats | None:
        """What the task acknowledged or failed since the last report (None: nothing new)."""
        stats = self.sink.stats
        out = SinkStats()
        for entity, n in stats.acknowledged.items():
            if n > self.acked[entity]:
                out.acknowledged[entity] = n - self.acked[entity]
        for entity, n in stats.failed.items():
            if n > self.failed[entity]:
                out.failed[entity] = n - self.failed[entity]
        out.errors = list(stats.errors[self.errors:])
        self.acked, self.failed, self.errors = Counter(stats.acknowledged), Counter(stats.failed), len(stats.errors)
        if not (out.acknowledged or out.failed or out.errors):
            return None
        return (self.route, out)


class _Run:
    def __init__(self, spec: bytes, task: int, tasks: int) -> None:
        self.work: Work = pickle.loads(spec).rebuild()
        self.task_number, self.tasks_count = task, tasks
        self.tasks: dict[tuple[int, int], _Task] = {}  # (route, thread) -> task
        self.lock = threading.Lock()

    def task(self, route: int) -> _Task:
        key = (route, threading.get_ident())
        with self.lock:
            found = self.tasks.get(key)
        if found is None:
            found = _Task(route, self.work.open_task(route, self.task_number, self.tasks_count))
            with self.lock:
                self.tasks[key] = found
        return found

    def all_tasks(self) -> list[_Task]:
        with self.lock:
            return list(self.tasks.values())


def _run(token: str, spec: bytes, task: int, tasks: int) -> _Run:
    with _LOCK:
        found = _RUNS.get(token)
        if found is None:
            found = _RUNS[token] = _Run(spec, task, tasks)
            gc.freeze()  # the plan, plugins and tables live for the run: never scan them again
        return found


def failure(exc: BaseException) -> tuple[str, str, str, str | None, str]:
    """An exception as plain data (an exception may not unpickle in the client)."""
    hint = exc.hint if isinstance(exc, DatagenError) else None
    message = exc.message if isinstance(exc, DatagenError) else str(exc)
    return ("error", type(exc).__name__, message, hint, traceback.format_exc())


def process_block(token: str, spec: bytes, phase: str, block: int, routes: tuple[int, ...],
                  task: int, tasks: int) -> tuple[Any, ...]:
    """The Dask task of one block: ``("ok", BlockResult, [TaskStats])`` or a ``failure``."""
    thresholds = gc.get_threshold()
    # as the engine does for its own workers: records are short-lived dicts made by the hundred
    # thousand, which the cyclic collector would otherwise keep scanning
    gc.set_threshold(max(thresholds[0], 100_000), thresholds[1], thresholds[2])
    try:
        run = _run(token, spec, task, tasks)
        result: BlockResult = run.work.process(phase, block)
        reports: list[TaskStats] = []
        mine = [(i, b) for i, b in result.batches if i in routes]
        if mine:
            result.batches = [(i, b) for i, b in result.batches if i not in routes]
            touched = [run.task(route) for route in sorted({i for i, _ in mine})]
            by_route = {t.route: t for t in touched}
            for t in touched:
                t.sink.begin_block(phase, block)
            for n, (index, batch) in enumerate(mine):
                by_route[index].sink.write(batch)
                result.written.append((index, batch.entity, batch.count))
                if n == 0:
                    _kill_hook(phase, block, by_route[index].sink)
            for t in touched:
                t.sink.end_block(phase, block)
                t.sink.flush()
            reports = _reports(touched)
        else:
            _kill_hook(phase, block, None)
        return ("ok", result, reports)
    except BaseException as exc:  # carried back as data
        return failure(exc)
    finally:
        gc.set_threshold(*thresholds)


def _reports(tasks: Iterable[_Task]) -> list[TaskStats]:
    return [r for t in tasks if (r := t.report()) is not None]


def flush_tasks(token: str) -> list[TaskStats]:
    """Flush this worker's sink tasks of the run; what they reported since last time."""
    run = _RUNS.get(token)
    if run is None:
        return []
    tasks = run.all_tasks()
    for t in tasks:
        t.sink.flush()
    return _reports(tasks)


def close_tasks(token: str, ok: bool) -> list[TaskStats]:
    """Close this worker's sink tasks of the run and forget the run."""
    with _LOCK:
        run = _RUNS.pop(token, None)
    if run is None:
        return []
    tasks = run.all_tasks()
    for t in tasks:
        try:
            t.sink.close(ok)
        except Exception as exc:  # reported, the other tasks still close
            t.sink.stats.errors.append(f"closing a sink task in a dask worker: {exc}")
    return _reports(tasks)


def forget(token: str) -> None:
    """Drop the run's state without closing its tasks (the run is over or failed)."""
    with _LOCK:
        run = _RUNS.pop(token, None)
    if run is not None:
        for t in run.all_tasks():
            with contextlib.suppress(Exception):
                t.sink.close(False)


def _kill_hook(phase: str, block: int, sink: Sink | None) -> None:
    path = os.environ.get(KILL_HOOK)
    if not path:
        return
    try:
        with open(path, encoding="utf-8") as fh:
            wanted = fh.read().split()
    except FileNotFoundError:
        return
    if wanted != [phase, str(block)]:
        return
    try:
        os.rename(path, path + ".taken")  # one worker only: the block's retry runs to the end
    except FileNotFoundError:
        return
    if sink is not None:
        sink.flush()  # the block's first batch reached the destination (uncommitted in a transaction)
    os.kill(os.getpid(), signal.SIGKILL)
