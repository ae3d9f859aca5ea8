"""Data-quality rules of the trades pack (run on every batch and by ``datagen validate``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from itertools import repeat
from operator import eq, ne
from typing import Any

import numpy as np

from datagen_kernel import (
    Batch,
    EntitySpec,
    Lookup,
    Record,
    Rule,
    TextColumn,
    Violation,
    column,
    day_array,
    int_array,
)
from datagen_plugin_trades.calendar import (
    BRT_OFFSET_MS,
    DAY_MS,
    SESSION_CLOSE_MS,
    SESSION_OPEN_MS,
    SETTLEMENT_DAYS,
    business_day,
    business_index,
    is_weekday,
    local_day,
)
from datagen_plugin_trades.entities import FEE_RATE_PPM10, HOLDING_STATUSES, INVESTMENT_ACCOUNT
from datagen_plugin_trades.listing import BY_TICKER, CURRENCY, LOT_SIZE, isin_is_valid

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _v(spec: EntitySpec, r: Record, field: str, rule: str, message: str) -> Violation:
    return Violation(spec.name, r.get(spec.primary_key), field, rule, message)


def _is(records: Sequence[Record], name: str, *constants: str) -> np.ndarray:
    """Boolean array: which records' field ``name`` is one of ``constants``."""
    flat = _text(records, name)
    if flat is not None:
        found = np.zeros(len(flat), dtype=bool)
        for constant in constants:
            found |= flat == constant.encode("utf-8")
        return found
    values = column(records, name)
    if len(constants) == 1:
        return np.fromiter(map(eq, values, repeat(constants[0])), dtype=bool, count=len(values))
    return np.fromiter(map(frozenset(constants).__contains__, values), dtype=bool, count=len(values))


def _text(records: Sequence[Record], name: str) -> np.ndarray | None:
    """Field ``name`` as one fixed-width bytes value per record (NUL padding ignored by numpy),
    when a ``Batch`` holds it as a ``TextColumn`` without nulls (compared in numpy, no Python
    strings)."""
    if isinstance(records, Batch):
        values = records.values(name)
        if isinstance(values, TextColumn) and values.nulls is None:
            return np.ascontiguousarray(values.matrix).view(f"S{values.width}").ravel()
    return None


def _codes(records: Sequence[Record], name: str) -> tuple[list[Any], np.ndarray]:
    """``(distinct values of field name, position of each record's value among them)``."""
    flat = _text(records, name)
    if flat is not None:
        width = flat.dtype.itemsize
        distinct = None
        if width >= 8:  # sort the first 8 bytes as integers; exact unless two values share them
            prefix = np.ascontiguousarray(flat.view(np.uint8).reshape(-1, width)[:, :8]).view(np.uint64).ravel()
            _, first, inverse = np.unique(prefix, return_index=True, return_inverse=True)
            distinct, inverse = flat[first], inverse.ravel()
            if not np.array_equal(distinct[inverse], flat):
                distinct = None
        if distinct is None:
            distinct, inverse = np.unique(flat, return_inverse=True)
        return [b.decode("utf-8") for b in distinct.tolist()], inverse.ravel().astype(np.int64)
    keys = column(records, name)
    found = list(dict.fromkeys(keys))
    index = {k: j for j, k in enumerate(found)}
    return found, np.fromiter(map(index.__getitem__, keys), dtype=np.int64, count=len(keys))


def _differ(records: Sequence[Record], name: str, parents: list[Any], code: np.ndarray) -> np.ndarray:
    """Boolean array: where field ``name`` differs from ``parents[code]`` (a parent value per record)."""
    flat = _text(records, name)
    if flat is not None and all(isinstance(p, str) for p in parents):
        encoded = [p.encode("utf-8") for p in parents]
        if max(map(len, encoded), default=0) <= flat.dtype.itemsize:  # fits: never truncated
            return np.asarray(np.array(encoded, dtype=flat.dtype)[code] != flat)
    values = column(records, name)
    expected = np.array(parents, dtype=object)[code].tolist()
    if values == expected:
        return np.zeros(len(values), dtype=bool)
    return np.fromiter(map(ne, values, expected), dtype=bool, count=len(values))


