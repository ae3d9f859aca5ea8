"""Entity specs and options of the insurance pack (docs/packs/insurance.md)."""

from __future__ import annotations

from datagen_kernel import (
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    ForeignKey,
    Kind,
    Option,
    Scope,
    String,
    Timestamp,
    Uuid,
)

INSURANCE_TYPES = ("AUTO", "LIFE", "HOME", "TRAVEL")
POLICY_STATUSES = ("ACTIVE", "EXPIRED", "CANCELLED", "CLAIM_IN_PROGRESS")
CLAIM_TYPES = {
    "AUTO": ("COLLISION", "THEFT", "GLASS"),
    "HOME": ("FIRE", "WATER_DAMAGE", "THEFT"),
    "LIFE": ("DEATH", "DISABILITY"),
    "TRAVEL": ("MEDICAL", "BAGGAGE_LOSS", "CANCELLATION"),
}
ALL_CLAIM_TYPES = tuple(dict.fromkeys(t for types in CLAIM_TYPES.values() for t in types))
CLAIM_STATUSES = ("OPEN", "UNDER_REVIEW", "APPROVED", "DENIED", "PAID")
UNDECIDED = ("OPEN", "UNDER_REVIEW")
PREMIUM_STATUSES = ("PENDING", "PAID", "LATE", "UNPAID")

INSURANCE_POLICY = EntitySpec(
    name="insurance_policy",
    kind=Kind.MASTER,
    scope=Scope.SUBTREE,
    fields=(
        Field("policy_id", Uuid(), doc="Identifier of the policy."),
        Field("customer_id", Uuid(), doc="The insured customer (policy holder)."),
        Field("insurance_type", Enum(*INSURANCE_TYPES, name="InsuranceType"),
              doc="AUTO only for customers whose income can keep a car; HOME for the property of a housing loan."),
        Field("insurer_name", String(80), doc="Insurer, from a curated table of the Brazilian market."),
        Field("premium_monthly", Decimal(12, 2),
              doc="Monthly premium: coverage x the type's yearly rate / 12 (TRAVEL: the single premium of the trip)."),
        Field("coverage_amount", Decimal(15, 2),
              doc="Insured amount (HOME of a financed property: its appraised value)."),
        Field("deductible", Decimal(15, 2), doc="Franchise paid by the insured on a claim; zero for LIFE and TRAVEL."),
        Field("start_date", Date(), doc="First day of cover, on or after the customer joined."),
        Field("end_date", Date(), doc="Last day of cover: a year after the start (TRAVEL: the trip, 3..30 days)."),
        Field("status", Enum(*POLICY_STATUSES, name="PolicyStatus"),
              doc="ACTIVE or CLAIM_IN_PROGRESS while in force at the as-of date, EXPIRED after it, or CANCELLED."),
        Field("property_id", Uuid(), nullable=True,
              doc="HOME policies of customers with a housing loan: the financed property; null otherwise."),
    ),
    primary_key="policy_id",
    foreign_keys=(
        ForeignKey("customer_id", "customer", "customer_id"),
        ForeignKey("property_id", "property", "property_id"),
    ),
    table="insurance_policies",
    topic="insurance.policies",
    doc="An insurance policy (AUTO, LIFE, HOME, TRAVEL) a customer holds through the bank.",
)

INSURANCE_CLAIM = EntitySpec(
    name="insurance_claim",
    kind=Kind.EVENT,
    scope=Scope.SUBTREE,
    fields=(
        Field("claim_id", Uuid(), doc="Identifier of the claim."),
        Field("policy_id", Uuid(), doc="The policy claimed on."),
        Field("claim_type", Enum(*ALL_CLAIM_TYPES, name="ClaimType"),
              doc="One of the policy type's claims: AUTO COLLISION/THEFT/GLASS, HOME FIRE/WATER_DAMAGE/THEFT, "
                  "LIFE DEATH/DISABILITY, TRAVEL MEDICAL/BAGGAGE_LOSS/CANCELLATION."),
        Field("claimed_amount", Decimal(15, 2), doc="Amount claimed, at most the policy's coverage."),
        Field("approved_amount", Decimal(15, 2), nullable=True,
              doc="Null while OPEN or UNDER_REVIEW; 0 when DENIED; at most the claimed amount."),
        Field("status", Enum(*CLAIM_STATUSES, name="ClaimStatus"),
              doc="OPEN and UNDER_REVIEW put the policy in CLAIM_IN_PROGRESS."),
        Field("opened_at", Timestamp(), doc="Opening instant, inside the policy's validity, before the as-of."),
    ),
    primary_key="claim_id",
    foreign_keys=(ForeignKey("policy_id", "insurance_policy", "policy_id"),),
    table="insurance_claims",
    topic="insurance.claims",
    key_field="policy_id",
    doc="A claim (sinistro) on a policy, with its decision.",
)

INSURANCE_PREMIUM = EntitySpec(
    name="insurance_premium",
    kind=Kind.EVENT,
    scope=Scope.SUBTREE,
    fields=(
        Field("premium_id", Uuid(), doc="Identifier of the premium debit."),
        Field("policy_id", Uuid(), doc="The policy the premium pays for."),
        Field("account_id", Uuid(), doc="The policy holder's account debited (a CONTA_CORRENTE when there is one)."),
        Field("due_date", Date(), doc="Monthly from the policy's start date (TRAVEL: one, on the start date)."),
        Field("amount", Decimal(12, 2), doc="The policy's premium_monthly."),
        Field("paid_at", Timestamp(), nullable=True,
              doc="When the debit went through; null while PENDING and for UNPAID."),
        Field("status", Enum(*PREMIUM_STATUSES, name="PremiumStatus"),
              doc="PAID on the due date (the next business day if it is not one), LATE after it, PENDING not yet "
                  "debited, UNPAID the missed premium that cancelled the policy."),
    ),
    primary_key="premium_id",
    foreign_keys=(
        ForeignKey("policy_id", "insurance_policy", "policy_id"),
        ForeignKey("account_id", "account", "account_id"),
    ),
    table="insurance_premiums",
    topic="insurance.premiums",
    key_field="policy_id",
    doc="A premium debit of a policy on the holder's account (recurring payment, monthly).",
)

ENTITIES = (INSURANCE_POLICY, INSURANCE_CLAIM, INSURANCE_PREMIUM)

OPTIONS = (
    Option("penetration", "float", 0.35, "Share of customers with at least one policy (customers with a housing "
           "loan always have the HOME policy of the property).", minimum=0.0, maximum=1.0),
)
