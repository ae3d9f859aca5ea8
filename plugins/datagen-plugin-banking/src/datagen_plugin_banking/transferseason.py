"""Seasonality of bank transfers (Pix and TED): a per-day weight table and hour profiles.

A transfer's instant is drawn by inverse CDF over a day-weight table (the local days of the
account's window), then an hour from the type's profile, then uniformly inside the hour:

* month: January 0.85 (holidays, bills paid in December), February 0.92, March 0.98, April-May
  1.00, June 0.98, July 1.00, August-October 1.00, November 1.08, December 1.25 (the 13th
  salary in two parts, Christmas shopping and gifts);
* day of month: the first five days x1.25 (salaries are paid, rents and bills are settled);
* weekday: Monday 1.10, Tuesday-Thursday 1.00, Friday 1.20, Saturday 0.65, Sunday 0.45;
* national bank holidays 0.55 (Pix runs every day; people move less money), Carnaval
  Saturday-Tuesday 0.75, December 24 and 31 x0.80, Christmas Day 0.35;
* Mother's Day week x1.10 and the week before Christmas x1.15 (gifts sent by Pix).

Hours: Pix runs 24/7 and peaks late morning and in the evening; TED follows the bank's
business hours (the STR window) and is then moved off weekends and bank holidays (next
business day) by the transaction generator.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np

from datagen_plugin_banking.bankcalendar import FIRST_YEAR, LAST_YEAR, carnival, holiday_days, mothers_day
from datagen_plugin_banking.common import BUSINESS_HOUR_WEIGHTS, DAY_MS, HOUR_MS, LOCAL_OFFSET_MS, SortedSearch

MONTH_WEIGHTS = (0.85, 0.92, 0.98, 1.00, 1.00, 0.98, 1.00, 1.00, 1.00, 1.00, 1.08, 1.25)
WEEKDAY_WEIGHTS = (1.10, 1.00, 1.00, 1.00, 1.20, 0.65, 0.45)
PAYDAY_DAYS, PAYDAY_FACTOR = 5, 1.25
HOLIDAY_FACTOR = 0.55
PIX_HOUR_WEIGHTS = (0.30, 0.15, 0.08, 0.05, 0.05, 0.12, 0.40, 0.90, 1.60, 2.20, 2.60, 2.80,
                    2.70, 2.30, 2.20, 2.20, 2.20, 2.30, 2.50, 2.60, 2.40, 1.90, 1.20, 0.60)
"""Relative weight of each local hour 00..23 for Pix (instant, every day and hour)."""
TED_HOUR_WEIGHTS = BUSINESS_HOUR_WEIGHTS
"""TED keeps the bank's business-hours profile."""
_EPOCH = dt.date(1970, 1, 1)


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _hour_search(weights: tuple[float, ...]) -> SortedSearch:
    c = np.cumsum(weights) / sum(weights)
    c[-1] = 1.0
    return SortedSearch(c)


_HOURS = (_hour_search(PIX_HOUR_WEIGHTS), _hour_search(TED_HOUR_WEIGHTS))


@functools.lru_cache(maxsize=1)
def day_weights() -> np.ndarray:
    """Weight of each epoch day 1970..2099 for transfers (see the module docstring)."""
    n = _day(dt.date(LAST_YEAR + 1, 1, 1))
    days = np.arange(n, dtype=np.int64)
    dates = days.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    month = months.astype(np.int64) % 12
    dom = (dates - months).astype(np.int64) + 1
    weekday = (days + 3) % 7
    w = np.array(MONTH_WEIGHTS)[month] * np.array(WEEKDAY_WEIGHTS)[weekday]
    w = np.where(dom <= PAYDAY_DAYS, w * PAYDAY_FACTOR, w)
    w[holiday_days()] *= HOLIDAY_FACTOR
    december = month == 11
    w = np.where(december & ((dom == 24) | (dom == 31)), w * 0.80, w)
    w = np.where(december & (dom == 25), w * (0.35 / HOLIDAY_FACTOR), w)  # Christmas: 0.35 in all
    w = np.where(december & (dom >= 18) & (dom <= 23), w * 1.15, w)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        tuesday = _day(carnival(year))
        w[tuesday - 3:tuesday - 1] *= 0.75  # Saturday, Sunday (Monday, Tuesday are bank holidays)
        w[tuesday - 1:tuesday + 1] *= 0.75 / HOLIDAY_FACTOR
        d = _day(mothers_day(year))
        w[d - 7:d] *= 1.10
    return w


@functools.lru_cache(maxsize=1)
def _cumulative() -> np.ndarray:
    return np.concatenate([np.zeros(1), np.cumsum(day_weights())])


def sample_transfer_instants(u: np.ndarray, start_ms: np.ndarray, end_ms: np.ndarray, ted: np.ndarray) -> np.ndarray:
    """Instants in ``[start_ms, end_ms)`` (per value) from ``(n, 3)`` uniforms: the local day by
    inverse CDF of the day weights over the window's days, the hour by the Pix profile (or the
    TED one where ``ted``), then uniform in the hour; values in a partial first or last day are
    clipped in. Row ``i`` uses ``u[i]`` only (prefix-stable)."""
    n = u.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cum = _cumulative()
    d0 = (start_ms + LOCAL_OFFSET_MS) // DAY_MS
    d1 = (end_ms - 1 + LOCAL_OFFSET_MS) // DAY_MS
    if d0.min() < 0 or d1.max() + 1 >= cum.size:
        raise ValueError("transfer instants must fall between 1970 and 2099")
    lo, hi = cum[d0], cum[d1 + 1]
    target = lo + u[:, 0] * (hi - lo)
    day = np.clip(np.searchsorted(cum, target, side="right") - 1, d0, d1)
    hour = np.where(ted, _HOURS[1](u[:, 1]), _HOURS[0](u[:, 1]))
    hour = np.minimum(hour, 23)
    ts = day * DAY_MS - LOCAL_OFFSET_MS + hour * HOUR_MS + (u[:, 2] * HOUR_MS).astype(np.int64)
    return np.clip(ts, start_ms, np.maximum(end_ms - 1, start_ms))
