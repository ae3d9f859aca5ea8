"""A full run of banking + cards + loans through the json sink, checked against the catalog."""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from datagen_plugin_banking.common import state_by_uf

from datagen_kernel.cli import make_cli

AS_OF = datetime.fromisoformat("2026-01-01T00:00:00-03:00")
TODAY = AS_OF.date()
ENTITIES = ("customer", "account", "credit_card", "card_transaction", "transaction", "property", "loan",
            "installment")
RATE_BANDS = {"PERSONAL": (0.015, 0.08), "HOUSING": (0.007, 0.012), "VEHICLE": (0.010, 0.035)}
PRINCIPAL_BANDS = {"PERSONAL": (1_000, 100_000), "HOUSING": (100_000, 2_000_000), "VEHICLE": (20_000, 300_000)}
TERM_BANDS = {"PERSONAL": (6, 72), "HOUSING": (120, 360), "VEHICLE": (12, 60)}
PROPERTY_BANDS = {  # area m2, value R$ (LAND from 125k: it backs a loan of at least 100k at 80% LTV)
    "APARTMENT": ((40, 200), (150_000, 1_500_000)),
    "HOUSE": ((80, 400), (200_000, 2_000_000)),
    "LAND": ((200, 1000), (125_000, 500_000)),
}


def money(text: str) -> Decimal:
    return Decimal(text)


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


@pytest.fixture(scope="module")
def dataset(loans_run: Any, jsonl: Any) -> dict[str, Any]:
    out: Path = loans_run("--customers", "1500", "--seed", "8")
    data: dict[str, Any] = {name: jsonl(out / f"{name}.jsonl") for name in ENTITIES}
    data["dir"] = out
    return data


def test_every_foreign_key_of_the_bank_resolves(dataset: dict[str, Any]) -> None:
    ids = {
        "customer": {r["customer_id"] for r in dataset["customer"]},
        "account": {r["account_id"]: r for r in dataset["account"]},
        "credit_card": {r["card_id"]: r for r in dataset["credit_card"]},
        "property": {r["property_id"] for r in dataset["property"]},
        "loan": {r["loan_id"]: r for r in dataset["loan"]},
    }
    for a in dataset["account"]:
        assert a["customer_id"] in ids["customer"]
    for t in dataset["transaction"]:
        assert ids["account"][t["account_id"]]["customer_id"] == t["customer_id"]
    for c in dataset["credit_card"]:
        assert c["customer_id"] in ids["customer"]
    for p in dataset["card_transaction"]:
        assert ids["credit_card"][p["card_id"]]["customer_id"] == p["customer_id"]
    backed = Counter(loan["property_id"] for loan in dataset["loan"] if loan["property_id"])
    assert set(backed) == ids["property"] and set(backed.values()) == {1}, "one property per HOUSING loan"
    for loan in dataset["loan"]:
        assert loan["customer_id"] in ids["customer"]
        assert (loan["loan_type"] == "HOUSING") == (loan["property_id"] is not None)
    for i in dataset["installment"]:
        assert ids["loan"][i["loan_id"]]["customer_id"] == i["customer_id"]
    assert len({i["installment_id"] for i in dataset["installment"]}) == len(dataset["installment"])


def test_loans_follow_the_type_table_and_the_rate_formula(dataset: dict[str, Any]) -> None:
    customers = {c["customer_id"]: c for c in dataset["customer"]}
    properties = {p["property_id"]: p for p in dataset["property"]}
    for loan in dataset["loan"]:
        kind = loan["loan_type"]
        rate = float(money(loan["interest_rate"]))
        lo, hi = RATE_BANDS[kind]
        score = customers[loan["customer_id"]]["credit_score"]
        assert rate == pytest.approx(min(max(lo + (850 - score) / 550 * 0.03, lo), hi), abs=5e-7)
        assert 0 < rate < 0.15
        p_lo, p_hi = PRINCIPAL_BANDS[kind]
        assert p_lo <= money(loan["principal"]) <= p_hi
        t_lo, t_hi = TERM_BANDS[kind]
        assert t_lo <= loan["term_months"] <= t_hi
        if kind == "HOUSING":
            assert money(loan["principal"]) <= money(properties[loan["property_id"]]["appraised_value"])
        else:
            assert loan["amortization_system"] == "PRICE"


