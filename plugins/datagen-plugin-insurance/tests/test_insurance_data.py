"""Insurance generated with the banking and loans packs: policies, claims, premiums, rules."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from datagen_plugin_insurance.entities import CLAIM_TYPES, INSURANCE_CLAIM, INSURANCE_POLICY, UNDECIDED
from datagen_plugin_insurance.generators import AUTO_MIN_INCOME_CENTS
from datagen_plugin_insurance.rules import RULES

from datagen_kernel import make_plugin_host
from datagen_kernel.api.generation import RunInfo
from datagen_kernel.testing import RecordIndex, generate_records, run_rules

CUSTOMERS = 4000
Data = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def data() -> Data:
    return generate_records(make_plugin_host(), customers=CUSTOMERS, seed=5)


def test_home_policies_insure_the_property_of_every_housing_loan(data: Data) -> None:
    housing = {ln["property_id"]: ln["customer_id"] for ln in data["loan"] if ln["loan_type"] == "HOUSING"}
    linked = {p["property_id"]: p for p in data["insurance_policy"] if p["property_id"] is not None}
    assert set(linked) == set(housing)
    properties = {p["property_id"]: p for p in data["property"]}
    for property_id, policy in linked.items():
        assert policy["insurance_type"] == "HOME"
        assert policy["customer_id"] == housing[property_id]
        assert policy["coverage_amount"] == properties[property_id]["appraised_value"] // 100_000 * 100_000


def test_penetration_auto_income_and_type_mix(data: Data) -> None:
    customers = {c["customer_id"]: c for c in data["customer"]}
    borrowers = {ln["customer_id"] for ln in data["loan"] if ln["loan_type"] == "HOUSING"}
    insured = {p["customer_id"] for p in data["insurance_policy"]}
    others = set(customers) - borrowers
    share = len(insured & others) / len(others)
    assert 0.32 < share < 0.38  # insurance.penetration 0.35
    for p in data["insurance_policy"]:
        if p["insurance_type"] == "AUTO":
            assert customers[p["customer_id"]]["monthly_income"] >= AUTO_MIN_INCOME_CENTS
    unlinked = Counter(p["insurance_type"] for p in data["insurance_policy"] if p["property_id"] is None)
    total = sum(unlinked.values())
    # AUTO 40 / LIFE 35 / HOME 15 / TRAVEL 10 among eligible types: fewer AUTO (income), more of the rest
    assert 0.10 < unlinked["AUTO"] / total < 0.30
    assert 0.40 < unlinked["LIFE"] / total < 0.55
    assert unlinked["LIFE"] > unlinked["HOME"] > unlinked["TRAVEL"]
    lif = [p for p in data["insurance_policy"] if p["insurance_type"] == "LIFE"]
    assert all(p["deductible"] == 0 for p in lif)


def test_claims_agree_with_their_policies(data: Data) -> None:
    policies = {p["policy_id"]: p for p in data["insurance_policy"]}
    open_claims: dict[str, int] = defaultdict(int)
    for c in data["insurance_claim"]:
        policy = policies[c["policy_id"]]
        assert c["claim_type"] in CLAIM_TYPES[policy["insurance_type"]]
        assert c["claimed_amount"] <= policy["coverage_amount"]
        if c["status"] in UNDECIDED:
            open_claims[c["policy_id"]] += 1
            assert c["approved_amount"] is None
        else:
            assert c["approved_amount"] is not None and c["approved_amount"] <= c["claimed_amount"]
    in_progress = {pid for pid, p in policies.items() if p["status"] == "CLAIM_IN_PROGRESS"}
    assert in_progress and set(open_claims) == in_progress
    decided = Counter(c["status"] for c in data["insurance_claim"] if c["status"] not in UNDECIDED)
    assert decided["PAID"] > decided["DENIED"] > 0


def test_premiums_are_monthly_debits_of_the_holders_account(data: Data) -> None:
    policies = {p["policy_id"]: p for p in data["insurance_policy"]}
    accounts = {a["account_id"]: a for a in data["account"]}
    statuses = Counter()
    for pr in data["insurance_premium"]:
        policy = policies[pr["policy_id"]]
        assert accounts[pr["account_id"]]["customer_id"] == policy["customer_id"]
        assert pr["amount"] == policy["premium_monthly"]
        statuses[pr["status"]] += 1
    paid = statuses["PAID"] + statuses["LATE"]
    assert 0.92 < statuses["PAID"] / paid < 0.98  # 5% late
    assert statuses["UNPAID"] > 0 and statuses["PENDING"] > 0


def test_insurance_portfolio_scenario() -> None:
    data = generate_records(make_plugin_host(), customers=300, seed=2, scenario="insurance-portfolio")
    assert {"customer", "account", "insurance_policy", "insurance_claim", "insurance_premium"} <= set(data)
    assert "transaction" not in data and "fund" not in data
    insured = {p["customer_id"] for p in data["insurance_policy"]}
    assert len(insured) / 300 > 0.75  # scenario.penetration 0.8


def test_customer_360_insures_every_customer() -> None:
    data = generate_records(make_plugin_host(), customers=200, seed=3, scenario="customer-360")
    assert {p["customer_id"] for p in data["insurance_policy"]} == {c["customer_id"] for c in data["customer"]}


def test_rules_catch_broken_policies_and_claims(data: Data) -> None:
    host = make_plugin_host()
    specs = host.registry.entity_specs()
    defaults = host.registry.run_defaults()
    run = RunInfo(seed=5, root_count=CUSTOMERS, as_of=defaults.as_of, timezone=defaults.timezone)
    life = dict(next(p for p in data["insurance_policy"] if p["insurance_type"] == "LIFE"))
    life["deductible"] = 100
    expired = dict(next(p for p in data["insurance_policy"] if p["status"] == "EXPIRED"))
    expired["status"] = "ACTIVE"
    claim = dict(data["insurance_claim"][0])
    claim["claimed_amount"] = 10**13
    claim["claim_type"] = "GLASS" if claim["claim_type"] not in CLAIM_TYPES["AUTO"] else "FIRE"
    lookup = RecordIndex(specs, {"customer": data["customer"], "property": data["property"],
                                 "insurance_policy": data["insurance_policy"]})
    found = {v.rule for v in run_rules(INSURANCE_POLICY, [life, expired], RULES, lookup, run=run)}
    assert found == {"policy-deductible", "policy-status-dates"}
    found = {v.rule for v in run_rules(INSURANCE_CLAIM, [claim], RULES, lookup, run=run)}
    assert found == {"claim-type", "claim-amounts"}
