"""Data-quality rules of the loans pack (run on every block, and by ``datagen validate``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
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
    text_matrix,
)
from datagen_plugin_loans.entities import INSTALLMENT_STATUSES
from datagen_plugin_loans.schedule import DELINQUENT_LATE_COUNT, EPOCH_ORDINAL

RATE_SCALE = 1_000_000
MAX_RATE = 0.15
PIPELINE = ("PENDING", "APPROVED", "REJECTED")



def check_property(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Appraised value and area are positive; the registration number ends with the address's UF;
    the complement fits the property (an apartment names its flat, a house has no flat, land none)."""
    for r in records:
        key = r["property_id"]
        complement = r["address"]["complement"]
        kind = r["property_type"]
        flat = complement is not None and "Apto" in complement
        if (kind == "APARTMENT" and not flat) or (kind == "HOUSE" and flat) or (kind == "LAND" and complement):
            yield Violation(spec.name, key, "address", "property-complement",
                            f"complement {complement!r} does not fit a {kind}")
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

    Every check runs on whole columns (numpy arrays of a ``Batch``, or arrays made once from a
    list of dicts); records are visited one by one only to name what failed.
    """
    if not records:
        return
    try:
        cols = _Columns.read(records)
    except (TypeError, ValueError, OverflowError, AttributeError) as exc:
        yield Violation(spec.name, None, "*", "installment-checks",
                        f"amounts, numbers, statuses or dates of unexpected type ({exc}); see the schema rules")
        return
    yield from _amounts(spec, records, cols)
    if lookup.has_entity("loan"):
        yield from _schedules(spec, records, lookup, cols)


_STATUS_CODE = {name: i for i, name in enumerate(INSTALLMENT_STATUSES)}
_PAID, _LATE, _DEFAULT, _PENDING = (_STATUS_CODE[s] for s in ("PAID", "LATE", "DEFAULT", "PENDING"))


def _gather(values: list[Any], positions: list[int]) -> list[Any]:
    """``values`` at ``positions`` (in C, by ``itemgetter``)."""
    if len(positions) > 1:
        return list(itemgetter(*positions)(values))
    return [values[i] for i in positions]


@dataclass
class _Columns:
    """The installment columns every check reads, as arrays."""

    principal: np.ndarray
    interest: np.ndarray
    total: np.ndarray
    number: np.ndarray
    status: np.ndarray
    """Codes of ``INSTALLMENT_STATUSES`` (-1 for anything else)."""

    @classmethod
    def read(cls, records: Sequence[Record]) -> _Columns:
        return cls(int_array(records, "principal_amount"), int_array(records, "interest_amount"),
                   int_array(records, "total_amount"), int_array(records, "installment_number"), _status_codes(records))


def _status_codes(records: Sequence[Record]) -> np.ndarray:
    """Codes of the status column: from a ``TextColumn``'s bytes, or one dict look-up per value."""
    flat = _text(records, "status")
    if flat is not None:
        codes = np.full(len(flat), -1, dtype=np.int64)
        for code, symbol in enumerate(INSTALLMENT_STATUSES):
            codes[flat == symbol.encode("ascii")] = code
        return codes
    statuses = column(records, "status")
    return np.fromiter(map(_STATUS_CODE.get, statuses, repeat(-1)), dtype=np.int64, count=len(statuses))


def _masked(records: Sequence[Record], name: str) -> np.ma.MaskedArray | None:
    """Field ``name`` when a ``Batch`` stores it as a masked array (a nullable numeric column)."""
    if isinstance(records, Batch):
        values = records.stored(name)
        if isinstance(values, np.ma.MaskedArray):
            return values
    return None


def _amounts(spec: EntitySpec, records: Sequence[Record], cols: _Columns) -> Iterator[Violation]:
    """principal > 0, interest >= 0, total = principal + interest; paid fields set iff PAID or LATE;
    PAID on or before the due date, LATE after it; paid amount at least the total."""
    p, i, t = cols.principal, cols.interest, cols.total
    bad = (p <= 0) | (i < 0) | (t != p + i)
    if bad.any():
        ids = column(records, "installment_id")
        for k in np.flatnonzero(bad).tolist():
            yield Violation(spec.name, ids[k], "total_amount", "amount-positive",
                            f"principal {int(p[k])} must be > 0, interest {int(i[k])} >= 0, "
                            f"total {int(t[k])} their sum")
    if not _payments_agree(records, cols):
        yield from _payment_violations(spec, records)


