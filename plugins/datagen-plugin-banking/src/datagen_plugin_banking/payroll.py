"""Payroll and recurring payments: the two masters and the SALARY / AUTO_DEBIT events they cause.

*Payroll.* Each EMPLOYED customer with a CONTA_CORRENTE gets one payroll on their first
checking account: an employer from the seed's employer table (names from Faker ``pt_BR``,
seeded from the run's seed, so a seed gives the same employers whatever the blocks and
workers; one CNPJ per employer), ``gross_salary`` = the customer's ``monthly_income``,
``net_salary`` = gross - INSS - IRRF computed with the 2025 progressive tables
(``inss_cents``, ``irrf_cents``), and a ``payment_day``. Every month the net salary is
credited on the payment day (the month's last day for 30 in February), or the previous
business day when that is a weekend or a bank holiday; the 13th salary comes in two parts: half
the gross by November 30 and the rest, less INSS and IRRF on the whole 13th, by December 20
(each on the previous business day if needed).

*Recurring payments.* Checking accounts have 0..4 standing debits: subscriptions (fixed
price), utility bills (the amount varies month to month within +/- 15% of the record's
``amount``), rent (20..35% of the income) and insurance premiums; each debit falls on its
schedule (monthly on ``day_of_month``, rolled to the next business day; weekly or biweekly from
the first such day), from ``created_at`` on and never after the payment was PAUSED or
CANCELLED (``updated_at``). A debit the balance cannot cover is FAILED.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from datagen_kernel import Batch, BlockContext, Records, TextColumn, column
from datagen_kernel.api.seeding import stream_for
from datagen_plugin_banking import names as _names
from datagen_plugin_banking.bankcalendar import roll_back_days, roll_forward_days
from datagen_plugin_banking.common import (
    BUSINESS_HOURS,
    DAY_MS,
    HOUR_MS,
    LOCAL_OFFSET_MS,
    cdf,
    cnpjs_from_roots,
    int_column,
    object_column,
    pick,
)
from datagen_plugin_banking.entities import (
    FREQUENCIES,
    PAYMENT_DAYS,
    RECURRING_STATUSES,
    RECURRING_TYPES,
)

# --- taxes (2025 tables) ----------------------------------------------------------------------

INSS_BRACKETS: tuple[tuple[int, float], ...] = (
    (151_800, 0.075), (279_388, 0.09), (419_083, 0.12), (815_741, 0.14),
)
"""INSS 2025 (employees): (upper bound of the bracket in cents, rate); the part of the salary in
each bracket pays its rate; nothing above the ceiling R$ 8,157.41."""

IRRF_BRACKETS: tuple[tuple[int, float, int], ...] = (
    (242_880, 0.0, 0), (282_665, 0.075, 18_216), (375_105, 0.15, 39_416),
    (466_468, 0.225, 67_549), (2**62, 0.275, 90_873),
)
"""IRRF monthly table from May 2025: (upper bound of the base in cents, rate, deduction in cents)."""

IRRF_SIMPLIFIED_CENTS = 60_720
"""The simplified monthly discount (R$ 607.20) used instead of INSS when it is larger."""


def inss_cents(gross: np.ndarray) -> np.ndarray:
    """Employee INSS contribution of monthly gross salaries (cents, rounded half up)."""
    g = np.asarray(gross, dtype=np.int64)
    total = np.zeros(g.shape, dtype=np.float64)
    lower = 0
    for upper, rate in INSS_BRACKETS:
        total += np.clip(g - lower, 0, upper - lower) * rate
        lower = upper
    return np.floor(total + 0.5).astype(np.int64)


def irrf_cents(gross: np.ndarray, inss: np.ndarray) -> np.ndarray:
    """Income tax withheld on monthly salaries: base = gross - max(INSS, simplified discount),
    then rate x base - deduction of the base's bracket (cents, rounded half up, never negative)."""
    g = np.asarray(gross, dtype=np.int64)
    base = g - np.maximum(np.asarray(inss, dtype=np.int64), IRRF_SIMPLIFIED_CENTS)
    uppers = np.array([b[0] for b in IRRF_BRACKETS], dtype=np.int64)
    k = np.searchsorted(uppers, base, side="left")
    rate = np.array([b[1] for b in IRRF_BRACKETS])[k]
    deduction = np.array([b[2] for b in IRRF_BRACKETS], dtype=np.float64)[k]
    return np.maximum(np.floor(base * rate - deduction + 0.5), 0).astype(np.int64)


