"""The state topic of resumable runs: which blocks of which run a kafka route committed.

In resumable mode (``datagen run --resumable`` or ``--resume``, preset ``exactly-once``)
every block's transaction also writes one small JSON message to the state topic
(``<topic_prefix>datagen-state``, one partition, compacted): the block's mark. The broker
commits it with the block's events or aborts both, so a ``read_committed`` reader of the
state topic sees a mark exactly when the block's events are visible. A ``start`` message opens
each attempt of a run that does not resume an earlier one, a ``complete`` message ends a run
that succeeded; both are written in a transaction of their own.

Reading it back (``read_state``) is Kafka Connect's way with its offsets topic: the whole
partition, in order; a ``start`` of the run forgets the marks before it. A transaction left
open by a run that died (the broker stopped before it could be aborted) holds a
``read_committed`` reader back until the broker aborts it (``transaction.timeout.ms``); the
reader fences the transactional ids of the marks it has only seen uncommitted, which aborts
them at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from datagen_kernel.api import ResumeState, RunRecord, SinkError
from datagen_kernel.api.resume import block_label, parse_block

STATE_TOPIC = "datagen-state"
STALL_S = 2.0
"""Seconds without progress after which the reader fences the transactions it saw open."""


@dataclass(frozen=True)
class Mark:
    """One message of the state topic."""

    type: str  # start, block, complete
    run: str
    route: str
    phase: str = ""
    block: int | None = None
    params: Mapping[str, Any] | None = None
    at: str = ""

    def key(self) -> bytes:
        if self.type == "block":
            return f"{self.run}/{self.route}/{self.phase}/{block_label(self.block)}".encode()
        return f"{self.run}/{self.route}/{self.type}".encode()

    def value(self) -> bytes:
        body: dict[str, Any] = {"type": self.type, "run": self.run, "route": self.route, "at": self.at}
        if self.type == "block":
            body.update(phase=self.phase, block=block_label(self.block))
        if self.params is not None:
            body["params"] = dict(self.params)
        return json.dumps(body, sort_keys=True).encode()

    @classmethod
    def parse(cls, raw: bytes | None) -> Mark | None:
        try:
            body = json.loads(raw or b"")
            block = parse_block(str(body["block"])) if body.get("type") == "block" else None
            return cls(str(body["type"]), str(body["run"]), str(body["route"]), str(body.get("phase", "")),
                       block, body.get("params"), str(body.get("at", "")))
        except (ValueError, KeyError, TypeError):
            return None  # not a mark of this version: ignored


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def state_of(marks: list[Mark], key: str, route: str, where: str) -> ResumeState:
    """The state of ``route`` the marks (in partition order) describe, for run ``key``."""
    runs: dict[str, RunRecord] = {}
    order: list[str] = []
    committed: set[tuple[str, int | None]] = set()
    for mark in marks:
        if mark.route != route:
            continue
        if mark.type == "start":
            runs[mark.run] = RunRecord(mark.run, dict(mark.params or {}), False, mark.at)
            if mark.run in order:
                order.remove(mark.run)
            order.append(mark.run)
            if mark.run == key:
                committed = set()
        elif mark.type == "complete" and mark.run in runs:
            started = runs[mark.run]
            runs[mark.run] = RunRecord(started.key, started.params, True, started.started_at, mark.at)
        elif mark.type == "block" and mark.run == key:
            committed.add((mark.phase, mark.block))
    latest = next((runs[k] for k in reversed(order) if not runs[k].complete), None)
    run = runs.get(key)
    return ResumeState(run, committed if run is not None else set(), latest, where)


def read_marks(conf: Mapping[str, Any], topic: str, timeout: float, fence: Callable[[list[Mark]], None],
               deadline_s: float) -> list[Mark]:
    """Every committed mark of ``topic`` in partition order (empty when it does not exist).

    ``fence`` is called with the marks seen uncommitted and not (yet) committed when the
    committed reader stops progressing: it aborts their transactions.
    """
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    try:
        md = AdminClient(dict(conf)).list_topics(topic=topic, timeout=timeout)
    except KafkaException as exc:
        raise SinkError(f"cannot read the state topic {topic!r} within {timeout:g} s: {exc}",
                        hint="start the broker, or check bootstrap_servers") from None
    found = md.topics.get(topic)
    if found is None or found.error is not None or not found.partitions:
        return []
    partitions = sorted(found.partitions)
    seen = _read(conf, topic, partitions, "read_uncommitted", deadline_s, None)
    return _read(conf, topic, partitions, "read_committed", deadline_s, lambda got: fence(
        [m for m in seen if m.key() not in {g.key() for g in got}]))


def _read(conf: Mapping[str, Any], topic: str, partitions: list[int], isolation: str, deadline_s: float,
          on_stall: Callable[[list[Mark]], None] | None) -> list[Mark]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    consumer = Consumer({**conf, "group.id": "datagen-resume", "enable.auto.commit": False,
                         "enable.partition.eof": True, "isolation.level": isolation, "auto.offset.reset": "earliest"})
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        marks: list[Mark] = []
        at_end: set[int] = set()
        started = last = time.monotonic()
        fenced = False
        while len(at_end) < len(partitions):
            msg = consumer.poll(0.5)
            now_ = time.monotonic()
            if msg is None:
                if now_ - started > deadline_s:
                    raise SinkError(f"the state topic {topic!r} could not be read to its end within "
                                    f"{deadline_s:g} s ({isolation}): a transaction stays open on it",
                                    hint="wait for the broker to abort it (transaction.timeout.ms) and retry")
                if on_stall is not None and not fenced and now_ - last > STALL_S:
                    on_stall(marks)
                    fenced = True
                continue
            last = now_
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    at_end.add(int(msg.partition() or 0))
                    continue
                raise SinkError(f"cannot read the state topic {topic!r}: {err.str()}")
            at_end.discard(int(msg.partition() or 0))
            mark = Mark.parse(msg.value())
            if mark is not None:
                marks.append(mark)
        return marks
    finally:
        consumer.close()


__all__ = ["STATE_TOPIC", "Mark", "now", "read_marks", "state_of"]
