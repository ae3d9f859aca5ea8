"""Data-quality rules of the loans pack (run on every block, and by ``datagen validate``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import compress, pairwise, repeat
from operator import add, ge, gt, is_not, itemgetter
from typing import Any

import numpy as np

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


def check_installments(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Amounts (``amount-positive``), payment fields (``payment-fields``) and, per loan, the
    borrower (``installment-owner``), the principal sum (``principal-sum``) and the loan's status
    (``loan-status``).

    Every check runs first as whole-column operations (``map``, ``compress``, list
    comparisons, all in C); records are visited one by one only to name what failed.
    """
    if not records:
        return
    principal = list(map(itemgetter("principal_amount"), records))
    statuses = list(map(itemgetter("status"), records))
    yield from _amounts(spec, records, principal, statuses)
    if lookup.has_entity("loan"):
        yield from _schedules(spec, records, lookup, principal, statuses)


_PAID = frozenset(("PAID", "LATE"))


def _amounts(spec: EntitySpec, records: Sequence[Record], principal: list[int],
             statuses: list[str]) -> Iterator[Violation]:
    """principal > 0, interest >= 0, total = principal + interest; paid fields set iff PAID or LATE;
    PAID on or before the due date, LATE after it; paid amount at least the total."""
    interest = list(map(itemgetter("interest_amount"), records))
    total = list(map(itemgetter("total_amount"), records))
    if not (min(principal) > 0 and min(interest) >= 0 and list(map(add, principal, interest)) == total):
        for r, p, i, t in zip(records, principal, interest, total, strict=True):
            if p <= 0 or i < 0 or t != p + i:
                yield Violation(spec.name, r["installment_id"], "total_amount", "amount-positive",
                                f"principal {p} must be > 0, interest {i} >= 0, total {t} their sum")
    paid = list(map(_PAID.__contains__, statuses))
    dates = list(map(itemgetter("paid_date"), records))
    amounts = list(map(itemgetter("paid_amount"), records))
    if list(map(is_not, dates, repeat(None))) == paid == list(map(is_not, amounts, repeat(None))):
        due = list(compress(map(itemgetter("due_date"), records), paid))
        paid_on = list(compress(dates, paid))
        after_due = list(map(gt, paid_on, due))
        late = list(map("LATE".__eq__, compress(statuses, paid)))
        if after_due == late and all(map(ge, compress(amounts, paid), compress(total, paid))):
            return
    for r, is_paid in zip(records, paid, strict=True):
        day, amount = r["paid_date"], r["paid_amount"]
        if is_paid is (day is None) or is_paid is (amount is None) or (is_paid and (
                amount < r["total_amount"] or (r["status"] == "LATE") != (day > r["due_date"]))):
            yield Violation(spec.name, r["installment_id"], "paid_date", "payment-fields",
                            f"{r['status']} paid {amount} on {day} for {r['total_amount']} due {r['due_date']}")


def _groups(keys: list[str]) -> dict[str, list[tuple[int, int]]]:
    """Runs ``(start, stop)`` of equal consecutive keys, gathered by key."""
    counts = Counter(keys)  # in first-seen order; a contiguous run per key is the usual case
    out: dict[str, list[tuple[int, int]]] = {}
    a = 0
    for key, n in counts.items():
        if keys[a:a + n].count(key) != n:
            break
        out[key] = [(a, a + n)]
        a += n
    else:
        return out
    column = np.array(keys, dtype=object)
    bounds = [0, *(np.flatnonzero(column[1:] != column[:-1]) + 1).tolist(), len(keys)]
    out = {}
    for a, b in pairwise(bounds):
        out.setdefault(keys[a], []).append((a, b))
    return out


def _take(column: list[Any], runs: list[tuple[int, int]]) -> list[Any]:
    if len(runs) == 1:
        return column[runs[0][0]:runs[0][1]]
    return [v for a, b in runs for v in column[a:b]]


def _schedules(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, principal_parts: list[int],
               statuses: list[str]) -> Iterator[Violation]:
    """Per loan: customer_id is the borrower; principal parts sum to the principal; the loan's
    status agrees with its installments.

    A loan whose schedule is split over several batches is checked on its part: the part's
    principal may not exceed the loan's, and DEFAULT installments bind the status.
    """
    keys = list(map(itemgetter("loan_id"), records))
    owners = list(map(itemgetter("customer_id"), records))
    numbers = list(map(itemgetter("installment_number"), records))
    for loan_id, runs in _groups(keys).items():
        loan = lookup.get("loan", loan_id)
        if loan is None:
            continue  # the foreign-key rule reports it
        first = records[runs[0][0]]["installment_id"]
        borrower = loan["customer_id"]
        group_owners = _take(owners, runs)
        if group_owners.count(borrower) != len(group_owners):
            k = next(k for a, b in runs for k in range(a, b) if owners[k] != borrower)
            yield Violation(spec.name, records[k]["installment_id"], "customer_id", "installment-owner",
                            f"{owners[k]} is not the borrower of loan {loan_id} ({borrower})")
        term = loan["term_months"]
        group_numbers = _take(numbers, runs)
        complete = group_numbers == list(range(1, term + 1)) or sorted(group_numbers) == list(range(1, term + 1))
        total = sum(sum(principal_parts[a:b]) for a, b in runs)
        if (complete and total != loan["principal"]) or total > loan["principal"]:
            yield Violation(spec.name, first, "principal_amount", "principal-sum",
                            f"principal parts of loan {loan_id} sum to {total}, loan principal is {loan['principal']}")
        group = _take(statuses, runs)
        status = loan["status"]
        if status in PIPELINE:
            if status != "APPROVED" or any(s != "PENDING" for s in group):
                yield Violation(spec.name, first, "status", "loan-status",
                                f"loan {loan_id} is {status} but has installments {sorted(set(group))}")
            continue
        expected = expected_loan_status(group) if complete else None
        if expected is not None and expected != status:
            yield Violation(spec.name, first, "status", "loan-status",
                            f"loan {loan_id} is {status}; its installments make it {expected}")
        elif expected is None and "DEFAULT" in group and status != "DEFAULT":
            yield Violation(spec.name, first, "status", "loan-status",
                            f"loan {loan_id} is {status} but has a DEFAULT installment")


RULES = (
    Rule("property-checks", "property", check_property, check_property.__doc__ or ""),
    Rule("loan-checks", "loan", check_loan, check_loan.__doc__ or ""),
    Rule("installment-checks", "installment", check_installments,
         "Amounts and payment fields; per loan: borrower, principal sum to the cent, loan status agreement."),
)