def test_loan_dates_are_ordered(dataset: dict[str, Any]) -> None:
    customers = {c["customer_id"]: c for c in dataset["customer"]}
    for loan in dataset["loan"]:
        created = datetime.fromisoformat(loan["created_at"])
        disbursed = date.fromisoformat(loan["disbursement_date"])
        assert datetime.fromisoformat(customers[loan["customer_id"]]["created_at"]) < created < AS_OF
        assert created.astimezone(AS_OF.tzinfo).date() < disbursed
        if loan["status"] in ("PENDING", "APPROVED", "REJECTED"):
            assert disbursed > TODAY
        else:
            assert disbursed < TODAY
        if loan["status"] == "PENDING":
            assert loan["updated_at"] is None
        else:
            assert created < datetime.fromisoformat(loan["updated_at"]) <= AS_OF


def _independent_status(statuses: list[str]) -> str:
    if "DEFAULT" in statuses:
        return "DEFAULT"
    if all(s in ("PAID", "LATE") for s in statuses):
        return "PAID_OFF"
    return "DELINQUENT" if statuses.count("LATE") >= 3 else "ACTIVE"


def test_schedules_are_complete_monthly_and_sum_to_the_principal(dataset: dict[str, Any]) -> None:
    by_loan: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in dataset["installment"]:
        by_loan[i["loan_id"]].append(i)
    for loan in dataset["loan"]:
        rows = by_loan.get(loan["loan_id"], [])
        if loan["status"] in ("PENDING", "REJECTED"):
            assert rows == []
            continue
        assert [r["installment_number"] for r in rows] == list(range(1, loan["term_months"] + 1))
        assert sum(cents(r["principal_amount"]) for r in rows) == cents(loan["principal"])
        start = date.fromisoformat(loan["disbursement_date"])
        for r in rows:
            assert date.fromisoformat(r["due_date"]) == add_months(start, r["installment_number"])
            assert cents(r["total_amount"]) == cents(r["principal_amount"]) + cents(r["interest_amount"])
        if loan["amortization_system"] == "PRICE":
            assert len({r["total_amount"] for r in rows}) == 1
        statuses = [r["status"] for r in rows]
        if loan["status"] == "APPROVED":
            assert set(statuses) == {"PENDING"}
        else:
            assert loan["status"] == _independent_status(statuses)


def test_installment_statuses_agree_with_payments(dataset: dict[str, Any]) -> None:
    seen: Counter[str] = Counter()
    for r in dataset["installment"]:
        due = date.fromisoformat(r["due_date"])
        status = r["status"]
        seen[status] += 1
        paid = None if r["paid_date"] is None else date.fromisoformat(r["paid_date"])
        if due >= TODAY:
            assert status == "PENDING"
        if status in ("PENDING", "DEFAULT"):
            assert paid is None and r["paid_amount"] is None
        if status == "DEFAULT":
            assert (TODAY - due).days >= 90 and r["updated_at"] is not None
        if status == "PAID":
            assert paid is not None and paid <= due and r["paid_amount"] == r["total_amount"]
        if status == "LATE":
            assert paid is not None and 1 <= (paid - due).days <= 30 and paid < TODAY
            assert money(r["paid_amount"]) > money(r["total_amount"])
        if paid is not None:
            assert datetime.fromisoformat(r["updated_at"]).date() == paid
    assert set(seen) == {"PENDING", "PAID", "LATE", "DEFAULT"}


def test_properties_have_consistent_addresses_and_bands(dataset: dict[str, Any]) -> None:
    states = state_by_uf()
    for p in dataset["property"]:
        address = p["address"]
        uf = address["state"]
        assert states[uf].cep_prefix_ok(int(address["postal_code"][:5]))
        assert address["city"] in {c.name for c in states[uf].cities}
        assert p["registration_number"].startswith("MAT-") and p["registration_number"].endswith(f"-{uf}")
        (a_lo, a_hi), (v_lo, v_hi) = PROPERTY_BANDS[p["property_type"]]
        assert a_lo <= p["area_sqm"] <= a_hi
        assert v_lo <= money(p["appraised_value"]) <= v_hi


def test_datagen_validate_accepts_the_dataset(dataset: dict[str, Any], loans_host: Any) -> None:
    result = CliRunner().invoke(make_cli(lambda: loans_host), ["validate", str(dataset["dir"])])
    assert result.exit_code == 0, result.output
    assert "installment" in result.output and "FAILED" not in result.output


def test_installments_are_issued_with_the_loan_and_updated_later(dataset: dict[str, Any]) -> None:
    loans = {loan["loan_id"]: loan for loan in dataset["loan"]}
    for r in dataset["installment"]:
        loan = loans[r["loan_id"]]
        created = datetime.fromisoformat(r["created_at"])
        if loan["status"] == "APPROVED":
            assert r["created_at"] == loan["updated_at"]
        else:
            assert created.astimezone(AS_OF.tzinfo).date() == date.fromisoformat(loan["disbursement_date"])
        if r["updated_at"] is not None:
            assert created < datetime.fromisoformat(r["updated_at"]) <= AS_OF
