"""The ``kafka`` sink: records as Kafka messages through a confluent-kafka ``Producer``.

Work split: where a batch is generated (a worker process with ``--workers`` > 1), the route's
serializer makes the values, the engine the message keys, and ``headers`` the CloudEvents
attributes (ids, RFC 3339 times); ``write`` hands messages to the producer, assembling each
header list from those columns on the way.

Accounting: the producer runs with ``delivery.report.only.error``, so a failed message comes
back through the delivery callback (``stats.fail`` with the broker's reason) and a delivered
one leaves the producer's queue silently (librdkafka removes a message only once the broker
acknowledged it or it failed). When the queue is empty, every message of a topic handed to
the producer and not failed was acknowledged: ``stats.ack`` is settled then, per topic (at
every ``flush`` and ``close``, and whenever a ``write`` or ``poll`` finds the queue empty).
This spares the producing process a Python call and a message object per delivery. A full
local queue is drained by polling, never by dropping.

One delivery timeout (``delivery_timeout_s``): whenever messages wait and no delivery report
at all has come for that long (the broker stopped, or cannot be reached), the sink gives up
once for the whole run: the waiting messages are purged and failed with the reason, later
writes fail at once, and ``flush``/``close`` do not wait again. A broker that is slow but
answering never trips it (every report restarts the clock).

Exactly once (preset ``exactly-once``): every block's messages are produced in one Kafka
transaction, framed by ``begin_block``/``end_block``, by a producer whose ``transactional.id``
is ``datagen-<hash of seed, parameters, topic prefix, plugin versions>-<route>-<block>``: the
same when a block is run again (a retry after a lost worker, a rerun of the same run), so the
new producer fences the old one and the broker aborts whatever the old one left open; a
``read_committed`` consumer then sees each message once. Acknowledgements of a block are
settled only when its transaction commits; a transaction that does not commit fails the
block's messages. The other presets are at-least-once: a block written again (a retry, a
rerun) writes its messages again.

Resumable runs (``datagen run --resumable`` / ``--resume``, preset ``exactly-once`` only):
each block's transaction also carries the block's mark to the state topic (``state.py``), so
the block's events and its mark are committed together or not at all; ``resume_state`` reads
the marks back and the engine skips those blocks.

Long-running use (stream mode): call ``write`` with small batches and ``poll`` between them;
delivery reports are served on every ``write`` and ``poll``, and ``close`` flushes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib.metadata import distributions
from typing import TYPE_CHECKING, Any, NamedTuple

from datagen_kernel.api import (
    EncodedBatch,
    EntitySpec,
    Kind,
    Option,
    Record,
    ResumeContext,
    ResumeState,
    Sink,
    SinkContext,
    SinkError,
    UsageError,
    Values,
)
from datagen_kernel.api.options import without_credentials
from datagen_plugin_kafka import state
from datagen_plugin_kafka.cloudevents import CloudEventColumns, HeaderBuilder, Headers
from datagen_plugin_kafka.packed import Packed, as_list
from datagen_plugin_kafka.presets import (
    PRESETS,
    TRANSACTIONAL,
    connection_settings,
    parse_overrides,
    producer_settings,
    validate_overrides,
)

if TYPE_CHECKING:  # confluent-kafka is imported when a sink opens, so `datagen --help` stays fast
    from confluent_kafka import KafkaError, Producer
    from confluent_kafka.admin import AdminClient

log = logging.getLogger("datagen.kafka")
log.addHandler(logging.NullHandler())  # librdkafka's own log lines: shown only when logging is configured

_TOPIC = re.compile(r"^[A-Za-z0-9._-]+$")
FLUSH_RATE = 10_000
"""Messages per second a transaction's commit allows for on top of the delivery timeout."""
PURGE_GRACE_S = 1.0
"""Seconds given to the reports of purged messages once the sink gave up (at most the
timeout): purged messages report at once, and what has not reported by then is failed as
not reported, so giving up never adds another wait of the timeout's length."""


def default_bootstrap() -> str:
    return os.environ.get("DATAGEN_KAFKA_BOOTSTRAP") or "localhost:9092"


