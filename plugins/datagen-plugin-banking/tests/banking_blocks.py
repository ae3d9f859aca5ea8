"""Block-by-block generation with the banking pack's generators, as the engine calls them
(a module of its own: test modules import it by this unique name, never as ``conftest``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from datagen_plugin_banking.entities import ACCOUNT, CUSTOMER, TRANSACTION
from datagen_plugin_banking.masters import generate_accounts, generate_customers
from datagen_plugin_banking.plugin import DOMAIN
from datagen_plugin_banking.transactions import generate_transactions

from datagen_kernel import Batch, EntitySpec
from datagen_kernel.api.generation import BlockContext, RunInfo
from datagen_kernel.api.seeding import BLOCK_SIZE

BANK_TIME: dict[str, Any] = {"as_of": DOMAIN.as_of, "timezone": DOMAIN.timezone}
"""What the engine gives a run of the pack: the as-of and time zone it declares."""


def generate_blocks(customers: int, seed: int = 42, scenario: str | None = None,
                    options: dict[str, dict[str, Any]] | None = None,
                    as_of: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every block of a run generated with the pack's generators, as the engine calls them."""
    opts = {"banking": {"history_days": 365, "transactions_per_year": 20.0}, "scenario": {"share": 0.05}}
    opts.update(options or {})
    time = {**BANK_TIME, "as_of": as_of or BANK_TIME["as_of"]}
    run = RunInfo(seed=seed, root_count=customers, scenario=scenario, options=opts, **time)
    out: dict[str, list[dict[str, Any]]] = {"customer": [], "account": [], "transaction": []}
    for b in range((customers + BLOCK_SIZE - 1) // BLOCK_SIZE):
        start, stop = b * BLOCK_SIZE, min((b + 1) * BLOCK_SIZE, customers)
        recs: dict[str, Any] = {}  # what the generators return: lists of dicts or Batches
        for spec, fn in ((CUSTOMER, generate_customers), (ACCOUNT, generate_accounts),
                         (TRANSACTION, generate_transactions)):
            recs[spec.name] = fn(BlockContext(run, spec, b, start, stop, recs))
            out[spec.name].extend(recs[spec.name])
    return out


def first_block(customers: int, seed: int = 42) -> dict[str, Any]:
    """Block 0's records as the generators return them (a ``Batch`` where they return one)."""
    run = RunInfo(seed=seed, root_count=customers, options={"banking": {"history_days": 365}}, **BANK_TIME)
    recs: dict[str, Any] = {}
    for spec, fn in ((CUSTOMER, generate_customers), (ACCOUNT, generate_accounts),
                     (TRANSACTION, generate_transactions)):
        recs[spec.name] = fn(BlockContext(run, spec, 0, 0, min(customers, BLOCK_SIZE), recs))
    return recs


def as_batch(spec: EntitySpec, rows: list[dict[str, Any]]) -> Batch:
    """``rows`` as a ``Batch`` stored like a columnar generator stores it: all-int columns as
    ``int64`` arrays, everything else as lists."""
    columns: dict[str, Any] = {}
    for name in spec.field_names:
        values = [r[name] for r in rows]
        columns[name] = np.array(values, dtype=np.int64) if set(map(type, values)) == {int} else values
    return Batch(columns)
