"""Trading-calendar arithmetic."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
from datagen_plugin_banking.bankcalendar import national_holidays
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


def test_business_index_round_trips_business_days_and_skips_weekends_and_holidays() -> None:
    days = np.arange(_day(date(2023, 1, 1)), _day(date(2026, 1, 1)))
    holidays = {d for y in (2023, 2024, 2025) for d in national_holidays(y)}
    mask = np.array([(d := EPOCH + timedelta(days=int(x))).weekday() < 5 and d not in holidays for x in days])
    assert (~mask).sum() > 3 * 104 + 20  # weekends and at least 20 holidays on weekdays
    business = days[mask]
    idx = business_index(business)
    assert np.all(np.diff(idx) == 1)
    assert np.array_equal(business_day(idx), business)
    assert np.array_equal(is_weekday(days), mask)


def test_weekend_and_holidays_map_to_the_next_business_day() -> None:
    saturday = _day(date(2025, 3, 8))
    monday = _day(date(2025, 3, 10))
    assert business_day(business_index(saturday)) == monday
    assert business_day(business_index(saturday + 1)) == monday
    carnaval_saturday = _day(date(2025, 3, 1))  # Carnaval Monday and Tuesday are bank holidays
    assert business_day(business_index(carnaval_saturday)) == _day(date(2025, 3, 5))


def test_settlement_two_business_days_later() -> None:
    cases = {date(2025, 3, 10): date(2025, 3, 12),   # Monday -> Wednesday
             date(2025, 3, 13): date(2025, 3, 17),   # Thursday -> Monday
             date(2025, 3, 14): date(2025, 3, 18),   # Friday -> Tuesday
             date(2025, 4, 17): date(2025, 4, 23),   # Thursday, then Good Friday and Tiradentes
             date(2025, 12, 24): date(2025, 12, 29)}  # Wednesday, then Christmas
    for trade, settle in cases.items():
        assert business_day(business_index(_day(trade)) + 2) == _day(settle)


def test_session_start_is_ten_in_sao_paulo() -> None:
    d = date(2025, 3, 3)
    ms = session_start_ms(_day(d))
    assert datetime.fromtimestamp(ms / 1000, BRT) == datetime(2025, 3, 3, 10, 0, tzinfo=BRT)
    assert local_day(ms) == _day(d)
    assert local_day(ms + 14 * 3_600_000) == _day(d) + 1  # midnight local is the next day
