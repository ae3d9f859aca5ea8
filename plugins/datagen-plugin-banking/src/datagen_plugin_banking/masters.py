"""Generators of the master entities: customer (root) and account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from datagen_kernel import Batch, BlockContext, Record, TextColumn, column
from datagen_plugin_banking.common import (
    BUSINESS_HOURS,
    DAY_MS,
    HOUR_MS,
    MINIMUM_WAGE_CENTS,
    MINUTE_MS,
    addresses_from_uniform,
    ascii_digits,
    cdf,
    emails_from_uniform,
    int_column,
    locations_from_uniform,
    names_from_uniform,
    phones_from_uniform,
    pick,
    strings_from_bytes,
    unique_cpfs,
)
from datagen_plugin_banking.entities import ACCOUNT_TYPES, EMPLOYMENT_STATUSES
from datagen_plugin_banking.lifecycle import DORMANT, lifecycle

CUSTOMER_HISTORY_DAYS = 3 * 365
"""Customers were created within this many days before the run's as-of instant."""

EMPLOYMENT_CDF = cdf([0.60, 0.20, 0.15, 0.05])
INCOME_MEDIAN = 3000.0
INCOME_SIGMA = 0.75
INCOME_FACTOR = np.array([1.0, 1.15, 0.85, 0.55])
"""Income multiplier by employment status (EMPLOYED, SELF_EMPLOYED, RETIRED, UNEMPLOYED)."""

_EMPLOYMENT = np.array(EMPLOYMENT_STATUSES, dtype=object)
_ACCOUNT_TYPES = np.array(ACCOUNT_TYPES, dtype=object)

ACCOUNTS_PER_CUSTOMER_CDF = cdf([0.50, 0.35, 0.15])
ACCOUNT_TYPE_CDF = cdf([0.70, 0.20, 0.10])

BANKS: tuple[tuple[str, str, str, float], ...] = (
    ("001", "Banco do Brasil", "00000000", 0.22),
    ("033", "Santander", "90400888", 0.13),
    ("104", "Caixa Econômica Federal", "00360305", 0.20),
    ("237", "Bradesco", "60746948", 0.17),
    ("341", "Itaú Unibanco", "60701190", 0.20),
    ("756", "Sicoob", "02038232", 0.08),
)
"""(COMPE code, name, ISPB, share of accounts)."""
BANK_CODES = tuple(b[0] for b in BANKS)
BANK_ISPB = {b[0]: b[2] for b in BANKS}
BANK_CDF = cdf([b[3] for b in BANKS])
_BANK_CODES = np.array(BANK_CODES, dtype=object)

BALANCE_MEDIAN_INCOMES = np.array([0.8, 3.0, 8.0])
"""Median balance in monthly incomes, by account type (corrente, poupança, investimentos)."""
BALANCE_SIGMA = 1.0

ACCOUNT_WEIGHTS = np.array([7, 6, 5, 4, 3, 2], dtype=np.int64)


def account_number_matrix(values: np.ndarray) -> np.ndarray:
    """``NNNNNN-D`` as an ``(n, 8)`` ASCII matrix: six digits and a mod-11 check digit
    (weights 7..2; 10 and 11 give 0)."""
    values = np.asarray(values, dtype=np.int64)
    digits = ascii_digits(values, 6)
    check = 11 - ((digits - 48) @ ACCOUNT_WEIGHTS) % 11
    check = np.where(check >= 10, 0, check)
    out = np.empty((values.size, 8), dtype=np.uint8)
    out[:, :6] = digits
    out[:, 6] = ord("-")
    out[:, 7] = check + 48
    return out


def account_numbers(values: np.ndarray) -> list[str]:
    """``NNNNNN-D`` strings (see ``account_number_matrix``)."""
    return strings_from_bytes(account_number_matrix(values))


def account_number_ok(text: str) -> bool:
    """Whether an account number has the ``NNNNNN-D`` form and a valid check digit."""
    if len(text) != 8 or not text.isascii() or text[6] != "-" or not text[:6].isdigit() or not text[7].isdigit():
        return False
    s = sum((ord(c) - 48) * w for c, w in zip(text[:6], (7, 6, 5, 4, 3, 2), strict=True))
    check = 11 - s % 11
    return int(text[7]) == (0 if check >= 10 else check)


