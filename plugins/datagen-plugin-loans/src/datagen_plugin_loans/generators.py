"""Generators of the loans pack: property (reference), loan (master), installment (event)."""

from __future__ import annotations

import math

import numpy as np
from datagen_plugin_banking.common import (
    BUSINESS_HOURS,
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    cdf,
    pick,
    sample_addresses,
    sample_locations,
    zero_padded,
)

from datagen_kernel import Batch, BlockContext, PluginError, Record, TextColumn, column, take_text
from datagen_plugin_loans.entities import (
    AMORTIZATION_SYSTEMS,
    INSTALLMENT_STATUSES,
    LOAN_STATUSES,
    LOAN_TYPES,
    PROPERTY_TYPES,
)
from datagen_plugin_loans.plan import HOUSING, loan_plan, loan_settings
from datagen_plugin_loans.schedule import (
    DISBURSEMENT_HOUR,
    LOAN_CODE,
    SAC,
    ScheduleInputs,
    block_payments,
    build_schedules,
    dates_of,
    days_of,
    local_day,
    local_instant,
)

# --- property --------------------------------------------------------------------------------

PROPERTY_TYPE_CDF = cdf([0.60, 0.35, 0.05])
AREA_BANDS = np.array([[40.0, 200.0], [80.0, 400.0], [200.0, 1000.0]])
VALUE_BANDS = np.array([[15_000_000, 150_000_000], [20_000_000, 200_000_000], [12_500_000, 50_000_000]],
                       dtype=np.float64)
"""Appraised value bands in cents. LAND starts at R$ 125,000 instead of the catalog's R$ 50,000:
a property backs a HOUSING loan of at least R$ 100,000 at no more than 80% loan-to-value."""
VALUE_NOISE = 0.15
"""Spread of a property's value around the value its area implies (in log-band units)."""


def generate_properties(ctx: BlockContext) -> list[Record]:
    """One property per HOUSING loan of the block's loan plan, in plan order."""
    settings = loan_settings(ctx.run)
    plan = loan_plan(ctx.run.seed, ctx.block if ctx.block is not None else -1, ctx.size, settings.penetration)
    n = plan.housing
    if n == 0:
        return []
    u = ctx.rng("attrs").random((n, 4))
    kind = pick(PROPERTY_TYPE_CDF, u[:, 0])
    area_lo, area_hi = AREA_BANDS[kind, 0], AREA_BANDS[kind, 1]
    position = u[:, 1]  # log-uniform area; value follows the area's position in its band
    area = np.round(np.exp(np.log(area_lo) + position * np.log(area_hi / area_lo)), 2)
    lo, hi = VALUE_BANDS[kind, 0], VALUE_BANDS[kind, 1]
    shift = VALUE_NOISE * (2.0 * u[:, 2] - 1.0)
    t = np.clip(position + shift, 0.0, 1.0)
    value = np.exp(np.log(lo) + t * np.log(hi / lo))
    value = np.clip(np.rint(value / 100_000) * 100_000, lo, hi).astype(np.int64)  # whole R$ 1,000
    locations = sample_locations(ctx.rng("location"), n)
    addresses = sample_addresses(ctx.rng("address"), n, locations, [PROPERTY_TYPES[k] for k in kind.tolist()])
    registry = zero_padded((u[:, 3] * 1_000_000).astype(np.int64), 6)
    return [
        {
            "property_id": i,
            "property_type": PROPERTY_TYPES[k],
            "address": a,
            "appraised_value": v,
            "area_sqm": ar,
            "registration_number": f"MAT-{reg}-{uf}",
        }
        for i, k, a, v, ar, reg, uf in zip(
            ctx.uuids(n), kind.tolist(), addresses, value.tolist(), area.tolist(), registry, locations.uf,
            strict=True,
        )
    ]


# --- loan ------------------------------------------------------------------------------------

TERMS = (
    (np.array([6, 12, 18, 24, 36, 48, 60, 72]), cdf([5, 15, 10, 25, 20, 12, 8, 5])),  # PERSONAL
    (np.array([120, 180, 240, 300, 360]), cdf([10, 15, 20, 20, 35])),  # HOUSING
    (np.array([12, 24, 36, 48, 60]), cdf([10, 20, 30, 20, 20])),  # VEHICLE
)
RATE_BANDS = np.array([[0.015, 0.08], [0.007, 0.012], [0.010, 0.035]])
"""Monthly rate band per type; its low end is the type's base rate."""
SCORE_SPREAD = 0.03
PRINCIPAL_BANDS = np.array([[100_000, 10_000_000], [10_000_000, 200_000_000], [2_000_000, 30_000_000]])
PRINCIPAL_STEP = np.array([10_000, 100_000, 50_000])
"""Principals are whole R$ 100 (personal), R$ 1,000 (housing), R$ 500 (vehicle)."""
INCOME_MULTIPLE = ((math.log(3.0), 0.8), (0.0, 0.0), (math.log(12.0), 0.5))
"""Log-normal principal in monthly incomes (median, sigma) for PERSONAL and VEHICLE loans."""
LOAN_TO_VALUE = (0.5, 0.8)
HOUSING_SAC_SHARE = 0.7

