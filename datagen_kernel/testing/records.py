"""Records through the real engine (``generate_records``) and columnar batches for rule tests."""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from datagen_kernel.api.columnar import Batch, TextColumn, as_rows
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import (
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Int,
    String,
    Timestamp,
    Uuid,
)
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import EncodedBatch, Sink, SinkContext
from datagen_kernel.api.summary import RunSummary
from datagen_kernel.api.values import Values
from datagen_kernel.cli.common import parse_as_of
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import RunParams, build_plan
from datagen_kernel.engine.plugins import PluginHost
from datagen_kernel.engine.run import execute
from datagen_kernel.engine.runplan import Plan

# --- records through the real engine ---------------------------------------------------------


class _RecordsSerializer(Serializer):
    """The records themselves, pickled: what ``generate_records`` hands its memory sink."""

    name = "datagen-testing-records"
    doc = "Pickled records (testing kit)."
    per_record = False

    def encode(self, entity: EntitySpec, records: Sequence[Record], destination: str | None = None) -> Values:
        data = pickle.dumps([dict(r) for r in as_rows(records)], protocol=pickle.HIGHEST_PROTOCOL)
        return Values(data, np.array([len(data)], dtype=np.int64))


class _MemorySink(Sink):
    """Keeps raw records in memory; used by ``generate_records`` in place of the chosen sink."""

    name = "datagen-testing-memory"
    doc = "In-memory records (testing kit)."
    serializer_name = _RecordsSerializer.name
    serializers = (_RecordsSerializer.name,)
    message_keys = False
    phase_barrier = False

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.records: dict[str, list[Record]] = {}

    def open(self, context: SinkContext) -> None:
        self.records = {name: [] for name in context.entities}

    def write(self, batch: EncodedBatch) -> None:
        self.records[batch.entity].extend(pickle.loads(batch.payload.data))
        self.stats.ack(batch.entity, batch.count)


def generate_records(
    host: PluginHost,
    *,
    customers: int = 100,
    seed: int = 42,
    options: Mapping[str, Any] | None = None,
    scenario: str | None = None,
    transforms: Sequence[str] = (),
    as_of: str | dt.date | dt.datetime | None = None,
) -> dict[str, list[Record]]:
    """Run the engine (validation and transforms included) and return every entity's records.

    ``options`` maps ``"namespace.key"`` to a value, as ``-o`` would. ``as_of`` is where the
    history ends, as ``--as-of`` would set it: an ISO date or timestamp, a ``date`` or a
    ``datetime`` (without an offset, in the run's time zone); None: the packs' default. Values
    are the in-memory representation (decimals as scaled ints, timestamps as epoch milliseconds).
    """
    flags = [f"{key}={value}" for key, value in (options or {}).items()]
    params = RunParams(root_count=customers, seed=seed, scenario=scenario, sinks=("null",),
                       transforms=tuple(transforms), as_of=_as_of(host, as_of))
    plan = build_plan(host, params, ConfigSources.build(flags, environ={}))
    records, summary = capture_records(host, plan)
    if not summary.ok:
        raise AssertionError(f"run failed: {summary.errors}")
    return records


def capture_records(host: PluginHost, plan: Plan) -> tuple[dict[str, list[Record]], RunSummary]:
    """Execute ``plan`` with its first route redirected to memory: every entity's records (in
    their in-memory representation) and the run's summary."""
    holder: list[_MemorySink] = []

    class _Capturing(_MemorySink):
        def open(self, context: SinkContext) -> None:
            super().open(context)
            holder.append(self)

    plan.routes[0].sink_cls = _Capturing
    plan.routes[0].serializer = _RecordsSerializer.name
    plan.serializers[_RecordsSerializer.name] = (_RecordsSerializer, {})
    summary = execute(host, plan)
    return (holder[0].records if holder else {}), summary


def _as_of(host: PluginHost, value: str | dt.date | dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    zone = host.registry.run_defaults().timezone
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=zone)
    return parse_as_of(value, zone)


def columnar_batch(spec: EntitySpec, rows: Sequence[Record]) -> Batch:
    """``rows`` as a ``Batch`` in the shape columnar generators use: ``int64`` /
    ``datetime64[D]`` arrays for ints, decimals, timestamps and dates (masked where the field
    is nullable), ``TextColumn`` for non-nullable text, lists for the rest. For testing that
    rules and encoders read both forms alike."""
    cols: dict[str, Any] = {}
    for f in spec.fields:
        values = [r[f.name] for r in rows]
        if isinstance(f.type, (Int, Decimal, Timestamp, Date)):
            kind: Any = "datetime64[D]" if isinstance(f.type, Date) else np.int64
            data = np.array([0 if v is None else v for v in values], dtype=kind)
            cols[f.name] = np.ma.MaskedArray(data, mask=[v is None for v in values]) if f.nullable else data
        elif not f.nullable and isinstance(f.type, (Uuid, Enum, String)):
            cols[f.name] = TextColumn.from_strings(values)
        else:
            cols[f.name] = values
    return Batch(cols)
