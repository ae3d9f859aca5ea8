"""Customers and accounts as columnar Batches: layout, value types, and the same accounts
whether their customers come as a Batch or as dicts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from banking_blocks import first_block
from datagen_plugin_banking.entities import ACCOUNT, CUSTOMER
from datagen_plugin_banking.masters import account_number_ok, generate_accounts, generate_customers

from datagen_kernel import Batch, TextColumn, column
from datagen_kernel.api.generation import BlockContext, RunInfo
from datagen_kernel.engine.validation import schema_violations

CODES = {"account": (("branch", 4), ("account_number", 8))}
INT_FIELDS = {"customer": ("monthly_income", "credit_score", "created_at"),
              "account": ("balance", "created_at")}


@pytest.mark.parametrize("scenario", [None, "customer-360"])
def test_masters_are_batches_in_field_order_with_typed_columns(scenario: str | None) -> None:
    run = RunInfo(seed=7, root_count=300, scenario=scenario)
    recs: dict[str, Any] = {}
    for spec, fn in ((CUSTOMER, generate_customers), (ACCOUNT, generate_accounts)):
        batch = fn(BlockContext(run, spec, 0, 0, 300, recs))
        recs[spec.name] = batch
        assert isinstance(batch, Batch)
        assert batch.names == spec.field_names
        ids = batch.values(spec.primary_key)
        assert isinstance(ids, TextColumn) and ids.width == 36
        for name in INT_FIELDS[spec.name]:
            values = batch.values(name)
            assert isinstance(values, np.ndarray) and values.dtype == np.int64, name
        for name, width in CODES.get(spec.name, ()):
            codes = batch.values(name)
            assert isinstance(codes, TextColumn) and codes.width == width, name
        assert schema_violations(spec, batch) == []
        assert schema_violations(spec, batch.rows()) == []
    customers, accounts = recs["customer"], recs["account"]
    assert all(account_number_ok(n) for n in column(accounts, "account_number"))
    assert len(customers) == 300 and len(accounts) >= 300
    assert set(column(accounts, "customer_id")) <= set(column(customers, "customer_id"))
    assert len(set(column(accounts, "account_id"))) == len(accounts)


def test_accounts_are_the_same_from_customer_dicts_and_from_a_customer_batch() -> None:
    run = RunInfo(seed=11, root_count=500)
    customers = generate_customers(BlockContext(run, CUSTOMER, 0, 0, 500, {}))
    assert isinstance(customers, Batch)
    as_dicts = [dict(r) for r in Batch(dict((n, customers.values(n)) for n in customers.names)).rows()]
    from_batch = generate_accounts(BlockContext(run, ACCOUNT, 0, 0, 500, {"customer": customers}))
    from_dicts = generate_accounts(BlockContext(run, ACCOUNT, 0, 0, 500, {"customer": as_dicts}))
    assert list(from_batch) == list(from_dicts)
    assert isinstance(from_dicts, Batch) and isinstance(from_dicts.values("customer_id"), list)


def test_first_customers_do_not_depend_on_how_many_follow() -> None:
    small, large = first_block(100), first_block(400)
    for name in ("customer", "account"):
        n = len(small[name])
        assert list(large[name])[:n] == list(small[name]), name