PIPELINE_CDF = cdf([0.020, 0.015, 0.025, 0.94])
"""PENDING, APPROVED, REJECTED, disbursed."""
PIPELINE_STATUS = np.array([LOAN_CODE["PENDING"], LOAN_CODE["APPROVED"], LOAN_CODE["REJECTED"], -1])
DISBURSED = 3
APPLICATION_WINDOW_DAYS = 20
"""Loans still PENDING, APPROVED or REJECTED were applied for within these days before as-of."""
DISBURSEMENT_DELAY_DAYS = 14
PLANNED_DISBURSEMENT_DAYS = 30


def _rates(kind: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Monthly rate in millionths: base of the type + (850 - score)/550 * 3%, inside the band."""
    lo, hi = RATE_BANDS[kind, 0], RATE_BANDS[kind, 1]
    rate = np.clip(lo + (850.0 - score) / 550.0 * SCORE_SPREAD, lo, hi)
    return np.rint(rate * 1e6).astype(np.int64)  # type: ignore[no-any-return]


def generate_loans(ctx: BlockContext) -> list[Record]:
    """Loans of the block's loan plan, in customer order, with statuses from their schedules."""
    customers = ctx.records("customer")
    settings = loan_settings(ctx.run)
    block = ctx.block if ctx.block is not None else -1
    plan = loan_plan(ctx.run.seed, block, ctx.size, settings.penetration)
    m = int(plan.borrower.size)
    if m == 0:
        return []
    kind = plan.loan_type
    borrowers = plan.borrower
    income = np.array(column(customers, "monthly_income"), dtype=np.float64)[borrowers]
    score = np.array(column(customers, "credit_score"), dtype=np.float64)[borrowers]
    joined = np.array(column(customers, "created_at"), dtype=np.int64)[borrowers]
    as_of = ctx.run.as_of_ms
    today = local_day(as_of)

    housing = np.flatnonzero(kind == HOUSING)
    properties = ctx.records("property")
    if len(properties) != housing.size:
        raise PluginError(
            f"loan plan of block {block} has {housing.size} HOUSING loans but {len(properties)} properties",
            hint="the property and loan generators of datagen-plugin-loans must run with the same options",
        )
    value = np.zeros(m, dtype=np.int64)
    value[housing] = column(properties, "appraised_value")
    property_ids: list[str | None] = [None] * m
    for j, p in zip(housing.tolist(), column(properties, "property_id"), strict=True):
        property_ids[j] = p

    u = ctx.rng("attrs").random((m, 6))
    z = ctx.rng("amount").standard_normal(m)

    term = np.zeros(m, dtype=np.int64)
    for t, (terms, term_cdf) in enumerate(TERMS):
        term = np.where(kind == t, terms[pick(term_cdf, u[:, 0])], term)
    sac = (kind == HOUSING) & (u[:, 1] < HOUSING_SAC_SHARE)
    rate = _rates(kind, score)

    median = np.array([c[0] for c in INCOME_MULTIPLE])[kind]
    sigma = np.array([c[1] for c in INCOME_MULTIPLE])[kind]
    step = PRINCIPAL_STEP[kind]
    lo, hi = PRINCIPAL_BANDS[kind, 0], PRINCIPAL_BANDS[kind, 1]
    by_income = np.rint(income * np.exp(median + sigma * z) / step) * step
    ltv = LOAN_TO_VALUE[0] + (LOAN_TO_VALUE[1] - LOAN_TO_VALUE[0]) * u[:, 3]
    by_value = np.floor(value * ltv / step) * step
    principal = np.where(kind == HOUSING, by_value, by_income)
    principal = np.clip(principal, lo, np.where(kind == HOUSING, np.minimum(hi, value), hi)).astype(np.int64)

    # disbursed loans: applied for at any time since the customer joined, paid out days later
    applied = BUSINESS_HOURS.sample(ctx.rng("applied"), joined + HOUR_MS, as_of - 2 * DAY_MS, m)
    applied = np.maximum(applied, joined + 1)
    disbursed_day = np.minimum(
        (applied - local_instant(0)) // DAY_MS + 1 + (u[:, 4] * DISBURSEMENT_DELAY_DAYS).astype(np.int64), today - 1
    )
    # loans in the pipeline: applied for recently, disbursement planned ahead
    recent = BUSINESS_HOURS.sample(
        ctx.rng("recent"), np.maximum(joined + HOUR_MS, as_of - APPLICATION_WINDOW_DAYS * DAY_MS), as_of - MINUTE_MS, m
    )
    recent = np.minimum(np.maximum(recent, joined + 1), as_of - 1)
    planned_day = today + 1 + (u[:, 4] * PLANNED_DISBURSEMENT_DAYS).astype(np.int64)

    stage = pick(PIPELINE_CDF, u[:, 2])
    too_new = (stage == DISBURSED) & (disbursed_day <= (applied - local_instant(0)) // DAY_MS)
    stage = np.where(too_new, 0, stage)  # joined too recently to have been paid out: PENDING
    disbursed = stage == DISBURSED
    created = np.where(disbursed, applied, recent)
    disbursement = np.where(disbursed, disbursed_day, planned_day)
    decided = created + np.maximum((u[:, 5] * (as_of - created)).astype(np.int64), 1)
    decided = np.minimum(decided, as_of - 1)

    inputs = ScheduleInputs(principal, rate, term, sac, disbursement, (stage == 1) | disbursed)
    pay = block_payments(ctx.run.seed, block, inputs, today, settings.default_rate)
    status = np.where(disbursed, pay.loan_status, PIPELINE_STATUS[stage])
    paid_out_ms = local_instant(disbursement, DISBURSEMENT_HOUR)
    updated = np.where(disbursed, np.maximum(pay.loan_updated_ms, paid_out_ms),
                       np.where(stage == 0, -1, decided))

    dates = dates_of(disbursement)
    cust_ids = np.array(column(customers, "customer_id"), dtype=object)[borrowers].tolist()
    return [
        {
            "loan_id": i,
            "customer_id": c,
            "loan_type": LOAN_TYPES[k],
            "principal": p,
            "interest_rate": r,
            "term_months": t,
            "amortization_system": AMORTIZATION_SYSTEMS[SAC if s else 1 - SAC],
            "status": LOAN_STATUSES[st],
            "disbursement_date": d,
            "property_id": prop,
            "created_at": cr,
            "updated_at": None if up < 0 else up,
        }
        for i, c, k, p, r, t, s, st, d, prop, cr, up in zip(
            ctx.uuids(m), cust_ids, kind.tolist(), principal.tolist(), rate.tolist(), term.tolist(), sac.tolist(),
            status.tolist(), dates, property_ids, created.tolist(), updated.tolist(), strict=True,
        )
    ]


# --- installment -----------------------------------------------------------------------------

def generate_installments(ctx: BlockContext) -> Batch | list[Record]:
    """Full schedules of the block's disbursed and APPROVED loans, grouped by loan, as columns:
    ids and the status as ``TextColumn``, the nullable payment fields as masked arrays."""
    loans = ctx.records("loan")
    if not loans:
        return []
    settings = loan_settings(ctx.run)
    block = ctx.block if ctx.block is not None else -1
    sched = build_schedules(ctx.run.seed, block, ScheduleInputs.from_records(loans), local_day(ctx.run.as_of_ms),
                            settings.default_rate)
    pay = sched.payments
    n = int(pay.loan.size)
    if n == 0:
        return []
    # a schedule is issued when an APPROVED loan is approved, or else when it is disbursed
    approved = np.array([s == "APPROVED" for s in column(loans, "status")], dtype=bool)
    approved_at = np.array([-1 if u is None else u for u in column(loans, "updated_at")], dtype=np.int64)
    disbursed_at = local_instant(days_of(column(loans, "disbursement_date")), DISBURSEMENT_HOUR)
    issued = np.where(approved, approved_at, disbursed_at)
    loan = pay.loan
    paid = pay.paid_day >= 0
    return Batch({
        "installment_id": ctx.uuid_column(n),
        "loan_id": take_text(loans, "loan_id", loan),
        "customer_id": take_text(loans, "customer_id", loan),
        "installment_number": pay.number,
        "due_date": pay.due_day.astype("datetime64[D]"),
        "principal_amount": sched.principal,
        "interest_amount": sched.interest,
        "total_amount": sched.total,
        "paid_date": np.ma.MaskedArray(pay.paid_day.astype("datetime64[D]"), mask=~paid),
        "paid_amount": np.ma.MaskedArray(sched.paid_amount, mask=~paid),
        "status": TextColumn.from_codes(pay.status, INSTALLMENT_STATUSES),
        "created_at": issued[loan],
        "updated_at": np.ma.MaskedArray(pay.updated_ms, mask=pay.updated_ms < 0),
    })
