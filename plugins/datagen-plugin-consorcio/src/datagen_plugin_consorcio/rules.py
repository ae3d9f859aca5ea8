"""Data-quality rules of the consórcio pack (run on every block and by ``datagen validate``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence

from datagen_kernel import EntitySpec, Lookup, Record, Rule, RunInfo, Violation, as_rows
from datagen_plugin_consorcio.groups import ADMIN_FEE_BP, QUOTAS_PER_MONTH, TERMS, monthly_payment


def _v(spec: EntitySpec, r: Record, field: str, rule: str, message: str) -> Violation:
    return Violation(spec.name, r.get(spec.primary_key), field, rule, message)


def check_quota(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, run: RunInfo) -> Iterator[Violation]:
    today = run.as_of.astimezone(run.timezone).date()
    for r in as_rows(records):
        kind, term = r["consortium_type"], r["term_months"]
        expected = monthly_payment(r["total_value"], r["admin_fee_rate"], term)
        if r["monthly_payment"] != expected:
            yield _v(spec, r, "monthly_payment", "consortium-payment",
                     f"{r['monthly_payment']} cents != total x (1 + fee) / term = {expected}")
        if term not in TERMS[kind]:
            yield _v(spec, r, "term_months", "consortium-terms", f"{term} months is not a {kind} group's term")
        low, high = ADMIN_FEE_BP[kind]
        if not low <= r["admin_fee_rate"] <= high:
            yield _v(spec, r, "admin_fee_rate", "consortium-terms",
                     f"admin fee outside {low / 100}..{high / 100}% for {kind}")
        if not 1 <= r["quota_number"] <= QUOTAS_PER_MONTH * term:
            yield _v(spec, r, "quota_number", "consortium-group",
                     f"quota {r['quota_number']} outside the group's {QUOTAS_PER_MONTH * term} quotas")
        contemplated = r["status"] == "CONTEMPLATED"
        has_date, has_type = r["contemplation_date"] is not None, r["contemplation_type"] is not None
        if contemplated != has_date or contemplated != has_type:
            yield _v(spec, r, "contemplation_date", "consortium-contemplation",
                     "contemplation date and type are set exactly when the quota is CONTEMPLATED")
        if r["contemplation_date"] is not None and r["contemplation_date"] >= today:
            yield _v(spec, r, "contemplation_date", "consortium-contemplation", "contemplated after the as-of date")


def check_groups(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Quotas of one group: same type, term and fee; unique quota numbers; at most one DRAW
    and one BID per assembly (month)."""
    groups: dict[int, list[Record]] = {}
    for r in as_rows(records):
        groups.setdefault(r["group_number"], []).append(r)
    for number, quotas in groups.items():
        first = quotas[0]
        seen: set[int] = set()
        per_month: Counter[tuple[int, int, str]] = Counter()
        for r in quotas:
            if (r["consortium_type"], r["term_months"], r["admin_fee_rate"]) != \
                    (first["consortium_type"], first["term_months"], first["admin_fee_rate"]):
                yield _v(spec, r, "group_number", "consortium-group",
                         f"group {number} mixes types, terms or admin fees")
            if r["quota_number"] in seen:
                yield _v(spec, r, "quota_number", "consortium-group",
                         f"quota {r['quota_number']} twice in group {number}")
            seen.add(r["quota_number"])
            d: dt.date | None = r["contemplation_date"]
            if d is not None and r["contemplation_type"] is not None:
                key = (d.year, d.month, r["contemplation_type"])
                per_month[key] += 1
                if per_month[key] > 1:
                    yield _v(spec, r, "contemplation_type", "consortium-contemplations-per-month",
                             f"group {number} contemplated two quotas by {key[2]} in {d:%Y-%m}: "
                             f"one DRAW and one BID per assembly")
        if len(quotas) > QUOTAS_PER_MONTH * first["term_months"]:
            yield _v(spec, first, "group_number", "consortium-group", f"group {number} has more quotas than its size")


RULES = (
    Rule("consortium-terms", "consortium", check_quota,
         "monthly_payment = total x (1 + admin fee) / term (consortium-payment); term and fee fit the type; quota "
         "within the group's size; contemplation fields only when CONTEMPLATED, before the as-of."),
    Rule("consortium-groups", "consortium", check_groups,
         "Quotas unique in a group; a group's quotas share type, term and fee; at most one DRAW and one BID a month."),
)
