"""Seasonality of card purchases and their channel (IN_STORE, ONLINE, CONTACTLESS).

A purchase's instant is drawn from a per-day weight table (two tables: Northeast states and
the rest) and an hour-of-day profile, instead of the flat business-hours sampler:

* month: January 0.82, February 0.90, March-April 0.97, May 1.00, June 0.97, July 1.00, August
  0.98, September 0.97, October 1.00, November 1.15, December 1.20;
* weekday: Monday-Thursday 1.0, Friday 1.15, Saturday 0.80, Sunday 0.45;
* national bank holidays 0.70 (shops partly closed), Carnaval Saturday-Tuesday 0.80 and Ash
  Wednesday 0.90 (on their moving dates);
* the week before Mother's Day x1.35, before Father's Day x1.25, before Children's Day x1.25;
* São João (June 13-29) x1.30 for Northeast customers;
* Black Friday x2.60, its Saturday and Sunday x1.30, Cyber Monday x1.40;
* December: x(1 + 0.6 d / 24) from the 1st to Christmas Eve (d = day of month), Christmas Day
  x0.30, December 26-31 x0.90 (on top of December's month weight).

Hours: purchases peak at lunch (12:00-13:00) and after work (18:00-20:00), few at night.

Channel: each category has its share of ONLINE purchases (ride hailing 90%, miscellaneous
retail 40%, department stores 35%, fast food 35% (delivery), restaurants 10%, pharmacies 10%,
supermarkets 8%, service stations 0%); on Black Friday, its weekend and Cyber Monday the share
is 2.2 times that (at most 85%); purchases abroad are never ONLINE here (cross-border
e-commerce is not modelled). In-person purchases are CONTACTLESS 45%, IN_STORE (chip and PIN)
55%.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
from datagen_plugin_banking.bankcalendar import (
    FIRST_YEAR,
    LAST_YEAR,
    NORTHEAST,
    SAO_JOAO,
    black_friday,
    carnival,
    childrens_day,
    fathers_day,
    holiday_days,
    mothers_day,
)
from datagen_plugin_banking.common import DAY_MS, HOUR_MS, LOCAL_OFFSET_MS, SortedSearch

MONTH_WEIGHTS = (0.82, 0.90, 0.97, 0.97, 1.00, 0.97, 1.00, 0.98, 0.97, 1.00, 1.15, 1.20)
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.15, 0.80, 0.45)
HOUR_WEIGHTS = (0.20, 0.10, 0.05, 0.03, 0.03, 0.10, 0.40, 0.80, 1.20, 1.50, 1.80, 2.00,
                2.40, 2.20, 1.80, 1.70, 1.80, 2.00, 2.30, 2.40, 2.00, 1.50, 0.90, 0.50)
BLACK_FRIDAY = 2.6
CHANNELS = ("IN_STORE", "ONLINE", "CONTACTLESS")
IN_STORE, ONLINE, CONTACTLESS = range(3)
ONLINE_BY_MCC = {"5411": 0.08, "5812": 0.10, "5541": 0.0, "5311": 0.35, "5912": 0.10, "5814": 0.35,
                 "4121": 0.90, "5999": 0.40}
BLACK_FRIDAY_ONLINE = 2.2
CONTACTLESS_SHARE = 0.45
_EPOCH = dt.date(1970, 1, 1)
_HOUR_CDF = np.cumsum(HOUR_WEIGHTS) / sum(HOUR_WEIGHTS)
_HOUR_CDF[-1] = 1.0
_HOUR_SEARCH = SortedSearch(_HOUR_CDF)


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


@functools.lru_cache(maxsize=1)
def day_weights() -> tuple[np.ndarray, np.ndarray]:
    """(weights, peak-sale flag) per epoch day 1970..2099: ``weights[r, day]``, region ``r`` 0 for
    most states, 1 for the Northeast; the flag marks Black Friday to Cyber Monday."""
    n = _day(dt.date(LAST_YEAR + 1, 1, 1))
    days = np.arange(n, dtype=np.int64)
    dates = days.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    month = months.astype(np.int64) % 12
    dom = (dates - months).astype(np.int64) + 1
    weekday = (days + 3) % 7
    w = np.array(MONTH_WEIGHTS)[month] * np.array(WEEKDAY_WEIGHTS)[weekday]
    w[holiday_days()] *= 0.70
    sale = np.zeros(n, dtype=bool)
    december = month == 11
    w = np.where(december & (dom <= 24), w * (1 + 0.6 * dom / 24), w)
    w = np.where(december & (dom == 25), w * 0.30, w)
    w = np.where(december & (dom > 25), w * 0.90, w)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        tuesday = _day(carnival(year))
        w[tuesday - 3:tuesday + 1] *= 0.80
        w[tuesday + 1] *= 0.90
        for day, factor in ((mothers_day(year), 1.35), (fathers_day(year), 1.25), (childrens_day(year), 1.25)):
            d = _day(day)
            w[d - 7:d] *= factor
        bf = _day(black_friday(year))
        w[bf] *= BLACK_FRIDAY
        w[bf + 1:bf + 3] *= 1.30
        w[bf + 3] *= 1.40
        sale[bf:bf + 4] = True
    northeast = w.copy()
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        (m0, d0), (m1, d1) = SAO_JOAO
        northeast[_day(dt.date(year, m0, d0)):_day(dt.date(year, m1, d1)) + 1] *= 1.30
    return np.stack([w, northeast]), sale


@functools.lru_cache(maxsize=1)
def _cumulative() -> np.ndarray:
    weights, _ = day_weights()
    return np.concatenate([np.zeros((2, 1)), np.cumsum(weights, axis=1)], axis=1)


def sample_instants(u: np.ndarray, start_ms: np.ndarray, end_ms: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Instants in ``[start_ms, end_ms)`` (per value) from ``(n, 3)`` uniforms: the local day by
    inverse CDF of the region's day weights over the window's days, the hour by the hour
    profile, then uniform in the hour; values in a partial first or last day are clipped in."""
    n = u.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    d0 = (start_ms + LOCAL_OFFSET_MS) // DAY_MS
    d1 = (end_ms - 1 + LOCAL_OFFSET_MS) // DAY_MS
    first = int(d0.min())
    # the days the windows span, both regions in one table: region 1's values follow region 0's
    part = _cumulative()[:, first:int(d1.max()) + 2]
    width = part.shape[1]
    flat = np.concatenate([part[0], part[1] + part[0, -1] + 1.0])
    offset = region * width
    lo = flat[offset + d0 - first]
    hi = flat[offset + d1 + 1 - first]
    target = lo + u[:, 0] * (hi - lo)
    day = np.searchsorted(flat, target, side="right") - 1 - offset + first
    day = np.clip(day, d0, d1)
    hour = np.minimum(_HOUR_SEARCH(u[:, 1]), 23)
    ts = day * DAY_MS - LOCAL_OFFSET_MS + hour * HOUR_MS + (u[:, 2] * HOUR_MS).astype(np.int64)
    return np.clip(ts, start_ms, end_ms - 1)


def channels(u: np.ndarray, mcc: np.ndarray, online_share: np.ndarray, ts: np.ndarray, abroad: np.ndarray,
             ) -> np.ndarray:
    """Channel code per purchase from ``(n, 2)`` uniforms (see the module docstring)."""
    _, sale = day_weights()
    day = (ts + LOCAL_OFFSET_MS) // DAY_MS
    share = online_share[mcc] * np.where(sale[day], BLACK_FRIDAY_ONLINE, 1.0)
    share = np.where(abroad, 0.0, np.minimum(share, 0.85))
    return np.where(u[:, 0] < share, ONLINE, np.where(u[:, 1] < CONTACTLESS_SHARE, CONTACTLESS, IN_STORE))


def is_northeast(ufs: list[str]) -> np.ndarray:
    return np.array([uf in NORTHEAST for uf in ufs], dtype=np.int64)