TOPIC_NAMING = ("catalog", "legacy")
"""``catalog``: each entity's catalog topic (``banking.customers``, ``banking.credit-cards``);
``legacy``: masters and references of the banking packs on a topic named after the entity
(``customer``, ``credit_card``), as before issue #17."""


def topic_problem(topic: str) -> str | None:
    """Why ``topic`` cannot be a topic this sink writes (None: it can)."""
    if not _TOPIC.match(topic) or len(topic) > 249 or topic in (".", ".."):
        return (f"topic {topic!r} is not a valid Kafka topic name "
                "(1 to 249 letters, digits, '.', '_' or '-'; not '.' or '..')")
    if topic.startswith("__"):
        return f"topic {topic!r} is reserved: names starting with '__' are Kafka's internal topics"
    return None


def _check_prefix(value: str | None) -> str | None:
    if value and not _TOPIC.match(value):
        return "a topic prefix may hold only letters, digits, '.', '_' and '-'"
    if value and value.startswith("__"):
        return "a topic prefix may not start with '__' (Kafka's internal topics)"
    return None


def _check_topics(items: list[str] | None) -> str | None:
    for item in items or []:
        entity, sep, topic = item.partition("=")
        if not sep or not entity.strip() or not topic.strip():
            return f"{item!r} is not ENTITY=TOPIC (e.g. transaction=bank.tx)"
        problem = topic_problem(topic.strip())
        if problem:
            return problem
    return None


def catalog_topic(spec: EntitySpec, naming: str = "catalog") -> str:
    """The topic of an entity before the prefix and overrides, under ``topic_naming``."""
    if naming == "legacy" and spec.kind != Kind.EVENT and spec.topic_name.startswith("banking."):
        return spec.name
    return spec.topic_name


class KafkaPayload(NamedTuple):
    """The messages of one batch: topic, values, keys and CloudEvents columns."""

    topic: str
    values: list[bytes] | Packed | Values
    keys: list[bytes | None] | Packed | Values
    cloudevents: CloudEventColumns | None

    def headers(self) -> list[Headers] | None:
        """Each message's header list (None without CloudEvents), as ``write`` produces them."""
        if self.cloudevents is None:
            return None
        return [h for _, _, h in _messages(self) if h is not None]