def net_salary_cents(gross: np.ndarray) -> np.ndarray:
    """gross - INSS - IRRF."""
    g = np.asarray(gross, dtype=np.int64)
    inss = inss_cents(g)
    return g - inss - irrf_cents(g, inss)


# --- employers and payees -----------------------------------------------------------------------

EMPLOYERS = 1024
FAKER_VERSION = "40.63.0"


@dataclass(frozen=True)
class Employers:
    names: list[str]
    cnpjs: list[str]


@functools.lru_cache(maxsize=8)
def employers(seed: int) -> Employers:
    """The seed's employers: distinct company names from Faker ``pt_BR`` (one instance seeded from
    the run's seed) and distinct CNPJs (distinct eight-digit roots, head office 0001).

    Only the two ``pt_BR`` providers the names need (person, company) are loaded on a bare
    Faker ``Generator``: the same values as ``Faker("pt_BR")`` (a test compares them), without
    ``faker.config`` looking through every locale (about half of Faker's import time)."""
    from faker.generator import Generator  # imported on first use: start-up does not pay for it
    from faker.providers.company.pt_BR import Provider as CompanyProvider
    from faker.providers.person.pt_BR import Provider as PersonProvider

    rng = stream_for(seed, "banking-employers", "faker")
    fake = Generator()
    for provider in (PersonProvider, CompanyProvider):
        fake.add_provider(provider(fake))
    fake.seed_instance(int(rng.integers(0, 2**62)))
    seen: dict[str, None] = {}
    for _ in range(EMPLOYERS * 50):
        if len(seen) == EMPLOYERS:
            break
        name = fake.company()
        if not name[0].isupper():  # "da Rosa": a surname's particle needs a surname before it
            name = f"{fake.last_name()} {name}"
        if " " not in name:  # a bare surname reads as a person: add the legal form
            name = f"{name} {fake.company_suffix()}"
        seen.setdefault(name, None)
    names = list(seen)
    while len(names) < EMPLOYERS:  # the locale ran out of distinct names: number the rest
        names.append(f"{names[len(names) % len(seen)]} {len(names) // len(seen) + 1}")
    roots = stream_for(seed, "banking-employers", "cnpj").choice(90_000_000, EMPLOYERS, replace=False) + 10_000_000
    return Employers(names, cnpjs_from_roots(roots, 1))


@functools.lru_cache(maxsize=8)
def payee_cnpjs(seed: int) -> dict[str, str]:
    """A CNPJ per curated payee (distinct roots), fixed for a seed."""
    payees = [p for table in _names.RECURRING_PAYEES.values() for p, _ in table]
    roots = stream_for(seed, "banking-payees", "cnpj").choice(90_000_000, len(payees), replace=False) + 10_000_000
    return dict(zip(payees, cnpjs_from_roots(roots, 1), strict=True))


# --- payroll master -----------------------------------------------------------------------------

PAYMENT_DAY_CDF = cdf([0.40, 0.15, 0.10, 0.10, 0.05, 0.20])
_PAYMENT_DAYS = np.array(PAYMENT_DAYS, dtype=np.int64)


def _first_checking(customers: Records, accounts: Records) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, account index) of each customer's first CONTA_CORRENTE, in customer order."""
    cust_index = {cid: k for k, cid in enumerate(column(customers, "customer_id"))}
    owners = np.fromiter(map(cust_index.__getitem__, column(accounts, "customer_id")), dtype=np.int64,
                         count=len(accounts))
    checking = np.array([t == "CONTA_CORRENTE" for t in column(accounts, "account_type")], dtype=bool)
    idx = np.flatnonzero(checking)
    owners_c = owners[idx]
    first = np.ones(idx.size, dtype=bool)
    first[1:] = owners_c[1:] != owners_c[:-1]
    return owners_c[first], idx[first]


