"""Generators of the insurance pack, one record at a time (``register.rows``).

``insurance_policy`` is made per customer, ``insurance_claim`` and ``insurance_premium`` per
policy. Which customers have a housing loan (and which property it finances) comes from the
loans pack's block plan (``datagen_plugin_loans.plan.loan_plan``), a pure function of the seed
and the block, so policies agree with the loans without seeing them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from datagen_plugin_banking import bankcalendar
from datagen_plugin_loans.plan import HOUSING, loan_plan, loan_settings

from datagen_kernel import BlockContext, Record, RunInfo, as_rows
from datagen_kernel.api import Row
from datagen_plugin_insurance.entities import CLAIM_TYPES, INSURANCE_TYPES
from datagen_plugin_insurance.insurers import NAMES, WEIGHTS

PORTFOLIO = "insurance-portfolio"
FULL = "customer-360"
AUTO_MIN_INCOME_CENTS = 350_000
"""AUTO policies only for customers earning at least R$ 3,500 a month (can keep a car)."""
EXTRA_POLICIES = ((0, 1, 2), (0.70, 0.22, 0.08))
"""An insured customer has 1 + this many policies (besides the HOME policy of a housing loan)."""
TYPE_WEIGHTS = {"AUTO": 40.0, "LIFE": 35.0, "HOME": 15.0, "TRAVEL": 10.0}
YEARLY_RATE = {  # premium a year / coverage, inclusive band (TRAVEL: the trip's single premium / coverage)
    "AUTO": (0.030, 0.060),
    "LIFE": (0.0015, 0.0060),
    "HOME": (0.0005, 0.0020),
    "TRAVEL": (0.0005, 0.0020),
}
DEDUCTIBLE_SHARE = {"AUTO": (0.03, 0.08), "HOME": (0.005, 0.01), "LIFE": (0.0, 0.0), "TRAVEL": (0.0, 0.0)}
CANCELLED_SHARE = 0.06
IN_PROGRESS_SHARE = {"AUTO": 0.06, "HOME": 0.03, "LIFE": 0.01, "TRAVEL": 0.03}
"""Share of policies in force with an undecided claim (status CLAIM_IN_PROGRESS)."""
CLAIM_RATE = {"AUTO": 0.12, "HOME": 0.05, "LIFE": 0.01, "TRAVEL": 0.05}
"""Chance that a policy not in CLAIM_IN_PROGRESS has had a (decided) claim; a fifth of those two."""
CLAIM_TYPE_WEIGHTS = {
    "AUTO": (0.70, 0.15, 0.15), "HOME": (0.10, 0.60, 0.30), "LIFE": (0.40, 0.60), "TRAVEL": (0.60, 0.25, 0.15),
}
CLAIM_SHARE = {  # claimed amount / coverage band per claim type (amounts in BRL where noted)
    "COLLISION": (0.02, 0.40), "THEFT": (1.0, 1.0), "GLASS": (0.002, 0.02),
    "FIRE": (0.05, 0.60), "WATER_DAMAGE": (0.005, 0.05), "HOME_THEFT": (0.01, 0.10),
    "DEATH": (1.0, 1.0), "DISABILITY": (0.25, 1.0),
    "MEDICAL": (0.005, 0.20), "BAGGAGE_LOSS": (0.005, 0.03), "CANCELLATION": (0.01, 0.05),
}
DECIDED = (("APPROVED", "PAID", "DENIED"), (0.15, 0.60, 0.25))
PREMIUM_LATE_SHARE = 0.05
_EPOCH = dt.date(1970, 1, 1)
_DAY_MS = 86_400_000


@functools.lru_cache(maxsize=4096)
def roll_forward(day: dt.date) -> dt.date:
    """The banking calendar's ``roll_forward`` (the day, or the next business day), memoized."""
    return bankcalendar.roll_forward(day)


