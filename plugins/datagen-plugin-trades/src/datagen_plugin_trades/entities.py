"""Entity specs of the trades pack: ``stock`` (reference) and ``trade`` (event)."""

from __future__ import annotations

from datagen_kernel import (
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    ForeignKey,
    Int,
    Kind,
    Option,
    Scope,
    String,
    Timestamp,
    Uuid,
)
from datagen_plugin_trades.listing import LOT_SIZE, SECTORS, SEGMENTS

TRADE_TYPES = ("BUY", "SELL")
TRADE_TYPE_WEIGHTS = (0.55, 0.45)
ORDER_TYPES = ("MARKET", "LIMIT", "STOP")
ORDER_TYPE_WEIGHTS = (0.70, 0.25, 0.05)
STATUSES = ("PENDING", "EXECUTED", "CANCELLED", "PARTIALLY_FILLED")
STATUS_WEIGHTS = (0.02, 0.95, 0.02, 0.01)
HOLDING_STATUSES = ("EXECUTED", "PARTIALLY_FILLED")
"""Statuses whose quantity changed the account's holdings (the filled shares)."""

FEE_RATE_PPM10 = 8025
"""Fees per 10,000,000 of the total: brokerage 0.05% + B3 emoluments 0.0275% + settlement 0.00275%."""
INVESTMENT_ACCOUNT = "INVESTIMENTOS"

STOCK = EntitySpec(
    name="stock",
    kind=Kind.REFERENCE,
    scope=Scope.GLOBAL,
    fields=(
        Field("stock_id", Uuid(), doc="Identifier of the listed share."),
        Field("ticker", String(10), doc="B3 ticker, e.g. PETR4."),
        Field("company_name", String(255), doc="Issuer's trading name."),
        Field("sector", Enum(*SECTORS), doc="Economic sector of the issuer."),
        Field("segment", Enum(*SEGMENTS), doc="B3 listing (governance) segment."),
        Field("current_price", Decimal(15, 2),
              doc="Latest close in BRL (last point of the ticker's price walk), inside its band."),
        Field("currency", String(3), doc="Always BRL."),
        Field("isin", String(12), doc="ISIN: BR + 9 alphanumerics + check digit."),
        Field("lot_size", Int(minimum=1), doc=f"Shares per standard lot ({LOT_SIZE})."),
        Field("created_at", Timestamp(), doc="When the share was registered, before any trade in it."),
    ),
    primary_key="stock_id",
    table="stocks",
    topic="banking.stocks",
    doc="The 42 B3-listed shares customers trade; generated once per run.",
)

TRADE = EntitySpec(
    name="trade",
    kind=Kind.EVENT,
    scope=Scope.SUBTREE,
    fields=(
        Field("trade_id", Uuid(), doc="Identifier of the order."),
        Field("account_id", Uuid(), doc="INVESTIMENTOS account that placed the order."),
        Field("customer_id", Uuid(), doc="Owner of the account (denormalized)."),
        Field("stock_id", Uuid(), doc="Traded share."),
        Field("ticker", String(10), doc="Ticker of the traded share (denormalized)."),
        Field("trade_type", Enum(*TRADE_TYPES), doc="BUY or SELL; a SELL never exceeds the shares held."),
        Field("quantity", Int(minimum=1),
              doc="Shares, a multiple of the lot size; for PARTIALLY_FILLED the filled shares."),
        Field("price_per_share", Decimal(15, 2), doc="Price in BRL, near the ticker's price of the day."),
        Field("total_amount", Decimal(15, 2), doc="quantity x price_per_share."),
        Field("fees", Decimal(15, 2),
              doc="total x 0.0008025 (brokerage, B3 emoluments, settlement), rounded half up to the cent."),
        Field("net_amount", Decimal(15, 2), doc="total + fees for a BUY, total - fees for a SELL."),
        Field("order_type", Enum(*ORDER_TYPES), doc="How the order was placed."),
        Field("status", Enum(*STATUSES), doc="Order status; EXECUTED and PARTIALLY_FILLED change holdings."),
        Field("executed_at", Timestamp(),
              doc="Execution (or last order event) time, B3 session 10:00-17:00 BRT on a weekday."),
        Field("settlement_date", Date(), doc="executed_at's day + 2 business days (weekends skipped)."),
        Field("created_at", Timestamp(), doc="When the order was placed, on the trade day, before executed_at."),
        Field("updated_at", Timestamp(), nullable=True,
              doc="Last status change after execution (CANCELLED, PARTIALLY_FILLED); null otherwise."),
    ),
    primary_key="trade_id",
    foreign_keys=(
        ForeignKey("account_id", "account", "account_id"),
        ForeignKey("customer_id", "customer", "customer_id"),
        ForeignKey("stock_id", "stock", "stock_id"),
    ),
    table="trades",
    topic="banking.trades",
    key_field="account_id",
    doc="Equity orders on INVESTIMENTOS accounts, about 20 per account.",
)

OPTIONS = (
    Option("per_account", "float", 20.0, "Mean trades per INVESTIMENTOS account (Poisson).",
           minimum=0.0, maximum=1000.0),
    Option("daily_volatility", "float", 0.018, "Daily log-price step of each ticker's random walk.",
           minimum=0.0, maximum=0.2),
    Option("intraday_spread", "float", 0.004, "Log-price spread of trades around the ticker's price of the day.",
           minimum=0.0, maximum=0.1),
)
