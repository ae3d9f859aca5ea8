"""Data-quality rules of the trades pack (run on every batch and by ``datagen validate``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

import numpy as np

from datagen_kernel import EntitySpec, Lookup, Record, Rule, Violation
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


def check_parents(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Against the parents: INVESTIMENTOS account, its owner, the stock's ticker and lot size."""
    accounts = lookup.has_entity("account")
    stocks = lookup.has_entity("stock")
    if not (accounts or stocks):
        return
    get = lookup.get
    last_id: object = None
    account: Record | None = None
    stock_cache: dict[object, Record | None] = {}
    for r in records:
        if accounts:
            if r["account_id"] != last_id:
                last_id = r["account_id"]
                account = get("account", last_id)
            if account is not None:
                if account["account_type"] != INVESTMENT_ACCOUNT:
                    yield _v(spec, r, "account_id", "trade-investment-account",
                             f"account is {account['account_type']}, trades need {INVESTMENT_ACCOUNT}")
                if account["customer_id"] != r["customer_id"]:
                    yield _v(spec, r, "customer_id", "trade-customer-owner",
                             f"{r['customer_id']} is not the account's owner {account['customer_id']}")
                if r["created_at"] <= account["created_at"]:
                    yield _v(spec, r, "created_at", "trade-after-account-opening",
                             "the order was placed before the account was opened")
        if stocks:
            sid = r["stock_id"]
            stock = stock_cache.get(sid, stock_cache)
            if stock is stock_cache:
                stock = stock_cache[sid] = get("stock", sid)
            if stock is None:
                continue  # the foreign-key rule reports it
            if stock["ticker"] != r["ticker"]:
                yield _v(spec, r, "ticker", "trade-ticker", f"{r['ticker']!r} but the stock is {stock['ticker']!r}")
            if r["quantity"] % stock["lot_size"]:
                yield _v(spec, r, "quantity", "trade-lot-size",
                         f"{r['quantity']} is not a multiple of the lot size {stock['lot_size']}")


def check_amounts(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """total = quantity x price; fees = total x 0.0008025 (half up); net = total +/- fees."""
    rate = FEE_RATE_PPM10
    for r in records:
        total = r["total_amount"]
        price = r["price_per_share"]
        if total != r["quantity"] * price or price <= 0:
            yield _v(spec, r, "total_amount", "trade-amounts",
                     f"{total} != {r['quantity']} x {price} (cents), or the price is not positive")
            continue
        fees = (total * rate + 5_000_000) // 10_000_000
        if r["fees"] != fees:
            yield _v(spec, r, "fees", "trade-amounts", f"{r['fees']} cents, expected {fees}")
        elif r["net_amount"] != (total + fees if r["trade_type"] == "BUY" else total - fees):
            yield _v(spec, r, "net_amount", "trade-amounts",
                     f"{r['net_amount']} cents does not match a {r['trade_type']} of {total} + fees {fees}")


def check_trading_hours(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """executed_at in the B3 session (10:00-17:00 BRT, weekdays); D+2 settlement; placed before."""
    n = len(records)
    if not n:
        return
    try:
        executed = np.fromiter((r["executed_at"] for r in records), dtype=np.int64, count=n)
        created = np.fromiter((r["created_at"] for r in records), dtype=np.int64, count=n)
        settled = np.fromiter((r["settlement_date"].toordinal() for r in records), dtype=np.int64, count=n)
    except (TypeError, OverflowError, AttributeError):
        yield Violation(spec.name, None, "executed_at", "trade-trading-hours", "timestamps or dates of unexpected type")
        return
    day = local_day(executed)
    in_day = executed + BRT_OFFSET_MS - day * DAY_MS
    bad_hours = ~is_weekday(day) | (in_day < SESSION_OPEN_MS) | (in_day > SESSION_CLOSE_MS)
    bad_settle = settled - _EPOCH_ORDINAL != business_day(business_index(day) + SETTLEMENT_DAYS)
    bad_placed = created > executed
    if not (bad_hours.any() or bad_settle.any() or bad_placed.any()):
        return
    for i in np.flatnonzero(bad_hours | bad_settle | bad_placed).tolist():
        r = records[i]
        if bad_hours[i]:
            yield _v(spec, r, "executed_at", "trade-trading-hours",
                     "outside the B3 session (10:00-17:00 America/Sao_Paulo, Monday to Friday)")
        elif bad_settle[i]:
            yield _v(spec, r, "settlement_date", "trade-settlement",
                     f"{r['settlement_date']} is not D+{SETTLEMENT_DAYS} business days after the trade")
        if bad_placed[i]:
            yield _v(spec, r, "created_at", "trade-placed-before-execution", "the order was placed after it executed")


def check_holdings(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """A SELL never exceeds the shares the account holds from earlier filled orders.

    Assumes a batch holds each account's trades whole: run-time batches are whole blocks,
    and ``datagen validate`` keeps records with the same message key in one chunk.
    """
    by_account: dict[str, list[Record]] = {}
    for r in records:
        group = by_account.get(r["account_id"])
        if group is None:
            by_account[r["account_id"]] = [r]
        else:
            group.append(r)
    for trades in by_account.values():
        held: dict[str, int] = {}
        ordered = sorted(trades, key=lambda t: t["executed_at"]) if len(trades) > 1 else trades
        for r in ordered:
            stock, qty = r["stock_id"], r["quantity"]
            if r["trade_type"] == "SELL":
                have = held.get(stock, 0)
                if qty > have:
                    yield _v(spec, r, "quantity", "trade-holdings",
                             f"sells {qty} {r['ticker']} shares but the account holds {have}")
                if r["status"] in HOLDING_STATUSES:
                    held[stock] = max(have - qty, 0)  # one report per excess, not one per later sell
            elif r["status"] in HOLDING_STATUSES:
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
         "executed_at inside B3 hours on a weekday; settlement D+2 business days; placed before executed."),
    Rule("trade-holdings", "trade", check_holdings, "A SELL never exceeds the shares held."),
    Rule("stock-isin", "stock", check_isin, "Valid ISIN check digit."),
    Rule("stock-terms", "stock", check_stock_terms, "Price inside the ticker's band; BRL; lot of 100."),
)

__all__ = ["RULES"]