class KafkaSink(Sink):
    """Kafka topics: catalog topics for events, compacted topics for masters and references."""

    name = "kafka"
    doc = "Kafka topics (confluent-kafka): JSON values, catalog keys, CloudEvents headers."
    serializer_name: str | None = "json"
    message_keys = True
    null_values = True
    record_headers = True
    parallel_tasks = True  # one producer per process may write the same topics (as Connect's tasks)
    resumable = True  # with the exactly-once preset (resume_problem)
    options = (
        Option("bootstrap_servers", "str", default_bootstrap,
               "Kafka bootstrap servers (default: $DATAGEN_KAFKA_BOOTSTRAP, else localhost:9092)."),
        Option("topic_prefix", "str", "", "Prepended to every topic name (e.g. 'dev.').", validator=_check_prefix),
        Option("topics", "list", [], "Topic name overrides as ENTITY=TOPIC (before the prefix).",
               validator=_check_topics),
        Option("topic_naming", "choice", "catalog",
               "Topic names: catalog (each entity's catalog topic, e.g. banking.customers) | legacy (masters "
               "and references of the banking packs named after the entity, e.g. customer).",
               choices=TOPIC_NAMING),
        Option("partitions", "int", 3, "Partitions of topics the sink creates.", minimum=1, maximum=10_000),
        Option("replication_factor", "int", 1, "Replication factor of topics the sink creates.",
               minimum=1, maximum=32),
        Option("retention_ms", "int", 604_800_000,
               "retention.ms of event topics the sink creates (default 7 days; -1 = forever).", minimum=-1),
        Option("create_topics", "bool", True,
               "Create missing topics (AdminClient); when false a missing topic fails the run at start."),
        Option("preset", "choice", "reliable",
               "Producer settings: reliable | fast | bulk | streaming | exactly-once (a transaction per block).",
               choices=tuple(PRESETS)),
        Option("producer", "list", [],
               "librdkafka producer overrides as KEY=VALUE (e.g. linger.ms=50,compression.type=zstd).",
               validator=validate_overrides),
        Option("cloudevents", "bool", True, "Add CloudEvents 1.0 binary-mode headers (ce_*, content-type)."),
        Option("state_topic", "str", state.STATE_TOPIC,
               "Resumable runs (--resumable, --resume): the topic (after the prefix) of each block's commit mark.",
               validator=lambda v: None if v and _TOPIC.match(v) else "expected a Kafka topic name"),
        Option("connect_timeout_s", "float", 5.0, "Seconds to reach the broker when the run starts.",
               minimum=0.5, maximum=300),
        Option("delivery_timeout_s", "float", 30.0,
               "Seconds without any delivery report from the broker, while messages wait, after which the "
               "sink gives up (the broker stopped or is unreachable): waiting and later messages fail and "
               "the run ends with an error. One timeout per run, not one per flush.",
               minimum=1, maximum=86_400),
        Option("flush_timeout_s", "float", 0.0,
               "Former name of delivery_timeout_s: when above 0, used instead of it.",
               minimum=0, maximum=86_400),
    )

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.prefix: str = self.config.get("topic_prefix") or ""
        self.naming: str = self.config.get("topic_naming") or "catalog"
        self.overrides: dict[str, str] = {}
        for item in self.config.get("topics") or []:
            entity, _, topic = item.partition("=")
            self.overrides[entity.strip()] = topic.strip()
        self.settings = producer_settings(self.config["preset"], parse_overrides(self.config.get("producer") or []))
        self._headers: dict[str, HeaderBuilder] = {}
        self._producer: Producer | None = None
        self._entity_of: dict[str, str] = {}
        self._topic_of: dict[str, str] = {}
        self._produced: Counter[str] = Counter()  # handed to the producer, or refused by it (then also failed)
        self._failed: Counter[str] = Counter()
        self._acked: Counter[str] = Counter()  # settled: produced - failed, taken when the queue was empty
        self._last_error: str | None = None
        self._fatal: str | None = None
        self._purge_reason: str | None = None
        self._purged: set[int] = set()
        self.transactional = self.config["preset"] == TRANSACTIONAL
        self._route = self.name
        self._txn_id: str | None = None
        self._in_txn = False
        self._mark: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
        given = self.config.get("flush_timeout_s") or 0
        self.timeout: float = float(given if given > 0 else self.config["delivery_timeout_s"])
        self._progress_at = time.monotonic()  # when a delivery report last came (or the queue was empty)
        self._progress_mark = 0
        self._resume: ResumeContext | None = None
        self._role = "single"

    # -- naming ------------------------------------------------------------------------------
    def topic_for(self, spec: EntitySpec) -> str:
        """The topic of an entity: override or catalog topic (``EntitySpec.topic_name``, or the
        entity's name for a banking master under ``topic_naming=legacy``), prefixed."""
        return self.prefix + self.overrides.get(spec.name, catalog_topic(spec, self.naming))

    def topic_for_name(self, entity: str) -> str:
        """The topic of a routed entity, by name (once open)."""
        topic = self._topic_of.get(entity)
        return topic if topic is not None else self.prefix + self.overrides.get(entity, entity)

    @property
    def content_type(self) -> str:
        return self.serializer.content_type if self.serializer is not None else "application/json"

    # -- where batches are generated ---------------------------------------------------------
    def destination(self, entity: EntitySpec) -> str:
        topic = self._topic_of[entity.name] = self.topic_for(entity)
        return topic

    def headers(self, entity: EntitySpec, records: Sequence[Record]) -> CloudEventColumns | None:
        """The CloudEvents attributes of the batch's messages (None with cloudevents=false)."""
        if not self.config.get("cloudevents", True):
            return None
        builder = self._headers.get(entity.name)
        if builder is None:
            builder = self._headers[entity.name] = HeaderBuilder(entity, self.content_type)
        return builder.build(records)

    def payload(self, batch: EncodedBatch) -> KafkaPayload:
        """The batch's messages as ``write`` produces them."""
        return KafkaPayload(self.topic_for_name(batch.entity), batch.payload, batch.keys, batch.headers)

    def messages(self, batch: EncodedBatch) -> Iterator[tuple[bytes | None, bytes | None, Headers | None]]:
        """(value, key, headers) of each message of the batch, with what transforms added:
        null values (tombstones, ``EncodedBatch.nulls``) and headers (``record_headers``)."""
        messages = _messages(self.payload(batch))
        if batch.nulls is None and batch.record_headers is None:
            return messages
        return _transformed(messages, set(batch.nulls or ()), batch.record_headers or {})

    # -- main side ---------------------------------------------------------------------------
    def open(self, context: SinkContext) -> None:
        from confluent_kafka.admin import AdminClient

        bootstrap = self.config["bootstrap_servers"]
        topics: dict[str, EntitySpec] = {}
        for spec in context.entities.values():
            topic = self.topic_for(spec)
            problem = topic_problem(topic)
            if problem:
                raise UsageError(f"{self.name} sink: entity {spec.name!r}: {problem}",
                                 hint=f"choose another with -o {self.name}.topics={spec.name}=TOPIC "
                                 f"or -o {self.name}.topic_prefix=PREFIX")
            if topic in topics:
                raise SinkError(
                    f"{self.name} sink: entities {topics[topic].name!r} and {spec.name!r} both map to topic {topic!r}",
                    hint=f"give one its own topic, e.g. -o {self.name}.topics={spec.name}=OTHER_TOPIC",
                )
            topics[topic] = spec
        self._entity_of = {t: s.name for t, s in topics.items()}
        self._topic_of = {s.name: t for t, s in topics.items()}
        self._route = context.route
        self._resume = context.resume if self.transactional else None
        self._role = context.role
        unknown = sorted(set(self.overrides) - set(context.all_entities))
        if unknown:
            raise SinkError(f"{self.name} sink: option topics names unknown entities {unknown}",
                            hint="use entity names from `datagen entities`")
        producer = self._new_producer()
        admin = AdminClient({"bootstrap.servers": bootstrap, **connection_settings(self.settings),
                             "logger": log})
        existing = self._existing_topics(admin, without_credentials(bootstrap))
        missing = [t for t in topics if t not in existing]
        if missing and not self.config["create_topics"]:
            raise SinkError(
                f"{self.name} sink: topic(s) {', '.join(missing)} do not exist on {without_credentials(bootstrap)} "
                "and create_topics is false",
                hint=f"create them, or let the sink do it with -o {self.name}.create_topics=true",
            )
        if missing:
            self._create_topics(admin, {t: topics[t] for t in missing})
        if self._resume is not None and self._role != "task" and self.state_topic() not in existing:
            self._create_state_topic(admin)
        self._producer = producer
        if self._resume is not None and self._role != "task" and not self._resume.started:
            self._state_transaction("run", state.Mark("start", self._resume.key, self._route,
                                                      params=self._resume.params, at=state.now()))

    def _new_producer(self, transactional_id: str | None = None) -> Producer:
        """A producer with the preset, the overrides and this sink's delivery callbacks."""
        from confluent_kafka import KafkaError, KafkaException, Producer

        self._purged = {KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT}
        conf = {"bootstrap.servers": self.config["bootstrap_servers"], **self.settings,
                "delivery.report.only.error": True, "on_delivery": self._on_delivery,
                "error_cb": self._on_error, "logger": log}
        if transactional_id is not None:
            conf["transactional.id"] = transactional_id
        try:
            return Producer(conf)
        except (KafkaException, ValueError, TypeError) as exc:
            raise SinkError(
                f"{self.name} sink: invalid producer setting: {_reason(exc)}",
                hint=f"check -o {self.name}.producer=KEY=VALUE against librdkafka's CONFIGURATION.md",
            ) from None

    def _existing_topics(self, admin: AdminClient, bootstrap: str) -> set[str]:
        from confluent_kafka import KafkaException

        timeout = self.config["connect_timeout_s"]
        try:
            md = admin.list_topics(timeout=timeout)
        except KafkaException as exc:
            raise SinkError(
                f"{self.name} sink cannot reach Kafka at {bootstrap} within {timeout:g} s: {_reason(exc)}",
                hint=f"start the broker (scripts/stack up) or set -o {self.name}.bootstrap_servers=HOST:PORT "
                "or DATAGEN_KAFKA_BOOTSTRAP",
            ) from None
        return set(md.topics)

    def _create_topics(self, admin: AdminClient, topics: Mapping[str, EntitySpec]) -> None:
        from confluent_kafka import KafkaError, KafkaException
        from confluent_kafka.admin import NewTopic

        new = []
        for topic, spec in topics.items():
            cfg: dict[str, str] = {}
            if spec.kind == Kind.EVENT:
                if self.config.get("retention_ms") is not None:
                    cfg["retention.ms"] = str(self.config["retention_ms"])
            else:
                cfg["cleanup.policy"] = "compact"
            new.append(NewTopic(topic, num_partitions=self.config["partitions"],
                                replication_factor=self.config["replication_factor"], config=cfg))
        timeout = max(10.0, self.config["connect_timeout_s"])
        futures = admin.create_topics(new, operation_timeout=timeout, request_timeout=timeout)
        problems = []
        for topic, fut in futures.items():
            try:
                fut.result(timeout=timeout + 5)
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                if isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    continue
                problems.append(f"{topic}: {_reason(exc)}")
            except Exception as exc:  # a future that never resolved
                problems.append(f"{topic}: {type(exc).__name__} {exc}")
        if problems:
            raise SinkError(
                f"{self.name} sink cannot create topic(s): {'; '.join(problems)}",
                hint=f"check partitions/replication_factor against the cluster, or create the topics yourself "
                f"and set -o {self.name}.create_topics=false",
            )
        deadline = time.monotonic() + timeout
        pending = set(topics)
        while pending and time.monotonic() < deadline:
            md = admin.list_topics(timeout=timeout)
            pending = {t for t in pending if t not in md.topics or md.topics[t].error is not None}
            if pending:
                time.sleep(0.1)

    def _create_state_topic(self, admin: AdminClient) -> None:
        """The state topic: one partition (marks are read in order), compacted (a key per mark)."""
        from confluent_kafka import KafkaError, KafkaException
        from confluent_kafka.admin import NewTopic

        topic = self.state_topic()
        timeout = max(10.0, self.config["connect_timeout_s"])
        new = NewTopic(topic, num_partitions=1, replication_factor=self.config["replication_factor"],
                       config={"cleanup.policy": "compact"})
        try:
            admin.create_topics([new], operation_timeout=timeout, request_timeout=timeout)[topic].result(timeout + 5)
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            if not (isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS):
                raise SinkError(f"{self.name} sink cannot create the state topic {topic}: {_reason(exc)}",
                                hint=f"create it (1 partition, cleanup.policy=compact) and retry, or choose "
                                f"another with -o {self.name}.state_topic=NAME") from None

    def write(self, batch: EncodedBatch) -> None:
        from confluent_kafka import KafkaException

        payload = self.payload(batch)
        topic = payload.topic
        producer = self._producer
        if producer is None or self._fatal:
            self.stats.fail(batch.entity, batch.count, self._fatal or f"{self.name} sink is not open")
            return
        producer.poll(0)  # serves the producer's own events, so that an empty queue is seen as such
        self._stalled()  # an empty queue restarts the delivery clock
        produce = producer.produce
        sent = 0  # messages handed to the producer or refused on the spot (counted failed there)
        for value, key, headers in self.messages(batch):
            try:
                # positional (topic, value, key, partition, on_delivery, callback, timestamp, headers):
                # cheaper to parse than keywords; -1 = the partitioner's choice, 0 = now
                produce(topic, value, key, -1, None, None, 0, headers)
            except BufferError:
                if not self._produce_when_room(topic, value, key, headers):
                    break
            except KafkaException as exc:
                self._sync_failed(topic, 1, _reason(exc))
                if self._is_fatal(exc):
                    self._fatal = f"producer failed: {_reason(exc)}"
                    sent += 1
                    break
            sent += 1
        self._produced[topic] += sent
        if sent < batch.count:
            self.stats.fail(batch.entity, batch.count - sent, self._fatal or "producer stopped")
            self._failed[topic] += batch.count - sent
            self._produced[topic] += batch.count - sent
        producer.poll(0)
        if not self._fatal and self._stalled():
            self._give_up()
        self._sync()

    def _produce_when_room(self, topic: str, value: bytes | None, key: bytes | None,
                           headers: Headers | None) -> bool:
        """The local queue is full: serve delivery reports until the message fits.

        Gives up (the sink then fails what is left) when no delivery report at all arrives for
        the delivery timeout, e.g. the broker went away mid-run: a run never hangs on it.
        """
        assert self._producer is not None
        while True:
            self._producer.poll(0.05)
            try:
                self._producer.produce(topic, value, key, -1, None, None, 0, headers)
                return True
            except BufferError:
                if self._fatal:
                    return False
                if self._stalled():
                    self._give_up()
                    return False

    def _stalled(self) -> bool:
        """Whether messages have waited ``timeout`` seconds without any delivery report.

        Progress is the count of messages the producer is done with rising above its highest
        value so far: the producer's queue also holds its own events (an error for each failed
        reconnection to a stopped broker), which lower the count when queued and restore it
        when served, and must not restart the clock.
        """
        assert self._producer is not None
        now = time.monotonic()
        reported = self._reported()
        if reported > self._progress_mark or len(self._producer) == 0:
            self._progress_mark, self._progress_at = reported, now
            return False
        return now - self._progress_at > self.timeout

    def _give_up(self) -> None:
        """The delivery timeout passed: fail what waits, and everything after it, at once."""
        assert self._producer is not None
        cause = f"; last error: {self._last_error}" if self._last_error else ""
        self._fatal = (f"no delivery report for {self.timeout:g} s, the delivery timeout "
                       f"(-o {self.name}.delivery_timeout_s): the broker stopped or cannot be reached{cause}")
        self._purge_reason = self._fatal
        if not self._in_txn:  # a transaction is aborted instead (end_block, close)
            self._producer.purge(in_queue=True, in_flight=True)
            self._producer.flush(min(PURGE_GRACE_S, self.timeout))

    def _reported(self) -> int:
        """Messages the producer is done with (acknowledged or failed): progress of the queue."""
        assert self._producer is not None
        return sum(self._produced.values()) - len(self._producer)

    def poll(self, timeout: float = 0.0) -> None:
        """Serve delivery reports (call regularly when a long-running caller is idle)."""
        if self._producer is not None:
            self._producer.poll(timeout)
            self._sync()

    def in_flight(self) -> int:
        """Messages handed to the producer and not yet acknowledged or failed."""
        unsettled = sum(self._produced.values()) - sum(self._acked.values()) - sum(self._failed.values())
        if self._producer is None:
            return unsettled
        return min(unsettled, len(self._producer))  # the queue also counts pending events

    def flush(self) -> None:
        if self._producer is None:
            return
        self._drain()
        self._sync()

    # -- transactions (preset exactly-once) --------------------------------------------------
    def delivery(self) -> str:
        if self.transactional:
            return "exactly-once for read_committed consumers (one Kafka transaction per block)"
        return (f"at-least-once (a block written again writes its events again; "
                f"-o {self.name}.preset=exactly-once for one transaction per block)")

    def transactional_id(self, block: int | None) -> str:
        """``datagen-<run hash>-<route>-<block>``: stable for the same run, route and block."""
        return f"datagen-{self._run_hash()}-{self._route}-{'globals' if block is None else block}"

    def _run_hash(self) -> str:
        run = self.run
        parts = {"seed": run.seed, "root_count": run.root_count, "as_of": run.as_of.isoformat(),
                 "scenario": run.scenario, "mode": run.mode, "timezone": str(run.timezone),
                 "options": {k: dict(v) for k, v in run.options.items()},
                 "topic_prefix": self.prefix, "plugins": plugin_versions()}
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]

    # -- resumable runs ------------------------------------------------------------------------
    def state_topic(self) -> str:
        return self.prefix + (self.config.get("state_topic") or state.STATE_TOPIC)

    def resume_problem(self) -> str | None:
        if self.transactional:
            return None
        return (f"needs -o {self.name}.preset=exactly-once (each block's events and its commit mark "
                "in one Kafka transaction)")

    def resume_state(self, context: SinkContext) -> ResumeState:
        """What the state topic holds of ``context.route``'s runs (committed marks only)."""
        assert context.resume is not None
        self._route = context.route
        topic = self.state_topic()
        conf = {"bootstrap.servers": self.config["bootstrap_servers"], **connection_settings(self.settings),
                "logger": log}
        timeout = float(self.config["connect_timeout_s"])
        deadline = int(self.settings.get("transaction.timeout.ms", "60000")) / 1000 + 3 * timeout + 10
        marks = state.read_marks(conf, topic, timeout, self._fence, deadline)
        return state.state_of(marks, context.resume.key, context.route,
                              f"topic {topic} on {self.config['bootstrap_servers']}")

    def _fence(self, marks: list[state.Mark]) -> None:
        """Abort what the transactions of these blocks (of this sink's run) left open."""
        from confluent_kafka import KafkaException

        blocks = {m.block for m in marks if m.type == "block" and m.route == self._route}
        for block in sorted(blocks, key=lambda b: -1 if b is None else b):
            with contextlib.suppress(KafkaException):
                self._new_producer(self.transactional_id(block)).init_transactions(self.timeout)

    def _state_transaction(self, name: str, mark: state.Mark) -> None:
        """A start or complete mark, in a transaction of its own (``datagen-<run hash>-<route>-NAME``)."""
        from confluent_kafka import KafkaException

        try:
            producer = self._new_producer(f"datagen-{self._run_hash()}-{self._route}-{name}")
            producer.init_transactions(self.timeout)
            producer.begin_transaction()
            producer.produce(self.state_topic(), mark.value(), mark.key())
            producer.commit_transaction(self.timeout)
        except KafkaException as exc:
            raise SinkError(f"{self.name} sink could not write the run's {mark.type} mark to the state topic "
                            f"{self.state_topic()}: {_reason(exc)}") from None

    def begin_block(self, phase: str, block: int | None) -> None:
        from confluent_kafka import KafkaException

        if not self.transactional or self._producer is None or self._fatal:
            return
        txn_id = self.transactional_id(block)
        try:
            if txn_id != self._txn_id:
                self._producer.flush(self.timeout)  # the previous block's producer is done
                self._producer = self._new_producer(txn_id)
                self._txn_id = txn_id
                # fences an earlier producer of this id (a lost worker's) and aborts what it left open
                self._producer.init_transactions(self.timeout)
            self._producer.begin_transaction()
        except KafkaException as exc:
            self._fatal = f"transaction {txn_id} could not start: {_reason(exc)}"
            return
        self._in_txn = True
        self._mark = (Counter(self._produced), Counter(self._failed))

    def end_block(self, phase: str, block: int | None) -> None:
        from confluent_kafka import KafkaException

        if not self._in_txn:
            return
        assert self._producer is not None
        producer = self._producer
        pending = len(producer)
        self._in_txn = False
        try:
            if self._fatal:
                raise RuntimeError(self._fatal)
            if self._resume is not None:  # the block's mark, committed with its events or not at all
                mark = state.Mark("block", self._resume.key, self._route, phase, block, at=state.now())
                producer.produce(self.state_topic(), mark.value(), mark.key())
            producer.commit_transaction(self.timeout + pending / FLUSH_RATE)
        except (KafkaException, RuntimeError) as exc:
            self._abort(f"transaction {self._txn_id} not committed: {_reason(exc)}")
        self._sync()

    def _abort(self, reason: str) -> None:
        """Abort the open transaction: its messages are failed (no read_committed reader sees them)."""
        assert self._producer is not None
        with contextlib.suppress(Exception):
            self._producer.abort_transaction(min(self.timeout, 5.0) if self._fatal else self.timeout)
        self._in_txn = False
        produced, failed = self._mark
        for topic in list(self._produced):
            n = (self._produced[topic] - produced[topic]) - (self._failed[topic] - failed[topic])
            if n > 0:
                self._sync_failed(topic, n, reason)

    def close(self, ok: bool) -> None:
        if self._producer is None:
            return
        if self._in_txn:
            self._abort("the run stopped inside the block's transaction")
        self._drain()
        self._sync()
        left = {t: n for t in self._produced if (n := self._produced[t] - self._acked[t] - self._failed[t]) > 0}
        # still queued after the purge and its grace period: failed here, never settled as acknowledged
        for topic, n in left.items():
            self._sync_failed(topic, n, "no delivery report received before close")
        self._producer = None
        if ok and not left and not self._fatal and self._resume is not None and self._role != "task":
            self._state_transaction("run", state.Mark("complete", self._resume.key, self._route, at=state.now()))

    def _drain(self) -> None:
        """Wait for delivery reports while they come; fail (purge) what is left once the
        delivery timeout passes without any (or at once, if it passed already)."""
        assert self._producer is not None
        producer = self._producer
        if len(producer) == 0:
            producer.poll(0)
            return
        while len(producer) > 0 and not self._fatal:
            producer.flush(0.2)
            if self._stalled():
                self._give_up()
        if len(producer) > 0:
            self._purge_reason = self._purge_reason or self._fatal
            producer.purge(in_queue=True, in_flight=True)
            producer.flush(min(PURGE_GRACE_S, self.timeout))

    # -- delivery reports --------------------------------------------------------------------
    def _on_delivery(self, err: KafkaError | None, msg: Any) -> None:
        if err is None:  # not called for deliveries (delivery.report.only.error); they settle in _sync
            return
        reason = err.str()
        if err.code() in self._purged and self._purge_reason:
            reason = self._purge_reason
        self._sync_failed(msg.topic(), 1, reason)

    def _on_error(self, err: KafkaError) -> None:
        self._last_error = err.str()
        if err.fatal():
            self._fatal = f"producer failed: {err.str()}"
        log.debug("kafka error: %s", err.str())

    def _sync_failed(self, topic: str, n: int, reason: str) -> None:
        self._failed[topic] += n
        entity = self._entity_of.get(topic, topic)
        self.stats.fail(entity, n, f"topic {topic}: {reason}")

    def _sync(self) -> None:
        """Settle acknowledgements when the producer's queue is empty.

        Then every delivery report has been served: each message of a topic that was handed
        to the producer and not reported failed has been acknowledged by the broker.
        """
        if self._producer is None or self._in_txn or len(self._producer) > 0:
            return  # in a transaction: nothing is acknowledged before the commit
        for topic, produced in self._produced.items():
            delta = produced - self._failed[topic] - self._acked[topic]
            if delta > 0:
                self.stats.ack(self._entity_of.get(topic, topic), delta)
                self._acked[topic] += delta

    @staticmethod
    def _is_fatal(exc: BaseException) -> bool:
        err = exc.args[0] if exc.args else None
        return hasattr(err, "fatal") and bool(err.fatal())


