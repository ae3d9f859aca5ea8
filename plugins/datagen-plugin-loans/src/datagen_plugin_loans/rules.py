"""Data-quality rules of the loans pack (run on every block, and by ``datagen validate``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from datagen_kernel import EntitySpec, Lookup, Record, Rule, Violation
from datagen_plugin_loans.schedule import expected_loan_status

RATE_SCALE = 1_000_000
MAX_RATE = 0.15
PIPELINE = ("PENDING", "APPROVED", "REJECTED")


def check_property(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Appraised value and area are positive; the registration number ends with the address's UF."""
    for r in records:
        key = r["property_id"]
        if r["appraised_value"] <= 0 or r["area_sqm"] <= 0:
            yield Violation(spec.name, key, "appraised_value", "property-positive",
                            f"value {r['appraised_value']} and area {r['area_sqm']} must be > 0")
        uf = r["address"]["state"]
        reg = r["registration_number"]
        if not (len(reg) == 13 and reg.startswith("MAT-") and reg[4:10].isdigit() and reg[10:] == f"-{uf}"):
            yield Violation(spec.name, key, "registration_number", "registration-format",
                            f"{reg!r} is not MAT-NNNNNN-{uf}")


def check_loan(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """0 < rate < 0.15; principal > 0; HOUSING loans (only) have a property worth at least the principal."""
    for r in records:
        key = r["loan_id"]
        if not 0 < r["interest_rate"] < MAX_RATE * RATE_SCALE:
            yield Violation(spec.name, key, "interest_rate", "loan-rate",
                            f"{r['interest_rate'] / RATE_SCALE} is not inside (0, {MAX_RATE})")
        if r["principal"] <= 0:
            yield Violation(spec.name, key, "principal", "amount-positive", f"{r['principal']} is not > 0")
        housing = r["loan_type"] == "HOUSING"
        if housing != (r["property_id"] is not None):
            yield Violation(spec.name, key, "property_id", "housing-collateral",
                            "HOUSING loans, and only they, reference a property")
        elif housing and lookup.has_entity("property"):
            prop = lookup.get("property", r["property_id"])
            if prop is not None and r["principal"] > prop["appraised_value"]:
                yield Violation(spec.name, key, "principal", "housing-collateral",
                                f"principal {r['principal']} exceeds the property's appraised value "
                                f"{prop['appraised_value']}")


def check_installment_amounts(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """principal > 0, interest >= 0, total = principal + interest; paid fields set iff PAID or LATE."""
    for r in records:
        key = r["installment_id"]
        p, i, t = r["principal_amount"], r["interest_amount"], r["total_amount"]
        if p <= 0 or i < 0 or t != p + i:
            yield Violation(spec.name, key, "total_amount", "amount-positive",
                            f"principal {p} must be > 0, interest {i} >= 0, total {t} their sum")
        paid = r["status"] in ("PAID", "LATE")
        if paid != (r["paid_date"] is not None) or paid != (r["paid_amount"] is not None):
            yield Violation(spec.name, key, "paid_date", "payment-fields",
                            f"status {r['status']} with paid_date {r['paid_date']} and paid_amount {r['paid_amount']}")
        elif paid and (r["paid_amount"] < t or (r["status"] == "PAID") != (r["paid_date"] <= r["due_date"])):
            yield Violation(spec.name, key, "paid_date", "payment-fields",
                            f"{r['status']} paid {r['paid_amount']} on {r['paid_date']} for {t} due {r['due_date']}")


def _by_loan(records: Sequence[Record]) -> dict[str, list[Record]]:
    groups: dict[str, list[Record]] = {}
    for r in records:
        groups.setdefault(r["loan_id"], []).append(r)
    return groups


def check_schedules(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Per loan: customer_id is the borrower; principal parts sum to the principal; the loan's
    status agrees with its installments.

    A loan whose schedule is split over several batches is checked on its part: the part's
    principal may not exceed the loan's, and DEFAULT or 3+ LATE installments bind the status.
    """
    if not lookup.has_entity("loan"):
        return
    for loan_id, group in _by_loan(records).items():
        loan = lookup.get("loan", loan_id)
        if loan is None:
            continue  # the foreign-key rule reports it
        first = group[0]["installment_id"]
        wrong_owner = [r for r in group if r["customer_id"] != loan["customer_id"]]
        if wrong_owner:
            yield Violation(spec.name, wrong_owner[0]["installment_id"], "customer_id", "installment-owner",
                            f"{wrong_owner[0]['customer_id']} is not the borrower of loan {loan_id} "
                            f"({loan['customer_id']})")
        numbers = {r["installment_number"] for r in group}
        complete = len(group) == loan["term_months"] and numbers == set(range(1, loan["term_months"] + 1))
        total = sum(r["principal_amount"] for r in group)
        if (complete and total != loan["principal"]) or total > loan["principal"]:
            yield Violation(spec.name, first, "principal_amount", "principal-sum",
                            f"principal parts of loan {loan_id} sum to {total}, loan principal is {loan['principal']}")
        statuses = [r["status"] for r in group]
        status = loan["status"]
        if status in PIPELINE:
            if status != "APPROVED" or any(s != "PENDING" for s in statuses):
                yield Violation(spec.name, first, "status", "loan-status",
                                f"loan {loan_id} is {status} but has installments {sorted(set(statuses))}")
            continue
        expected = expected_loan_status(statuses) if complete else None
        if expected is not None and expected != status:
            yield Violation(spec.name, first, "status", "loan-status",
                            f"loan {loan_id} is {status}; its installments make it {expected}")
        elif expected is None and "DEFAULT" in statuses and status != "DEFAULT":
            yield Violation(spec.name, first, "status", "loan-status",
                            f"loan {loan_id} is {status} but has a DEFAULT installment")


RULES = (
    Rule("property-checks", "property", check_property, check_property.__doc__ or ""),
    Rule("loan-checks", "loan", check_loan, check_loan.__doc__ or ""),
    Rule("installment-amounts", "installment", check_installment_amounts, check_installment_amounts.__doc__ or ""),
    Rule("installment-schedule", "installment", check_schedules,
         "Per loan: borrower matches, principal parts sum to the principal, loan status agrees."),
)
