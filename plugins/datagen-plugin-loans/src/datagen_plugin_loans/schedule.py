"""Installment schedules (PRICE and SAC) and payment behaviour, vectorized across a block's loans.

Both the ``loan`` generator (a loan's status must agree with its installments) and the
``installment`` generator call ``build_schedules`` with the same inputs, so they agree; the
last result is cached so the events phase does not compute a block twice.

Money is ``int`` cents, rates ``int`` millionths (the ``decimal(10,6)`` representation), days
are local calendar days since 1970-01-01.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from datagen_plugin_banking.common import DAY_MS, HOUR_MS, LOCAL_OFFSET_MS

from datagen_kernel import Record, column
from datagen_kernel.api.seeding import stream_for
from datagen_plugin_loans.entities import AMORTIZATION_SYSTEMS, LOAN_STATUSES

PENDING, PAID, LATE, DEFAULT = 0, 1, 2, 3
"""Installment status codes (indexes into ``entities.INSTALLMENT_STATUSES``)."""
LOAN_CODE = {name: i for i, name in enumerate(LOAN_STATUSES)}
SAC = AMORTIZATION_SYSTEMS.index("SAC")

DEFAULT_AFTER_DAYS = 90
"""An installment unpaid this many days after its due date is in DEFAULT."""
LATE_RATE = 0.10
"""Share of installments due 90+ days ago that were paid 1-30 days late."""
EARLY_DAYS = 6
"""On-time payments happen 0-5 days before the due date."""
LATE_DAYS = 30
SLOPPY_SHARE = 0.10
"""Share of borrowers who pay late habitually; the others are rarely late."""
PUNCTUAL_FACTOR = 0.4
"""A punctual borrower's late probability relative to the mean."""
LATE_FINE = 0.02
LATE_INTEREST_PER_DAY = 0.01 / 30
"""Late payment: 2% fine plus 1% a month interest, pro rata (Brazilian consumer-credit norm)."""
DELINQUENT_LATE_COUNT = 3
DISBURSEMENT_HOUR = 10
"""Local hour at which loans are disbursed and their schedules issued."""
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def day_of(value: dt.date) -> int:
    """Days since 1970-01-01 of a date."""
    return value.toordinal() - EPOCH_ORDINAL