@cache
def plugin_versions() -> dict[str, str]:
    """Versions of datagen-kernel and of every installed datagen plugin, by distribution."""
    found = {}
    for dist in distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name == "datagen-kernel" or any(ep.group == "datagen" for ep in dist.entry_points):
            found[name] = dist.version
    return dict(sorted(found.items()))


def _messages(payload: KafkaPayload) -> Iterator[tuple[bytes, bytes | None, Headers | None]]:
    """(value, key, headers) of each message, its header list assembled from the batch's columns.

    A generator on purpose: each header list is freed once produced; materializing a batch of
    them first measured slower here (more garbage-collector work).
    """
    ce = payload.cloudevents
    values, keys = as_list(payload.values), as_list(payload.keys)
    if ce is None:
        for value, key in zip(values, keys, strict=True):
            yield value, key, None
        return
    c0, c1, c2, c3 = ce.const
    if ce.times is None:
        for value, key, ce_id in zip(values, keys, as_list(ce.ids), strict=True):
            yield value, key, [c0, c1, c2, c3, ("ce_id", ce_id), ("ce_subject", key)]
        return
    for value, key, ce_id, ce_time in zip(values, keys, as_list(ce.ids), as_list(ce.times), strict=True):
        yield value, key, [c0, c1, c2, c3, ("ce_id", ce_id), ("ce_time", ce_time), ("ce_subject", key)]


def _transformed(messages: Iterator[tuple[bytes, bytes | None, Headers | None]], nulls: set[int],
                 added: dict[int, list[tuple[str, bytes]]]
                 ) -> Iterator[tuple[bytes | None, bytes | None, Headers | None]]:
    for i, (value, key, headers) in enumerate(messages):
        extra = added.get(i)
        if extra:
            headers = [*(headers or []), *extra]
        yield (None if i in nulls else value), key, headers


def _reason(exc: BaseException) -> str:
    err = exc.args[0] if exc.args else None
    if hasattr(err, "str") and hasattr(err, "code"):
        return str(err.str())
    return str(exc)
