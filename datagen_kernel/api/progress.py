"""Progress of a run as it happens: one model for every display (``ProgressSnapshot``).

The engine feeds a ``ProgressTracker``: the run's shape when it starts (``begin``), each
phase as it starts (``phase_started``), each batch delivered to its sink (the tracker is
called as ``tracker(phase, entity, records)``, the kernel-1 progress callback), and each block
done (``block_done``). ``snapshot()`` turns that into figures any thread may read: the CLI's
bars and lines, ``datagen run --progress-json`` and the TUI render the same snapshots.

How the figures are computed:

- ``percent`` (bounded runs): the share of the run's block work done. Each block phase
  (``masters`` and ``events``, or one pass for sinks that need no barrier) processes every
  root once, so the work is ``root_count`` times the number of block phases and a finished
  block adds its roots. It reaches 100 exactly when the last block is delivered. In stream mode
  with ``--duration`` it is the share of the duration streamed; otherwise ``None``.
- ``eta_s``: the remaining work at the pace measured so far (block time since the first block
  phase started). In a two-phase run the events phase is slower per root than the masters
  phase, so the ETA made during the masters phase is short; it settles in the events phase.
- ``total_expected``: records the run will deliver, estimated per entity as ``root_count``
  times the records per root measured over the blocks done (exact for the entities generated
  once per run, and exact once a phase is over). ``None`` until every bounded phase has done
  a block (the events of a two-phase run are not known while the masters are written), and in
  stream mode.
- rates: an entity's records divided by the time it was being written (from the start of the
  block that brought its first batch, or of its phase, to its last batch, or now while its
  phase runs); a sink's
  acknowledged records divided by the time from its first batch to the end of the last phase
  that wrote to it (its flush acknowledges them), or now while it runs.
- ``rss_bytes``: resident memory of this process and all its descendants (the local executor's
  worker processes, a Dask cluster's), read from ``/proc``; ``None`` where there is no ``/proc``.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

PHASE_STARTING = "starting"
PHASE_STREAMING = "streaming"
PHASE_CLOSING = "closing"
PHASE_DONE = "done"
PHASE_INTERRUPTED = "interrupted"

PHASE_LABELS = {"all": "masters+events"}
"""Display names of the engine's phases: a one-pass run writes masters and events together."""


class _Stats(Protocol):
    """What the tracker reads of a sink (``api.sinks.SinkStats``)."""

    acknowledged: Counter[str]
    failed: Counter[str]


@dataclass(frozen=True)
class EntityProgress:
    generated: int
    """Records generated and handed to the sinks."""
    rate: float
    """Records per second over the time the entity was being written."""
    seconds: float
    """That time."""


@dataclass(frozen=True)
class SinkProgress:
    acknowledged: int
    failed: int
    rate: float
    """Acknowledged records per second over the time the sink was being written."""
    seconds: float


@dataclass(frozen=True)
class StreamProgress:
    target_rate: float
    """``--rate``: events per second asked for."""
    actual_rate: float
    """Events per second delivered since the stream started."""
    events: int
    duration: float | None
    """``--duration``: None when the stream runs until a signal."""


@dataclass(frozen=True)
class ProgressSnapshot:
    """The state of a run at one instant; ``as_dict`` is its JSON form (``--progress-json``)."""

    phase: str
    """``starting``, ``masters``, ``events``, ``all`` (one pass: masters and events block by
    block), ``streaming``, ``closing``, ``done`` or ``interrupted``."""
    elapsed_s: float
    generated: int
    acknowledged: int
    failed: int
    total_expected: int | None
    percent: float | None
    eta_s: float | None
    rss_bytes: int | None
    entities: Mapping[str, EntityProgress] = field(default_factory=dict)
    sinks: Mapping[str, SinkProgress] = field(default_factory=dict)
    stream: StreamProgress | None = None

    @property
    def phase_label(self) -> str:
        return PHASE_LABELS.get(self.phase, self.phase)

    def as_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "elapsed_s": round(self.elapsed_s, 3),
            "generated": self.generated,
            "acknowledged": self.acknowledged,
            "failed": self.failed,
            "total_expected": self.total_expected,
            "percent": None if self.percent is None else round(self.percent, 2),
            "eta_s": None if self.eta_s is None else round(self.eta_s, 1),
            "rss_bytes": self.rss_bytes,
            "stream": None if self.stream is None else {
                "target_rate": self.stream.target_rate, "actual_rate": round(self.stream.actual_rate, 1),
                "events": self.stream.events, "duration": self.stream.duration},
            "entities": {name: {"generated": e.generated, "rate": round(e.rate, 1)}
                         for name, e in self.entities.items()},
            "sinks": {name: {"acknowledged": s.acknowledged, "failed": s.failed, "rate": round(s.rate, 1)}
                      for name, s in self.sinks.items()},
        }


