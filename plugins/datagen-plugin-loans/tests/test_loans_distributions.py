"""Catalog distributions of the loans pack on a 20,000-customer sample, and the scenarios.

About 7,000 loans and 1,000 properties: one standard error is about 0.6 points for loan-level
shares and 1.5 points for property-level shares. Installment outcomes cluster by borrower
(habitual late payers, loans that default), so their tolerance is wider than a binomial one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

CUSTOMERS = 20_000
TODAY = dt.date(2026, 1, 1)
SETTLED = TODAY - dt.timedelta(days=90)


def collect(blocks: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "customers": 0, "borrowers": 0, "types": Counter(), "property_types": Counter(), "housing_sac": Counter(),
        "statuses": Counter(), "settled": Counter(), "installments": 0, "loans": 0,
    }
    for block in blocks:
        out["customers"] += len(block["customer"])
        loans = block["loan"]
        out["loans"] += len(loans)
        out["borrowers"] += len({loan["customer_id"] for loan in loans})
        out["types"].update(loan["loan_type"] for loan in loans)
        out["statuses"].update(loan["status"] for loan in loans)
        out["housing_sac"].update(loan["amortization_system"] for loan in loans if loan["loan_type"] == "HOUSING")
        out["property_types"].update(p["property_type"] for p in block["property"])
        installments = block.get("installment", [])
        out["installments"] += len(installments)
        out["settled"].update(i["status"] for i in installments if i["due_date"] <= SETTLED)
    return out


def shares(counter: Counter[Any]) -> dict[Any, float]:
    total = sum(counter.values())
    return {k: v / total for k, v in counter.items()}


@pytest.fixture(scope="module")
def sample(loans_blocks: Any) -> dict[str, Any]:
    return collect(loans_blocks(CUSTOMERS, ["property", "loan", "installment"], seed=77))


def test_about_35_percent_of_customers_have_one_loan(sample: dict[str, Any]) -> None:
    assert sample["customers"] == CUSTOMERS
    assert sample["borrowers"] == sample["loans"], "at most one loan per customer"
    assert abs(sample["borrowers"] / CUSTOMERS - 0.35) < 0.015


def test_loan_types_and_housing_amortization(sample: dict[str, Any]) -> None:
    got = shares(sample["types"])
    for kind, want in {"PERSONAL": 0.60, "HOUSING": 0.15, "VEHICLE": 0.25}.items():
        assert abs(got[kind] - want) < 0.02, (kind, got[kind])
    assert abs(shares(sample["housing_sac"])["SAC"] - 0.70) < 0.06  # ~1,000 HOUSING loans: 4 s.e.


def test_property_types(sample: dict[str, Any]) -> None:
    got = shares(sample["property_types"])
    assert sum(sample["property_types"].values()) == sample["types"]["HOUSING"]
    for kind, want in {"APARTMENT": 0.60, "HOUSE": 0.35, "LAND": 0.05}.items():
        assert abs(got[kind] - want) < 0.05, (kind, got[kind])


def test_payment_behaviour_of_installments_due_90_days_ago_or_more(sample: dict[str, Any]) -> None:
    got = shares(sample["settled"])
    assert sum(sample["settled"].values()) > 30_000
    assert set(got) == {"PAID", "LATE", "DEFAULT"}
    for status, want in {"PAID": 0.85, "LATE": 0.10, "DEFAULT": 0.05}.items():
        assert abs(got[status] - want) < 0.015, (status, got[status])


def test_loan_statuses_cover_the_lifecycle(sample: dict[str, Any]) -> None:
    got = shares(sample["statuses"])
    assert set(got) == {"PENDING", "APPROVED", "REJECTED", "ACTIVE", "DELINQUENT", "DEFAULT", "PAID_OFF"}
    assert got["ACTIVE"] > 0.5
    assert 0.03 < got["PENDING"] + got["APPROVED"] + got["REJECTED"] < 0.09


def test_loan_portfolio_scenario_parameters_change_the_portfolio(loans_blocks: Any) -> None:
    got = collect(loans_blocks(4000, ["loan", "installment"], seed=77, scenario="loan-portfolio", options=[
        "scenario.loan_penetration=0.6", "scenario.default_rate=0.15"]))
    assert abs(got["borrowers"] / 4000 - 0.6) < 0.03
    settled = shares(got["settled"])
    assert abs(settled["DEFAULT"] - 0.15) < 0.04
    assert abs(settled["LATE"] - 0.10) < 0.03


def test_loan_portfolio_scenario_produces_its_entities(loans_run: Any) -> None:
    out = loans_run("--customers", "300", "--scenario", "loan-portfolio")
    assert sorted(p.name for p in out.iterdir()) == [
        "_datagen-run.json", "account.jsonl", "customer.jsonl", "installment.jsonl", "loan.jsonl", "property.jsonl"]


def test_pack_options_set_penetration_without_a_scenario(loans_blocks: Any) -> None:
    got = collect(loans_blocks(2000, ["loan"], seed=5, options=["loans.penetration=0.1"]))
    assert abs(got["borrowers"] / 2000 - 0.1) < 0.025


def test_customer_360_gives_every_customer_a_card_and_a_loan(loans_blocks: Any) -> None:
    customers = cards = loans = 0
    for block in loans_blocks(1200, ["credit_card", "loan"], scenario="customer-360"):
        ids = {c["customer_id"] for c in block["customer"]}
        customers += len(ids)
        cards += len(ids & {c["customer_id"] for c in block["credit_card"]})
        loans += len(ids & {loan["customer_id"] for loan in block["loan"]})
    assert customers == cards == loans == 1200
