"""Reversal events: rates by fraud label, amounts, times and statuses, and their rule."""

from __future__ import annotations

import copy
from collections import Counter

import pytest
from banking_blocks import generate_blocks
from datagen_plugin_banking.entities import ENTITIES
from datagen_plugin_banking.plugin import DOMAIN
from datagen_plugin_banking.validators import RULES

from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.engine.validation import run_rules

AS_OF = int(DOMAIN.as_of.timestamp() * 1000)
SPECS = {spec.name: spec for spec in ENTITIES}


@pytest.fixture(scope="module")
def fraud() -> dict:
    return generate_blocks(5000, seed=12, scenario="fraud-detection")


def test_fraud_is_mostly_reversed_and_the_rest_rarely(fraud) -> None:
    txs = {t["transaction_id"]: t for t in fraud["transaction"]}
    reversed_ = {r["original_transaction_id"]: r for r in fraud["reversal"]}
    assert len(reversed_) == len(fraud["reversal"])  # at most one reversal per transaction
    labelled = [t for t in txs.values() if t["is_fraud"]]
    others = [t for t in txs.values() if not t["is_fraud"]]
    by_fraud = sum(reversed_.get(t["transaction_id"], {}).get("reason") == "FRAUD" for t in labelled)
    assert by_fraud / len(labelled) >= 0.5
    assert sum(t["transaction_id"] in reversed_ for t in others) / len(others) < 0.01
    assert all(r["reason"] != "FRAUD" for tid, r in reversed_.items() if not txs[tid]["is_fraud"])
    assert set(Counter(r["reason"] for r in reversed_.values())) == {
        "FRAUD", "CUSTOMER_REQUEST", "DUPLICATE", "ERROR", "CHARGEBACK"}


def test_reversal_fields(fraud) -> None:
    txs = {t["transaction_id"]: t for t in fraud["transaction"]}
    statuses = Counter()
    for r in fraud["reversal"]:
        t = txs[r["original_transaction_id"]]
        assert t["status"] == "COMPLETED" and t["direction"] == "DEBIT"
        assert (r["account_id"], r["customer_id"]) == (t["account_id"], t["customer_id"])
        assert 0 < r["reversal_amount"] <= t["amount"]
        if r["reason"] in ("FRAUD", "DUPLICATE", "CUSTOMER_REQUEST"):
            assert r["reversal_amount"] == t["amount"]
        assert t["timestamp"] < r["requested_at"] < AS_OF
        assert (r["completed_at"] is not None) == (r["status"] == "COMPLETED")
        if r["completed_at"] is not None:
            assert r["requested_at"] < r["completed_at"] < AS_OF
        statuses[r["status"]] += 1
    assert set(statuses) == {"REQUESTED", "APPROVED", "DENIED", "COMPLETED"}
    assert statuses.most_common(1)[0][0] == "COMPLETED"


def test_without_the_fraud_scenario_few_are_reversed() -> None:
    data = generate_blocks(2000, seed=3)
    assert 0 < len(data["reversal"]) / len(data["transaction"]) < 0.01
    assert {r["reason"] for r in data["reversal"]} <= {"CUSTOMER_REQUEST", "DUPLICATE", "ERROR", "CHARGEBACK"}


def test_the_reversal_rule_catches_its_corruption() -> None:
    good = generate_blocks(1500, seed=3)

    def rules(records: dict) -> list:
        found = run_rules(SPECS["reversal"], records["reversal"], [r for r in RULES if r.entity == "reversal"],
                          RecordIndex(SPECS, records))
        return sorted({v.rule for v in found})

    assert rules(good) == []
    bad = copy.deepcopy(good)
    bad["reversal"][0]["reversal_amount"] += 10**9
    bad["reversal"][1]["requested_at"] = 0
    done = next(r for r in bad["reversal"][2:] if r["status"] == "COMPLETED")  # one violation per record
    done["completed_at"] = None
    assert rules(bad) == ["reversal-amount", "reversal-original", "reversal-times"]
