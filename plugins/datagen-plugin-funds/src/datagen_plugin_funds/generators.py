"""Generators of the funds pack: fund and fund_position one record at a time, fund_quote as columns."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from datagen_plugin_banking.common import DAY_MS, cnpjs_from_roots

from datagen_kernel import Batch, BlockContext, Record, RunInfo, as_rows, take_text
from datagen_kernel.api import Row
from datagen_plugin_funds.entities import INVESTMENT_ACCOUNT, NAV_SCALE, QUOTA_SCALE
from datagen_plugin_funds.nav import model_days, nav_path

FUND_COUNT = 30
TYPE_CYCLE = ("RENDA_FIXA", "MULTIMERCADO", "RENDA_VARIAVEL", "RENDA_FIXA", "IMOBILIARIO",
              "RENDA_FIXA", "MULTIMERCADO", "RENDA_VARIAVEL", "CAMBIAL", "RENDA_FIXA")
"""Fund i has class TYPE_CYCLE[i % 10]: 40% RENDA_FIXA, 20% MULTIMERCADO and RENDA_VARIAVEL,
10% IMOBILIARIO and CAMBIAL, exactly, and every class in any run."""
BENCHMARK_BY_TYPE: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "RENDA_FIXA": (("CDI", "SELIC", "IPCA"), (0.6, 0.2, 0.2)),
    "RENDA_VARIAVEL": (("IBOVESPA",), (1.0,)),
    "MULTIMERCADO": (("CDI",), (1.0,)),
    "CAMBIAL": (("CDI",), (1.0,)),
    "IMOBILIARIO": (("IPCA",), (1.0,)),
}
MANAGEMENT_FEE_BP = {  # hundredths of a percent a year, inclusive band
    "RENDA_FIXA": (20, 100),
    "MULTIMERCADO": (100, 200),
    "RENDA_VARIAVEL": (100, 250),
    "CAMBIAL": (50, 100),
    "IMOBILIARIO": (80, 120),
}
PERFORMANCE_FEE_BP = {"RENDA_FIXA": (0,), "CAMBIAL": (0,), "MULTIMERCADO": (0, 2000),
                      "RENDA_VARIAVEL": (0, 2000), "IMOBILIARIO": (0, 2000)}
MINIMUM_INVESTMENT = {  # BRL, choices
    "RENDA_FIXA": (1, 100, 500, 1_000),
    "MULTIMERCADO": (500, 1_000, 5_000, 10_000),
    "RENDA_VARIAVEL": (100, 500, 1_000, 5_000),
    "CAMBIAL": (500, 1_000, 5_000),
    "IMOBILIARIO": (100, 1_000, 5_000, 25_000),
}
NAME_SUFFIX = {
    ("RENDA_FIXA", "CDI"): "Renda Fixa Referenciado DI FI",
    ("RENDA_FIXA", "SELIC"): "Renda Fixa Simples Selic FI",
    ("RENDA_FIXA", "IPCA"): "Renda Fixa Inflação IPCA FI",
    ("RENDA_VARIAVEL", "IBOVESPA"): "Ações FIA",
    ("MULTIMERCADO", "CDI"): "Multimercado Macro FIM",
    ("CAMBIAL", "CDI"): "Cambial Dólar FI",
    ("IMOBILIARIO", "IPCA"): "Imobiliário FII",
}
MANAGERS = ("Capital", "Asset", "Investimentos", "Gestão", "Partners")
POSITIONS_EXTRA = ((0, 1, 2), (0.55, 0.30, 0.15))
"""Positions of a holding INVESTIMENTOS account: 1 + this (1, 2 or 3 funds)."""
APPLICATION_MEDIAN_SHARE = 0.5
"""An application is about half the account's opening balance (log-normal, sigma 0.9)."""
FULL = "customer-360"
_EPOCH = dt.date(1970, 1, 1)
_QUOTA_DIVISOR = 10 ** (QUOTA_SCALE + NAV_SCALE - 2)  # cents x this / NAV units = quota units
_VALUE_DIVISOR = 10 ** (QUOTA_SCALE + NAV_SCALE - 2)  # quota units x NAV units / this = cents


def as_of_day(run: RunInfo) -> int:
    """The run's as-of date (in its time zone) as days since 1970-01-01."""
    return (run.as_of.astimezone(run.timezone).date() - _EPOCH).days


