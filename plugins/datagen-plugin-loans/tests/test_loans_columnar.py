"""Installments as columns: the generator returns a ``Batch`` of numpy columns, and the
installment rules give the same verdict on a ``Batch`` and on a list of dicts (the form
``datagen validate`` passes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from datagen_plugin_loans.rules import RULES

from datagen_kernel import Batch, Violation
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import RunParams, build_plan
from datagen_kernel.engine.plugins import PluginHost
from datagen_kernel.engine.validation import run_rules
from datagen_kernel.testing import columnar_batch

Records = dict[str, Any]
FORMS = ("batch", "lists", "rows")
"""A ``Batch`` shaped like the generator's, a ``Batch`` of plain lists, a list of dicts."""


@pytest.fixture(scope="module")
def block(loans_host: PluginHost) -> Records:
    """Raw generator output of one block of 500 customers (loans penetration raised)."""
    params = RunParams(root_count=500, seed=23, sinks=("null",))
    plan = build_plan(loans_host, params, ConfigSources.build(["loans.penetration=0.6"], environ={}))
    return plan.generate_block(0)




def violations(host: PluginHost, records: Records, installments: list[dict[str, Any]], form: str) -> list[Violation]:
    specs = host.registry.entity_specs()
    spec = specs["installment"]
    given = columnar_batch(spec, installments) if form == "batch" else \
        Batch.from_rows(spec.field_names, installments) if form == "lists" else installments
    rules = [r for r in RULES if r.entity == "installment"]
    return run_rules(spec, given, rules, RecordIndex(specs, {**records, "installment": given}), schema=False)


def rows_of(records: Records) -> list[dict[str, Any]]:
    """Fresh dicts of the block's installments (read by column: the fixture's batch stays columnar)."""
    batch = records["installment"]
    names = batch.names
    return [dict(zip(names, values, strict=True)) for values in zip(*(batch.column(n) for n in names), strict=True)]


def test_installments_are_numpy_columns(loans_host: PluginHost, block: Records) -> None:
    batch = block["installment"]
    assert isinstance(batch, Batch) and len(batch) > 1_000
    spec = loans_host.registry.entity_specs()["installment"]
    assert batch.names == spec.field_names
    expected = columnar_batch(spec, rows_of(block))
    for name in spec.field_names:
        made, shaped = batch.stored(name), expected.stored(name)
        assert type(made) is type(shaped), name
        if isinstance(made, np.ndarray):
            assert made.dtype == shaped.dtype, name
    dates = batch.column("paid_date")
    assert None in dates and any(isinstance(d, dt.date) for d in dates)


@pytest.mark.parametrize("form", FORMS)
def test_generated_installments_pass_in_either_form_and_order(
        loans_host: PluginHost, block: Records, form: str) -> None:
    rows = rows_of(block)
    assert violations(loans_host, block, rows, form) == []
    assert violations(loans_host, block, rows[::-1], form) == []  # numbers out of order: same verdict


def _shift_principal(rows: list[dict[str, Any]]) -> str:
    inst = next(r for r in rows if r["installment_number"] == 3)
    inst["principal_amount"] += 1
    inst["total_amount"] += 1
    return inst["loan_id"]


def _stranger(rows: list[dict[str, Any]]) -> str:
    rows[10]["customer_id"] = next(r["customer_id"] for r in rows if r["customer_id"] != rows[10]["customer_id"])
    return rows[10]["installment_id"]


def _paid_pending(rows: list[dict[str, Any]]) -> str:
    inst = next(r for r in rows if r["status"] == "PENDING")
    inst["paid_amount"] = inst["total_amount"]
    return inst["installment_id"]


def _paid_early_but_late(rows: list[dict[str, Any]]) -> str:
    inst = next(r for r in rows if r["status"] == "LATE")
    inst["paid_date"] = inst["due_date"]
    return inst["installment_id"]


CORRUPTIONS: dict[str, tuple[Callable[[list[dict[str, Any]]], str], str]] = {
    "principal parts miss the principal by a cent": (_shift_principal, "principal-sum"),
    "someone else's installment": (_stranger, "installment-owner"),
    "a PENDING installment with a paid amount": (_paid_pending, "payment-fields"),
    "a LATE installment paid on its due date": (_paid_early_but_late, "payment-fields"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_a_broken_installment_is_caught_in_either_form(loans_host: PluginHost, block: Records, case: str) -> None:
    corrupt, rule = CORRUPTIONS[case]
    found: dict[str, list[Violation]] = {}
    for form in FORMS:
        rows = rows_of(block)
        marker = corrupt(rows)
        found[form] = violations(loans_host, block, rows, form)
        assert {v.rule for v in found[form]} == {rule}, form
        assert any(marker == v.key or marker in v.message for v in found[form]), form
    assert found["batch"] == found["lists"] == found["rows"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("was", "now"), [("ACTIVE", "PAID_OFF"), ("APPROVED", "PENDING"), ("DEFAULT", "ACTIVE")])
def test_a_loan_status_that_disagrees_with_its_installments_is_caught(
        loans_host: PluginHost, block: Records, form: str, was: str, now: str) -> None:
    loans = [dict(r) for r in block["loan"]]
    loan = next(r for r in loans if r["status"] == was)
    loan["status"] = now
    found = violations(loans_host, {**block, "loan": loans}, rows_of(block), form)
    assert [(v.rule, loan["loan_id"] in v.message) for v in found] == [("loan-status", True)]


@pytest.mark.parametrize("as_batch", [False, True])
def test_values_of_the_wrong_type_are_reported_not_raised(
        loans_host: PluginHost, block: Records, as_batch: bool) -> None:
    specs = loans_host.registry.entity_specs()
    spec = specs["installment"]
    rules = [r for r in RULES if r.entity == "installment"]
    for field, value in (("paid_date", "2024-01-01"), ("principal_amount", None)):
        rows = rows_of(block)
        paid = next(r for r in rows if r["status"] == "PAID")
        paid[field] = value
        given = Batch.from_rows(spec.field_names, rows) if as_batch else rows
        found = run_rules(spec, given, rules, RecordIndex(specs, {**block, "installment": given}), schema=False)
        assert found, field
        assert {v.rule for v in found} <= {"payment-fields", "installment-checks"}, field