def generate_payroll(ctx: BlockContext) -> Batch | list[Any]:
    """One payroll per EMPLOYED customer with a checking account (see the module docstring)."""
    customers, accounts = ctx.records("customer"), ctx.records("account")
    if len(customers) == 0 or len(accounts) == 0:
        return []
    cust, acc = _first_checking(customers, accounts)
    employed = np.array([s == "EMPLOYED" for s in column(customers, "employment_status")], dtype=bool)
    keep = employed[cust]
    cust, acc = cust[keep], acc[keep]
    m = cust.size
    if m == 0:
        return []
    u = ctx.rng("attrs").random((m, 3))
    table = employers(ctx.run.seed)
    # large employers have many employees: index ~ EMPLOYERS x u^2
    employer = (EMPLOYERS * u[:, 0] ** 2).astype(np.int64)
    gross = int_column(customers, "monthly_income")[cust]
    acc_created = int_column(accounts, "created_at")[acc]
    created = np.minimum(acc_created + HOUR_MS + (u[:, 2] * 30 * DAY_MS).astype(np.int64), ctx.run.as_of_ms - 1)
    names = np.array(table.names, dtype=object)[employer]
    cnpjs = np.array(table.cnpjs, dtype=object)[employer]
    return Batch({
        "payroll_id": ctx.uuid_column(m),
        "account_id": object_column(accounts, "account_id")[acc].tolist(),
        "customer_id": object_column(customers, "customer_id")[cust].tolist(),
        "employer_name": names.tolist(),
        "employer_cnpj": cnpjs.tolist(),
        "gross_salary": gross,
        "net_salary": net_salary_cents(gross),
        "payment_day": _PAYMENT_DAYS[pick(PAYMENT_DAY_CDF, u[:, 1])],
        "created_at": created,
    })


# --- recurring payment master -------------------------------------------------------------------

RECURRING_COUNT_CDF = cdf([0.45, 0.30, 0.15, 0.07, 0.03])
"""Standing debits per checking account: 0..4."""
RECURRING_TYPE_CDF = cdf([0.40, 0.35, 0.10, 0.15])
SUBSCRIPTION_FREQUENCY_CDF = cdf([0.90, 0.05, 0.05])  # MONTHLY, WEEKLY, BIWEEKLY
STATUS_CDF = cdf([0.82, 0.05, 0.13])  # ACTIVE, PAUSED, CANCELLED
UTILITY_BAND = 0.15
_TYPES = np.array(RECURRING_TYPES, dtype=object)
_FREQ = np.array(FREQUENCIES, dtype=object)
_STATUS = np.array(RECURRING_STATUSES, dtype=object)


