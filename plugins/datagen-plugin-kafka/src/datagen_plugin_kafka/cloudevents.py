"""CloudEvents 1.0 binary-mode headers (Kafka protocol binding) for datagen records.

Per message: ``ce_specversion`` ``1.0``; ``ce_id`` the record's primary key (deterministic and
unique); ``ce_type`` ``<namespace>.<domain>.<entity>.created``; ``ce_source``
``/datagen/<domain>``; ``ce_time`` the record's event time in RFC 3339 UTC; ``ce_subject`` the
message key; ``content-type`` the value serializer's media type.

The *domain* is the first dot-separated part of the entity's catalog topic
(``banking.card-transactions`` -> ``banking``), else the last part of the entity's namespace
when that is not the default ``br.com.datagen``. Without a domain (e.g. a master entity with no
topic in the default namespace): ``ce_type`` ``<namespace>.<entity>.created``, ``ce_source``
``/datagen``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from datagen_kernel import EntitySpec, Record, Timestamp
from datagen_kernel.serializers import format_timestamps

SPEC_VERSION = b"1.0"
DEFAULT_NAMESPACE = "br.com.datagen"
EVENT_TIME_NAMES = ("timestamp", "event_time", "executed_at", "occurred_at")
"""Preferred names of the field that holds when an event happened."""

Headers = list[tuple[str, bytes]]


def domain_of(spec: EntitySpec) -> str | None:
    """The domain an entity belongs to (see the module docstring), or None."""
    if spec.topic and "." in spec.topic:
        return spec.topic.split(".", 1)[0]
    if spec.namespace != DEFAULT_NAMESPACE:
        return spec.namespace.rsplit(".", 1)[-1]
    return None


def event_type(spec: EntitySpec) -> str:
    """``ce_type``, e.g. ``br.com.datagen.banking.transaction.created``."""
    domain = domain_of(spec)
    if domain is None or spec.namespace.endswith("." + domain):
        return f"{spec.namespace}.{spec.name}.created"
    return f"{spec.namespace}.{domain}.{spec.name}.created"


def event_source(spec: EntitySpec) -> str:
    """``ce_source``, e.g. ``/datagen/banking``."""
    domain = domain_of(spec)
    return f"/datagen/{domain}" if domain else "/datagen"


def event_time_field(spec: EntitySpec) -> str | None:
    """The timestamp field used for ``ce_time``: an event-time field, else ``created_at``."""
    stamps = [f for f in spec.fields if isinstance(f.type, Timestamp) and not f.nullable]
    for name in EVENT_TIME_NAMES:
        if any(f.name == name for f in stamps):
            return name
    for f in stamps:
        if f.name not in ("created_at", "updated_at"):
            return f.name
    return "created_at" if any(f.name == "created_at" for f in stamps) else None


def rfc3339_utc(values: Sequence[Any]) -> list[bytes]:
    """``2025-06-01T13:04:05.120Z`` for each timestamp (epoch-ms ints vectorized)."""
    if values and all(v.__class__ is int for v in values):
        ms = np.fromiter(values, dtype=np.int64, count=len(values)).astype("datetime64[ms]")
        text = np.char.add(np.datetime_as_string(ms, unit="ms"), "Z")
        return [t.encode() for t in text.tolist()]
    return [b"" if t is None else t.replace("+00:00", "Z").encode() for t in format_timestamps(values, dt.UTC)]


class CloudEventColumns(NamedTuple):
    """The CloudEvents attributes of a batch, per message, ready to become headers.

    Assembled into header lists in the process that produces (``KafkaPayload.headers``):
    measured here, unpickling ready-made header lists costs the producing process more than
    building them from these columns (shared constant headers, ids, times).
    """

    const: Headers
    ids: list[bytes]
    times: list[bytes] | None


class HeaderBuilder:
    """Computes the CloudEvents attributes of an entity's records (pure; runs in workers)."""

    def __init__(self, spec: EntitySpec, content_type: str, source: str | None = None) -> None:
        self.id_field = spec.primary_key
        self.time_field = event_time_field(spec)
        self.const: Headers = [
            ("ce_specversion", SPEC_VERSION),
            ("ce_type", event_type(spec).encode()),
            ("ce_source", (source or event_source(spec)).encode()),
            ("content-type", content_type.encode()),
        ]

    def build(self, records: Sequence[Record]) -> CloudEventColumns:
        idf = self.id_field
        ids = [str(r[idf]).encode() for r in records]
        times: list[bytes] | None = None
        if self.time_field is not None:
            times = rfc3339_utc([r[self.time_field] for r in records])
        return CloudEventColumns(self.const, ids, times)
