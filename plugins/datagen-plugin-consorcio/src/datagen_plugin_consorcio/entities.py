"""Entity spec and options of the consórcio pack (docs/packs/consorcio.md)."""

from __future__ import annotations

from datagen_kernel import Date, Decimal, EntitySpec, Enum, Field, ForeignKey, Int, Kind, Option, Scope, Uuid

CONSORTIUM_TYPES = ("AUTO", "IMOBILIARIO", "SERVICOS")
STATUSES = ("ACTIVE", "CONTEMPLATED", "NOT_CONTEMPLATED", "CANCELLED")
CONTEMPLATION_TYPES = ("DRAW", "BID")
FEE_SCALE = 4

CONSORTIUM = EntitySpec(
    name="consortium",
    kind=Kind.MASTER,
    scope=Scope.SUBTREE,
    fields=(
        Field("consortium_id", Uuid(), doc="Identifier of the quota."),
        Field("customer_id", Uuid(), doc="The member holding the quota."),
        Field("consortium_type", Enum(*CONSORTIUM_TYPES, name="ConsortiumType"), doc="What the credit buys."),
        Field("group_number", Int(minimum=1), doc="The group; its quotas share type, term and admin fee."),
        Field("quota_number", Int(minimum=1), doc="The quota in its group, unique there, 1..2 x term_months."),
        Field("total_value", Decimal(15, 2), doc="Credit letter value (carta de crédito), in BRL."),
        Field("monthly_payment", Decimal(15, 2),
              doc="total_value x (1 + admin_fee_rate) / term_months, rounded half up to the cent."),
        Field("term_months", Int(minimum=1), doc="Duration of the group in months (one assembly a month)."),
        Field("admin_fee_rate", Decimal(6, FEE_SCALE), doc="Administration fee over the whole term (0.1550 = 15.5%)."),
        Field("status", Enum(*STATUSES, name="ConsortiumStatus"),
              doc="ACTIVE (paying, not yet contemplated), CONTEMPLATED, NOT_CONTEMPLATED (left before contemplation, "
                  "group closed) or CANCELLED (left before contemplation, group running)."),
        Field("contemplation_date", Date(), nullable=True,
              doc="Assembly that contemplated the quota; CONTEMPLATED only."),
        Field("contemplation_type", Enum(*CONTEMPLATION_TYPES, name="ContemplationType"), nullable=True,
              doc="DRAW (sorteio) or BID (lance); CONTEMPLATED only."),
    ),
    primary_key="consortium_id",
    foreign_keys=(ForeignKey("customer_id", "customer", "customer_id"),),
    table="consortia",
    topic="consorcio.consortia",
    doc="A customer's quota in a consórcio group (a pooled purchase plan with monthly draws and bids).",
)

OPTIONS = (
    Option("penetration", "float", 0.08, "Share of customers holding a consórcio quota.", minimum=0.0, maximum=1.0),
)
