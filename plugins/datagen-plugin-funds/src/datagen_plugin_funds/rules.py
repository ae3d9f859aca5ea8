"""Data-quality rules of the funds pack (run on every block and by ``datagen validate``)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from datagen_plugin_banking.bankcalendar import is_business_days
from datagen_plugin_banking.common import is_valid_cnpj

from datagen_kernel import EntitySpec, Lookup, Record, Rule, RunInfo, Violation, as_rows, column
from datagen_plugin_funds.entities import INVESTMENT_ACCOUNT
from datagen_plugin_funds.generators import (
    BENCHMARK_BY_TYPE,
    MANAGEMENT_FEE_BP,
    PERFORMANCE_FEE_BP,
    as_of_day,
    value_cents,
)
from datagen_plugin_funds.nav import max_daily_move, model_days

_EPOCH = dt.date(1970, 1, 1)


def _v(spec: EntitySpec, r: Record, field: str, rule: str, message: str) -> Violation:
    return Violation(spec.name, r.get(spec.primary_key), field, rule, message)


def check_fund_terms(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    for r in as_rows(records):
        kind = r["fund_type"]
        if r["benchmark"] not in BENCHMARK_BY_TYPE[kind][0]:
            yield _v(spec, r, "benchmark", "fund-terms",
                     f"{kind} funds track {', '.join(BENCHMARK_BY_TYPE[kind][0])}, not {r['benchmark']}")
        low, high = MANAGEMENT_FEE_BP[kind]
        if not low <= r["management_fee"] <= high:
            yield _v(spec, r, "management_fee", "fund-terms",
                     f"{r['management_fee'] / 100:.2f}% a year is outside "
                     f"{low / 100:.2f}..{high / 100:.2f}% for {kind}")
        if r["performance_fee"] not in PERFORMANCE_FEE_BP[kind]:
            yield _v(spec, r, "performance_fee", "fund-terms",
                     f"{r['performance_fee'] / 100:.2f}% is not a performance fee of a {kind} fund")
        if r["nav_per_quota"] <= 0 or r["minimum_investment"] <= 0:
            yield _v(spec, r, "nav_per_quota", "fund-terms", "NAV and minimum investment must be positive")
        if not is_valid_cnpj(r["cnpj"]):
            yield _v(spec, r, "cnpj", "fund-cnpj", f"{r['cnpj']!r} is not a CNPJ with valid check digits")


def check_position(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    for r in as_rows(records):
        if r["quotas"] <= 0:
            yield _v(spec, r, "quotas", "fund-position-value", "quotas must be positive")
        if r["yield_amount"] != r["current_value"] - r["invested_amount"]:
            yield _v(spec, r, "yield_amount", "fund-position-value",
                     f"yield {r['yield_amount']} != current {r['current_value']} - invested {r['invested_amount']}")
        fund = lookup.get("fund", r["fund_id"])
        if fund is not None:
            expected = value_cents(r["quotas"], fund["nav_per_quota"])
            if r["current_value"] != expected:
                yield _v(spec, r, "current_value", "fund-position-value",
                         f"{r['current_value']} cents != quotas x the fund's NAV = {expected} cents")
            if r["invested_amount"] < fund["minimum_investment"]:
                yield _v(spec, r, "invested_amount", "fund-position-minimum",
                         f"{r['invested_amount']} cents is below the fund's minimum {fund['minimum_investment']}")
        account = lookup.get("account", r["account_id"])
        if account is not None:
            if account["account_type"] != INVESTMENT_ACCOUNT:
                yield _v(spec, r, "account_id", "fund-position-account",
                         f"fund quotas on a {account['account_type']} account, not INVESTIMENTOS")
            if account["customer_id"] != r["customer_id"]:
                yield _v(spec, r, "customer_id", "fund-position-account", "customer_id is not the account's owner")


def _days(values: list[Any]) -> np.ndarray:
    return np.array([(d - _EPOCH).days for d in values], dtype=np.int64)


def check_quote_days(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, run: RunInfo
                     ) -> Iterator[Violation]:
    if not records:
        return
    days = _days(column(records, "quote_date"))
    today = as_of_day(run)
    bad = np.flatnonzero(~is_business_days(np.clip(days, 0, None)) | (days >= today) | (days < 0))
    rows = as_rows(records) if bad.size else []
    for i in bad.tolist():
        yield _v(spec, rows[i], "quote_date", "fund-quote-business-day",
                 f"{rows[i]['quote_date']} is not a B3 business day before the as-of date")


def check_quote_path(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, run: RunInfo
                     ) -> Iterator[Violation]:
    """Per fund in date order: daily moves within the class's volatility; the last quote (on
    the last business day before the as-of) is the fund's nav_per_quota."""
    by_fund: dict[str, list[Record]] = {}
    for r in as_rows(records):
        by_fund.setdefault(r["fund_id"], []).append(r)
    days = model_days(as_of_day(run))
    last_day = _EPOCH + dt.timedelta(days=int(days[-1])) if days.size else None
    for fund_id, quotes in by_fund.items():
        fund = lookup.get("fund", fund_id)
        if fund is None:
            continue
        quotes.sort(key=lambda q: q["quote_date"])
        limit = max_daily_move(fund["fund_type"])
        for before, after in itertools.pairwise(quotes):
            if after["quote_date"] == before["quote_date"]:
                yield _v(spec, after, "quote_date", "fund-quote-move", "two quotes of the fund on one day")
            elif before["nav_per_quota"] <= 0 or after["nav_per_quota"] <= 0:
                yield _v(spec, after, "nav_per_quota", "fund-quote-move", "NAV must be positive")
            elif abs(math.log(after["nav_per_quota"] / before["nav_per_quota"])) > limit:
                yield _v(spec, after, "nav_per_quota", "fund-quote-move",
                         f"moved {math.log(after['nav_per_quota'] / before['nav_per_quota']):+.4f} in log terms "
                         f"from the previous quote; a {fund['fund_type']} fund moves at most {limit:.4f}")
        last = quotes[-1]
        if last["quote_date"] == last_day and last["nav_per_quota"] != fund["nav_per_quota"]:
            yield _v(spec, last, "nav_per_quota", "fund-quote-last",
                     f"the last quote ({last['nav_per_quota']}) is not the fund's nav_per_quota "
                     f"({fund['nav_per_quota']})")


RULES = (
    Rule("fund-terms", "fund", check_fund_terms,
         "Benchmark, fees and minimum fit the fund's class; the CNPJ has valid check digits (fund-cnpj)."),
    Rule("fund-position-value", "fund_position", check_position,
         "current_value = quotas x the fund's NAV; yield = current - invested; INVESTIMENTOS account of the "
         "customer (fund-position-account); invested at least the fund's minimum (fund-position-minimum)."),
    Rule("fund-quote-business-day", "fund_quote", check_quote_days,
         "quote_date is a business day of the national bank calendar, before the as-of date."),
    Rule("fund-quote-path", "fund_quote", check_quote_path,
         "Daily moves within the fund class's volatility (fund-quote-move); the last quote is the fund's "
         "nav_per_quota (fund-quote-last)."),
)
