"""Entity specs and options of the cards pack: credit_card, card_transaction (docs/packs/cards.md)."""

from __future__ import annotations

from datagen_kernel import (
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
from datagen_plugin_cards.merchants import CATEGORIES

BRANDS = ("VISA", "MASTERCARD", "ELO")
CARD_STATUSES = ("ACTIVE", "BLOCKED", "CANCELLED")
PURCHASE_STATUSES = ("PENDING", "APPROVED", "DECLINED")

CREDIT_CARD = EntitySpec(
    name="credit_card",
    kind=Kind.MASTER,
    scope=Scope.SUBTREE,
    fields=(
        Field("card_id", Uuid(), doc="UUID v4 derived from the seed."),
        Field("customer_id", Uuid(), doc="Card holder."),
        Field("card_number_masked", String(19), doc="****-****-****-NNNN (last four digits only)."),
        Field("brand", Enum(*BRANDS, name="CardBrand")),
        Field("credit_limit", Decimal(15, 2), doc="2 to 5 times the holder's monthly income."),
        Field("available_limit", Decimal(15, 2),
              doc="50 to 100% of credit_limit: what new purchases may use in each billing cycle."),
        Field("due_day", Int(minimum=1, maximum=28), doc="Day of the month the bill is due."),
        Field("status", Enum(*CARD_STATUSES, name="CardStatus")),
        Field("created_at", Timestamp(), doc="After the holder's created_at."),
        Field("updated_at", Timestamp(), nullable=True,
              doc="When the card was blocked or cancelled; null for active cards."),
    ),
    primary_key="card_id",
    foreign_keys=(ForeignKey("customer_id", "customer", "customer_id"),),
    table="credit_cards",
    topic="banking.credit-cards",
    doc="A customer's credit card (0 to 2 per customer, 70% have at least one).",
)

CARD_TRANSACTION = EntitySpec(
    name="card_transaction",
    kind=Kind.EVENT,
    scope=Scope.SUBTREE,
    fields=(
        Field("transaction_id", Uuid()),
        Field("card_id", Uuid()),
        Field("customer_id", Uuid(), doc="Denormalized: the card's holder."),
        Field("merchant_name", String(100)),
        Field("merchant_category", Enum(*CATEGORIES, name="MerchantCategory")),
        Field("mcc_code", String(4), doc="ISO 18245 merchant category code of the category."),
        Field("amount", Decimal(15, 2), doc="Purchase total (all installments), always > 0."),
        Field("installments", Int(minimum=1, maximum=12), doc="Parcelas: 1 (60%), 2-3, 4-6, 7-12."),
        Field("timestamp", Timestamp(),
              doc="Seasonal: month, weekday, commercial dates (Black Friday, Christmas, ...) and hour profiles."),
        Field("status", Enum(*PURCHASE_STATUSES, name="CardTransactionStatus")),
        Field("location_city", String(100), doc="Usually the holder's city."),
        Field("location_country", String(2), doc="ISO 3166-1 alpha-2; BR for about 97%."),
        Field("created_at", Timestamp(), doc="When the authorization was recorded (seconds after timestamp)."),
        Field("updated_at", Timestamp(), nullable=True, doc="Null at creation."),
        Field("channel", Enum("IN_STORE", "ONLINE", "CONTACTLESS", name="CardChannel"),
              doc="IN_STORE (chip and PIN), ONLINE (card not present) or CONTACTLESS."),
    ),
    primary_key="transaction_id",
    foreign_keys=(
        ForeignKey("card_id", "credit_card", "card_id"),
        ForeignKey("customer_id", "customer", "customer_id"),
    ),
    topic="banking.card-transactions",
    key_field="card_id",
    table="card_transactions",
    doc="A purchase authorization on a credit card.",
)

ENTITIES = (CREDIT_CARD, CARD_TRANSACTION)

OPTIONS = (
    Option("purchases_per_year", "float", 57.0,
           "Mean purchases per card holder per year of history (shared by the holder's cards).",
           minimum=0.0, maximum=10_000.0),
    Option("history_days", "int", 0,
           "Days of purchase history before the as-of instant; 0 = banking.history_days when the "
           "banking pack declares it, else 365.", minimum=0, maximum=36_500),
)
"""Options of the ``cards`` namespace (``-o cards.KEY=VALUE``)."""
