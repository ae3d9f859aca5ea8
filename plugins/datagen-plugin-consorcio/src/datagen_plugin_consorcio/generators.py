"""The consortium generator, one quota at a time (``register.rows`` per customer)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from datagen_kernel import BlockContext, Record
from datagen_kernel.api import Row
from datagen_plugin_consorcio.entities import CONSORTIUM_TYPES
from datagen_plugin_consorcio.groups import CREDIT_BRL, MEMBERS_PER_GROUP, QUOTAS_PER_MONTH, group, monthly_payment

TYPE_WEIGHTS = (0.50, 0.30, 0.20)
"""AUTO, IMOBILIARIO, SERVICOS."""
SECOND_QUOTA = 0.10
LEAVE_SHARE = 0.10
"""Share of members who stop paying (excluded) at some assembly of their group."""
FULL = "customer-360"


class _Members:
    """Members of each type seen so far in the block (make is called in customer order)."""

    def __init__(self, ctx: BlockContext) -> None:
        self.context = ctx
        self.count = dict.fromkeys(CONSORTIUM_TYPES, 0)


_BLOCK: list[_Members] = []


def _members(row: Row) -> _Members:
    ctx = row.context
    if not _BLOCK or _BLOCK[0].context is not ctx:
        _BLOCK[:] = [_Members(ctx)]
    return _BLOCK[0]


def count_quotas(customer: Record, row: Row) -> int:
    if row.run.scenario != FULL and not row.chance(float(row.options("consorcio").get("penetration", 0.08))):
        return 0
    return 1 + int(row.chance(SECOND_QUOTA))


def make_consortium(customer: Record, row: Row) -> dict[str, Any]:
    kind = row.choice(CONSORTIUM_TYPES, TYPE_WEIGHTS)
    members = _members(row)
    k = members.count[kind]
    members.count[kind] = k + 1
    ctx = row.context
    block = ctx.block if ctx.block is not None else -1
    today = row.today
    g = group(row.run.seed, block, kind, k // MEMBERS_PER_GROUP, today.replace(day=1))
    quota = int(g.quotas[k % MEMBERS_PER_GROUP])
    low, high = CREDIT_BRL[kind]
    total = 100_000 * round((low + (high - low) * row.random.random()) / 1000)  # whole R$ 1,000, in cents
    fee_units = g.fee_bp  # hundredths of a percent = units of 10^-4
    held = g.held(today)
    assembly = int(g.slot_of[quota]) // QUOTAS_PER_MONTH
    status, how = "ACTIVE", None
    date: dt.date | None = None
    leaves_at = int(row.random.random() * max(held, 1)) if row.chance(LEAVE_SHARE) and held > 0 else None
    if leaves_at is not None and leaves_at <= assembly:
        status = "NOT_CONTEMPLATED" if held >= g.term else "CANCELLED"
    elif assembly < held:
        status = "CONTEMPLATED"
        date = g.assembly_date(assembly)
        how = "DRAW" if int(g.slot_of[quota]) % QUOTAS_PER_MONTH == 0 else "BID"
    return {
        "consortium_type": kind,
        "group_number": g.number,
        "quota_number": quota,
        "total_value": total,
        "monthly_payment": monthly_payment(total, fee_units, g.term),
        "term_months": g.term,
        "admin_fee_rate": fee_units,
        "status": status,
        "contemplation_date": date,
        "contemplation_type": how,
    }
