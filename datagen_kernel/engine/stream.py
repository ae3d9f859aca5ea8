"""Stream mode: events interleaved across entities, at a steady rate, on a stream clock.

Masters are written first (the normal masters phase); then the event generators run block by
block, and each block's events of every entity are merged in time order and released through
a token bucket. Two stream clocks (``--stream-clock``):

* ``now`` (default): records keep their deterministic content, except that every timestamp is
  set to the emission instant; the blocks cycle over the root range (epoch 0, 1, ...) and from
  the second epoch on primary keys are re-derived from (seed, epoch, key) so that they stay
  unique. Rules that relate an event's instant to others (trading sessions, settlement dates,
  payments after their due dates, card limits per billing cycle) do not hold on such records.
* ``replay``: a simulated clock. Every record keeps its generated instants, so the stream
  carries exactly the records of a backfill run, in time order within each block: the stream's
  clock is the emitted events' own time, a replay of the history (trades inside the B3 session,
  settlement dates after execution, installments paid after creation, ...). The history is
  replayed once (one epoch); then the stream stops ("exhausted"). Every event entity of a block
  is interleaved from its first records, at the block's own mix.

Wall time (rate, duration, sleeping) comes from a ``StreamClock``: ``SYSTEM_CLOCK`` in runs,
replaceable in tests with ``use_clock`` (e.g. a ``ManualClock`` that advances only when the
stream sleeps, so 20 seconds of stream take no real time).
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import signal
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from operator import itemgetter
from types import FrameType
from typing import Any

import numpy as np

from datagen_kernel.api.columnar import Batch, as_rows, int_array
from datagen_kernel.api.records import Record, Records
from datagen_kernel.api.schema import EntitySpec, Timestamp, Uuid
from datagen_kernel.api.transforms import Label
from datagen_kernel.engine.plan import Plan


class StreamClock:
    """Wall time for the stream loop: ``monotonic()`` seconds, ``sleep(s)``, ``time_ms()`` (epoch ms)."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def time_ms(self) -> int:
        return int(time.time() * 1000)


class ManualClock(StreamClock):
    """A clock that moves only when slept on (or ``advance``d): deterministic stream tests."""

    def __init__(self, start_ms: int = 1_767_236_400_000) -> None:
        self.now = 0.0
        self.start_ms = start_ms

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.advance(max(seconds, 0.001))

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def time_ms(self) -> int:
        return self.start_ms + int(self.now * 1000)


SYSTEM_CLOCK = StreamClock()
_clock: list[StreamClock] = [SYSTEM_CLOCK]


def stream_clock() -> StreamClock:
    """The clock stream runs use (``SYSTEM_CLOCK`` unless a test set another)."""
    return _clock[-1]


@contextlib.contextmanager
def use_clock(clock: StreamClock) -> Iterator[StreamClock]:
    """Run streams on ``clock`` inside the ``with`` block."""
    _clock.append(clock)
    try:
        yield clock
    finally:
        _clock.pop()


class TokenBucket:
    """Allows ``rate`` tokens per second with bursts up to ``capacity``."""

    def __init__(self, rate: float, capacity: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        # one second of burst: a slow iteration (a block being generated) is caught up on,
        # so the rate holds over a minute, while each release stays small (see ``_stream``)
        self.capacity = capacity if capacity is not None else max(1.0, rate)
        self.clock = clock
        self.tokens = 0.0
        self.last = clock()

    def available(self) -> int:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        return int(self.tokens)

    def take(self, n: int) -> None:
        self.tokens -= n

    def wait_time(self) -> float:
        """Seconds until one more token is available."""
        missing = 1.0 - self.tokens
        return max(0.0, missing / self.rate)


class StopStreaming(BaseException):
    """Raised by the SIGTERM handler: stop cleanly, flush, summarize, exit 0.

    A ``BaseException`` (like ``KeyboardInterrupt``) so that no plugin's ``except Exception``
    turns the stop into a failure.
    """


def install_sigterm() -> Callable[[], None]:
    """Turn SIGTERM into ``StopStreaming`` until the returned function restores the handler."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise StopStreaming()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. inside a test runner thread)
        return lambda: None
    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def _time_field(spec: EntitySpec) -> str | None:
    for f in spec.fields:
        if isinstance(f.type, Timestamp) and not f.nullable:
            return f.name
    return None


def _rekey(seed: int, epoch: int, key: str) -> str:
    digest = bytearray(hashlib.blake2b(f"{seed}:{epoch}:{key}".encode(), digest_size=16).digest())
    digest[6] = (digest[6] & 0x0F) | 0x40
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))


def time_ordered(spec: EntitySpec, recs: Records) -> Records:
    """``recs`` in the order of their event time (stable), as the stream releases them."""
    tf = _time_field(spec)
    if tf is None or len(recs) < 2:
        return recs
    if isinstance(recs, Batch):
        keys = int_array(recs, tf)
        order = np.argsort(keys, kind="stable")
        return recs if bool((order == np.arange(len(order))).all()) else recs.take(order)
    rows = as_rows(recs)
    return sorted(rows, key=itemgetter(tf))


Prepared = Callable[[int], list[tuple[str, Records, Mapping[int, Label]]]]


def stream_events(plan: Plan, prepared: Prepared, epochs: int | None = None
                  ) -> Iterator[tuple[str, Record, Label | None, int]]:
    """Events of every block, epoch after epoch (at most ``epochs``): (entity, record, its
    transform label or None, shift). Each entity's records come in the order the block gives
    them (``time_ordered``, then the transforms' order), merged across entities by event
    time: a record a transform placed after later events (a late or out-of-order one) is
    released where it was placed, after them. ``shift`` is how far (ms, <= 0) a labelled
    record's time lies before the last unlabelled record of its entity released before it: a
    stream that stamps records with the current instant keeps that much of its lateness."""
    blocks = plan.blocks
    if blocks == 0:
        return
    epoch = 0
    while True:
        produced = 0
        for block in range(blocks):
            entities: list[list[tuple[Any, str, Record, Label | None, int]]] = []
            for name, recs, labels in prepared(block):
                spec = plan.specs[name]
                tf = _time_field(spec)
                pk = spec.primary_key
                rekey = epoch > 0 and isinstance(spec.field(pk).type, Uuid)
                items: list[tuple[Any, str, Record, Label | None, int]] = []
                last: Any = None  # time of the last unlabelled record
                for i, r in enumerate(recs):
                    label = labels.get(i) if labels else None
                    if rekey or label is not None:  # a labelled record: a copy of its own
                        r = {**r, pk: _rekey(plan.run.seed, epoch, r[pk])} if rekey else dict(r)
                    at = r.get(tf, 0) if tf else 0
                    shift = 0
                    if label is None:
                        last = at
                    elif last is not None and isinstance(at, int) and isinstance(last, int):
                        shift = min(0, at - last)
                    items.append((at, name, r, label, shift))
                entities.append(items)
                produced += len(items)
            for _, name, record, label, shift in heapq.merge(*entities, key=itemgetter(0)):
                yield name, record, label, shift
        if produced == 0:
            return
        epoch += 1
        if epochs is not None and epoch >= epochs:
            return


def stamp_now(spec: EntitySpec, record: Record, now_ms: int) -> Record:
    """A copy of ``record`` whose non-null timestamps are ``now_ms``."""
    out = dict(record)
    for f in spec.fields:
        if isinstance(f.type, Timestamp) and out.get(f.name) is not None:
            out[f.name] = now_ms
    return out