@functools.lru_cache(maxsize=65536)
def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_date(ms: int, run: RunInfo) -> dt.date:
    offset = run.timezone.utcoffset(None)
    offset_ms = 0 if offset is None else offset // dt.timedelta(milliseconds=1)
    return _EPOCH + dt.timedelta(days=(ms + offset_ms) // _DAY_MS)


def penetration(run: RunInfo) -> float:
    """Share of customers with a policy: insurance-portfolio's option, else the pack's."""
    if run.scenario == PORTFOLIO:
        return float(run.options_for("scenario").get("penetration", 0.8))
    return float(run.options_for("insurance").get("penetration", 0.35))


# --- what a block knows about its customers --------------------------------------------------

class BlockFacts:
    """Per block, computed on first use: the property of each customer's housing loan (for
    policies, which reference ``property``) and the account premiums debit (for premiums,
    which reference ``account``)."""

    def __init__(self, ctx: BlockContext) -> None:
        self.context = ctx

    @functools.cached_property
    def housing(self) -> dict[str, Record]:
        ctx = self.context
        found: dict[str, Record] = {}
        properties = as_rows(ctx.records("property")) if ctx.has("property") else []
        if properties:
            customers = as_rows(ctx.records("customer"))
            plan = loan_plan(ctx.run.seed, ctx.block if ctx.block is not None else -1, ctx.size,
                             loan_settings(ctx.run).penetration)
            borrowers = plan.borrower[plan.loan_type == HOUSING].tolist()
            for position, prop in zip(borrowers, properties, strict=True):
                found[customers[position]["customer_id"]] = prop
        return found

    @functools.cached_property
    def accounts(self) -> dict[str, tuple[str, str]]:
        """customer_id -> (account_id, account_type): the first CONTA_CORRENTE, else the first account."""
        found: dict[str, tuple[str, str]] = {}
        for acc in as_rows(self.context.records("account")):
            owner = acc["customer_id"]
            if owner not in found or (acc["account_type"] == "CONTA_CORRENTE" and found[owner][1] != "CONTA_CORRENTE"):
                found[owner] = (acc["account_id"], acc["account_type"])
        return found


_FACTS: list[BlockFacts] = []


def facts(row: Row) -> BlockFacts:
    """The block's facts, computed on the block's first call (one block at a time per process)."""
    ctx = row.context
    if not _FACTS or _FACTS[0].context is not ctx:
        _FACTS[:] = [BlockFacts(ctx)]
    return _FACTS[0]


# --- insurance_policy ------------------------------------------------------------------------

def count_policies(customer: Record, row: Row) -> int:
    """The HOME policy of a housing loan's property, plus 1..3 policies for insured customers."""
    if customer["customer_id"] in facts(row).housing:
        return 1 + int(row.choice(*EXTRA_POLICIES))
    if row.run.scenario == FULL or row.chance(penetration(row.run)):
        return 1 + int(row.choice(*EXTRA_POLICIES))
    return 0


def _start(customer: Record, row: Row) -> dt.date:
    joined = local_date(customer["created_at"], row.run)
    today = row.today
    if row.chance(0.6):  # most policies were taken or renewed within the last year
        lo, hi = today - dt.timedelta(days=364), today
    else:
        lo, hi = today - dt.timedelta(days=3 * 365), today - dt.timedelta(days=365)
    lo = max(lo, joined)
    return row.date_between(lo, max(lo, hi))


def make_policy(customer: Record, row: Row) -> dict[str, Any]:
    prop = facts(row).housing.get(customer["customer_id"]) if row.index == 0 else None
    if prop is not None:
        kind = "HOME"
    else:
        eligible = [t for t in INSURANCE_TYPES if t != "AUTO" or customer["monthly_income"] >= AUTO_MIN_INCOME_CENTS]
        kind = row.choice(eligible, [TYPE_WEIGHTS[t] for t in eligible])
    income = customer["monthly_income"]
    if kind == "HOME":
        coverage = prop["appraised_value"] if prop is not None else \
            min(max(income * round(60 + 140 * row.random.random()), 10_000_000), 200_000_000)
    elif kind == "AUTO":
        coverage = min(max(round(income * (8 + 16 * row.random.random())), 2_500_000), 35_000_000)
    elif kind == "LIFE":
        coverage = min(max(round(income * (20 + 80 * row.random.random())), 3_000_000), 300_000_000)
    else:
        coverage = 100 * row.choice((150_000, 200_000, 300_000, 500_000))
    coverage = coverage // 100_000 * 100_000 or 100_000  # whole R$ 1,000
    low, high = YEARLY_RATE[kind]
    rate = low + (high - low) * row.random.random()
    premium = max(1, round(coverage * rate / (1 if kind == "TRAVEL" else 12)))
    d_low, d_high = DEDUCTIBLE_SHARE[kind]
    deductible = round(coverage * (d_low + (d_high - d_low) * row.random.random()) / 100) * 100
    start = _start(customer, row)
    end = start + dt.timedelta(days=3 + int(row.random.random() * 28)) if kind == "TRAVEL" else \
        add_months(start, 12) - dt.timedelta(days=1)
    if row.chance(CANCELLED_SHARE):
        status = "CANCELLED"
    elif end < row.today:
        status = "EXPIRED"
    elif row.chance(IN_PROGRESS_SHARE[kind]):
        status = "CLAIM_IN_PROGRESS"
    else:
        status = "ACTIVE"
    return {
        "insurance_type": kind,
        "insurer_name": row.choice(NAMES[kind], WEIGHTS[kind]),
        "premium_monthly": premium,
        "coverage_amount": coverage,
        "deductible": deductible,
        "start_date": start,
        "end_date": end,
        "status": status,
        "property_id": prop["property_id"] if prop is not None else None,
    }


# --- insurance_claim -------------------------------------------------------------------------

def validity_ms(policy: Record, row: Row) -> tuple[int, int]:
    """[first instant of cover, min(end of the last day, as-of)) in epoch milliseconds."""
    lo = row.timestamp(policy["start_date"])
    hi = min(row.timestamp(policy["end_date"] + dt.timedelta(days=1)), row.as_of_ms)
    return lo, hi


def count_claims(policy: Record, row: Row) -> int:
    lo, hi = validity_ms(policy, row)
    if hi <= lo:
        return 0
    if policy["status"] == "CLAIM_IN_PROGRESS":
        return 1 + int(row.chance(0.1))
    rate = CLAIM_RATE[policy["insurance_type"]]
    if row.chance(rate):
        return 1 + int(row.chance(0.2))
    return 0


def make_claim(policy: Record, row: Row) -> dict[str, Any]:
    kind = policy["insurance_type"]
    claim_type = row.choice(CLAIM_TYPES[kind], CLAIM_TYPE_WEIGHTS[kind])
    share = CLAIM_SHARE["HOME_THEFT" if kind == "HOME" and claim_type == "THEFT" else claim_type]
    coverage = policy["coverage_amount"]
    claimed = max(100, min(coverage, round(coverage * (share[0] + (share[1] - share[0]) * row.random.random()))))
    lo, hi = validity_ms(policy, row)
    undecided = policy["status"] == "CLAIM_IN_PROGRESS" and row.index == 0
    if undecided:  # opened in the last 60 days of the validity window
        opened = row.timestamp_between(max(lo, hi - 60 * _DAY_MS), hi)
        status = row.choice(("OPEN", "UNDER_REVIEW"), (0.4, 0.6))
        approved = None
    else:
        opened = row.timestamp_between(lo, hi)
        status = row.choice(*DECIDED)
        approved = 0 if status == "DENIED" else round(claimed * (0.5 + 0.5 * row.random.random()))
    return {
        "claim_type": claim_type,
        "claimed_amount": claimed,
        "approved_amount": approved,
        "status": status,
        "opened_at": opened,
    }


# --- insurance_premium -----------------------------------------------------------------------

def cancelled_at_premium(policy: Record) -> int:
    """For a CANCELLED policy: the premium (0..11) whose non-payment cancelled it."""
    return int(policy["policy_id"][:8], 16) % 12


def premium_dates(policy: Record, today: dt.date) -> list[dt.date]:
    """Due dates of the premiums generated: past ones, and the next one for a policy in force."""
    if _LAST_DATES and _LAST_DATES[0] is policy and _LAST_DATES[1] == today:  # once per premium of a policy
        return _LAST_DATES[2]  # type: ignore[no-any-return]
    if policy["insurance_type"] == "TRAVEL":
        dues = [policy["start_date"]]
    else:
        dues = [add_months(policy["start_date"], k) for k in range(12)]
    past = [d for d in dues if d < today]
    if policy["status"] == "CANCELLED":
        found = past[: cancelled_at_premium(policy) + 1]
    elif policy["status"] in ("ACTIVE", "CLAIM_IN_PROGRESS") and len(past) < len(dues):
        found = [*past, dues[len(past)]]
    else:
        found = past
    _LAST_DATES[:] = [policy, today, found]
    return found


_LAST_DATES: list[Any] = []


def count_premiums(policy: Record, row: Row) -> int:
    if policy["customer_id"] not in facts(row).accounts:
        return 0
    return len(premium_dates(policy, row.today))


def make_premium(policy: Record, row: Row) -> dict[str, Any]:
    dues: Sequence[dt.date] = premium_dates(policy, row.today)
    due = dues[row.index]
    account = facts(row).accounts[policy["customer_id"]][0]
    status, paid = "PENDING", None
    last_of_cancelled = policy["status"] == "CANCELLED" and row.index == cancelled_at_premium(policy)
    if last_of_cancelled and due < row.today:
        status = "UNPAID"
    elif due < row.today:
        late = row.chance(PREMIUM_LATE_SHARE)
        day = roll_forward(due)
        if late:
            day = day + dt.timedelta(days=1 + int(row.random.random() * 20))
        instant = row.timestamp(day) + 6 * 3_600_000 + int(row.random.random() * 4 * 3_600_000)  # 06:00-10:00
        if instant < row.as_of_ms:
            status, paid = ("LATE" if late else "PAID"), instant
    return {
        "account_id": account,
        "due_date": due,
        "amount": policy["premium_monthly"],
        "paid_at": paid,
        "status": status,
    }
