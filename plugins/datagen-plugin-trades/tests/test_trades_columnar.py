"""Trades as columns: the generator returns a ``Batch`` of numpy columns, and the trade rules
give the same verdict on a ``Batch`` and on a list of dicts (the form ``datagen validate``
passes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from trades_testkit import trades_host

from datagen_kernel import Batch, Violation
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import RunParams, build_plan
from datagen_kernel.engine.validation import run_rules
from datagen_kernel.testing import columnar_batch

HOST = trades_host()
SPECS = HOST.registry.entity_specs()
RULES = [r.value for r in HOST.registry.rules if r.value.entity == "trade"]
FORMS = ("batch", "lists", "rows")
"""A ``Batch`` shaped like the generator's, a ``Batch`` of plain lists, a list of dicts."""
Row = dict[str, Any]


@pytest.fixture(scope="module")
def block() -> dict[str, Any]:
    """Raw generator output of one block of 500 customers."""
    plan = build_plan(HOST, RunParams(root_count=500, seed=5, sinks=("null",)), ConfigSources.build([], environ={}))
    return plan.generate_block(0)




def rows_of(block: dict[str, Any]) -> list[Row]:
    """Fresh dicts of the block's trades (read by column: the fixture's batch stays columnar)."""
    batch = block["trade"]
    names = batch.names
    return [dict(zip(names, values, strict=True)) for values in zip(*(batch.column(n) for n in names), strict=True)]


def violations(block: dict[str, Any], rows: list[Row], form: str) -> list[Violation]:
    given = columnar_batch(SPECS["trade"], rows) if form == "batch" else \
        Batch.from_rows(SPECS["trade"].field_names, rows) if form == "lists" else rows
    return run_rules(SPECS["trade"], given, RULES, RecordIndex(SPECS, {**block, "trade": given}), schema=False)


def test_trades_are_numpy_columns(block: dict[str, Any]) -> None:
    batch = block["trade"]
    assert isinstance(batch, Batch) and len(batch) > 500
    spec = SPECS["trade"]
    assert batch.names == spec.field_names
    expected = columnar_batch(spec, rows_of(block))
    for name in spec.field_names:
        made, shaped = batch.stored(name), expected.stored(name)
        assert type(made) is type(shaped), name
        if isinstance(made, np.ndarray):
            assert made.dtype == shaped.dtype, name
    assert isinstance(batch.column("settlement_date")[0], dt.date)
    assert None in batch.column("updated_at")


@pytest.mark.parametrize("form", FORMS)
def test_generated_trades_pass_in_either_form_and_order(block: dict[str, Any], form: str) -> None:
    rows = rows_of(block)
    assert violations(block, rows, form) == []
    assert violations(block, rows[::-1], form) == []  # holdings follow executed_at, not record order


def _oversell(rows: list[Row]) -> str:
    t = next(r for r in rows if r["trade_type"] == "SELL")
    t["quantity"] += 1_000_000
    t["total_amount"] = t["quantity"] * t["price_per_share"]
    t["fees"] = (t["total_amount"] * 8025 + 5_000_000) // 10_000_000
    t["net_amount"] = t["total_amount"] - t["fees"]
    return str(t["trade_id"])


def _net(rows: list[Row]) -> str:
    rows[2]["net_amount"] += 1
    return str(rows[2]["trade_id"])


def _stranger(rows: list[Row]) -> str:
    rows[3]["customer_id"] = next(r["customer_id"] for r in rows if r["customer_id"] != rows[3]["customer_id"])
    return str(rows[3]["trade_id"])


def _other_ticker(rows: list[Row]) -> str:
    t = next(r for r in rows if r["ticker"] != "VALE3")
    t["ticker"] = "VALE3"
    return str(t["trade_id"])


def _late_settlement(rows: list[Row]) -> str:
    rows[1]["settlement_date"] += dt.timedelta(days=1)
    return str(rows[1]["trade_id"])


CORRUPTIONS: dict[str, tuple[Callable[[list[Row]], str], str]] = {
    "a SELL beyond the holdings": (_oversell, "trade-holdings"),
    "a net amount a cent off": (_net, "trade-amounts"),
    "someone else's trade": (_stranger, "trade-customer-owner"),
    "a ticker not the stock's": (_other_ticker, "trade-ticker"),
    "settlement D+3": (_late_settlement, "trade-settlement"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_a_broken_trade_is_caught_in_either_form(block: dict[str, Any], case: str) -> None:
    corrupt, rule = CORRUPTIONS[case]
    found: dict[str, list[Violation]] = {}
    for form in FORMS:
        rows = rows_of(block)
        key = corrupt(rows)
        found[form] = violations(block, rows, form)
        assert [(v.rule, v.key) for v in found[form]] == [(rule, key)], form
    assert found["batch"] == found["lists"] == found["rows"]


def test_an_excess_is_reported_once_in_either_form(block: dict[str, Any]) -> None:
    """After an oversold SELL the holding counts as zero: later SELLs of it are not blamed for it."""
    for form in FORMS:
        rows = rows_of(block)
        key = _oversell(rows)
        assert [v.key for v in violations(block, rows, form) if v.rule == "trade-holdings"] == [key]


@pytest.mark.parametrize("form", FORMS)
def test_values_of_the_wrong_type_are_reported_not_raised(block: dict[str, Any], form: str) -> None:
    rows = rows_of(block)
    rows[0]["quantity"] = None
    given = Batch.from_rows(SPECS["trade"].field_names, rows) if form == "batch" else rows
    found = run_rules(SPECS["trade"], given, RULES, RecordIndex(SPECS, {**block, "trade": given}), schema=False)
    assert found and all(v.entity == "trade" for v in found)
