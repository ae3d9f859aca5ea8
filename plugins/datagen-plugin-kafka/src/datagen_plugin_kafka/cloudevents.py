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

import contextlib
import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from datagen_kernel import Batch, EntitySpec, Record, TextColumn, Timestamp
from datagen_kernel.codecs.columns import iso_timestamp_matrix
from datagen_kernel.codecs.text import format_timestamps
from datagen_plugin_kafka.packed import Packed

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


def stored(records: Sequence[Record], name: str) -> Any:
    """Field ``name`` as a batch stores it (array, ``TextColumn``, list), or a list from dicts."""
    if isinstance(records, Batch):
        return records.values(name)
    return [r[name] for r in records]


def text_column(values: Any) -> Packed | list[bytes | None]:
    """``text_bytes`` packed for the trip to the producing process (a list when a value is null)."""
    packed = Packed.text(values)
    return text_bytes(values) if packed is None else packed


def text_bytes(values: Any) -> list[bytes | None]:
    """Each value as UTF-8 text bytes (``str(value)``), None for null: message keys, ``ce_id``."""
    if isinstance(values, TextColumn) and values.nulls is None and values.width > 0:  # S view strips the NULs
        matrix = np.ascontiguousarray(values.matrix)
        return matrix.view(f"S{matrix.shape[1]}").ravel().tolist()  # type: ignore[no-any-return]
    if isinstance(values, (np.ndarray, TextColumn)):
        values = values.tolist()
    try:
        return list(map(str.encode, values))
    except TypeError:  # not all str: numbers, nulls
        return [None if v is None else str(v).encode() for v in values]


def rfc3339_utc(values: Any) -> list[bytes]:
    """``2025-06-01T13:04:05.120Z`` for each timestamp (epoch-ms ints vectorized)."""
    column = rfc3339_column(values)
    return column.tolist() if isinstance(column, Packed) else column


def rfc3339_column(values: Any) -> Packed | list[bytes]:
    """``rfc3339_utc``, packed when computed in numpy."""
    ms: np.ndarray[Any, Any] | None = None
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuM":
        ms = values.astype("datetime64[ms]").astype(np.int64) if values.dtype.kind == "M" else values.astype(np.int64)
    else:
        values = values if isinstance(values, list) else list(values)
        if values and all(v.__class__ is int for v in values):
            try:
                ms = np.fromiter(values, dtype=np.int64, count=len(values))
            except OverflowError:
                ms = None
    if ms is not None:
        with contextlib.suppress(ValueError):  # the kernel's tables cover 1900-2099
            return Packed.rows(iso_timestamp_matrix(ms, dt.UTC))
        text = np.char.add(np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms"), "Z")
        return [t.encode() for t in text.tolist()]  # years beyond 0-9999
    return [b"" if t is None else t.replace("+00:00", "Z").encode() for t in format_timestamps(values, dt.UTC)]


class CloudEventColumns(NamedTuple):
    """The CloudEvents attributes of a batch, per message, ready to become headers.

    Assembled into header lists in the process that produces (``KafkaPayload.headers``):
    measured here, unpickling ready-made header lists costs the producing process more than
    building them from these columns (shared constant headers, ids, times).
    """

    const: Headers
    ids: list[bytes] | Packed
    times: list[bytes] | Packed | None


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
        """The attributes of ``records`` (a list of dicts or a ``Batch``, read by column)."""
        ids = text_column(stored(records, self.id_field))
        times: list[bytes] | Packed | None = None
        if self.time_field is not None:
            times = rfc3339_column(stored(records, self.time_field))
        return CloudEventColumns(self.const, ids, times)  # type: ignore[arg-type]
