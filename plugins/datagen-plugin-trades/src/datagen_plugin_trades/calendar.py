"""B3 trading calendar arithmetic on epoch days (vectorized): sessions run on business days.

A *business index* numbers the business days consecutively (weekdays that are not national
bank holidays, from ``datagen_plugin_banking.bankcalendar``: B3 neither trades nor settles on
them); index 0 is the first business day of 1970. Settlement is two business days after the
trade (T+2), skipping weekends and holidays alike.
"""

from __future__ import annotations

import functools

import numpy as np
from datagen_plugin_banking.bankcalendar import LAST_YEAR, is_business_days

DAY_MS = 86_400_000
BRT_OFFSET_MS = -3 * 3_600_000
"""America/Sao_Paulo has had a fixed -03:00 offset since 2019 (no daylight saving time)."""
SESSION_OPEN_MS = 10 * 3_600_000
SESSION_CLOSE_MS = 17 * 3_600_000
SESSION_MS = SESSION_CLOSE_MS - SESSION_OPEN_MS
SETTLEMENT_DAYS = 2


def local_day(ms: np.ndarray | int) -> np.ndarray | int:
    """Sao Paulo calendar day (days since 1970-01-01) of epoch-millisecond instants."""
    return (ms + BRT_OFFSET_MS) // DAY_MS


@functools.lru_cache(maxsize=1)
def _business_days() -> np.ndarray:
    """Epoch days of every business day 1970..2099, in order."""
    last = (np.datetime64(f"{LAST_YEAR + 1}-01-01") - np.datetime64("1970-01-01")).astype(np.int64)
    return np.flatnonzero(is_business_days(np.arange(last, dtype=np.int64))).astype(np.int64)


def business_index(day: np.ndarray | int) -> np.ndarray | int:
    """Index of the first business day on or after ``day``."""
    found: np.ndarray | int = np.searchsorted(_business_days(), day, side="left")
    return found


def business_day(index: np.ndarray | int) -> np.ndarray | int:
    """Epoch day of a business index (inverse of ``business_index`` on business days)."""
    day: np.ndarray | int = _business_days()[index]
    return day


def is_weekday(day: np.ndarray | int) -> np.ndarray | bool:
    """Whether ``day`` is a trading (business) day: a weekday that is not a bank holiday."""
    out: np.ndarray | bool = is_business_days(np.asarray(day, dtype=np.int64))
    return out


is_trading_day = is_weekday


def session_start_ms(day: np.ndarray | int) -> np.ndarray | int:
    """Epoch milliseconds of 10:00 in Sao Paulo on ``day``."""
    return day * DAY_MS - BRT_OFFSET_MS + SESSION_OPEN_MS