def days_of(values: Sequence[dt.date] | np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of dates (a list of ``datetime.date`` or a ``datetime64`` array)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[D]").astype(np.int64)
    return np.fromiter(map(dt.date.toordinal, values), dtype=np.int64, count=len(values)) - EPOCH_ORDINAL


_DATE_TABLE_DAYS = 80_000
"""Days from 1970-01-01 covered by the shared date objects (to the year 2189)."""


@functools.lru_cache(maxsize=1)
def _date_table() -> np.ndarray:
    return np.arange(_DATE_TABLE_DAYS).astype("datetime64[D]").astype(object)


def dates_of(days: np.ndarray, present: np.ndarray | None = None) -> list[dt.date | None]:
    """``datetime.date`` objects of day numbers (None where ``present`` is False).

    Picked from one shared table of immutable dates: five times faster than converting each day.
    """
    days = np.asarray(days, dtype=np.int64)
    if present is not None:
        days = np.where(present, days, 0)
    if days.size and (days.min() < 0 or days.max() >= _DATE_TABLE_DAYS):
        out = days.astype("datetime64[D]").astype(object)
    else:
        out = _date_table()[days]
    if present is not None:
        out[~present] = None
    return out.tolist()  # type: ignore[no-any-return]


def local_day(ms: int) -> int:
    """Local (America/Sao_Paulo) calendar day of an epoch-ms instant."""
    return (ms + LOCAL_OFFSET_MS) // DAY_MS


def local_instant(day: np.ndarray | int, hour: float = 0.0) -> np.ndarray | int:
    """Epoch ms of a local day at a local hour."""
    return day * DAY_MS + int(hour * HOUR_MS) - LOCAL_OFFSET_MS


# --- amortization ----------------------------------------------------------------------------


@dataclass
class Amortization:
    """Flat installment arrays of several loans, grouped by loan in loan order."""

    loan: np.ndarray
    number: np.ndarray
    principal: np.ndarray
    interest: np.ndarray
    total: np.ndarray


def amortize(principal: np.ndarray, rate_micro: np.ndarray, term: np.ndarray, sac: np.ndarray) -> Amortization:
    """Schedules of loans (principal cents, monthly rate in millionths, term, SAC flag).

    SAC: constant principal part ``P // n`` (the last one absorbs the remainder); interest on
    the outstanding balance, rounded to the cent. PRICE: fixed payment
    ``pmt = P r (1+r)^n / ((1+r)^n - 1)`` rounded to the cent; the outstanding balance after
    ``k`` payments is the exact annuity balance rounded to the cent, the principal part the
    drop of that balance and interest the rest of the payment. In both the principal parts
    sum to the principal exactly and interest is the balance times the rate (rounded to the
    cent for SAC; for PRICE within 1.5 cents plus half a cent times the rate, the rounding that
    a fixed payment absorbs).
    """
    principal = np.asarray(principal, dtype=np.int64)
    term = np.asarray(term, dtype=np.int64)
    sac = np.asarray(sac, dtype=bool)
    n_loans = principal.size
    loan = np.repeat(np.arange(n_loans), term)
    first = np.cumsum(term) - term
    number = np.arange(loan.size, dtype=np.int64) - first[loan] + 1
    r = (np.asarray(rate_micro, dtype=np.float64) / 1e6)[loan]
    p = principal[loan]
    n = term[loan]
    is_sac = sac[loan]

    # SAC
    part = principal // np.maximum(term, 1)
    sac_part = np.where(number < n, part[loan], p - part[loan] * (n - 1))
    sac_interest = np.rint((p - part[loan] * (number - 1)) * r).astype(np.int64)

    # PRICE: balance_k = P ((1+r)^n - (1+r)^k) / ((1+r)^n - 1); one power per installment:
    # (1+r)^(k-1) is the previous installment's (1+r)^k, and (1+r)^n the loan's last one's
    powers = (1.0 + r) ** number
    previous = np.ones_like(powers)
    previous[1:] = powers[:-1]
    previous[number == 1] = 1.0
    growth = powers[np.cumsum(term) - 1][loan] if loan.size else powers
    pf = p.astype(np.float64)
    before = np.rint(pf * (growth - previous) / (growth - 1.0)).astype(np.int64)
    after = np.rint(pf * (growth - powers) / (growth - 1.0)).astype(np.int64)
    before = np.where(number == 1, p, before)
    after = np.where(number == n, 0, after)
    payment = np.rint(pf * r * growth / (growth - 1.0)).astype(np.int64)
    price_part = before - after

    principal_part = np.where(is_sac, sac_part, price_part)
    interest = np.where(is_sac, sac_interest, payment - price_part)
    return Amortization(loan, number, principal_part, interest, principal_part + interest)


def due_days(disbursement_day: np.ndarray, loan: np.ndarray, number: np.ndarray) -> np.ndarray:
    """Due day of installment ``number``: ``number`` months after disbursement, same day of the
    month (the month's last day when it is shorter)."""
    disb = np.asarray(disbursement_day, dtype=np.int64).astype("datetime64[D]")
    month = disb.astype("datetime64[M]")
    dom = (disb - month.astype("datetime64[D]")).astype(np.int64)
    due_month = month[loan] + number.astype("timedelta64[M]")
    start = due_month.astype("datetime64[D]")
    length = ((due_month + np.timedelta64(1, "M")).astype("datetime64[D]") - start).astype(np.int64)
    return (start + np.minimum(dom[loan], length - 1).astype("timedelta64[D]")).astype(np.int64)  # type: ignore[no-any-return]


# --- payment behaviour -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleInputs:
    """What a block's schedules depend on, one entry per loan in loan order."""

    principal: np.ndarray
    rate_micro: np.ndarray
    term: np.ndarray
    sac: np.ndarray
    disbursement_day: np.ndarray
    scheduled: np.ndarray
    """Whether the loan has a schedule (disbursed or APPROVED; not PENDING or REJECTED)."""

    @classmethod
    def from_records(cls, loans: Sequence[Record]) -> ScheduleInputs:
        """Inputs of loan records (a list of dicts or a ``Batch``), read by column."""
        n = len(loans)
        return cls(
            np.fromiter(column(loans, "principal"), dtype=np.int64, count=n),
            np.fromiter(column(loans, "interest_rate"), dtype=np.int64, count=n),
            np.fromiter(column(loans, "term_months"), dtype=np.int64, count=n),
            np.fromiter((s == "SAC" for s in column(loans, "amortization_system")), dtype=bool, count=n),
            days_of(column(loans, "disbursement_date")),
            np.fromiter((s not in ("PENDING", "REJECTED") for s in column(loans, "status")), dtype=bool, count=n),
        )

    def key(self) -> tuple[bytes, ...]:
        return tuple(a.tobytes() for a in (self.principal, self.rate_micro, self.term, self.sac,
                                           self.disbursement_day, self.scheduled))


@dataclass
class Payments:
    """Installments of a block (arrays grouped by loan, no amounts) and what they imply per loan."""

    loan: np.ndarray
    number: np.ndarray
    due_day: np.ndarray
    status: np.ndarray
    paid_day: np.ndarray
    """-1 when unpaid."""
    late_days: np.ndarray
    """Days a LATE installment was paid after its due date (0 otherwise)."""
    updated_ms: np.ndarray
    """Payment instant, or the instant the installment went into DEFAULT; -1 otherwise."""
    loan_status: np.ndarray
    """Per loan: ACTIVE, DELINQUENT, DEFAULT or PAID_OFF code (meaningful for disbursed loans)."""
    loan_updated_ms: np.ndarray
    """Per loan: latest installment update, -1 if none."""


@dataclass
class Schedules:
    """Payments plus the amounts of every installment."""

    payments: Payments
    principal: np.ndarray
    interest: np.ndarray
    total: np.ndarray
    paid_amount: np.ndarray
    """-1 when unpaid; LATE payments add the fine and the late interest."""


def late_probabilities(default_rate: float) -> tuple[float, float]:
    """(punctual, sloppy) late-payment probabilities giving LATE_RATE late installments overall."""
    mean = LATE_RATE / (1.0 - default_rate)
    punctual = PUNCTUAL_FACTOR * mean
    sloppy = (mean - (1.0 - SLOPPY_SHARE) * punctual) / SLOPPY_SHARE
    return punctual, min(sloppy, 1.0)


def _terms(inputs: ScheduleInputs) -> np.ndarray:
    return np.where(inputs.scheduled, inputs.term, 0)


def _payments(seed: int, block: int, inputs: ScheduleInputs, as_of_day: int, default_rate: float) -> Payments:
    term = _terms(inputs)
    n_loans = inputs.principal.size
    loan = np.repeat(np.arange(n_loans), term)
    n = loan.size
    number = np.arange(n, dtype=np.int64) - (np.cumsum(term) - term)[loan] + 1
    due = due_days(inputs.disbursement_day, loan, number)

    lu = stream_for(seed, "loan-behaviour", block, "loan").random((n_loans, 3))
    iu = stream_for(seed, "loan-behaviour", block, "installment").random((n, 3))

    past = due < as_of_day
    settled = due <= as_of_day - DEFAULT_AFTER_DAYS
    m = np.bincount(loan, weights=settled, minlength=n_loans)
    # a defaulting loan stops paying at an installment uniform among its settled ones; this
    # probability makes the expected DEFAULT share of settled installments default_rate
    q = np.minimum(1.0, 2.0 * default_rate * m / (m + 1.0))
    defaults = (lu[:, 0] < q) & (m >= 1)
    stop = 1 + np.minimum((lu[:, 1] * m).astype(np.int64), np.maximum(m.astype(np.int64) - 1, 0))
    punctual, sloppy = late_probabilities(default_rate)
    p_late = np.where(lu[:, 2] < SLOPPY_SHARE, sloppy, punctual)

    unpaid = defaults[loan] & (number >= stop[loan]) & past
    late = past & ~unpaid & (iu[:, 0] < p_late[loan])
    on_time = past & ~unpaid & ~late
    late_days = 1 + np.minimum((iu[:, 1] * LATE_DAYS).astype(np.int64), LATE_DAYS - 1)
    early_days = np.minimum((iu[:, 1] * EARLY_DAYS).astype(np.int64), EARLY_DAYS - 1)
    late = late & (due + late_days < as_of_day)  # otherwise not paid yet: still PENDING

    status = np.full(n, PENDING, dtype=np.int64)
    status[on_time] = PAID
    status[late] = LATE
    status[unpaid & settled] = DEFAULT
    paid_day = np.where(on_time, due - early_days, np.where(late, due + late_days, -1))
    paid_ms = local_instant(paid_day, 8.0) + (iu[:, 2] * 12 * HOUR_MS).astype(np.int64)
    default_ms = local_instant(due + DEFAULT_AFTER_DAYS)
    updated = np.where(paid_day >= 0, paid_ms, np.where(status == DEFAULT, default_ms, -1))

    n_default = np.bincount(loan, weights=status == DEFAULT, minlength=n_loans)
    n_settled = np.bincount(loan, weights=(status == PAID) | (status == LATE), minlength=n_loans)
    n_late = np.bincount(loan, weights=status == LATE, minlength=n_loans)
    loan_status = np.select(
        [n_default > 0, (n_settled == term) & (term > 0), n_late >= DELINQUENT_LATE_COUNT],
        [LOAN_CODE["DEFAULT"], LOAN_CODE["PAID_OFF"], LOAN_CODE["DELINQUENT"]],
        LOAN_CODE["ACTIVE"],
    )
    loan_updated = np.full(n_loans, -1, dtype=np.int64)
    np.maximum.at(loan_updated, loan, updated)
    return Payments(loan, number, due, status, paid_day, np.where(late, late_days, 0), updated, loan_status,
                    loan_updated)


_CACHE: dict[tuple[object, ...], Payments] = {}


def block_payments(seed: int, block: int, inputs: ScheduleInputs, as_of_day: int, default_rate: float) -> Payments:
    """The block's due dates and payments (what the loan statuses need); the per-block streams
    make them reproducible. The last block's result is kept for the installment generator."""
    key = (seed, block, as_of_day, default_rate, inputs.key())
    found = _CACHE.get(key)
    if found is None:
        found = _payments(seed, block, inputs, as_of_day, default_rate)
        _CACHE.clear()  # one block at a time: the loan and installment generators of that block
        _CACHE[key] = found
    return found


def build_schedules(seed: int, block: int, inputs: ScheduleInputs, as_of_day: int, default_rate: float) -> Schedules:
    """The block's payments with every installment's amounts."""
    pay = block_payments(seed, block, inputs, as_of_day, default_rate)
    am = amortize(inputs.principal, inputs.rate_micro, _terms(inputs), inputs.sac)
    total = am.total
    fee = np.rint(total * LATE_FINE) + np.rint(total * LATE_INTEREST_PER_DAY * pay.late_days)
    paid_amount = np.where(pay.status == PAID, total, np.where(pay.status == LATE, total + fee.astype(np.int64), -1))
    return Schedules(pay, am.principal, am.interest, total, paid_amount)


def expected_loan_status(statuses: Sequence[str]) -> str:
    """Status a disbursed loan must have given all its installments' statuses."""
    statuses = list(statuses)
    if "DEFAULT" in statuses:
        return "DEFAULT"
    late = statuses.count("LATE")
    if late + statuses.count("PAID") == len(statuses):
        return "PAID_OFF"
    return "DELINQUENT" if late >= DELINQUENT_LATE_COUNT else "ACTIVE"
