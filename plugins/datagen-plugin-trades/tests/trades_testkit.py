"""Test kit of the trades pack: a minimal stand-in for the banking pack, and dataset readers.

The stand-in registers ``customer`` and ``account`` with the fields trades read (ids,
owner, account type, creation time), so these tests exercise the trades pack alone; the
bank-wide tests in ``tests/bank`` run it with the real banking pack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import datagen_plugin_trades.plugin as trades_plugin
import orjson
from datagen_plugin_banking.plugin import DOMAIN as BANKING_DOMAIN

from datagen_kernel import (
    BlockContext,
    EntitySpec,
    Enum,
    Field,
    ForeignKey,
    Kind,
    PluginHost,
    Record,
    Scope,
    Timestamp,
    Uuid,
    hookimpl,
    make_plugin_host,
)
from datagen_kernel.api.seeding import weighted_choice
from datagen_kernel.codecs.text import from_text_values

DAY_MS = 86_400_000

STUB_CUSTOMER = EntitySpec(
    name="customer",
    kind=Kind.MASTER,
    scope=Scope.ROOT,
    fields=(Field("customer_id", Uuid()), Field("created_at", Timestamp())),
    primary_key="customer_id",
    table="customers",
)
STUB_ACCOUNT = EntitySpec(
    name="account",
    kind=Kind.MASTER,
    fields=(
        Field("account_id", Uuid()),
        Field("customer_id", Uuid()),
        Field("account_type", Enum("CONTA_CORRENTE", "POUPANCA", "INVESTIMENTOS")),
        Field("created_at", Timestamp()),
    ),
    primary_key="account_id",
    foreign_keys=(ForeignKey("customer_id", "customer", "customer_id"),),
    table="accounts",
)


def _customers(ctx: BlockContext) -> list[Record]:
    ids = ctx.uuids(ctx.size)
    created = (ctx.run.as_of_ms - ctx.rng("created").integers(0, 3 * 365 * DAY_MS, ctx.size)).tolist()
    return [{"customer_id": i, "created_at": c} for i, c in zip(ids, created, strict=True)]


def _accounts(ctx: BlockContext) -> list[Record]:
    owners = ctx.records("customer")
    per = weighted_choice(ctx.rng("per"), [1, 2, 3], [0.5, 0.35, 0.15], len(owners))  # type: ignore[list-item]
    owner_of = [o for o, k in zip(owners, per, strict=True) for _ in range(k)]
    n = len(owner_of)
    ids = ctx.uuids(n)
    kinds = weighted_choice(ctx.rng("type"), ["CONTA_CORRENTE", "POUPANCA", "INVESTIMENTOS"], [0.7, 0.2, 0.1], n)
    after = ctx.rng("after").integers(1_000, 30 * DAY_MS, n).tolist()
    return [
        {"account_id": i, "customer_id": o["customer_id"], "account_type": k,
         "created_at": min(o["created_at"] + a, ctx.run.as_of_ms - 1)}
        for i, o, k, a in zip(ids, owner_of, kinds, after, strict=True)
    ]


class StubBank:
    """Registers the stand-in customer and account entities, and the bank's domain defaults."""

    @hookimpl
    def datagen_register_entities(self, register: Any) -> None:
        register(STUB_CUSTOMER)
        register(STUB_ACCOUNT)
        register.domain(BANKING_DOMAIN)

    @hookimpl
    def datagen_register_generators(self, register: Any) -> None:
        register("customer", _customers)
        register("account", _accounts)


def trades_host() -> PluginHost:
    import datagen_plugin_json.plugin as json_plugin

    return make_plugin_host(entrypoints=False, plugins=[StubBank(), trades_plugin, json_plugin])


def read_dataset(directory: Path, host: PluginHost) -> dict[str, list[Record]]:
    """The json sink's files as records in kernel representation (cents, epoch ms, dates)."""
    specs = host.registry.entity_specs()
    out: dict[str, list[Record]] = {}
    for path in sorted(directory.glob("*.jsonl")):
        spec = specs[path.stem]
        out[path.stem] = [from_text_values(spec, orjson.loads(line)) for line in path.read_bytes().splitlines()]
    return out


RunTrades = Callable[..., dict[str, list[Record]]]