@functools.lru_cache(maxsize=1)
def _payee_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Payees of every type in one table: (names, prices, first row of each type, rows per type)."""
    tables = [_names.RECURRING_PAYEES[t] for t in RECURRING_TYPES]
    names = np.array([n for t in tables for n, _ in t], dtype=object)
    prices = np.array([p for t in tables for _, p in t], dtype=np.int64)
    size = np.array([len(t) for t in tables], dtype=np.int64)
    return names, prices, np.cumsum(size) - size, size


def generate_recurring_payments(ctx: BlockContext) -> Batch | list[Any]:
    """0..4 standing debits per checking account (see the module docstring)."""
    customers, accounts = ctx.records("customer"), ctx.records("account")
    na = len(accounts)
    if len(customers) == 0 or na == 0:
        return []
    checking = np.flatnonzero(np.array([t == "CONTA_CORRENTE" for t in column(accounts, "account_type")]))
    counts = pick(RECURRING_COUNT_CDF, ctx.rng("count").random(checking.size))
    acc = np.repeat(checking, counts)
    m = acc.size
    if m == 0:
        return []
    cust_index = {cid: k for k, cid in enumerate(column(customers, "customer_id"))}
    owner_ids = object_column(accounts, "customer_id")
    owner = np.fromiter(map(cust_index.__getitem__, owner_ids[acc].tolist()), dtype=np.int64, count=m)
    u = ctx.rng("attrs").random((m, 7))
    kind = pick(RECURRING_TYPE_CDF, u[:, 0])
    income = int_column(customers, "monthly_income")[owner].astype(np.float64)
    names, prices, offset, size = _payee_tables()
    row = offset[kind] + (u[:, 1] * size[kind]).astype(np.int64)
    price = prices[row].astype(np.float64)
    w = u[:, 2]
    amount = np.select(
        [kind == 0, kind == 1, kind == 2],
        [price,  # subscriptions: the payee's price list
         np.maximum(np.rint(income * (0.02 + 0.06 * w)), 4000),  # utilities: 2..8% of the income, >= R$ 40
         np.maximum(np.rint(income * (0.20 + 0.15 * w) / 1000) * 1000, 30_000)],  # rent: 20..35%, whole R$ 10
        # insurance premiums: the product's base price scaled by income
        np.maximum(np.rint(price * (0.6 + 0.8 * w) * np.minimum(income / 500_000, 3.0)), price // 2),
    ).astype(np.int64)
    payee = names[row].tolist()
    freq = np.where(kind == 0, pick(SUBSCRIPTION_FREQUENCY_CDF, u[:, 3]), 0)
    day = (u[:, 4] * 28).astype(np.int64) + 1
    status = pick(STATUS_CDF, u[:, 5])
    as_of = ctx.run.as_of_ms
    acc_created = int_column(accounts, "created_at")[acc]
    created = BUSINESS_HOURS.sample(ctx.rng("created"), acc_created + HOUR_MS, as_of, m)
    created = np.minimum(created, as_of - 1)
    # paused or cancelled at least a month after creation when the history allows
    lo = np.minimum(created + 30 * DAY_MS, as_of - 1)
    ended = lo + (u[:, 6] * (as_of - lo)).astype(np.int64)
    updated = np.where(status == 0, -1, np.minimum(ended, as_of - 1))
    return Batch({
        "recurring_id": ctx.uuid_column(m),
        "account_id": object_column(accounts, "account_id")[acc].tolist(),
        "customer_id": owner_ids[acc].tolist(),
        "payment_type": _TYPES[kind].tolist(),
        "payee_name": payee,
        "amount": amount,
        "frequency": _FREQ[freq].tolist(),
        "day_of_month": day,
        "status": _STATUS[status].tolist(),
        "created_at": created,
        "updated_at": [None if x < 0 else x for x in updated.tolist()],
    })


# --- scheduled events ---------------------------------------------------------------------------


@dataclass
class Scheduled:
    """Events scheduled by payroll and recurring payments of a block, in flat arrays."""

    acc: np.ndarray  # account index in the block
    ts: np.ndarray
    amount: np.ndarray
    salary: np.ndarray  # bool: SALARY (credit) or AUTO_DEBIT (debit)
    link: np.ndarray  # index of the payroll / recurring payment in the block
    thirteenth: np.ndarray  # 0 monthly, 1 or 2: part of the 13th salary


def _month_days(first_day: np.ndarray, last_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each i, every month start (epoch day) from first_day[i]'s month to last_day[i]'s:
    (owner index, month start)."""
    m0 = first_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    m1 = last_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    n = np.maximum(m1 - m0 + 1, 0)
    owner = np.repeat(np.arange(first_day.size), n)
    month = np.repeat(m0, n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    return owner, month


def _month_start(month: np.ndarray) -> np.ndarray:
    return month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _day_in_month(month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Epoch day of ``day`` (1-based, clipped to the month's length) of each month number."""
    start = _month_start(month)
    length = _month_start(month + 1) - start
    return start + np.minimum(day, length) - 1


def id_column(records: Records, name: str) -> TextColumn:
    """Field ``name`` (an id) as a ``TextColumn``: a ``Batch``'s own, else built from the values."""
    stored = records.values(name) if isinstance(records, Batch) else None
    if isinstance(stored, TextColumn):
        return stored
    return TextColumn.from_strings(list(column(records, name)))


def scheduled_events(ctx: BlockContext, account_ids: list[str], window_start: np.ndarray,
                     window_end: np.ndarray) -> tuple[Scheduled, dict[str, Any]] | None:
    """SALARY and AUTO_DEBIT events of the block's payroll and recurring payments, inside each
    account's window ``[window_start, window_end)`` (its active life in the history); also their
    per-link tables (ids, names, keys)."""
    as_of = ctx.run.as_of_ms
    has_payroll, has_recurring = ctx.has("payroll"), ctx.has("recurring_payment")
    if not has_payroll and not has_recurring:
        return None
    acc_index = {a: i for i, a in enumerate(account_ids)}
    parts: list[Scheduled] = []
    tables: dict[str, Any] = {}
    if has_payroll and len(pay := ctx.records("payroll")):
        acc = np.fromiter(map(acc_index.__getitem__, column(pay, "account_id")), dtype=np.int64, count=len(pay))
        start = np.maximum(int_column(pay, "created_at"), window_start[acc])
        local_first = (start + LOCAL_OFFSET_MS) // DAY_MS
        local_last = (as_of - 1 + LOCAL_OFFSET_MS) // DAY_MS
        owner, month = _month_days(local_first, np.full(acc.size, local_last))
        pday = np.asarray(int_column(pay, "payment_day"))[owner]
        gross = int_column(pay, "gross_salary")[owner]
        net = int_column(pay, "net_salary")[owner]
        days = [roll_back_days(_day_in_month(month, pday))]
        amounts = [net]
        part = [np.zeros(owner.size, dtype=np.int64)]
        owners = [owner]
        calendar_month = month % 12
        for which, (m_of_year, dom) in enumerate(((10, 30), (11, 20)), start=1):  # November 30, December 20
            sel = np.flatnonzero(calendar_month == m_of_year)
            o = owner[sel]
            g = gross[sel]
            half = (g + 1) // 2
            if which == 1:
                amt = half
            else:
                inss = inss_cents(g)
                amt = g - half - inss - irrf_cents(g, inss)
            days.append(roll_back_days(_day_in_month(month[sel], np.full(sel.size, dom))))
            amounts.append(np.maximum(amt, 1))
            part.append(np.full(sel.size, which, dtype=np.int64))
            owners.append(o)
        o = np.concatenate(owners)
        day = np.concatenate(days)
        order = np.lexsort((day, o))  # in payroll order: a payroll's draws do not depend on the others
        o, day = o[order], day[order]
        # credited early in the morning: 06:00..09:00 local
        ts = day * DAY_MS - LOCAL_OFFSET_MS + 6 * HOUR_MS + (ctx.rng("salary-time").random(o.size)
                                                             * 3 * HOUR_MS).astype(np.int64)
        inside = (ts >= start[o]) & (ts < window_end[acc[o]])
        parts.append(Scheduled(acc[o][inside], ts[inside], np.concatenate(amounts)[order][inside],
                               np.ones(int(inside.sum()), dtype=bool), o[inside],
                               np.concatenate(part)[order][inside]))
        tables["payroll"] = (id_column(pay, "payroll_id"), list(column(pay, "employer_name")),
                             list(column(pay, "employer_cnpj")))
    if has_recurring and len(rec := ctx.records("recurring_payment")):
        acc = np.fromiter(map(acc_index.__getitem__, column(rec, "account_id")), dtype=np.int64, count=len(rec))
        created = int_column(rec, "created_at")
        updated = [as_of if x is None else x for x in column(rec, "updated_at")]
        end = np.minimum(np.array(updated, dtype=np.int64), window_end[acc])
        start = np.maximum(created, window_start[acc])
        local_first = (start + LOCAL_OFFSET_MS) // DAY_MS
        local_last = (end - 1 + LOCAL_OFFSET_MS) // DAY_MS
        owner, month = _month_days(local_first, np.maximum(local_last, local_first))
        dom = np.asarray(int_column(rec, "day_of_month"))
        freq = np.array([FREQUENCIES.index(f) for f in column(rec, "frequency")], dtype=np.int64)
        monthly_day = roll_forward_days(_day_in_month(month, dom[owner]))
        # weekly and biweekly: from the first scheduled day (day_of_month of the first month)
        # every 7 or 14 days
        monthly = freq[owner] == 0
        o_list, d_list = [owner[monthly]], [monthly_day[monthly]]
        periodic = np.flatnonzero(freq > 0)
        if periodic.size:
            first_month = local_first[periodic].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
            first = _day_in_month(first_month, dom[periodic])
            step = np.where(freq[periodic] == 1, 7, 14)
            k = np.maximum((local_last[periodic] - first) // step + 1, 0)
            rep = np.repeat(np.arange(periodic.size), k)
            nth = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
            o_list.append(periodic[rep])
            d_list.append(roll_forward_days(first[rep] + nth * step[rep]))
        o = np.concatenate(o_list)
        day = np.concatenate(d_list)
        order = np.lexsort((day, o))  # in recurring-payment order
        o, day = o[order], day[order]
        rng = ctx.rng("debit-time")
        ts = day * DAY_MS - LOCAL_OFFSET_MS + 7 * HOUR_MS + (rng.random(o.size) * 4 * HOUR_MS).astype(np.int64)
        inside = (ts >= start[o]) & (ts < end[o])
        o, ts = o[inside], ts[inside]
        base = int_column(rec, "amount")[o]
        utility = np.array([t == "UTILITY_BILL" for t in column(rec, "payment_type")], dtype=bool)[o]
        vary = 1.0 + UTILITY_BAND * (2.0 * ctx.rng("debit-amount").random(o.size) - 1.0)
        amount = np.where(utility, np.maximum(np.rint(base * vary), 100), base).astype(np.int64)
        parts.append(Scheduled(acc[o], ts, amount, np.zeros(o.size, dtype=bool), o, np.zeros(o.size, dtype=np.int64)))
        cnpj = payee_cnpjs(ctx.run.seed)
        payees = list(column(rec, "payee_name"))
        tables["recurring"] = (id_column(rec, "recurring_id"), payees, [cnpj[p] for p in payees])
    if not parts:
        return None
    out = Scheduled(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                      ("acc", "ts", "amount", "salary", "link", "thirteenth")))
    return out, tables

