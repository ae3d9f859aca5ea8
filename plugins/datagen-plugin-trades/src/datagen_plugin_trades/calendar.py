"""B3 trading calendar arithmetic on epoch days (weekends skipped; vectorized).

A *business index* numbers weekdays consecutively from Monday 1970-01-05 (epoch day 4).
Holidays are not modelled: the catalog asks for weekends to be skipped, nothing more.
"""

from __future__ import annotations

import numpy as np

DAY_MS = 86_400_000
BRT_OFFSET_MS = -3 * 3_600_000
"""America/Sao_Paulo has had a fixed -03:00 offset since 2019 (no daylight saving time)."""
SESSION_OPEN_MS = 10 * 3_600_000
SESSION_CLOSE_MS = 17 * 3_600_000
SESSION_MS = SESSION_CLOSE_MS - SESSION_OPEN_MS
SETTLEMENT_DAYS = 2
_FIRST_MONDAY = 4


def local_day(ms: np.ndarray | int) -> np.ndarray | int:
    """Sao Paulo calendar day (days since 1970-01-01) of epoch-millisecond instants."""
    return (ms + BRT_OFFSET_MS) // DAY_MS


def business_index(day: np.ndarray | int) -> np.ndarray | int:
    """Index of the first weekday on or after ``day`` (Monday 1970-01-05 is 0)."""
    rel = day - _FIRST_MONDAY
    return (rel // 7) * 5 + np.minimum(rel % 7, 5)


def business_day(index: np.ndarray | int) -> np.ndarray | int:
    """Epoch day of a business index (inverse of ``business_index`` on weekdays)."""
    return _FIRST_MONDAY + (index // 5) * 7 + index % 5


def is_weekday(day: np.ndarray | int) -> np.ndarray | bool:
    return (day - _FIRST_MONDAY) % 7 < 5


def session_start_ms(day: np.ndarray | int) -> np.ndarray | int:
    """Epoch milliseconds of 10:00 in Sao Paulo on ``day``."""
    return day * DAY_MS - BRT_OFFSET_MS + SESSION_OPEN_MS