def generate_customers(ctx: BlockContext) -> Batch | list[Record]:
    """Customers of one block of the root range (a columnar Batch)."""
    n = ctx.size
    if n <= 0:
        return []
    as_of = ctx.run.as_of_ms
    ids = ctx.uuid_column(n)
    cpfs = unique_cpfs(ctx.run.seed, np.arange(ctx.start, ctx.stop, dtype=np.int64))
    # one uniform draw for every categorical attribute (columns: names 0-4, email 5-7,
    # location 8-10, address 11-15, phone 16, status 17, score noise 18, created 19-21)
    u = ctx.rng("attrs").random((n, 22))
    z = ctx.rng("income").standard_normal(n)
    names = names_from_uniform(u[:, 0:5])
    emails = emails_from_uniform(u[:, 5:8], names)
    locations = locations_from_uniform(u[:, 8:11])
    addresses = addresses_from_uniform(u[:, 11:16], locations)
    phones = phones_from_uniform(u[:, 16], locations.ddd_code)
    status = pick(EMPLOYMENT_CDF, u[:, 17])
    income = INCOME_MEDIAN * np.exp(INCOME_SIGMA * z) * INCOME_FACTOR[status]
    income_cents = np.maximum(np.rint(income * 100.0), MINIMUM_WAGE_CENTS).astype(np.int64)
    reais = income_cents / 100.0
    score = np.clip(300.0 + np.minimum(reais / 50_000.0 * 400.0, 400.0) + (u[:, 18] * 100.0 - 50.0), 300.0, 850.0)
    created = BUSINESS_HOURS.from_uniform(u[:, 19:22], as_of - CUSTOMER_HISTORY_DAYS * DAY_MS, as_of - DAY_MS)
    return Batch({
        "customer_id": ids,
        "cpf": cpfs,
        "name": names.full,
        "email": emails,
        "phone": phones,
        "address": addresses,
        "monthly_income": income_cents,
        "employment_status": _EMPLOYMENT[status].tolist(),
        "credit_score": score.astype(np.int64),
        "created_at": np.asarray(created, dtype=np.int64),
        "updated_at": [None] * n,
    })


def generate_accounts(ctx: BlockContext) -> Batch | list[Record]:
    """Accounts of the block's customers: 1, 2 or 3 each (50/35/15%), in customer order (a Batch).

    Scenario ``customer-360``: every customer has at least a CONTA_CORRENTE and an
    INVESTIMENTOS account (first and second account), plus the usual random extras.
    """
    customers = ctx.records("customer")
    n = len(customers)
    if n == 0:
        return []
    full = ctx.run.scenario == "customer-360"
    counts = pick(ACCOUNTS_PER_CUSTOMER_CDF, ctx.rng("count").random(n)) + 1
    if full:
        counts = np.maximum(counts, 2)
    m = int(counts.sum())
    owner = np.repeat(np.arange(n), counts)
    rank = np.arange(m) - np.repeat(np.cumsum(counts) - counts, counts)
    a = ctx.rng("attrs").random((m, 4))
    types = pick(ACCOUNT_TYPE_CDF, a[:, 0])
    if full:
        types = np.where(rank == 0, 0, np.where(rank == 1, 2, types))
    banks = pick(BANK_CDF, a[:, 1])
    # fixed-width codes stay bytes (TextColumn) until some reader asks for strings
    branch = TextColumn(np.ascontiguousarray(ascii_digits((a[:, 2] * 4999).astype(np.int64) + 1, 4)))
    numbers = TextColumn(account_number_matrix((a[:, 3] * 999_999).astype(np.int64) + 1))
    income = int_column(customers, "monthly_income").astype(np.float64)[owner]
    z = ctx.rng("balance").standard_normal(m)
    balance = np.maximum(np.rint(income * BALANCE_MEDIAN_INCOMES[types] * np.exp(BALANCE_SIGMA * z)), 1000)
    cust_created = int_column(customers, "created_at")[owner]
    as_of = ctx.run.as_of_ms
    later = BUSINESS_HOURS.sample(ctx.rng("created"), cust_created + HOUR_MS, as_of, m)
    # the first account is opened with the customer: 1 minute to 2 days later
    first = cust_created + MINUTE_MS + (ctx.rng("first-open").random(m) * 2 * DAY_MS).astype(np.int64)
    created = np.minimum(np.where(rank == 0, first, later), as_of - 1)
    ids = ctx.uuid_column(m)
    life = lifecycle(ids.matrix, created, as_of)  # status as of the as-of: the last lifecycle event
    changed = life.last >= DORMANT
    return Batch({
        "account_id": ids,
        "customer_id": _take(customers, "customer_id", owner),
        "account_type": _ACCOUNT_TYPES[types].tolist(),
        "bank_code": _BANK_CODES[banks].tolist(),
        "branch": branch,
        "account_number": numbers,
        "balance": balance.astype(np.int64),
        "status": life.status(),
        "created_at": np.asarray(created, dtype=np.int64),
        "updated_at": [t if c else None for t, c in zip(life.last_at.tolist(), changed.tolist(), strict=True)],
    })


def _take(records: Sequence[Record], name: str, rows: np.ndarray) -> TextColumn | list[Any]:
    """Field ``name`` of ``records`` (a Batch or dicts) at ``rows``, as a column."""
    if isinstance(records, Batch):
        values = records.values(name)
        if isinstance(values, TextColumn):
            return values.take(rows)
    else:
        values = column(records, name)
    return np.array(values, dtype=object)[rows].tolist()  # type: ignore[no-any-return]

