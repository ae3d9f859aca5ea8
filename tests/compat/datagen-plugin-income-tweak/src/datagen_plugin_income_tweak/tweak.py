"""A wrapper around the banking pack's customer generator.

It redraws ``monthly_income`` from our own log-normal (median and spread are options), keeps
``credit_score`` consistent with the new income (the catalog's formula, with the banking pack's
own noise term kept), and fills the ``social_class`` field this plugin adds to customer.
Everything generated from customers afterwards (account balances, transactions, cards) reads
the wrapped records, so it follows the new incomes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from datagen_kernel import (
    BlockContext,
    EntitySpec,
    Enum,
    Field,
    Generator,
    Lookup,
    Record,
    Rule,
    Violation,
)

MINIMUM_WAGE_CENTS = 151_800
"""R$ 1,518.00: the monthly minimum wage (2025), the income floor and the class unit."""

STATUS_FACTOR = {"EMPLOYED": 1.0, "SELF_EMPLOYED": 1.15, "RETIRED": 0.85, "UNEMPLOYED": 0.55}
"""Our assumption of how income varies with employment status (median multipliers)."""

SOCIAL_CLASS = Field(
    "social_class",
    Enum("A", "B", "C", "D", "E", name="SocialClass"),
    doc="Income bracket in minimum wages: A > 20, B 10-20, C 4-10, D 2-4, E up to 2.",
)
_BRACKETS = ((20, "A"), (10, "B"), (4, "C"), (2, "D"))


def social_class(income_cents: int) -> str:
    """The bracket of a monthly income (cents), in multiples of the minimum wage."""
    for wages, label in _BRACKETS:
        if income_cents > wages * MINIMUM_WAGE_CENTS:
            return label
    return "E"


def _score_income_part(cents: np.ndarray) -> np.ndarray:
    return np.minimum(cents / 100.0 / 50_000.0 * 400.0, 400.0)


def tweak_customers(ctx: BlockContext, inner: Generator) -> list[Record]:
    """``register.wrap("customer", tweak_customers)``: the banking pack's records, re-incomed."""
    customers = inner(ctx)
    if not customers:
        return customers
    options = ctx.options("income")
    median, sigma = float(options.get("median", 4500.0)), float(options.get("sigma", 0.9))
    factor = np.array([STATUS_FACTOR.get(c["employment_status"], 1.0) for c in customers])
    # our own stream: independent of the banking pack's draws, one array per block
    z = ctx.rng("income-tweak", "income").standard_normal(len(customers))
    new = np.maximum(np.rint(median * 100.0 * factor * np.exp(sigma * z)), MINIMUM_WAGE_CENTS).astype(np.int64)
    old = np.array([c["monthly_income"] for c in customers], dtype=np.float64)
    scores = np.array([c["credit_score"] for c in customers], dtype=np.float64)
    noise = scores - 300.0 - _score_income_part(old)
    new_scores = np.clip(300.0 + _score_income_part(new.astype(np.float64)) + noise, 300, 850).astype(np.int64)
    for customer, income, score in zip(customers, new.tolist(), new_scores.tolist(), strict=True):
        customer["monthly_income"] = income
        customer["credit_score"] = score
        customer["social_class"] = social_class(income)
    return customers


def _class_matches_income(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> list[Violation]:
    return [
        Violation(spec.name, r["customer_id"], "social_class", "social-class-matches-income",
                  f"{r['social_class']} does not fit a monthly income of {r['monthly_income']} cents")
        for r in records
        if r.get("social_class") != social_class(int(r["monthly_income"]))
    ]


CLASS_RULE = Rule("social-class-matches-income", "customer", _class_matches_income,
                  "social_class is the bracket of monthly_income in minimum wages.")
