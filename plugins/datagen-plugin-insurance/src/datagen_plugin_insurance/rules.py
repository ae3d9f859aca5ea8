"""Data-quality rules of the insurance pack (run on every block and by ``datagen validate``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from datagen_kernel import EntitySpec, Lookup, Record, Rule, RunInfo, Violation, as_rows
from datagen_plugin_insurance.entities import CLAIM_TYPES, UNDECIDED
from datagen_plugin_insurance.generators import AUTO_MIN_INCOME_CENTS, YEARLY_RATE, local_date, roll_forward
from datagen_plugin_insurance.insurers import NAMES

_DAY_MS = 86_400_000


def _v(spec: EntitySpec, r: Record, field: str, rule: str, message: str) -> Violation:
    return Violation(spec.name, r.get(spec.primary_key), field, rule, message)


def _today(run: RunInfo) -> dt.date:
    return run.as_of.astimezone(run.timezone).date()


def _midnight_ms(day: dt.date, run: RunInfo) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=run.timezone).timestamp() * 1000)


def check_policy(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, run: RunInfo) -> Iterator[Violation]:
    today = _today(run)
    for r in as_rows(records):
        kind, status, start, end = r["insurance_type"], r["status"], r["start_date"], r["end_date"]
        if not start <= end or start > today:
            yield _v(spec, r, "start_date", "policy-dates",
                     f"cover {start}..{end} must start by the as-of date {today}")
        if status in ("ACTIVE", "CLAIM_IN_PROGRESS") and not start <= today <= end:
            yield _v(spec, r, "status", "policy-status-dates", f"{status} but not in force on {today} ({start}..{end})")
        if status == "EXPIRED" and end >= today:
            yield _v(spec, r, "status", "policy-status-dates", f"EXPIRED but in force until {end} (as-of {today})")
        coverage, premium = r["coverage_amount"], r["premium_monthly"]
        low, high = YEARLY_RATE[kind]
        months = 1 if kind == "TRAVEL" else 12
        if coverage <= 0 or not coverage * low / months - 1 <= premium <= coverage * high / months + 1:
            yield _v(spec, r, "premium_monthly", "policy-premium",
                     f"{kind} premium {premium} cents for coverage {coverage}: outside {low:.2%}..{high:.2%} "
                     f"{'of the coverage' if kind == 'TRAVEL' else 'a year'}")
        if kind == "LIFE" and r["deductible"] != 0:
            yield _v(spec, r, "deductible", "policy-deductible", "a LIFE policy has no deductible")
        if not 0 <= r["deductible"] < max(coverage, 1):
            yield _v(spec, r, "deductible", "policy-deductible", "the deductible must be below the coverage")
        if r["insurer_name"] not in NAMES[kind]:
            yield _v(spec, r, "insurer_name", "policy-insurer",
                     f"{r['insurer_name']!r} does not sell {kind} insurance here")
        if r["property_id"] is not None and kind != "HOME":
            yield _v(spec, r, "property_id", "policy-property", f"a {kind} policy insures no property")
        customer = lookup.get("customer", r["customer_id"])
        if customer is not None:
            if kind == "AUTO" and customer["monthly_income"] < AUTO_MIN_INCOME_CENTS:
                yield _v(spec, r, "insurance_type", "policy-auto-income",
                         f"AUTO for a customer earning {customer['monthly_income'] / 100:.2f} a month "
                         f"(below R$ {AUTO_MIN_INCOME_CENTS / 100:.2f}: no car)")
            if start < local_date(customer["created_at"], run):
                yield _v(spec, r, "start_date", "policy-dates", "cover starts before the customer joined the bank")
        prop = lookup.get("property", r["property_id"]) if r["property_id"] is not None else None
        if prop is not None and coverage != prop["appraised_value"] // 100_000 * 100_000:
            yield _v(spec, r, "coverage_amount", "policy-property",
                     "a financed property's HOME policy covers its appraised value (whole reais thousands)")


def check_claim(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, run: RunInfo) -> Iterator[Violation]:
    for r in as_rows(records):
        status, claimed, approved = r["status"], r["claimed_amount"], r["approved_amount"]
        if claimed <= 0:
            yield _v(spec, r, "claimed_amount", "claim-amounts", "the claimed amount must be positive")
        if status in UNDECIDED and approved is not None:
            yield _v(spec, r, "approved_amount", "claim-amounts", f"{status}: nothing approved yet (null)")
        if status == "DENIED" and approved != 0:
            yield _v(spec, r, "approved_amount", "claim-amounts", "DENIED: approved amount 0")
        if status in ("APPROVED", "PAID") and (approved is None or not 0 < approved <= claimed):
            yield _v(spec, r, "approved_amount", "claim-amounts", f"{status}: approved must be in (0, claimed]")
        if r["opened_at"] >= run.as_of_ms:
            yield _v(spec, r, "opened_at", "claim-opened-in-validity", "opened after the as-of instant")
        policy = lookup.get("insurance_policy", r["policy_id"])
        if policy is None:
            continue
        if r["claim_type"] not in CLAIM_TYPES[policy["insurance_type"]]:
            yield _v(spec, r, "claim_type", "claim-type",
                     f"{r['claim_type']} is not a claim of a {policy['insurance_type']} policy")
        if claimed > policy["coverage_amount"]:
            yield _v(spec, r, "claimed_amount", "claim-amounts", "claims more than the policy's coverage")
        lo = _midnight_ms(policy["start_date"], run)
        hi = _midnight_ms(policy["end_date"] + dt.timedelta(days=1), run)
        if not lo <= r["opened_at"] < hi:
            yield _v(spec, r, "opened_at", "claim-opened-in-validity",
                     f"opened outside the policy's validity {policy['start_date']}..{policy['end_date']}")
        if status in UNDECIDED and policy["status"] != "CLAIM_IN_PROGRESS":
            yield _v(spec, r, "status", "claim-policy-status", f"an {status} claim on a {policy['status']} policy")


def check_premium(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, run: RunInfo) -> Iterator[Violation]:
    for r in as_rows(records):
        status, paid, due = r["status"], r["paid_at"], r["due_date"]
        if (paid is None) != (status in ("PENDING", "UNPAID")):
            yield _v(spec, r, "paid_at", "premium-payment", f"{status} with paid_at {paid}")
        if paid is not None:
            day = local_date(paid, run)
            settles = roll_forward(due)
            if paid >= run.as_of_ms:
                yield _v(spec, r, "paid_at", "premium-payment", "paid after the as-of instant")
            if status == "PAID" and not due <= day <= settles:
                yield _v(spec, r, "paid_at", "premium-payment", f"PAID on {day}, due {due} (settles {settles})")
            if status == "LATE" and not day > settles:
                yield _v(spec, r, "paid_at", "premium-payment", f"LATE but paid on {day}, due {due}")
        policy = lookup.get("insurance_policy", r["policy_id"])
        if policy is None:
            continue
        if r["amount"] != policy["premium_monthly"]:
            yield _v(spec, r, "amount", "premium-amount", "the amount is not the policy's premium")
        if not policy["start_date"] <= due <= policy["end_date"]:
            yield _v(spec, r, "due_date", "premium-amount", "due outside the policy's cover")
        if status == "UNPAID" and policy["status"] != "CANCELLED":
            yield _v(spec, r, "status", "premium-payment", "an UNPAID premium cancels its policy")
        account = lookup.get("account", r["account_id"])
        if account is not None and account["customer_id"] != policy["customer_id"]:
            yield _v(spec, r, "account_id", "premium-account", "the debited account is not the policy holder's")


RULES = (
    Rule("policy-terms", "insurance_policy", check_policy,
         "Status agrees with the dates and the as-of; premium within the type's rate of the coverage; no LIFE "
         "deductible; insurer sells the type; AUTO only from R$ 3,500 of income; HOME property coverage."),
    Rule("claim-terms", "insurance_claim", check_claim,
         "claim_type fits the policy type; claimed <= coverage; approved null until decided, <= claimed; opened "
         "inside the policy's validity; an undecided claim puts the policy in CLAIM_IN_PROGRESS."),
    Rule("premium-terms", "insurance_premium", check_premium,
         "amount = the policy's premium; due inside the cover; paid_at agrees with the status and the business-day "
         "calendar; the account is the policy holder's; UNPAID only on CANCELLED policies."),
)
