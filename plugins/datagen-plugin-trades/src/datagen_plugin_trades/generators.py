"""Generators of ``stock`` (once per run) and ``trade`` (per block, vectorized).

Prices: every ticker follows one daily log-price random walk over the last ten years of
weekdays, reflected inside its catalog band. It is drawn from a run-wide stream (not a
block's), so every block and worker sees the same walk: trades of a ticker on one day are
close to each other, and ``stock.current_price`` is the walk's latest close.

Trades: each block draws one array per purpose, in account order (the root order), so a
block's first accounts get the same trades whatever the block size. Holdings are tracked
per account and portfolio slot: BUYs are summed up front, then the wanted SELLs are decided
in time order against the position at that moment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from datagen_plugin_banking.lifecycle import NEVER, lifecycle

from datagen_kernel import Batch, BlockContext, Record, TextColumn, column, take_text
from datagen_kernel.api.seeding import stream_for
from datagen_plugin_trades.calendar import (
    DAY_MS,
    SESSION_MS,
    SETTLEMENT_DAYS,
    business_day,
    business_index,
    is_weekday,
    local_day,
    session_start_ms,
)
from datagen_plugin_trades.entities import (
    FEE_RATE_PPM10,
    HOLDING_STATUSES,
    INVESTMENT_ACCOUNT,
    OPTIONS,
    ORDER_TYPE_WEIGHTS,
    ORDER_TYPES,
    STATUS_WEIGHTS,
    STATUSES,
    TRADE_TYPE_WEIGHTS,
)
from datagen_plugin_trades.listing import CURRENCY, LISTINGS, LOT_SIZE, segment_quota

HISTORY_BDAYS = 10 * 261
"""Length of each ticker's price walk: ten years of weekdays ending the day before ``as_of``."""
PORTFOLIO_SIZES = (1, 2, 3, 4, 5)
PORTFOLIO_WEIGHTS = (0.25, 0.30, 0.20, 0.15, 0.10)
MAX_SLOTS = len(PORTFOLIO_SIZES)
ORDER_NOTIONAL_MEDIAN_CENTS = 800_000
ORDER_NOTIONAL_SIGMA = 0.9
MAX_LOTS = 10_000
SELL_CALIBRATION = 1.085
"""A wanted SELL becomes a BUY when the account holds nothing (its first trade, or after it
sold everything); wanting slightly more SELLs than 45% compensates (measured, see tests)."""

_DEFAULTS = {o.name: o.default for o in OPTIONS}
_LOW = np.array([li.low for li in LISTINGS], dtype=np.int64)
_HIGH = np.array([li.high for li in LISTINGS], dtype=np.int64)
_LOG_LOW = np.log(_LOW / 100.0)
_LOG_HIGH = np.log(_HIGH / 100.0)
_LOG_WEIGHT = np.log(np.array([li.weight for li in LISTINGS], dtype=np.float64))
_SLOT_ROLL = np.arange(MAX_SLOTS)
_HOLDING_CODES = np.array([s in HOLDING_STATUSES for s in STATUSES])
_CANCELLED = STATUSES.index("CANCELLED")
_PARTIAL = STATUSES.index("PARTIALLY_FILLED")
_MARKET = ORDER_TYPES.index("MARKET")
_WALKS: dict[tuple[int, int, float], tuple[int, np.ndarray]] = {}


def _option(options: Mapping[str, Any], name: str) -> Any:
    value = options.get(name)
    return _DEFAULTS[name] if value is None else value