_TYPE_ERRORS = (TypeError, ValueError, OverflowError, AttributeError)


def check_parents(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Against the parents: INVESTIMENTOS account, its owner, the stock's ticker and lot size.

    Each parent is looked up once; the checks compare whole columns with the parents' values.
    """
    accounts = lookup.has_entity("account")
    stocks = lookup.has_entity("stock")
    n = len(records)
    if not (accounts or stocks) or not n:
        return
    no = np.zeros(n, dtype=bool)
    wrong_kind = wrong_owner = too_early = wrong_ticker = wrong_lot = no
    try:
        if accounts:
            ids, code = _codes(records, "account_id")
            found = [lookup.get("account", k) for k in ids]
            known = np.array([a is not None for a in found], dtype=bool)[code]
            parent = [a or {} for a in found]
            wrong_kind = np.array([a is not None and a["account_type"] != INVESTMENT_ACCOUNT for a in found],
                                  dtype=bool)[code]
            wrong_owner = known & _differ(records, "customer_id", [a.get("customer_id") for a in parent], code)
            opened = np.array([a.get("created_at", 0) for a in parent], dtype=np.int64)[code]
            too_early = known & (int_array(records, "created_at") <= opened)
        if stocks:
            ids, code = _codes(records, "stock_id")
            found = [lookup.get("stock", k) for k in ids]
            known = np.array([s is not None for s in found], dtype=bool)[code]
            parent = [s or {} for s in found]
            wrong_ticker = known & _differ(records, "ticker", [s.get("ticker") for s in parent], code)
            lot = np.array([s.get("lot_size", 1) for s in parent], dtype=np.int64)[code]
            wrong_lot = known & (int_array(records, "quantity") % np.maximum(lot, 1) != 0) | (known & (lot < 1))
    except _TYPE_ERRORS as exc:
        yield Violation(spec.name, None, "*", "trade-parents", f"values of unexpected type ({exc})")
        return
    failed = wrong_kind | wrong_owner | too_early | wrong_ticker | wrong_lot
    if not failed.any():
        return
    get = lookup.get
    keys = column(records, spec.primary_key)
    for i in np.flatnonzero(failed).tolist():
        key = keys[i]
        if wrong_kind[i] or wrong_owner[i]:
            account = get("account", column(records, "account_id")[i]) or {}
            if wrong_kind[i]:
                yield Violation(spec.name, key, "account_id", "trade-investment-account",
                                f"account is {account['account_type']}, trades need {INVESTMENT_ACCOUNT}")
            if wrong_owner[i]:
                yield Violation(spec.name, key, "customer_id", "trade-customer-owner",
                                f"{column(records, 'customer_id')[i]} is not the account's owner "
                                f"{account['customer_id']}")
        if too_early[i]:
            yield Violation(spec.name, key, "created_at", "trade-after-account-opening",
                            "the order was placed before the account was opened")
        if wrong_ticker[i] or wrong_lot[i]:
            stock = get("stock", column(records, "stock_id")[i]) or {}
            if wrong_ticker[i]:
                yield Violation(spec.name, key, "ticker", "trade-ticker",
                                f"{column(records, 'ticker')[i]!r} but the stock is {stock['ticker']!r}")
            if wrong_lot[i]:
                yield Violation(spec.name, key, "quantity", "trade-lot-size",
                                f"{column(records, 'quantity')[i]} is not a multiple of the lot size "
                                f"{stock['lot_size']}")


def check_amounts(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """total = quantity x price; fees = total x 0.0008025 (half up); net = total +/- fees."""
    if not records:
        return
    try:
        total = int_array(records, "total_amount")
        price = int_array(records, "price_per_share")
        quantity = int_array(records, "quantity")
        fees = int_array(records, "fees")
        net = int_array(records, "net_amount")
    except _TYPE_ERRORS as exc:
        yield Violation(spec.name, None, "*", "trade-amounts", f"amounts of unexpected type ({exc})")
        return
    wrong_total = (total != quantity * price) | (price <= 0)
    expected_fees = (total * FEE_RATE_PPM10 + 5_000_000) // 10_000_000
    wrong_fees = ~wrong_total & (fees != expected_fees)
    buy = _is(records, "trade_type", "BUY")
    wrong_net = ~wrong_total & ~wrong_fees & (net != np.where(buy, total + fees, total - fees))
    failed = wrong_total | wrong_fees | wrong_net
    if not failed.any():
        return
    keys = column(records, spec.primary_key)
    for i in np.flatnonzero(failed).tolist():
        t, f = int(total[i]), int(fees[i])
        if wrong_total[i]:
            yield Violation(spec.name, keys[i], "total_amount", "trade-amounts",
                            f"{t} != {int(quantity[i])} x {int(price[i])} (cents), or the price is not positive")
        elif wrong_fees[i]:
            yield Violation(spec.name, keys[i], "fees", "trade-amounts", f"{f} cents, expected {int(expected_fees[i])}")
        else:
            yield Violation(spec.name, keys[i], "net_amount", "trade-amounts",
                            f"{int(net[i])} cents does not match a {column(records, 'trade_type')[i]} of {t} "
                            f"+ fees {f}")


def check_trading_hours(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """executed_at in the B3 session (10:00-17:00 BRT, business days); D+2 settlement; placed before."""
    n = len(records)
    if not n:
        return
    try:
        executed = int_array(records, "executed_at")
        created = int_array(records, "created_at")
        settled = day_array(records, "settlement_date")
    except _TYPE_ERRORS:
        yield Violation(spec.name, None, "executed_at", "trade-trading-hours", "timestamps or dates of unexpected type")
        return
    day = local_day(executed)
    in_day = executed + BRT_OFFSET_MS - day * DAY_MS
    bad_hours = ~is_weekday(day) | (in_day < SESSION_OPEN_MS) | (in_day > SESSION_CLOSE_MS)
    bad_settle = settled != business_day(business_index(day) + SETTLEMENT_DAYS)
    bad_placed = created > executed
    if not (bad_hours.any() or bad_settle.any() or bad_placed.any()):
        return
    keys = column(records, spec.primary_key)
    for i in np.flatnonzero(bad_hours | bad_settle | bad_placed).tolist():
        if bad_hours[i]:
            yield Violation(spec.name, keys[i], "executed_at", "trade-trading-hours",
                            "outside the B3 session (10:00-17:00 America/Sao_Paulo, Monday to Friday)")
        elif bad_settle[i]:
            yield Violation(spec.name, keys[i], "settlement_date", "trade-settlement",
                            f"{column(records, 'settlement_date')[i]} is not D+{SETTLEMENT_DAYS} business days "
                            "after the trade")
        if bad_placed[i]:
            yield Violation(spec.name, keys[i], "created_at", "trade-placed-before-execution",
                            "the order was placed after it executed")


def check_holdings(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """A SELL never exceeds the shares the account holds from earlier filled orders.

    Assumes a batch holds each account's trades whole: run-time batches are whole blocks,
    and ``datagen validate`` keeps records with the same message key in one chunk.

    Holdings are running sums per account and stock over the trades in time order, computed
    on whole columns; only when some SELL exceeds them are the trades replayed one by one
    (to report each excess once, as the replay caps holdings at zero).
    """
    n = len(records)
    if not n:
        return
    try:
        _, account = _codes(records, "account_id")
        _, stock = _codes(records, "stock_id")
        executed = int_array(records, "executed_at")
        quantity = int_array(records, "quantity")
    except _TYPE_ERRORS as exc:
        yield Violation(spec.name, None, "quantity", "trade-holdings", f"values of unexpected type ({exc})")
        return
    sell = _is(records, "trade_type", "SELL")
    moves = _is(records, "status", *HOLDING_STATUSES)
    # each account's trades in each stock, in time order
    order = np.lexsort((executed, stock, account))  # stable: ties stay in record order
    change = np.where(moves, np.where(sell, -quantity, quantity), 0)[order]
    held_after = np.cumsum(change)
    group = account[order] * (int(stock.max()) + 1) + stock[order]
    starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    base = np.repeat(held_after[starts] - change[starts], np.diff(np.append(starts, n)))
    held_before = held_after - change - base
    if (sell[order] & (quantity[order] > held_before)).any():
        yield from _replay_holdings(spec, records)


def _replay_holdings(spec: EntitySpec, records: Sequence[Record]) -> Iterator[Violation]:
    """``check_holdings`` one trade at a time, naming every SELL above the holdings."""
    by_account: dict[Any, list[int]] = {}
    for i, key in enumerate(column(records, "account_id")):
        by_account.setdefault(key, []).append(i)
    keys = column(records, spec.primary_key)
    executed = column(records, "executed_at")
    stocks = column(records, "stock_id")
    quantities = column(records, "quantity")
    sides = column(records, "trade_type")
    statuses = column(records, "status")
    tickers = column(records, "ticker")
    for trades in by_account.values():
        held: dict[Any, int] = {}
        ordered = sorted(trades, key=executed.__getitem__) if len(trades) > 1 else trades
        for i in ordered:
            stock, qty = stocks[i], quantities[i]
            if sides[i] == "SELL":
                have = held.get(stock, 0)
                if qty > have:
                    yield Violation(spec.name, keys[i], "quantity", "trade-holdings",
                                    f"sells {qty} {tickers[i]} shares but the account holds {have}")
                if statuses[i] in HOLDING_STATUSES:
                    held[stock] = max(have - qty, 0)  # one report per excess, not one per later sell
            elif statuses[i] in HOLDING_STATUSES:
                held[stock] = held.get(stock, 0) + qty


def check_isin(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """ISIN is BR + 9 alphanumerics + a correct check digit."""
    for r in records:
        isin = r["isin"]
        if not isin_is_valid(isin) or not isin.startswith("BR"):
            yield _v(spec, r, "isin", "stock-isin", f"{isin!r} is not a valid Brazilian ISIN")


def check_stock_terms(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """A listed stock's price is inside its band; currency BRL; standard lot of 100."""
    for r in records:
        listing = BY_TICKER.get(r["ticker"])
        if listing is not None and not listing.low <= r["current_price"] <= listing.high:
            yield _v(spec, r, "current_price", "stock-price-band",
                     f"{r['current_price']} cents is outside {listing.ticker}'s band {listing.low}..{listing.high}")
        if r["currency"] != CURRENCY:
            yield _v(spec, r, "currency", "stock-terms", f"{r['currency']!r}, expected {CURRENCY}")
        if r["lot_size"] != LOT_SIZE:
            yield _v(spec, r, "lot_size", "stock-terms", f"{r['lot_size']}, expected {LOT_SIZE}")


RULES = (
    Rule("trade-parents", "trade", check_parents,
         "Trades only on INVESTIMENTOS accounts, placed after the account opened; customer_id is the "
         "account's owner; ticker and lot size agree with the stock (violations name "
         "trade-investment-account, trade-after-account-opening, trade-customer-owner, trade-ticker, "
         "trade-lot-size)."),
    Rule("trade-amounts", "trade", check_amounts,
         "total = quantity x price; fees per the catalog; net = total +/- fees."),
    Rule("trade-trading-hours", "trade", check_trading_hours,
         "executed_at inside B3 hours on a business day; settlement D+2 business days; placed before executed."),
    Rule("trade-holdings", "trade", check_holdings, "A SELL never exceeds the shares held."),
    Rule("stock-isin", "stock", check_isin, "Valid ISIN check digit."),
    Rule("stock-terms", "stock", check_stock_terms, "Price inside the ticker's band; BRL; lot of 100."),
)

__all__ = ["RULES"]
