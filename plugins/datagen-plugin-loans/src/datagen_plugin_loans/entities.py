"""Entity specs and options of the loans pack: property, loan, installment (docs/packs/loans.md)."""

from __future__ import annotations

from datagen_plugin_banking.entities import ADDRESS

from datagen_kernel import (
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    Float,
    ForeignKey,
    Int,
    Kind,
    Option,
    Scope,
    String,
    Timestamp,
    Uuid,
)

PROPERTY_TYPES = ("APARTMENT", "HOUSE", "LAND")
LOAN_TYPES = ("PERSONAL", "HOUSING", "VEHICLE")
AMORTIZATION_SYSTEMS = ("SAC", "PRICE")
LOAN_STATUSES = ("PENDING", "APPROVED", "REJECTED", "ACTIVE", "DELINQUENT", "DEFAULT", "PAID_OFF")
INSTALLMENT_STATUSES = ("PENDING", "PAID", "LATE", "DEFAULT")
MAX_TERM = 360

PROPERTY = EntitySpec(
    name="property",
    kind=Kind.REFERENCE,
    scope=Scope.SUBTREE,
    fields=(
        Field("property_id", Uuid(), doc="UUID v4 derived from the seed."),
        Field("property_type", Enum(*PROPERTY_TYPES, name="PropertyType")),
        Field("address", ADDRESS),
        Field("appraised_value", Decimal(15, 2), doc="At least the principal of the loan it backs."),
        Field("area_sqm", Float(), doc="Area in square metres (two decimals)."),
        Field("registration_number", String(20), doc="Matrícula MAT-NNNNNN-UF (UF of the address)."),
    ),
    primary_key="property_id",
    table="properties",
    topic="banking.properties",
    doc="A property backing a HOUSING loan (one per HOUSING loan, generated in the same block).",
)

LOAN = EntitySpec(
    name="loan",
    kind=Kind.MASTER,
    scope=Scope.SUBTREE,
    fields=(
        Field("loan_id", Uuid()),
        Field("customer_id", Uuid(), doc="Borrower."),
        Field("loan_type", Enum(*LOAN_TYPES, name="LoanType")),
        Field("principal", Decimal(15, 2)),
        Field("interest_rate", Decimal(10, 6), doc="Monthly rate: type base + (850 - credit_score)/550 * 0.03, "
                                                    "kept in the type's band."),
        Field("term_months", Int(minimum=1, maximum=MAX_TERM)),
        Field("amortization_system", Enum(*AMORTIZATION_SYSTEMS, name="AmortizationSystem")),
        Field("status", Enum(*LOAN_STATUSES, name="LoanStatus"), doc="Agrees with the installments."),
        Field("disbursement_date", Date(), doc="Planned date for PENDING, APPROVED and REJECTED loans."),
        Field("property_id", Uuid(), nullable=True, doc="HOUSING loans only: the financed property."),
        Field("created_at", Timestamp(), doc="Application instant, before the disbursement date."),
        Field("updated_at", Timestamp(), nullable=True, doc="Last status change; null while PENDING."),
    ),
    primary_key="loan_id",
    foreign_keys=(
        ForeignKey("customer_id", "customer", "customer_id"),
        ForeignKey("property_id", "property", "property_id"),
    ),
    table="loans",
    topic="banking.loans",
    doc="A customer's loan (about 35% of customers have one).",
)

INSTALLMENT = EntitySpec(
    name="installment",
    kind=Kind.EVENT,
    scope=Scope.SUBTREE,
    fields=(
        Field("installment_id", Uuid()),
        Field("loan_id", Uuid()),
        Field("customer_id", Uuid(), doc="Denormalized: the loan's borrower."),
        Field("installment_number", Int(minimum=1, maximum=MAX_TERM)),
        Field("due_date", Date(), doc="Monthly from the disbursement date (same day, or the month's last)."),
        Field("principal_amount", Decimal(15, 2), doc="Principal parts of a loan sum to its principal."),
        Field("interest_amount", Decimal(15, 2), doc="Outstanding balance x monthly rate."),
        Field("total_amount", Decimal(15, 2), doc="principal_amount + interest_amount."),
        Field("paid_date", Date(), nullable=True),
        Field("paid_amount", Decimal(15, 2), nullable=True, doc="LATE: total + 2% fine + 1%/month pro rata."),
        Field("status", Enum(*INSTALLMENT_STATUSES, name="InstallmentStatus")),
        Field("created_at", Timestamp(), doc="When the schedule was issued (disbursement or approval)."),
        Field("updated_at", Timestamp(), nullable=True, doc="Payment, or the day it went into DEFAULT."),
    ),
    primary_key="installment_id",
    foreign_keys=(
        ForeignKey("loan_id", "loan", "loan_id"),
        ForeignKey("customer_id", "customer", "customer_id"),
    ),
    topic="banking.installments",
    key_field="loan_id",
    table="installments",
    doc="One installment of a loan's schedule (PRICE or SAC), with its payment.",
)

ENTITIES = (PROPERTY, LOAN, INSTALLMENT)

OPTIONS = (
    Option("penetration", "float", 0.35, "Share of customers with a loan.", minimum=0.0, maximum=1.0),
    Option("default_rate", "float", 0.05,
           "Share of installments due 90+ days ago that are in DEFAULT (unpaid).", minimum=0.0, maximum=0.3),
)
"""Options of the ``loans`` namespace (``-o loans.KEY=VALUE``); the loan-portfolio scenario overrides them."""
