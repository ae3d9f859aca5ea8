"""Seasonality of Pix and TED transfers, normalised per account active on the day (so customer
growth and closures do not count): month, day of month, weekday, holidays and hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from banking_blocks import generate_blocks
from datagen_plugin_banking.bankcalendar import holiday_days, is_business_days
from datagen_plugin_banking.common import DAY_MS, HOUR_MS, LOCAL_OFFSET_MS
from datagen_plugin_banking.transferseason import day_weights

EPOCH = dt.date(1970, 1, 1)
YEAR = 2025  # the default history: 2025-01-01 .. 2025-12-31 (as-of 2026-01-01)
ENDS = {"DORMANT", "BLOCKED", "CLOSED"}


def day_of(d: dt.date) -> int:
    return (d - EPOCH).days


@pytest.fixture(scope="module")
def season() -> dict[str, Any]:
    data = generate_blocks(5_000, seed=13)
    first, last = day_of(dt.date(YEAR, 1, 1)), day_of(dt.date(YEAR + 1, 1, 1))
    span = last - first
    starts: dict[str, int] = {}
    ends: dict[str, int] = {}
    for e in data["account_event"]:
        day = (e["occurred_at"] + LOCAL_OFFSET_MS) // DAY_MS
        if e["event_type"] == "ACTIVATED":
            starts[e["account_id"]] = day + 1  # whole days only
        elif e["event_type"] in ENDS:
            ends[e["account_id"]] = min(ends.get(e["account_id"], last), day)
    active = np.zeros(span + 1)  # accounts active on each day (difference array)
    for a, s in starts.items():
        lo, hi = max(s, first) - first, min(ends.get(a, last), last) - first
        if hi > lo:
            active[lo] += 1
            active[hi] -= 1
    per_day = {"PIX": np.zeros(span), "TED": np.zeros(span)}
    hours = {"PIX": np.zeros(24), "TED": np.zeros(24)}
    for t in data["transaction"]:
        kind = t["transaction_type"]
        if kind not in per_day:
            continue
        local = t["timestamp"] + LOCAL_OFFSET_MS
        d = local // DAY_MS - first
        hours[kind][local % DAY_MS // HOUR_MS] += 1
        if 0 <= d < span:
            per_day[kind][d] += 1
    n_active = np.maximum(np.cumsum(active)[:-1], 1)
    both = per_day["PIX"] + per_day["TED"]
    return {"rate": both / n_active, "pix": per_day["PIX"] / n_active, "ted": per_day["TED"],
            "hours": hours, "first": first, "span": span}


def _days(season: dict[str, Any], month: int) -> slice:
    a = day_of(dt.date(YEAR, month, 1)) - season["first"]
    b = day_of(dt.date(YEAR + (month == 12), month % 12 + 1, 1)) - season["first"]
    return slice(a, b)


def test_january_low_november_and_december_high(season) -> None:
    rate = season["rate"]
    january = float(rate[_days(season, 1)].mean())
    may = float(rate[_days(season, 5)].mean())
    november = float(rate[_days(season, 11)].mean())
    december = float(rate[_days(season, 12)].mean())
    assert january < 0.93 * may, (january, may)
    assert november >= 1.10 * january and december >= 1.30 * january, (january, november, december)
    assert december > 1.15 * may and december > november, (may, november, december)


def test_first_days_of_the_month_and_weekdays(season) -> None:
    rate, first = season["rate"], season["first"]
    days = np.arange(season["span"]) + first
    dates = days.astype("datetime64[D]")
    dom = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    weekday = (days + 3) % 7
    business = is_business_days(days)
    assert rate[(dom <= 5) & business].mean() >= 1.15 * rate[(dom >= 10) & (dom <= 25) & business].mean()
    assert rate[weekday == 6].mean() < 0.6 * rate[business].mean()  # Sunday
    assert rate[weekday == 4].mean() > rate[(weekday >= 1) & (weekday <= 3) & business].mean()  # Friday


def test_pix_every_day_fewer_on_holidays_and_no_ted(season) -> None:
    first, span = season["first"], season["span"]
    holidays = holiday_days()
    holidays = holidays[(holidays >= first) & (holidays < first + span)] - first
    assert holidays.size >= 10
    pix = season["pix"]
    assert (pix[holidays] > 0).all()  # Pix runs every day ...
    weekdays = is_business_days(np.arange(span) + first)
    assert pix[holidays].mean() < 0.75 * pix[weekdays].mean()  # ... fewer on bank holidays
    assert season["ted"][holidays].sum() == 0  # no TED settles on a bank holiday


def test_hour_profiles(season) -> None:
    pix, ted = season["hours"]["PIX"], season["hours"]["TED"]
    assert pix[:5].sum() > 0 and pix[3] < 0.05 * pix[11]  # 24/7, quiet at night
    assert pix[11] > pix[7] and pix[19] > pix[15] * 1.05  # late morning and evening peaks
    assert ted[8:18].sum() > 0.7 * ted.sum()


def test_table_matches_the_documented_weights() -> None:
    w = day_weights()
    christmas = day_of(dt.date(YEAR, 12, 25))
    tuesday = day_of(dt.date(YEAR, 12, 16))
    assert w[christmas] == pytest.approx(1.25 * 1.00 * 0.35)  # Thursday, December
    assert w[tuesday] == pytest.approx(1.25)
    assert w[day_of(dt.date(YEAR, 1, 7))] == pytest.approx(0.85)  # a Tuesday in January
