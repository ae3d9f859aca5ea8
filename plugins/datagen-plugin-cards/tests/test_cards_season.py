"""Seasonality of card purchases (normalised per card active on the day) and their channel."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import numpy as np
import pytest
from datagen_plugin_banking.bankcalendar import NORTHEAST, black_friday, carnival
from datagen_plugin_banking.common import DAY_MS, LOCAL_OFFSET_MS

EPOCH = dt.date(1970, 1, 1)
YEAR = 2025  # the default history: 2025-01-01 .. 2025-12-31 (as-of 2026-01-01)


def day_of(d: dt.date) -> int:
    return (d - EPOCH).days


@pytest.fixture(scope="module")
def season(cards_blocks: Any) -> dict[str, Any]:
    first, last = day_of(dt.date(YEAR, 1, 1)), day_of(dt.date(YEAR + 1, 1, 1))
    span = last - first
    active = np.zeros(span + 1)  # cards active on each day (difference array)
    active_ne = np.zeros(span + 1)
    per_day = np.zeros(span)
    per_day_ne = np.zeros(span)
    online = np.zeros(span)
    channels: Counter[str] = Counter()
    abroad_online = 0
    for block in cards_blocks(12_000, ["credit_card", "card_transaction"], seed=77):
        ne = {c["customer_id"]: c["address"]["state"] in NORTHEAST for c in block["customer"]}
        as_of = day_of(dt.date(YEAR + 1, 1, 1))
        for card in block["credit_card"]:
            start = (card["created_at"] + LOCAL_OFFSET_MS) // DAY_MS + 1  # whole days only
            end = as_of if card["status"] == "ACTIVE" else (card["updated_at"] + LOCAL_OFFSET_MS) // DAY_MS
            lo, hi = max(start, first) - first, min(end, last) - first
            if hi > lo:
                target = active_ne if ne[card["customer_id"]] else active
                target[lo] += 1
                target[hi] -= 1
        for e in block["card_transaction"]:
            d = (e["timestamp"] + LOCAL_OFFSET_MS) // DAY_MS - first
            channels[e["channel"]] += 1
            abroad_online += e["location_country"] != "BR" and e["channel"] == "ONLINE"
            if 0 <= d < span:
                if ne[e["customer_id"]]:
                    per_day_ne[d] += 1
                else:
                    per_day[d] += 1
                    online[d] += e["channel"] == "ONLINE"
    return {"rate": per_day / np.maximum(np.cumsum(active)[:-1], 1),
            "rate_ne": per_day_ne / np.maximum(np.cumsum(active_ne)[:-1], 1),
            "online": online / np.maximum(np.cumsum(active)[:-1], 1),
            "channels": channels, "abroad_online": abroad_online, "first": first}


def _index(season: dict[str, Any], d: dt.date) -> int:
    return day_of(d) - season["first"]


def test_november_and_december_at_least_25_percent_above_january(season) -> None:
    rate = season["rate"]

    def month(m: int) -> float:
        a = _index(season, dt.date(YEAR, m, 1))
        b = _index(season, dt.date(YEAR + (m == 12), m % 12 + 1, 1))
        return float(rate[a:b].mean())

    january = month(1)
    assert month(11) >= 1.25 * january and month(12) >= 1.25 * january, (january, month(11), month(12))


def test_black_friday_doubles_purchases_and_triples_online(season) -> None:
    rate, online = season["rate"], season["online"]
    bf = black_friday(YEAR)
    fridays = [d for d in (dt.date(YEAR, 10, 1) + dt.timedelta(days=k) for k in range(61))
               if d.weekday() == 4 and d != bf and d.day != 12]
    ordinary = np.mean([rate[_index(season, d)] for d in fridays])
    ordinary_online = np.mean([online[_index(season, d)] for d in fridays])
    assert rate[_index(season, bf)] >= 2 * ordinary
    assert online[_index(season, bf)] >= 3 * ordinary_online


def test_moving_and_regional_dates(season) -> None:
    rate, rate_ne = season["rate"], season["rate_ne"]
    tuesday = carnival(YEAR)  # 2025-03-04: Carnaval Monday and Tuesday are quieter than the weeks around
    around = [tuesday + dt.timedelta(days=k) for k in (-15, -14, -8, -7, 6, 7, 13, 14)]
    assert rate[_index(season, tuesday)] + rate[_index(season, tuesday) - 1] < \
        0.9 * 2 * np.mean([rate[_index(season, d)] for d in around])
    june = slice(_index(season, dt.date(YEAR, 6, 13)), _index(season, dt.date(YEAR, 6, 30)))
    may = slice(_index(season, dt.date(YEAR, 5, 19)), _index(season, dt.date(YEAR, 6, 5)))
    # São João: the Northeast buys more in late June than late May, the rest of the country does not
    assert rate_ne[june].mean() / rate_ne[may].mean() > 1.15 * rate[june].mean() / rate[may].mean()


def test_channels(season) -> None:
    channels = season["channels"]
    total = sum(channels.values())
    assert set(channels) == {"IN_STORE", "ONLINE", "CONTACTLESS"}
    assert 0.15 < channels["ONLINE"] / total < 0.30
    assert 0.25 < channels["CONTACTLESS"] / total < 0.45
    assert season["abroad_online"] == 0
