"""Catalog distributions on a 20,000-customer sample (tolerances stated per check).

With 20,000 customers (~18,000 cards, ~570,000 purchases) one standard error is about 0.35
points for card-level shares and 0.06 points for purchase-level shares; tolerances are at
least four standard errors.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from datagen_plugin_banking.common import DAY_MS, LOCAL_OFFSET_MS
from datagen_plugin_cards.merchants import INSTALLMENT_BUCKETS, MCC_TABLE

CUSTOMERS = 20_000
AS_OF_MS = 1_767_236_400_000  # 2026-01-01T00:00:00-03:00
YEAR_MS = 365.25 * DAY_MS


@pytest.fixture(scope="module")
def sample(cards_blocks: Any) -> dict[str, Any]:
    """Counters over all blocks; records are dropped block by block."""
    per_customer: Counter[int] = Counter()
    brands: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    multiples: list[float] = []
    mcc: Counter[str] = Counter()
    parcelado: Counter[tuple[str, bool]] = Counter()
    amount_by_bucket: dict[int, list[int]] = {1: [], 3: [], 6: [], 12: []}
    installments: Counter[int] = Counter()
    outcome: Counter[str] = Counter()
    hours: Counter[int] = Counter()
    weekdays: Counter[int] = Counter()
    purchases = 0
    expected = 0.0
    for block in cards_blocks(CUSTOMERS, ["credit_card", "card_transaction"], seed=2024):
        customers = block["customer"]
        cards = block["credit_card"]
        owned = Counter(c["customer_id"] for c in cards)
        per_customer.update(owned[c["customer_id"]] for c in customers)
        income = {c["customer_id"]: c["monthly_income"] for c in customers}
        for card in cards:
            brands[card["brand"]] += 1
            statuses[card["status"]] += 1
            multiples.append(card["credit_limit"] / income[card["customer_id"]])
            start = max(card["created_at"], AS_OF_MS - 365 * DAY_MS)
            end = AS_OF_MS if card["status"] == "ACTIVE" else card["updated_at"]
            expected += 57.0 * max(end - start, 0) / YEAR_MS / owned[card["customer_id"]]
        events = block["card_transaction"]
        purchases += len(events)
        mcc.update(e["mcc_code"] for e in events)
        installments.update(e["installments"] for e in events)
        parcelado.update((e["merchant_category"], e["installments"] >= 7) for e in events)
        for e in events:
            k = e["installments"]
            amount_by_bucket[1 if k == 1 else 3 if k <= 3 else 6 if k <= 6 else 12].append(e["amount"])
        outcome.update(e["status"] for e in events)
        local = np.array([e["timestamp"] for e in events], dtype=np.int64) + LOCAL_OFFSET_MS
        hours.update(((local % DAY_MS) // 3_600_000).tolist())
        weekdays.update(((local // DAY_MS + 3) % 7).tolist())
    return {
        "customers": sum(per_customer.values()), "per_customer": per_customer, "brands": brands,
        "statuses": statuses, "multiples": multiples, "mcc": mcc, "installments": installments,
        "outcome": outcome, "parcelado": parcelado, "amount_by_bucket": amount_by_bucket,
        "hours": hours, "weekdays": weekdays, "purchases": purchases, "expected": expected,
    }


def shares(counter: Counter[Any]) -> dict[Any, float]:
    total = sum(counter.values())
    return {k: v / total for k, v in counter.items()}


def test_cards_per_customer_zero_one_two(sample: dict[str, Any]) -> None:
    got = shares(sample["per_customer"])
    assert sample["customers"] == CUSTOMERS
    assert set(got) == {0, 1, 2}
    for k, want in {0: 0.30, 1: 0.50, 2: 0.20}.items():
        assert abs(got[k] - want) < 0.015, (k, got[k])


def test_brands_and_card_statuses(sample: dict[str, Any]) -> None:
    got = shares(sample["brands"])
    for brand, want in {"VISA": 0.45, "MASTERCARD": 0.40, "ELO": 0.15}.items():
        assert abs(got[brand] - want) < 0.015, (brand, got[brand])
    assert abs(shares(sample["statuses"])["ACTIVE"] - 0.90) < 0.015


def test_credit_limits_spread_over_two_to_five_incomes(sample: dict[str, Any]) -> None:
    m = np.array(sample["multiples"])
    assert m.min() >= 2.0 and m.max() <= 5.0
    assert abs(m.mean() - 3.5) < 0.05
    assert abs((m < 3.5).mean() - 0.5) < 0.02


def test_mcc_weights(sample: dict[str, Any]) -> None:
    got = shares(sample["mcc"])
    for cat in MCC_TABLE:
        assert abs(got[cat.mcc] - cat.weight) < 0.005, (cat.mcc, got[cat.mcc])


def test_installment_buckets(sample: dict[str, Any]) -> None:
    got = shares(sample["installments"])
    for low, high, want in INSTALLMENT_BUCKETS:
        share = sum(got.get(k, 0.0) for k in range(low, high + 1))
        assert abs(share - want) < 0.005, (low, high, share)
    # uniform inside the 7-12 bucket
    inside = [got[k] / 0.05 for k in range(7, 13)]
    assert max(inside) - min(inside) < 0.03


def test_approval_share(sample: dict[str, Any]) -> None:
    got = shares(sample["outcome"])
    # 95% approved before the limit check; a few more are declined for lack of limit, and the
    # approved purchases of the last two days are still PENDING
    assert 0.94 < got["APPROVED"] + got["PENDING"] < 0.951
    assert 0 < got["PENDING"] < 0.01
    assert 0.049 < got["DECLINED"] < 0.06


def test_about_57_purchases_per_holder_per_year_of_history(sample: dict[str, Any]) -> None:
    ratio = sample["purchases"] / sample["expected"]
    assert abs(ratio - 1.0) < 0.01, ratio


def test_purchases_concentrate_in_business_hours_and_weekdays(sample: dict[str, Any]) -> None:
    hours = shares(sample["hours"])
    assert sum(hours.get(h, 0.0) for h in range(8, 20)) > 0.70
    assert sum(hours.get(h, 0.0) for h in range(0, 6)) < 0.05
    weekend = shares(sample["weekdays"])
    assert 0.12 < weekend[5] + weekend[6] < 0.25  # 2/7 = 0.29 if uniform; Saturday 0.8, Sunday 0.45


def test_long_installment_plans_go_to_larger_purchases_in_the_right_shops(sample: dict[str, Any]) -> None:
    means = [np.mean(sample["amount_by_bucket"][b]) for b in (1, 3, 6, 12)]
    assert means == sorted(means) and means[3] > 2 * means[0]
    p = sample["parcelado"]

    def long_share(category: str) -> float:
        return p[(category, True)] / (p[(category, True)] + p[(category, False)])

    assert long_share("FAST_FOOD") < 0.01 and long_share("TAXI_RIDE_HAILING") < 0.01
    assert long_share("DEPARTMENT_STORES") > 0.15 and long_share("MISC_RETAIL") > 0.10
