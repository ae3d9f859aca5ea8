"""Funds generated with the banking pack: NAV paths, positions valued at the last quote, rules."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pytest
from datagen_plugin_banking.bankcalendar import is_business_day
from datagen_plugin_funds.entities import FUND_QUOTE
from datagen_plugin_funds.generators import value_cents
from datagen_plugin_funds.nav import DAILY_VOLATILITY, daily_drift
from datagen_plugin_funds.rules import RULES

from datagen_kernel import make_plugin_host
from datagen_kernel.api.generation import RunInfo
from datagen_kernel.testing import RecordIndex, generate_records, run_rules

CUSTOMERS = 3000


@pytest.fixture(scope="module")
def data() -> dict[str, list[dict[str, Any]]]:
    return generate_records(make_plugin_host(), customers=CUSTOMERS, seed=11)


def test_thirty_funds_with_every_class_in_fixed_shares(data: dict[str, list[dict[str, Any]]]) -> None:
    kinds = Counter(f["fund_type"] for f in data["fund"])
    assert kinds == {"RENDA_FIXA": 12, "MULTIMERCADO": 6, "RENDA_VARIAVEL": 6, "IMOBILIARIO": 3, "CAMBIAL": 3}
    assert len({f["fund_name"] for f in data["fund"]}) > 20  # Faker surnames


def test_quotes_are_business_days_and_paths_follow_class_volatility_and_benchmark(
        data: dict[str, list[dict[str, Any]]]) -> None:
    funds = {f["fund_id"]: f for f in data["fund"]}
    by_fund: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in data["fund_quote"]:
        by_fund[q["fund_id"]].append(q)
    days = sorted({q["quote_date"] for q in data["fund_quote"]})
    assert all(is_business_day(d) for d in days)
    assert 245 <= len(days) <= 255  # a year of B3 business days
    returns: dict[str, list[float]] = defaultdict(list)
    for fund_id, quotes in by_fund.items():
        fund = funds[fund_id]
        quotes.sort(key=lambda q: q["quote_date"])
        assert len(quotes) == len(days)
        assert quotes[-1]["nav_per_quota"] == fund["nav_per_quota"]
        navs = np.array([q["nav_per_quota"] for q in quotes], dtype=np.float64)
        steps = np.diff(np.log(navs))
        returns[fund["fund_type"]].extend(steps.tolist())
        if fund["fund_type"] == "RENDA_FIXA":  # the drift shows through a tiny volatility
            expected = daily_drift("RENDA_FIXA", fund["benchmark"], fund["management_fee"])
            assert abs(steps.mean() - expected) < 4 * DAILY_VOLATILITY["RENDA_FIXA"] / math.sqrt(steps.size)
    for kind, values in returns.items():
        assert 0.8 * DAILY_VOLATILITY[kind] < float(np.std(values)) < 1.2 * DAILY_VOLATILITY[kind], kind


def test_positions_only_on_investment_accounts_and_valued_at_the_last_quote(
        data: dict[str, list[dict[str, Any]]]) -> None:
    accounts = {a["account_id"]: a for a in data["account"]}
    funds = {f["fund_id"]: f for f in data["fund"]}
    holders = set()
    for p in data["fund_position"]:
        account = accounts[p["account_id"]]
        assert account["account_type"] == "INVESTIMENTOS"
        assert account["customer_id"] == p["customer_id"]
        assert p["current_value"] == value_cents(p["quotas"], funds[p["fund_id"]]["nav_per_quota"])
        assert p["yield_amount"] == p["current_value"] - p["invested_amount"]
        holders.add(p["account_id"])
    investing = [a for a in accounts.values() if a["account_type"] == "INVESTIMENTOS"]
    share = len(holders) / len(investing)
    assert 0.68 < share < 0.80  # penetration 0.75 (minus accounts opened on the as-of date)
    per_account = Counter(p["account_id"] for p in data["fund_position"])
    assert 1.45 < sum(per_account.values()) / len(per_account) < 1.75  # 1 + (0.55, 0.30, 0.15) -> 1.6


def test_customer_360_gives_every_customer_a_fund_position() -> None:
    data = generate_records(make_plugin_host(), customers=200, seed=3, scenario="customer-360")
    assert {p["customer_id"] for p in data["fund_position"]} == {c["customer_id"] for c in data["customer"]}


def test_rules_catch_a_quote_off_the_calendar_and_a_wrong_value(data: dict[str, list[dict[str, Any]]]) -> None:
    from datagen_plugin_funds.entities import FUND_POSITION

    specs = make_plugin_host().registry.entity_specs()
    quotes = [dict(q) for q in data["fund_quote"][:60]]
    quotes[0]["quote_date"] = quotes[0]["quote_date"].replace(day=1, month=1)  # New Year's Day
    position = dict(data["fund_position"][0])
    position["current_value"] += 1
    lookup = RecordIndex(specs, {"fund": data["fund"], "account": data["account"], "fund_quote": quotes,
                                 "fund_position": [position]})
    run = RunInfo(seed=11, root_count=CUSTOMERS, as_of=make_plugin_host().registry.run_defaults().as_of,
                  timezone=make_plugin_host().registry.run_defaults().timezone)
    found = {v.rule for v in run_rules(FUND_QUOTE, quotes, RULES, lookup, run=run)}
    assert "fund-quote-business-day" in found
    found = {v.rule for v in run_rules(FUND_POSITION, [position], RULES, lookup, run=run)}
    assert found == {"fund-position-value"}
