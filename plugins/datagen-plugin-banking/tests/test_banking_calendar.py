"""The national bank-holiday calendar and business-day helpers (``datagen_plugin_banking.bankcalendar``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from banking_blocks import generate_blocks
from datagen_plugin_banking.bankcalendar import (
    add_business_days,
    add_business_days_array,
    easter,
    holiday_days,
    is_business_day,
    is_business_days,
    is_holiday,
    national_holidays,
    next_business_day,
    previous_business_day,
    roll_back,
    roll_forward,
    roll_forward_days,
)
from datagen_plugin_banking.common import DAY_MS, LOCAL_OFFSET_MS

D = dt.date


def test_easter_on_known_dates() -> None:
    known = {1970: D(1970, 3, 29), 2000: D(2000, 4, 23), 2019: D(2019, 4, 21), 2024: D(2024, 3, 31),
             2025: D(2025, 4, 20), 2026: D(2026, 4, 5), 2038: D(2038, 4, 25), 2099: D(2099, 4, 12)}
    assert {y: easter(y) for y in known} == known
    assert all(easter(y).weekday() == 6 for y in range(1970, 2100))


def test_national_holidays_with_the_moving_ones() -> None:
    h2025 = national_holidays(2025)
    assert list(h2025) == [D(2025, 1, 1), D(2025, 3, 3), D(2025, 3, 4), D(2025, 4, 18), D(2025, 4, 21),
                           D(2025, 5, 1), D(2025, 6, 19), D(2025, 9, 7), D(2025, 10, 12), D(2025, 11, 2),
                           D(2025, 11, 15), D(2025, 11, 20), D(2025, 12, 25)]
    assert h2025[D(2025, 3, 4)].startswith("Carnaval") and h2025[D(2025, 6, 19)] == "Corpus Christi"
    assert D(2024, 2, 12) in national_holidays(2024) and D(2024, 2, 13) in national_holidays(2024)  # Carnaval
    assert is_holiday(D(2024, 11, 20)) and not is_holiday(D(2023, 11, 20))  # national since 2024
    assert len(holiday_days(2025, 2025)) == 13


def test_business_day_helpers() -> None:
    # Good Friday, the weekend and Tiradentes on Monday: Thursday's next business day is Tuesday
    assert next_business_day(D(2025, 4, 17)) == D(2025, 4, 22)
    assert previous_business_day(D(2025, 4, 22)) == D(2025, 4, 17)
    assert previous_business_day(D(2025, 1, 1)) == D(2024, 12, 31)
    assert roll_forward(D(2025, 3, 3)) == D(2025, 3, 5) and roll_back(D(2025, 3, 3)) == D(2025, 2, 28)
    assert roll_forward(D(2025, 3, 5)) == D(2025, 3, 5)
    assert add_business_days(D(2024, 12, 23), 2) == D(2024, 12, 26)  # Christmas skipped
    assert add_business_days(D(2024, 12, 23), 0) == D(2024, 12, 23)
    assert not is_business_day(D(2025, 12, 25)) and not is_business_day(D(2025, 12, 27))
    assert is_business_day(D(2025, 12, 26))


def test_vectorized_helpers_agree_with_the_dates() -> None:
    epoch = D(1970, 1, 1)
    days = np.arange((D(2023, 1, 1) - epoch).days, (D(2027, 1, 1) - epoch).days)
    flags = is_business_days(days)
    forward = roll_forward_days(days)
    plus2 = add_business_days_array(days, 2)
    for day, flag, fwd, d2 in zip(days.tolist(), flags.tolist(), forward.tolist(), plus2.tolist(), strict=True):
        date = epoch + dt.timedelta(days=day)
        assert flag == is_business_day(date)
        assert epoch + dt.timedelta(days=fwd) == (date if flag else next_business_day(date))
        assert epoch + dt.timedelta(days=d2) == next_business_day(next_business_day(roll_back(date)) if flag
                                                                  else next_business_day(roll_forward(date)))


def test_no_ted_on_a_holiday_or_weekend() -> None:
    for scenario in (None, "fraud-detection"):
        txs = generate_blocks(3000, seed=11, scenario=scenario)["transaction"]
        ted = np.array([t["timestamp"] for t in txs if t["transaction_type"] == "TED"])
        assert ted.size > 1000
        assert is_business_days((ted + LOCAL_OFFSET_MS) // DAY_MS).all()
        others = np.array([t["timestamp"] for t in txs if t["transaction_type"] == "PIX"])
        assert not is_business_days((others + LOCAL_OFFSET_MS) // DAY_MS).all()  # Pix runs every day