def value_cents(quota_units: int, nav_units: int) -> int:
    """quotas x NAV, rounded half up to the cent (both positive)."""
    return (quota_units * nav_units + _VALUE_DIVISOR // 2) // _VALUE_DIVISOR


# --- fund ------------------------------------------------------------------------------------

def fund_terms(index: int) -> str:
    return TYPE_CYCLE[index % len(TYPE_CYCLE)]


def make_fund(parent: None, row: Row) -> dict[str, Any]:
    fund_type = fund_terms(row.index)
    benchmarks, weights = BENCHMARK_BY_TYPE[fund_type]
    benchmark = row.choice(benchmarks, weights)
    low, high = MANAGEMENT_FEE_BP[fund_type]
    fee = low + 5 * int(row.random.random() * ((high - low) // 5 + 1))  # steps of 0.05%
    root = 10_000_000 + int(row.random.random() * 89_999_999)
    nav = int(nav_path(row.run.seed, row.index, fund_type, benchmark, fee, as_of_day(row.run))[-1])
    return {
        "fund_name": f"{row.fake.last_name()} {row.choice(MANAGERS)} {NAME_SUFFIX[fund_type, benchmark]}",
        "fund_type": fund_type,
        "cnpj": cnpjs_from_roots(np.array([root]), 1)[0],
        "management_fee": fee,
        "performance_fee": row.choice(PERFORMANCE_FEE_BP[fund_type]),
        "benchmark": benchmark,
        "nav_per_quota": nav,
        "minimum_investment": 100 * row.choice(MINIMUM_INVESTMENT[fund_type]),
    }


# --- fund_position ---------------------------------------------------------------------------

def _opened_day(account: Record, run: RunInfo) -> int:
    offset = run.timezone.utcoffset(None)
    offset_ms = 0 if offset is None else offset // dt.timedelta(milliseconds=1)
    return int((account["created_at"] + offset_ms) // DAY_MS)


def _first_application(account: Record, run: RunInfo) -> int:
    """Position in ``model_days`` of the first business day the account can apply on."""
    days = model_days(as_of_day(run))
    return int(np.searchsorted(days, _opened_day(account, run)))


def count_positions(account: Record, row: Row) -> int:
    """0 unless INVESTIMENTOS and opened before the last quote; then 1..3 with the penetration."""
    if account["account_type"] != INVESTMENT_ACCOUNT:
        return 0
    if _first_application(account, row.run) >= model_days(as_of_day(row.run)).size:
        return 0
    if row.run.scenario != FULL and not row.chance(float(row.options("funds").get("penetration", 0.75))):
        return 0
    return 1 + int(row.choice(*POSITIONS_EXTRA))


def make_position(account: Record, row: Row) -> dict[str, Any]:
    funds = as_rows(row.context.records("fund"))
    index = int(row.random.random() * len(funds))
    fund = funds[index]
    path = nav_path(row.run.seed, index, fund["fund_type"], fund["benchmark"], fund["management_fee"],
                    as_of_day(row.run))
    first = _first_application(account, row.run)
    day = first + int(row.random.random() * (path.size - first))
    scale = APPLICATION_MEDIAN_SHARE * max(int(account["balance"]), 100_000)
    invested = 100 * round(math.exp(math.log(scale) + 0.9 * row.random.gauss(0.0, 1.0)) / 100)  # whole reais
    invested = min(max(invested, int(fund["minimum_investment"])), 500_000_000)
    quotas = invested * _QUOTA_DIVISOR // int(path[day])
    current = value_cents(quotas, int(path[-1]))
    return {
        "fund_id": fund["fund_id"],
        "quotas": quotas,
        "invested_amount": invested,
        "current_value": current,
        "yield_amount": current - invested,
    }


# --- fund_quote ------------------------------------------------------------------------------

def quote_days(run: RunInfo, history_days: int) -> tuple[np.ndarray, int]:
    """The quote days (epoch days) and where they start in ``model_days``."""
    today = as_of_day(run)
    days = model_days(today)
    first = int(np.searchsorted(days, today - history_days))
    return days[first:], first


def generate_quotes(ctx: BlockContext) -> Batch | list[Record]:
    """Every fund's NAV on every quote day: day-major (the funds of a day together), as columns."""
    funds: Sequence[Record] = as_rows(ctx.records("fund"))
    history = int(ctx.options("funds").get("history_days", 365))
    days, first = quote_days(ctx.run, history)
    n_funds, n_days = len(funds), days.size
    if n_funds == 0 or n_days == 0:
        return []
    today = as_of_day(ctx.run)
    navs = np.stack([
        nav_path(ctx.run.seed, i, f["fund_type"], f["benchmark"], f["management_fee"], today)[first:]
        for i, f in enumerate(funds)
    ])  # funds x days
    fund_index = np.tile(np.arange(n_funds, dtype=np.int64), n_days)
    return Batch({
        "quote_id": ctx.uuid_column(n_funds * n_days),
        "fund_id": take_text(funds, "fund_id", fund_index),
        "quote_date": np.repeat(days, n_funds).astype("datetime64[D]"),
        "nav_per_quota": navs.T.ravel(),
    })
