"""An insurance pack made row by row: policies of the banking pack's customers."""

from datetime import timedelta

from datagen_kernel.api import Date, Decimal, EntitySpec, Enum, Field, ForeignKey, String, Timestamp, Uuid, hookimpl

PRODUCTS = ("AUTO", "LIFE", "HOME")
POLICY = EntitySpec(
    name="policy", kind="master", primary_key="policy_id", table="policies", doc="An insurance policy.",
    fields=(
        Field("policy_id", Uuid()), Field("customer_id", Uuid()), Field("product", Enum(*PRODUCTS)),
        Field("policy_number", String(12)), Field("insured_name", String(120)), Field("premium", Decimal(12, 2)),
        Field("starts_on", Date()), Field("ends_on", Date()),
        Field("cancelled_at", Timestamp(), nullable=True), Field("created_at", Timestamp()),
    ),
    foreign_keys=(ForeignKey("customer_id", "customer", "customer_id"),),
)


def make_policy(customer, row):
    starts = row.recent_date(3 * 365)
    return {
        "product": row.choice(PRODUCTS, weights=(5, 3, 2)),
        "policy_number": "AP" + row.digits(10),
        "insured_name": customer["name"] if row.chance(0.8) else row.fake.name(),
        "premium": row.money(300, 9000),
        "starts_on": starts,
        "ends_on": starts + timedelta(days=365),
        "cancelled_at": row.recent_timestamp(30) if row.chance(0.05) else None,
        "created_at": row.timestamp(starts) - 86_400_000,
    }


@hookimpl
def datagen_register_entities(register):
    register.rows(POLICY, make_policy, per="customer", count=(0, 2))
