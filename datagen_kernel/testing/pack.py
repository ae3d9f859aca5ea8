"""The conformance suite's sample entities: every field type, awkward text, nulls, a nested record."""

from __future__ import annotations

import uuid

import numpy as np

from datagen_kernel.api.columnar import Batch, TextColumn, column
from datagen_kernel.api.domain import DomainDefaults
from datagen_kernel.api.generation import BlockContext
from datagen_kernel.api.hookspecs import hookimpl
from datagen_kernel.api.records import Record
from datagen_kernel.api.registry import EntityRegister, GeneratorRegister
from datagen_kernel.api.schema import (
    Bool,
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    Float,
    ForeignKey,
    Int,
    Kind,
    Scope,
    String,
    Timestamp,
    Uuid,
)
from datagen_kernel.api.schema import Record as RecordType

# --- the sink conformance suite --------------------------------------------------------------

_CONFORMANCE_OWNER = EntitySpec(
    name="conformance_owner",
    kind=Kind.MASTER,
    scope=Scope.ROOT,
    fields=(
        Field("owner_id", Uuid(), doc="Primary key."),
        Field("name", String(60), doc="Text with commas, quotes and accents."),
        Field("tier", Enum("GOLD", "SILVER", "BRONZE")),
        Field("balance", Decimal(15, 2)),
        Field("score", Int(minimum=0, maximum=1000)),
        Field("ratio", Float()),
        Field("active", Bool()),
        Field("born_on", Date()),
        Field("created_at", Timestamp()),
        Field("nickname", String(30), nullable=True),
        Field("address", RecordType("conformance_address", (Field("street", String(60)), Field("city", String(40))))),
    ),
    primary_key="owner_id",
    table="conformance_owners",
    doc="Sink conformance suite: one record per root index.",
)
_CONFORMANCE_EVENT = EntitySpec(
    name="conformance_event",
    kind=Kind.EVENT,
    fields=(
        Field("event_id", Uuid()),
        Field("owner_id", Uuid()),
        Field("amount", Decimal(15, 2)),
        Field("at", Timestamp()),
        Field("note", String(80), nullable=True),
    ),
    primary_key="event_id",
    foreign_keys=(ForeignKey("owner_id", "conformance_owner", "owner_id"),),
    topic="datagen.conformance-events",
    key_field="owner_id",
    doc="Sink conformance suite: 0..3 events per owner.",
)
_NAMES = ("Ana Souza", 'João "Jota" Silva', "Maria, da Penha", "Zoë Ç. Ñúñez", "O'Brien Lima")
_NOTES = ("pix recebido", "line one\nline two", "tab\tseparated", "semi;colon", "emoji ✓")


def _gen_owner(ctx: BlockContext) -> list[Record]:
    n = ctx.size
    ids = ctx.uuids(n)
    rng = ctx.rng("values")
    balances = rng.integers(-50_000, 10_000_000, n).tolist()
    scores = rng.integers(0, 1001, n).tolist()
    ratios = rng.random(n).round(6).tolist()
    born = rng.integers(0, 20_000, n).tolist()
    created = (ctx.run.as_of_ms - rng.integers(0, 86_400_000 * 365, n)).tolist()
    import datetime as dt

    out: list[Record] = []
    for k in range(n):
        index = ctx.start + k
        out.append({
            "owner_id": ids[k], "name": _NAMES[index % len(_NAMES)], "tier": ("GOLD", "SILVER", "BRONZE")[index % 3],
            "balance": balances[k], "score": scores[k], "ratio": ratios[k], "active": index % 2 == 0,
            "born_on": dt.date(1950, 1, 1) + dt.timedelta(days=born[k]), "created_at": created[k],
            "nickname": None if index % 4 == 0 else f"nick{index}",
            "address": {"street": f"Rua {index}, apto 1", "city": "São Paulo"},
        })
    return out


def _gen_event(ctx: BlockContext) -> Batch:
    """Columnar on purpose: every sink of the conformance suite also reads a ``Batch`` (with
    numpy and list columns, a fixed-width ``TextColumn`` and a padded one with nulls)."""
    ids: list[str] = []
    owners: list[str] = []
    amounts: list[int] = []
    ats: list[int] = []
    notes: list[str | None] = []
    for owner_id in column(ctx.records("conformance_owner"), "owner_id"):
        rng = ctx.stream("conformance_event", owner_id)
        k = int(rng.integers(0, 4))
        ids.extend(str(uuid.UUID(int=int(x), version=4)) for x in rng.integers(0, 2**62, k))
        owners.extend([owner_id] * k)
        drawn = rng.integers(1, 1_000_000, k).tolist()
        amounts.extend(drawn)
        ats.extend((ctx.run.as_of_ms - rng.integers(0, 86_400_000, k)).tolist())
        notes.extend(_NOTES[(a + i) % len(_NOTES)] if a % 5 else None for i, a in enumerate(drawn))
    event_ids = TextColumn(np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(len(ids), 36))
    return Batch({
        "event_id": event_ids, "owner_id": owners, "amount": np.array(amounts, dtype=np.int64),
        "at": np.array(ats, dtype=np.int64), "note": TextColumn.from_strings(notes),
    })


class ConformancePack:
    """The toy entities the conformance suite writes: every field type, awkward text, nulls.

    It counts its owners with ``--customers`` (besides ``--count``), as the kit does
    (``generate_records(customers=...)``): sink tests written for kernel 1 run it so. It
    declares no time zone: runs are in UTC.
    """

    entities = (_CONFORMANCE_OWNER, _CONFORMANCE_EVENT)
    domain = DomainDefaults(count_flag="customers")

    @hookimpl
    def datagen_register_entities(self, register: EntityRegister) -> None:
        for spec in self.entities:
            register(spec)
        register.domain(self.domain)

    @hookimpl
    def datagen_register_generators(self, register: GeneratorRegister) -> None:
        register("conformance_owner", _gen_owner)
        register("conformance_event", _gen_event)
