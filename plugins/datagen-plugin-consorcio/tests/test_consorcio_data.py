"""Consórcio quotas generated with the banking pack: groups, payments, contemplations, rules."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from datagen_plugin_consorcio.entities import CONSORTIUM
from datagen_plugin_consorcio.groups import monthly_payment
from datagen_plugin_consorcio.rules import RULES

from datagen_kernel import make_plugin_host
from datagen_kernel.api.generation import RunInfo
from datagen_kernel.testing import RecordIndex, generate_records, run_rules

CUSTOMERS = 6000
Data = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def data() -> Data:
    return generate_records(make_plugin_host(), customers=CUSTOMERS, seed=9)


def test_penetration_and_type_mix(data: Data) -> None:
    quotas = data["consortium"]
    holders = {q["customer_id"] for q in quotas}
    assert 0.07 < len(holders) / CUSTOMERS < 0.09  # consorcio.penetration 0.08
    assert 1.05 < len(quotas) / len(holders) < 1.15  # 10% hold a second quota
    kinds = Counter(q["consortium_type"] for q in quotas)
    assert 0.44 < kinds["AUTO"] / len(quotas) < 0.56
    assert 0.24 < kinds["IMOBILIARIO"] / len(quotas) < 0.36
    assert 0.14 < kinds["SERVICOS"] / len(quotas) < 0.26


def test_groups_quotas_and_contemplations(data: Data) -> None:
    quotas = data["consortium"]
    keys = [(q["group_number"], q["quota_number"]) for q in quotas]
    assert len(set(keys)) == len(keys)  # unique within a group, over the whole run
    per_month = Counter((q["group_number"], q["contemplation_date"].strftime("%Y-%m"), q["contemplation_type"])
                        for q in quotas if q["status"] == "CONTEMPLATED")
    assert per_month and max(per_month.values()) == 1  # one DRAW and one BID per assembly
    for q in quotas:
        assert q["quota_number"] <= 2 * q["term_months"]
        assert q["monthly_payment"] == monthly_payment(q["total_value"], q["admin_fee_rate"], q["term_months"])
        assert (q["status"] == "CONTEMPLATED") == (q["contemplation_date"] is not None)
    statuses = Counter(q["status"] for q in quotas)
    assert statuses["CONTEMPLATED"] > statuses["ACTIVE"] > statuses["CANCELLED"] > 0
    draws = Counter(q["contemplation_type"] for q in quotas if q["contemplation_type"])
    assert 0.4 < draws["DRAW"] / sum(draws.values()) < 0.6


def test_monthly_payment_formula() -> None:
    assert monthly_payment(10_000_000, 1500, 60) == 191_667  # 100,000 x 1.15 / 60 = 1,916.67


def test_customer_360_gives_every_customer_a_quota() -> None:
    data = generate_records(make_plugin_host(), customers=200, seed=3, scenario="customer-360")
    assert {q["customer_id"] for q in data["consortium"]} == {c["customer_id"] for c in data["customer"]}


def test_rules_catch_a_wrong_payment_and_a_duplicate_quota(data: Data) -> None:
    host = make_plugin_host()
    defaults = host.registry.run_defaults()
    run = RunInfo(seed=9, root_count=CUSTOMERS, as_of=defaults.as_of, timezone=defaults.timezone)
    first = dict(next(q for q in data["consortium"] if q["status"] == "ACTIVE"))
    twin = dict(first, consortium_id="00000000-0000-4000-8000-000000000000")
    first["monthly_payment"] += 1
    lookup = RecordIndex(host.registry.entity_specs(), {"consortium": [first, twin]})
    found = {v.rule for v in run_rules(CONSORTIUM, [first, twin], RULES, lookup, run=run)}
    assert found == {"consortium-payment", "consortium-group"}