def _payments_agree(records: Sequence[Record], cols: _Columns) -> bool:
    """Whether every record's paid fields agree with its status (checked on columns)."""
    paid = (cols.status == _PAID) | (cols.status == _LATE)
    paid_at = np.flatnonzero(paid)
    dates_given, amounts_given = _masked(records, "paid_date"), _masked(records, "paid_amount")
    if dates_given is not None and amounts_given is not None and dates_given.dtype.kind == "M" \
            and amounts_given.dtype.kind in "iu":
        if not (np.array_equal(~np.ma.getmaskarray(dates_given), paid)
                and np.array_equal(~np.ma.getmaskarray(amounts_given), paid)):
            return False
        paid_on = dates_given.data[paid_at].astype("datetime64[D]").astype(np.int64)
        after_due = paid_on > day_array(records, "due_date")[paid_at]
        amount = amounts_given.data[paid_at].astype(np.int64)
        return bool(np.array_equal(after_due, cols.status[paid_at] == _LATE)
                    and (amount >= cols.total[paid_at]).all())
    unpaid_at = np.flatnonzero(~paid).tolist()
    dates = column(records, "paid_date")
    amounts = column(records, "paid_amount")
    if _gather(dates, unpaid_at).count(None) != len(unpaid_at) or \
            _gather(amounts, unpaid_at).count(None) != len(unpaid_at):
        return False
    positions = paid_at.tolist()
    try:  # a None (or anything but a date / an int) among the paid ones raises
        paid_on = np.fromiter(map(dt.date.toordinal, _gather(dates, positions)), dtype=np.int64,
                              count=len(positions)) - EPOCH_ORDINAL
        amount = np.fromiter(_gather(amounts, positions), dtype=np.int64, count=len(positions))
        after_due = paid_on > day_array(records, "due_date")[paid_at]
    except (TypeError, ValueError, OverflowError):
        return False
    return bool(np.array_equal(after_due, cols.status[paid_at] == _LATE) and (amount >= cols.total[paid_at]).all())


def _payment_violations(spec: EntitySpec, records: Sequence[Record]) -> Iterator[Violation]:
    """The records whose paid fields disagree with their status, one by one."""
    for key, status, day, amount, total, due in zip(
            column(records, "installment_id"), column(records, "status"), column(records, "paid_date"),
            column(records, "paid_amount"), column(records, "total_amount"), column(records, "due_date"),
            strict=True):
        is_paid = status in ("PAID", "LATE")
        try:
            wrong = is_paid is (day is None) or is_paid is (amount is None) or (is_paid and (
                amount < total or (status == "LATE") != (day > due)))
        except TypeError:  # e.g. a date given as text
            wrong = True
        if wrong:
            yield Violation(spec.name, key, "paid_date", "payment-fields",
                            f"{status} paid {amount} on {day} for {total} due {due}")


_END = object()


def _text(records: Sequence[Record], name: str) -> np.ndarray | None:
    """Field ``name`` as one fixed-width bytes value per record (NUL padding ignored by numpy),
    when a ``Batch`` holds it as a ``TextColumn`` without nulls."""
    if isinstance(records, Batch):
        values = records.values(name)
        if isinstance(values, TextColumn) and values.nulls is None:
            return np.ascontiguousarray(values.matrix).view(f"S{values.width}").ravel()
    return None