@dataclass(frozen=True)
class RunShape:
    """What the engine tells the tracker as the run starts (``ProgressTracker.begin``)."""

    run_id: str
    root_count: int
    block_phases: Sequence[str]
    """The phases that process every block, in order (each is ``root_count`` roots of work)."""
    entities: Mapping[str, str]
    """Every emitted entity and the phase that writes it (``streaming`` when streamed)."""
    global_entities: frozenset[str] = frozenset()
    """Entities generated once per run (not per block): their count is known once written."""
    routes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Sink (route label) -> the entities it receives."""
    stream_rate: float | None = None
    """Stream mode: ``--rate``; None for a bounded run."""
    stream_duration: float | None = None
    seed: int = 0


ProgressFn = Callable[[str, str, int], None]
"""The kernel-1 progress callback: ``(phase, entity, records)`` as batches are delivered."""


class ProgressTracker:
    """Computes ``ProgressSnapshot``s from what the engine reports; thread-safe to read.

    ``forward``: a plain progress callback also called for every batch. ``listeners`` are
    called (with the tracker) after every change, in the engine's thread: keep them cheap
    and call ``snapshot()`` only when rendering.
    """

    def __init__(self, forward: ProgressFn | None = None, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self._forward = forward
        self._clock = clock
        self._lock = threading.Lock()
        self.listeners: list[Callable[[ProgressTracker], None]] = []
        self.begin_listeners: list[Callable[[ProgressTracker], None]] = []
        self.shape: RunShape | None = None
        self.started = clock()
        self.phase = PHASE_STARTING
        self.generated: Counter[str] = Counter()
        self._sinks: dict[str, _Stats] = {}
        self._block_start = self.started
        self._first: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._phase_of: dict[str, str] = {}
        self._phase_start: dict[str, float] = {}
        self._phase_end: dict[str, float] = {}
        self._roots_done: Counter[str] = Counter()
        self._roots_skipped: Counter[str] = Counter()  # --resume: blocks a sink committed before
        self._measured: dict[str, int] = {}
        self._work_started: float | None = None
        self._stream_events = 0
        self._rss = _RssProbe()

    # -- what the engine reports -------------------------------------------------------------
    def begin(self, shape: RunShape, sinks: Mapping[str, _Stats] | None = None) -> None:
        with self._lock:
            self.shape = shape
            self._sinks = dict(sinks or {})
            self._phase_of.update(shape.entities)
        for listener in self.begin_listeners:
            listener(self)

    def phase_started(self, phase: str) -> None:
        with self._lock:
            now = self._clock()
            if self.phase in self._phase_start:
                self._phase_end[self.phase] = now
            self.phase = phase
            self._phase_start.setdefault(phase, now)
            self._block_start = now
            if self.shape is not None and phase in self.shape.block_phases and self._work_started is None:
                self._work_started = now
        self._notify()

    def __call__(self, phase: str, entity: str, n: int) -> None:
        with self._lock:
            now = self._clock()
            self.generated[entity] += n
            if entity not in self._first:  # it is being written since its block started
                self._first[entity] = self._block_start
            self._last[entity] = now
            self._phase_of.setdefault(entity, self.phase)
            if self.phase == PHASE_STREAMING:
                self._stream_events += n
        if self._forward is not None:
            self._forward(phase, entity, n)
        self._notify()

    def block_done(self, roots: int) -> None:
        """A block of the current phase is delivered: ``roots`` roots of work are done."""
        with self._lock:
            self._roots_done[self.phase] += roots
            self._block_start = self._clock()
            for entity, phase in self._phase_of.items():
                if phase == self.phase:
                    self._measured[entity] = self.generated[entity]
        self._notify()

    def blocks_skipped(self, phase: str, roots: int) -> None:
        """``--resume``: ``roots`` roots of ``phase`` were committed by an earlier attempt (no work now)."""
        with self._lock:
            self._roots_skipped[phase] += roots

    def finish(self, interrupted: bool = False) -> None:
        self.phase_started(PHASE_INTERRUPTED if interrupted else PHASE_DONE)

    # -- what displays read ------------------------------------------------------------------
    def entity_seconds(self, entity: str) -> float:
        """The time ``entity`` was being written (0 before its first batch)."""
        with self._lock:
            return self._entity_seconds(entity, self._clock())

    def sink_seconds(self, label: str) -> float:
        with self._lock:
            return self._sink_seconds(label, self._clock())

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            now = self._clock()
            shape = self.shape
            entities = {name: EntityProgress(n, _rate(n, s), s) for name, n in self.generated.items()
                        for s in (self._entity_seconds(name, now),)}
            sinks: dict[str, SinkProgress] = {}
            for label, stats in self._sinks.items():
                ack, failed = _total(stats.acknowledged), _total(stats.failed)
                seconds = self._sink_seconds(label, now)
                sinks[label] = SinkProgress(ack, failed, _rate(ack, seconds), seconds)
            percent, eta = self._percent_eta(now)
            stream = None
            if shape is not None and shape.stream_rate is not None:
                start = self._phase_start.get(PHASE_STREAMING)
                seconds = (self._phase_end.get(PHASE_STREAMING, now) - start) if start is not None else 0.0
                stream = StreamProgress(shape.stream_rate, _rate(self._stream_events, seconds),
                                        self._stream_events, shape.stream_duration)
            generated = sum(self.generated.values())
            return ProgressSnapshot(
                phase=self.phase, elapsed_s=now - self.started, generated=generated,
                acknowledged=sum(s.acknowledged for s in sinks.values()),
                failed=sum(s.failed for s in sinks.values()),
                total_expected=self._total_expected(), percent=percent, eta_s=eta,
                rss_bytes=self._rss.read(now), entities=entities, sinks=sinks, stream=stream)

    # -- internals (called with the lock held) -------------------------------------------------
    def _notify(self) -> None:
        for listener in self.listeners:
            listener(self)

    def _running(self, phase: str | None) -> bool:
        return phase is not None and phase == self.phase and phase not in (PHASE_DONE, PHASE_INTERRUPTED)

    def _entity_seconds(self, entity: str, now: float) -> float:
        first = self._first.get(entity)
        if first is None:
            return 0.0
        end = now if self._running(self._phase_of.get(entity)) else self._last[entity]
        return max(end - first, 0.0)

    def _sink_seconds(self, label: str, now: float) -> float:
        shape = self.shape
        names = [e for e in (shape.routes.get(label, ()) if shape else ()) if e in self._first]
        if not names:
            return 0.0
        start = min(self._first[e] for e in names)
        ends = []
        for e in names:
            phase = self._phase_of.get(e)
            if self._running(phase):
                ends.append(now)
            else:  # acknowledged by the flush at the end of its phase
                ends.append(self._phase_end.get(phase or "", self._last[e]))
        return max(max(ends) - start, 0.0)

    def _percent_eta(self, now: float) -> tuple[float | None, float | None]:
        shape = self.shape
        if shape is None:
            return None, None
        if shape.stream_rate is not None:
            start = self._phase_start.get(PHASE_STREAMING)
            if shape.stream_duration is None or start is None:
                return None, None
            streamed = self._phase_end.get(PHASE_STREAMING, now) - start
            done = min(streamed / shape.stream_duration, 1.0) if shape.stream_duration > 0 else 1.0
            if self.phase in (PHASE_CLOSING, PHASE_DONE):
                done = 1.0
            return 100.0 * done, max(shape.stream_duration - streamed, 0.0)
        work = sum(max(shape.root_count - self._roots_skipped[p], 0) for p in shape.block_phases)
        if work <= 0:
            finished = self.phase in (PHASE_CLOSING, PHASE_DONE)
            return (100.0, 0.0) if finished else (0.0, None)
        done_work = min(sum(self._roots_done[p] for p in shape.block_phases), work)
        percent = 100.0 * done_work / work
        if done_work == 0 or self._work_started is None:
            return percent, None
        spent = now - self._work_started
        return percent, spent * (work - done_work) / done_work

    def _total_expected(self) -> int | None:
        shape = self.shape
        if shape is None or shape.stream_rate is not None:
            return None
        total = 0
        for entity, phase in shape.entities.items():
            if entity in shape.global_entities:
                if entity not in self._first and self._phase_end.get(phase) is None and phase != self.phase:
                    return None
                total += self.generated[entity]
                continue
            roots = self._roots_done[phase]
            if roots <= 0:
                if shape.root_count == 0:
                    continue
                return None
            to_run = max(shape.root_count - self._roots_skipped[phase], 0)
            total += round(self._measured.get(entity, 0) * to_run / roots)
        return total


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else 0.0


def _total(counter: Counter[str]) -> int:
    """The sum of a counter another thread may be growing."""
    for _ in range(3):
        try:
            return sum(list(counter.values()))
        except RuntimeError:  # a key was added while it was copied
            continue
    return 0


class _RssProbe:
    """Resident memory of this process and its descendants, read at most every half second."""

    def __init__(self) -> None:
        self._at = -1.0
        self._value: int | None = None
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def read(self, now: float) -> int | None:
        if now - self._at >= 0.5 or self._value is None:
            self._at = now
            self._value = process_tree_rss(os.getpid(), self._page)
        return self._value


def process_tree_rss(pid: int, page_size: int = 4096) -> int | None:
    """Resident bytes of ``pid`` and all its descendants (``/proc``), None without ``/proc``."""
    if not os.path.isdir(f"/proc/{pid}"):
        return None
    total = 0
    seen: set[int] = set()
    todo = [pid]
    children = _children_by_parent() if not os.path.exists(f"/proc/{pid}/task/{pid}/children") else None
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/statm", encoding="ascii") as fh:
                total += int(fh.read().split()[1]) * page_size
        except (OSError, ValueError, IndexError):
            continue  # it ended meanwhile
        todo.extend(children.get(current, ()) if children is not None else _children(current))
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                found.extend(int(p) for p in fh.read().split())
        except (OSError, ValueError):
            continue
    return found


def _children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from each ``/proc/PID/stat`` (kernels without ``children``)."""
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        out.setdefault(ppid, []).append(int(entry))
    return out


__all__ = [
    "EntityProgress",
    "ProgressFn",
    "ProgressSnapshot",
    "ProgressTracker",
    "RunShape",
    "SinkProgress",
    "StreamProgress",
    "process_tree_rss",
]
