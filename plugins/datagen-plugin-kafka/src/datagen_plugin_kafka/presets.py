"""Producer presets (exact librdkafka settings) and free librdkafka overrides.

Every preset waits for the broker's acknowledgement (``acks`` is ``all`` or ``1``, never
``0``): the sink counts each delivery report, and a message nobody acknowledges cannot be
counted. ``docs/sinks/kafka.md`` prints the same table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

COMMON: Mapping[str, str] = {
    # Java clients' default partitioner: a key lands on the same partition whether a Java,
    # ksqlDB, Flink or datagen producer wrote it (librdkafka's own default is CRC32-based).
    "partitioner": "murmur2_random",
    "client.id": "datagen",
}
"""Settings shared by every preset (overridable)."""

PRESETS: Mapping[str, Mapping[str, str]] = {
    "reliable": {
        "acks": "all",
        "enable.idempotence": "true",
        "max.in.flight.requests.per.connection": "5",
        "linger.ms": "20",
        "batch.size": "1000000",
        "compression.type": "lz4",
        "message.timeout.ms": "300000",
    },
    "fast": {
        "acks": "1",
        "enable.idempotence": "false",
        "linger.ms": "5",
        "compression.type": "lz4",
        "message.timeout.ms": "120000",
    },
    "bulk": {
        "acks": "1",
        "enable.idempotence": "false",
        "linger.ms": "100",
        "batch.size": "1000000",
        "batch.num.messages": "100000",
        "compression.type": "lz4",
        "queue.buffering.max.messages": "1000000",
        "queue.buffering.max.kbytes": "1048576",
        "message.timeout.ms": "300000",
    },
    "streaming": {
        "acks": "all",
        "enable.idempotence": "true",
        "linger.ms": "5",
        "compression.type": "lz4",
        "message.timeout.ms": "60000",
    },
    "exactly-once": {
        # each block's messages in one transaction (the sink sets transactional.id per block)
        "acks": "all",
        "enable.idempotence": "true",
        "max.in.flight.requests.per.connection": "5",
        "linger.ms": "20",
        "batch.size": "1000000",
        "compression.type": "lz4",
        "message.timeout.ms": "60000",
        "transaction.timeout.ms": "60000",
    },
}
"""``preset`` option -> librdkafka producer settings."""

PRESET_DOCS: Mapping[str, str] = {
    "reliable": "idempotent, every in-sync replica acknowledges; no duplicates or reordering on retry",
    "fast": "leader acknowledgement, short linger: low latency, possible duplicates or reordering on retry",
    "bulk": "leader acknowledgement, large batches and queue: highest throughput for backfills",
    "streaming": "idempotent with all replicas, 5 ms linger: steady low-latency streams",
    "exactly-once": "one Kafka transaction per block (transactional.id from the run and the block): "
    "a read_committed consumer sees every event once, even when a block is retried",
}

TRANSACTIONAL = "exactly-once"
"""The preset whose producers write each block in one transaction."""

CONNECTION_PREFIXES = ("security.", "sasl.", "ssl.", "socket.", "broker.", "client.", "metadata.", "api.",
                       "reconnect.", "connections.", "enable.ssl", "oauthbearer.", "resolve.")
"""Override keys that also apply to the admin client (connection and security settings)."""

FORBIDDEN: Mapping[str, str] = {
    "on_delivery": "the sink counts delivery reports itself",
    "delivery.report.only.error": "the sink sets it (true) and settles acknowledgements from the producer's queue",
    "dr_cb": "the sink counts delivery reports itself",
    "dr_msg_cb": "the sink counts delivery reports itself",
    "bootstrap.servers": "use the bootstrap_servers option",
    "transactional.id": "the exactly-once preset sets one per block (datagen-<run hash>-<route>-<block>)",
}


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``["linger.ms=50", ...]`` -> ``{"linger.ms": "50"}``; raise ValueError on a bad item."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ValueError(f"{item!r} is not KEY=VALUE (e.g. linger.ms=50)")
        if key in FORBIDDEN:
            raise ValueError(f"{key} cannot be overridden: {FORBIDDEN[key]}")
        if key in ("acks", "request.required.acks") and value == "0":
            raise ValueError("acks=0 is refused: an unacknowledged message cannot be counted as delivered")
        out[key] = value
    return out


def validate_overrides(items: list[str] | None) -> str | None:
    """Option validator for ``producer``: None when valid, else the problem."""
    try:
        parse_overrides(items or [])
    except ValueError as exc:
        return str(exc)
    return None


def producer_settings(preset: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """Common settings, then the preset's, then the user's overrides."""
    return {**COMMON, **PRESETS[preset], **overrides}


def connection_settings(settings: Mapping[str, str]) -> dict[str, str]:
    """The subset of producer settings an admin client accepts (connection and security)."""
    return {k: v for k, v in settings.items() if k.startswith(CONNECTION_PREFIXES)}