def _runs(records: Sequence[Record], name: str) -> tuple[list[Any], np.ndarray]:
    """``(key of each run, bounds)`` of the runs of equal consecutive values of field ``name``;
    run ``j`` is ``records[bounds[j]:bounds[j + 1]]``.

    A ``TextColumn`` is compared row by row in numpy. On a list, when each key forms one run
    (the usual case) this costs a few C-level scans: find where the next first-seen key
    starts, then count that the run holds only its key.
    """
    flat = _text(records, name)
    if flat is not None:
        starts = [0, *(np.flatnonzero(flat[1:] != flat[:-1]) + 1).tolist()]
        return [b.decode("utf-8") for b in flat[starts].tolist()], np.array([*starts, len(flat)], dtype=np.int64)
    keys = column(records, name)
    firsts = list(dict.fromkeys(keys))
    bounds = [0]
    a = 0
    for following in [*firsts[1:], _END]:
        b = len(keys) if following is _END else keys.index(following, a)
        if keys[a:b].count(keys[a]) != b - a:
            break
        bounds.append(b)
        a = b
    else:
        return firsts, np.array(bounds, dtype=np.int64)
    values = np.array(keys, dtype=object)
    starts = [0, *(np.flatnonzero(values[1:] != values[:-1]) + 1).tolist()]
    return [keys[a] for a in starts], np.array([*starts, len(keys)], dtype=np.int64)


