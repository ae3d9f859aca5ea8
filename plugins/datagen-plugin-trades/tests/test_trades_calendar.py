"""Trading-calendar arithmetic."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
from datagen_plugin_trades.calendar import (
    business_day,
    business_index,
    is_weekday,
    local_day,
    session_start_ms,
)

EPOCH = date(1970, 1, 1)
BRT = timezone(timedelta(hours=-3))


def _day(d: date) -> int:
    return (d - EPOCH).days


def test_business_index_round_trips_weekdays_and_skips_weekends() -> None:
    days = np.arange(_day(date(2023, 1, 1)), _day(date(2026, 1, 1)))
    mask = np.array([(EPOCH + timedelta(days=int(d))).weekday() < 5 for d in days])
    weekdays = days[mask]
    idx = business_index(weekdays)
    assert np.all(np.diff(idx) == 1)
    assert np.array_equal(business_day(idx), weekdays)
    assert np.array_equal(is_weekday(days), mask)


def test_weekend_maps_to_next_monday() -> None:
    saturday = _day(date(2025, 3, 8))
    monday = _day(date(2025, 3, 10))
    assert business_day(business_index(saturday)) == monday
    assert business_day(business_index(saturday + 1)) == monday


def test_settlement_two_business_days_later() -> None:
    cases = {date(2025, 3, 3): date(2025, 3, 5),   # Monday -> Wednesday
             date(2025, 3, 6): date(2025, 3, 10),  # Thursday -> Monday
             date(2025, 3, 7): date(2025, 3, 11)}  # Friday -> Tuesday
    for trade, settle in cases.items():
        assert business_day(business_index(_day(trade)) + 2) == _day(settle)


def test_session_start_is_ten_in_sao_paulo() -> None:
    d = date(2025, 3, 3)
    ms = session_start_ms(_day(d))
    assert datetime.fromtimestamp(ms / 1000, BRT) == datetime(2025, 3, 3, 10, 0, tzinfo=BRT)
    assert local_day(ms) == _day(d)
    assert local_day(ms + 14 * 3_600_000) == _day(d) + 1  # midnight local is the next day