def _fold(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Reflect ``x`` into ``[low, high]`` (a walk bouncing off the band's edges)."""
    width = high - low
    y = np.mod(x - low, 2 * width)
    return low + np.where(y > width, 2 * width - y, y)


def price_walk(seed: int, as_of_ms: int, volatility: float) -> tuple[int, np.ndarray]:
    """``(first business index, log prices of shape (42, HISTORY_BDAYS))`` for a run.

    Cached per process: the walk depends on the run alone, never on a block.
    """
    end = int(business_index(local_day(as_of_ms)))
    key = (seed, end, volatility)
    cached = _WALKS.get(key)
    if cached is None:
        rng = stream_for(seed, "stock", "price-walk")
        n = len(LISTINGS)
        start_level = _LOG_LOW + rng.random(n) * (_LOG_HIGH - _LOG_LOW)
        steps = rng.normal(0.0, volatility, size=(n, HISTORY_BDAYS - 1))
        walk = np.empty((n, HISTORY_BDAYS))
        walk[:, 0] = start_level
        np.cumsum(steps, axis=1, out=walk[:, 1:])
        walk[:, 1:] += start_level[:, None]
        walk = _fold(walk, _LOG_LOW[:, None], _LOG_HIGH[:, None])
        walk.setflags(write=False)
        cached = (end - HISTORY_BDAYS, walk)
        if len(_WALKS) > 8:
            _WALKS.clear()
        _WALKS[key] = cached
    return cached


def _walk_for(ctx: BlockContext) -> tuple[int, np.ndarray]:
    vol = float(_option(ctx.options("trades"), "daily_volatility"))
    return price_walk(ctx.run.seed, ctx.run.as_of_ms, vol)


def generate_stocks(ctx: BlockContext) -> list[Record]:
    """The 42 listed shares, in catalog order."""
    n = len(LISTINGS)
    ids = ctx.uuids(n)
    quota = segment_quota(n)
    segments = [quota[i] for i in ctx.rng("segment").permutation(n).tolist()]
    first_index, walk = _walk_for(ctx)
    prices = np.clip(np.rint(np.exp(walk[:, -1]) * 100), _LOW, _HIGH).astype(np.int64).tolist()
    history_start = int(session_start_ms(business_day(first_index)))
    created = (history_start - ctx.rng("created").integers(DAY_MS, 365 * DAY_MS, n)).tolist()
    return [
        {
            "stock_id": ids[i],
            "ticker": li.ticker,
            "company_name": li.company_name,
            "sector": li.sector,
            "segment": segments[i],
            "current_price": prices[i],
            "currency": CURRENCY,
            "isin": li.isin,
            "lot_size": LOT_SIZE,
            "created_at": created[i],
        }
        for i, li in enumerate(LISTINGS)
    ]


def _inverse_cdf(weights: tuple[float, ...]) -> np.ndarray:
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    return cdf


_PORTFOLIO_CDF = _inverse_cdf(PORTFOLIO_WEIGHTS)
_ORDER_TYPE_CDF = _inverse_cdf(ORDER_TYPE_WEIGHTS)
_STATUS_CDF = _inverse_cdf(STATUS_WEIGHTS)
_POISSON_CDF: dict[float, np.ndarray] = {}


def _pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Indexes drawn with the probabilities of ``cdf`` from uniforms ``u`` (inverse CDF)."""
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


def _poisson_cdf(mean: float) -> np.ndarray:
    cdf = _POISSON_CDF.get(mean)
    if cdf is None:
        top = int(mean + 12 * np.sqrt(mean) + 20)
        k = np.arange(top + 1)
        if mean > 0:
            log_pmf = k * np.log(mean) - mean - np.cumsum(np.log(np.maximum(k, 1)))
        else:
            log_pmf = np.where(k == 0, 0.0, -np.inf)
        cdf = np.cumsum(np.exp(log_pmf))
        cdf /= cdf[-1]
        _POISSON_CDF[mean] = cdf
    return cdf


# columns of the per-trade uniform matrix (one row per trade keeps prefixes stable)
_U_DAY, _U_TIME, _U_SLOT, _U_SIDE, _U_SELL, _U_ORDER, _U_STATUS, _U_PLACED, _U_UPDATED = range(9)


_ROTATIONS = {k: [tuple((first + step) % k for step in range(k)) for first in range(k)] for k in PORTFOLIO_SIZES}
"""Slots of a portfolio of ``k`` shares in the order a SELL drawn at slot ``first`` tries them."""


def _decide_sells(
    accounts: list[int], before: list[list[int]], slots: list[int], sizes: list[int],
    fractions: list[float], moves: list[bool], buy_lots: list[int],
) -> tuple[list[int], list[int], list[int]]:
    """Which wanted SELLs can sell (positions into the inputs), from which slot, how many lots.

    Inputs are the wanted SELLs in time order, grouped by account; ``before`` holds the lots
    bought per slot before each one. A SELL takes the first slot, from its drawn one on, that
    holds shares, and sells ``ceil(fraction x held)`` lots; with nothing held it becomes a BUY
    of ``buy_lots`` in its drawn slot. Filled orders (``moves``) change the position.
    """
    sells: list[int] = []
    sell_slots: list[int] = []
    sell_lots: list[int] = []
    add_sell, add_slot, add_lots = sells.append, sell_slots.append, sell_lots.append
    ceil = math.ceil
    current = -1
    sold = flipped = [0] * MAX_SLOTS
    for i, (account, bought, k, first, fraction, filled) in enumerate(
            zip(accounts, before, sizes, slots, fractions, moves, strict=True)):
        if account != current:
            current = account
            sold = [0] * MAX_SLOTS
            flipped = [0] * MAX_SLOTS
        for s in _ROTATIONS[k][first]:
            held = bought[s] + flipped[s] - sold[s]
            if held > 0:
                q = ceil(fraction * held) or 1
                add_sell(i)
                add_slot(s)
                add_lots(q)
                if filled:
                    sold[s] += q
                break
        else:
            if filled:
                flipped[first] += buy_lots[i]
    return sells, sell_slots, sell_lots


def generate_trades(ctx: BlockContext) -> Batch | list[Record]:
    """All trades of the block's INVESTIMENTOS accounts, account by account, in time order, as
    columns: ids and enums as ``TextColumn``, ``updated_at`` as a masked array."""
    all_accounts = ctx.records("account")
    investing = [i for i, kind in enumerate(column(all_accounts, "account_type")) if kind == INVESTMENT_ACCOUNT]
    n_acc = len(investing)
    if not n_acc:
        return []
    options = ctx.options("trades")
    spread = float(_option(options, "intraday_spread"))
    first_index, walk = _walk_for(ctx)
    end_index = first_index + HISTORY_BDAYS
    stock_records = ctx.records("stock")
    by_ticker = {t: i for i, t in enumerate(column(stock_records, "ticker"))}
    listed = [by_ticker[li.ticker] for li in LISTINGS]
    lot_size = np.asarray(column(stock_records, "lot_size"), dtype=np.int64)[listed]

    # --- per account (one row of uniforms each): how many trades, when, in which shares -------
    acc_u = ctx.rng("account").random((n_acc, 2 + len(LISTINGS)))
    created = np.asarray(column(all_accounts, "created_at"), dtype=np.int64)[investing]
    # trades fall in the account's active life (banking's lifecycle, derived from the account
    # id): from its activation to the day before it went dormant, was blocked or closed
    ids_all = column(all_accounts, "account_id")
    life = lifecycle([ids_all[i] for i in investing], created, ctx.run.as_of_ms)
    live = life.activated < NEVER
    start = np.where(live, life.activated, created)
    # the first trading day is the activation day itself if the account activated before the close
    opened_day = local_day(start)
    opened_in_session = start - session_start_ms(opened_day)  # ms after 10:00 that day
    same_day = is_weekday(opened_day) & (opened_in_session < SESSION_MS - 1)
    first_day = np.where(same_day, business_index(opened_day), business_index(opened_day + 1))
    low_day = np.maximum(first_day, first_index)
    ended = live & (life.active_end < ctx.run.as_of_ms)
    last_day = np.where(ended, business_index(local_day(np.where(ended, life.active_end, 0))), end_index)
    window = np.where(live, np.maximum(np.minimum(last_day, end_index) - low_day, 0), 0)
    # on the opening day, trades come after the opening instant
    min_ms_first_day = np.where(same_day & (low_day == first_day), np.maximum(opened_in_session + 1, 0), 0)
    counts = np.searchsorted(_poisson_cdf(float(_option(options, "per_account"))), acc_u[:, 0], side="right")
    counts = np.where(window > 0, counts, 0)
    sizes = np.asarray(PORTFOLIO_SIZES)[_pick(_PORTFOLIO_CDF, acc_u[:, 1])]
    gumbel = -np.log(-np.log(np.maximum(acc_u[:, 2:], 1e-300)))
    portfolio = np.argsort(-(_LOG_WEIGHT + gumbel), axis=1, kind="stable")[:, :MAX_SLOTS]
    n = int(counts.sum())
    if not n:
        return []
    offsets = np.zeros(n_acc, dtype=np.int64)
    np.cumsum(counts[:-1], out=offsets[1:])
    acc = np.repeat(np.arange(n_acc), counts)

    # --- per trade: one row of uniforms and one of normals each, in account order -------------
    u = ctx.rng("trade").random((n, 9))
    z = ctx.rng("trade-normal").standard_normal((n, 2))
    ids = ctx.uuid_column(n)
    bday = low_day[acc] + (u[:, _U_DAY] * window[acc]).astype(np.int64)
    earliest = np.where(bday == low_day[acc], min_ms_first_day[acc], 0)
    t_ms = earliest + (u[:, _U_TIME] * (SESSION_MS - earliest)).astype(np.int64)
    chrono = np.lexsort((t_ms, bday, acc))
    bday = bday[chrono]
    t_ms = t_ms[chrono]
    slot = (u[:, _U_SLOT] * sizes[acc]).astype(np.int64)
    sell_fraction = u[:, _U_SELL]
    order_type = _pick(_ORDER_TYPE_CDF, u[:, _U_ORDER])
    status = _pick(_STATUS_CDF, u[:, _U_STATUS])
    noise = z[:, 0] * spread
    notional = np.exp(np.log(ORDER_NOTIONAL_MEDIAN_CENTS) + ORDER_NOTIONAL_SIGMA * z[:, 1])
    day_col = bday - first_index

    def prices_of(stock_pos: np.ndarray) -> np.ndarray:
        level = _fold(walk[stock_pos, day_col] + noise, _LOG_LOW[stock_pos], _LOG_HIGH[stock_pos])
        return np.clip(np.rint(np.exp(level) * 100), _LOW[stock_pos], _HIGH[stock_pos]).astype(np.int64)

    drawn_stock = portfolio[acc, slot]
    lots = np.clip(np.rint(notional / (prices_of(drawn_stock) * lot_size[drawn_stock])), 1, MAX_LOTS).astype(np.int64)

    # --- holdings: BUYs are known up front (cumulative sums); the wanted SELLs are then decided
    # in time order, account by account, against what the account holds at that moment --------
    p_sell = TRADE_TYPE_WEIGHTS[1] * SELL_CALIBRATION * counts / np.maximum(counts - 1, 1)
    want_sell = u[:, _U_SIDE] < p_sell[acc]
    want_sell[offsets[counts > 0]] = False  # nothing is held before an account's first trade
    moves = _HOLDING_CODES[status]
    bought = np.zeros((n, MAX_SLOTS), dtype=np.int64)
    bought[np.arange(n), slot] = np.where(moves & ~want_sell, lots, 0)
    before = np.cumsum(bought, axis=0)
    before -= bought  # lots bought in each slot before each trade ...
    before -= before[offsets[acc]]  # ... by the same account
    is_sell = np.zeros(n, dtype=bool)
    wanted = np.flatnonzero(want_sell)
    if len(wanted):
        sells, sell_slots, sell_lots = _decide_sells(
            acc[wanted].tolist(), before[wanted].tolist(), slot[wanted].tolist(), sizes[acc[wanted]].tolist(),
            sell_fraction[wanted].tolist(), moves[wanted].tolist(), lots[wanted].tolist(),
        )
        chosen = wanted[np.asarray(sells, dtype=np.int64)]
        is_sell[chosen] = True
        slot[chosen] = sell_slots
        lots[chosen] = sell_lots

    stock_pos = portfolio[acc, slot]
    price = prices_of(stock_pos)
    quantity = lots * lot_size[stock_pos]
    total = quantity * price
    fees = (total * FEE_RATE_PPM10 + 5_000_000) // 10_000_000
    net = np.where(is_sell, total - fees, total + fees)
    executed = session_start_ms(business_day(bday)) + t_ms
    placed_u = u[:, _U_PLACED]
    placed_delay = np.where(
        order_type == _MARKET,
        20 + (placed_u * 1_480).astype(np.int64),
        1_000 + (placed_u * 3 * 3_600_000).astype(np.int64),
    )
    settlement = business_day(bday + SETTLEMENT_DAYS).astype("datetime64[D]")
    has_update = (status == _CANCELLED) | (status == _PARTIAL)
    updated_at = executed + 1_000 + (u[:, _U_UPDATED] * 30 * 60_000).astype(np.int64)

    owner = np.asarray(investing, dtype=np.int64)[acc]
    return Batch({
        "trade_id": ids,
        "account_id": take_text(all_accounts, "account_id", owner),
        "customer_id": take_text(all_accounts, "customer_id", owner),
        "stock_id": take_text(stock_records, "stock_id", np.asarray(listed, dtype=np.int64)[stock_pos]),
        "ticker": TextColumn.from_codes(stock_pos, _TICKERS),
        "trade_type": TextColumn.from_codes(is_sell.view(np.int8), _SIDES),
        "quantity": quantity,
        "price_per_share": price,
        "total_amount": total,
        "fees": fees,
        "net_amount": net,
        "order_type": TextColumn.from_codes(order_type, ORDER_TYPES),
        "status": TextColumn.from_codes(status, STATUSES),
        "executed_at": executed,
        "settlement_date": settlement,
        "created_at": np.maximum(executed - placed_delay, start[acc] + 1),
        "updated_at": np.ma.MaskedArray(updated_at, mask=~has_update),
    })


_SIDES = ("BUY", "SELL")
_TICKERS = tuple(li.ticker for li in LISTINGS)