def _schedules(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, cols: _Columns) -> Iterator[Violation]:
    """Per loan: customer_id is the borrower; principal parts sum to the principal; the loan's
    status agrees with its installments.

    A loan whose schedule is split over several batches is checked on its part: the part's
    principal may not exceed the loan's, and DEFAULT installments bind the status.
    """
    run_keys, bounds = _runs(records, "loan_id")
    position: dict[Any, int] = {}
    loan_of_run = np.array([position.setdefault(k, len(position)) for k in run_keys], dtype=np.int64)
    loan_ids = list(position)
    loans = [lookup.get("loan", k) for k in loan_ids]
    m = len(loans)
    starts, lengths = bounds[:-1], np.diff(bounds)
    code = np.repeat(loan_of_run, lengths)

    def per_loan(values: np.ndarray) -> np.ndarray:
        out = np.zeros(m, dtype=np.int64)
        np.add.at(out, loan_of_run, np.add.reduceat(values, starts))
        return out

    known = [loan is not None for loan in loans]
    found = [loan or {} for loan in loans]
    try:
        principal = np.array([loan.get("principal", 0) for loan in found], dtype=np.int64)
        term = np.array([loan.get("term_months", 0) for loan in found], dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as exc:
        yield Violation(spec.name, None, "loan_id", "installment-checks",
                        f"loans with a principal or term of unexpected type ({exc}); see the loan's schema rules")
        return
    count = np.bincount(code, minlength=m)
    total = per_loan(cols.principal)
    n_default = per_loan((cols.status == _DEFAULT).view(np.int8).astype(np.int64))
    n_late = per_loan((cols.status == _LATE).view(np.int8).astype(np.int64))
    n_paid = per_loan((cols.status == _PAID).view(np.int8).astype(np.int64))
    n_pending = per_loan((cols.status == _PENDING).view(np.int8).astype(np.int64))
    # numbers 1, 2, ... in order within a loan's single run: complete iff as many as the term
    rank = np.arange(len(code), dtype=np.int64) - np.repeat(starts, lengths) + 1
    in_order = np.bincount(code, weights=cols.number == rank, minlength=m) == count
    in_order &= np.bincount(loan_of_run, minlength=m) == 1
    complete = in_order & (count == term)

    borrowers = [loan.get("customer_id") for loan in found]
    owners_ok = _owners_agree(records, borrowers, known, code)
    # the verdict of the loop below for every loan at once; the loop then visits only loans that
    # may fail (an unordered schedule is completed there, one loan at a time)
    status_of = np.array([loan.get("status") for loan in found], dtype=object)
    pipeline = np.array([st in PIPELINE for st in status_of], dtype=bool)
    expected_of = _LOAN_STATUS[np.select(
        [n_default > 0, n_late + n_paid == count, n_late >= DELINQUENT_LATE_COUNT], [0, 1, 2], 3)]
    wrong_sum_of = (complete & (total != principal)) | (total > principal)
    wrong_status_of = np.where(
        pipeline, (status_of != "APPROVED") | (n_pending != count),
        np.where(complete, expected_of != status_of, (n_default > 0) & (status_of != "DEFAULT")))
    suspect = np.array(known, dtype=bool) & (~in_order | wrong_sum_of | wrong_status_of | (not owners_ok))
    for j in np.flatnonzero(suspect).tolist():
        loan = found[j]
        loan_id = loan_ids[j]
        runs = [(int(a), int(b)) for a, b, r in zip(starts, bounds[1:], loan_of_run, strict=True) if r == j] \
            if not (owners_ok and in_order[j]) else None
        if not owners_ok:
            owners = column(records, "customer_id")
            borrower = borrowers[j]
            bad = next((k for a, b in runs or () for k in range(a, b) if owners[k] != borrower), None)
            if bad is not None:
                yield Violation(spec.name, column(records, "installment_id")[bad], "customer_id", "installment-owner",
                                f"{owners[bad]} is not the borrower of loan {loan_id} ({borrower})")
        is_complete = bool(complete[j])
        if not in_order[j]:
            numbers = [int(cols.number[k]) for a, b in runs or () for k in range(a, b)]
            is_complete = sorted(numbers) == list(range(1, int(term[j]) + 1))
        status = loan["status"]
        expected = _expected_status(n_default[j], n_late[j], n_paid[j], count[j]) if is_complete else None
        wrong_sum = (is_complete and total[j] != principal[j]) or total[j] > principal[j]
        if status in PIPELINE:
            wrong_status = status != "APPROVED" or n_pending[j] != count[j]
        elif expected is not None:
            wrong_status = expected != status
        else:
            wrong_status = n_default[j] > 0 and status != "DEFAULT"
        if not (wrong_sum or wrong_status):
            continue
        first = column(records, "installment_id")[int(bounds[int(np.flatnonzero(loan_of_run == j)[0])])]
        if wrong_sum:
            yield Violation(spec.name, first, "principal_amount", "principal-sum",
                            f"principal parts of loan {loan_id} sum to {int(total[j])}, "
                            f"loan principal is {loan['principal']}")
        if not wrong_status:
            continue
        if status in PIPELINE:
            group = sorted({s for k, s in zip(code.tolist(), column(records, "status"), strict=True) if k == j})
            yield Violation(spec.name, first, "status", "loan-status",
                            f"loan {loan_id} is {status} but has installments {group}")
        elif expected is not None:
            yield Violation(spec.name, first, "status", "loan-status",
                            f"loan {loan_id} is {status}; its installments make it {expected}")
        else:
            yield Violation(spec.name, first, "status", "loan-status",
                            f"loan {loan_id} is {status} but has a DEFAULT installment")


def _owners_agree(records: Sequence[Record], borrowers: list[Any], known: list[bool], code: np.ndarray) -> bool:
    """Whether every installment's customer_id is its loan's borrower (all loans known)."""
    if not all(known):
        return False
    owners = _text(records, "customer_id")
    if owners is not None:
        expected = text_matrix(borrowers)
        if expected is None or expected.shape[1] != owners.dtype.itemsize:
            return False
        return not (np.ascontiguousarray(expected).view(owners.dtype).ravel()[code] != owners).any()
    return bool(np.array(borrowers, dtype=object)[code].tolist() == column(records, "customer_id"))


_LOAN_STATUS = np.array(["DEFAULT", "PAID_OFF", "DELINQUENT", "ACTIVE"], dtype=object)
"""``_expected_status`` by code (the order of its tests)."""


def _expected_status(n_default: int, n_late: int, n_paid: int, count: int) -> str:
    """Status a disbursed loan must have given the counts of its installments' statuses
    (``schedule.expected_loan_status`` on counts)."""
    if n_default:
        return "DEFAULT"
    if n_late + n_paid == count:
        return "PAID_OFF"
    return "DELINQUENT" if n_late >= DELINQUENT_LATE_COUNT else "ACTIVE"


RULES = (
    Rule("property-checks", "property", check_property, check_property.__doc__ or ""),
    Rule("loan-checks", "loan", check_loan, check_loan.__doc__ or ""),
    Rule("installment-checks", "installment", check_installments,
         "Amounts and payment fields; per loan: borrower, principal sum to the cent, loan status agreement."),
)
