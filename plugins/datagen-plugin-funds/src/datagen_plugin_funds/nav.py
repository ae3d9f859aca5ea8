"""The NAV model: one daily quota value path per fund on B3 business days.

A fund's daily log return is its benchmark's rate net of the management fee (plus, outside
RENDA_FIXA, a small alpha of its own) and a shock of its class's volatility. Funds with the
same benchmark share a market factor (correlation ``FACTOR_WEIGHT ** 2``): IBOVESPA funds fall
together. Business days come from the banking pack's national bank calendar
(``datagen_plugin_banking.bankcalendar``); the window ends on the last business day before the
run's as-of date and spans ``MODEL_DAYS`` calendar days, enough to price an application made
when any account was opened (customers join within three years of the as-of).

Every path is a pure function of the seed, the fund's position in the run's list of funds,
its terms and the as-of date, drawn from run-wide streams (``stream_for``): the fund, fund_quote
and fund_position generators compute the same values in any block or worker, without seeing
each other's records.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from datagen_plugin_banking.bankcalendar import is_business_days

from datagen_kernel.api.seeding import stream_for
from datagen_plugin_funds.entities import NAV_SCALE

MODEL_DAYS = 5 * 366
"""Calendar days of NAV history the model holds before the as-of date."""
TRADING_DAYS = 252
DAILY_VOLATILITY = {
    "RENDA_FIXA": 0.0006,
    "MULTIMERCADO": 0.004,
    "CAMBIAL": 0.009,
    "IMOBILIARIO": 0.007,
    "RENDA_VARIAVEL": 0.014,
}
"""Standard deviation of daily log returns by fund class (about 1%, 6%, 14%, 11%, 22% a year)."""
BENCHMARK_RATE = {"CDI": 0.1065, "SELIC": 0.1075, "IPCA": 0.0990, "IBOVESPA": 0.1200}
"""Expected yearly return of each benchmark (IPCA funds: IPCA + about 5.5% real)."""
ALPHA = 0.02
"""Outside RENDA_FIXA, a fund's yearly alpha is uniform in [-ALPHA, ALPHA]."""
FACTOR_WEIGHT = 0.8
MAX_MOVE_SIGMAS = 8.0
"""A daily move beyond this many standard deviations (plus the drift) breaks rule fund-quote-move."""
NAV_UNIT = 10**NAV_SCALE


@functools.lru_cache(maxsize=16)
def model_days(as_of_day: int) -> np.ndarray:
    """Epoch days of the business days in the model window, ending before ``as_of_day``."""
    days = np.arange(as_of_day - MODEL_DAYS, as_of_day, dtype=np.int64)
    days = days[is_business_days(days)]
    days.setflags(write=False)
    return days


@functools.lru_cache(maxsize=16)
def _factor(seed: int, benchmark: str, as_of_day: int) -> np.ndarray:
    n = model_days(as_of_day).size
    return stream_for(seed, "funds", "factor", benchmark, as_of_day).standard_normal(n)


def daily_drift(fund_type: str, benchmark: str, management_fee_bp: int, alpha: float = 0.0) -> float:
    """Mean daily log return: ln(1 + benchmark - fee + alpha) / 252."""
    return math.log1p(BENCHMARK_RATE[benchmark] - management_fee_bp / 10_000 + alpha) / TRADING_DAYS


@functools.lru_cache(maxsize=1024)
def nav_path(seed: int, index: int, fund_type: str, benchmark: str, management_fee_bp: int,
             as_of_day: int) -> np.ndarray:
    """The fund's NAV per quota (``int64`` units of 10^-8 BRL) on each day of ``model_days``.

    ``index`` is the fund's position among the run's funds; ``management_fee_bp`` its fee in
    hundredths of a percent a year.
    """
    rng = stream_for(seed, "funds", "nav", index, as_of_day)
    n = model_days(as_of_day).size
    start_nav, alpha_u = rng.random(2)
    alpha = 0.0 if fund_type == "RENDA_FIXA" else ALPHA * (2.0 * alpha_u - 1.0)
    vol = DAILY_VOLATILITY[fund_type]
    shocks = FACTOR_WEIGHT * _factor(seed, benchmark, as_of_day) + math.sqrt(1 - FACTOR_WEIGHT**2) * \
        rng.standard_normal(n)
    steps = daily_drift(fund_type, benchmark, management_fee_bp, alpha) - 0.5 * vol * vol + vol * shocks
    nav = math.exp(start_nav * math.log(50.0)) * np.exp(np.cumsum(steps))  # the window opens at 1..50
    path = np.rint(nav * NAV_UNIT).astype(np.int64)
    path.setflags(write=False)
    return path


def max_daily_move(fund_type: str) -> float:
    """The largest |log return| between consecutive quotes that rule fund-quote-move accepts."""
    return MAX_MOVE_SIGMAS * DAILY_VOLATILITY[fund_type] + 0.01
