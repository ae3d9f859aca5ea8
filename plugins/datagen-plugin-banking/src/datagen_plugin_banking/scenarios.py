"""Scenarios of the banking pack: fraud-detection and customer-360."""

from __future__ import annotations

from datagen_kernel import EntitySpec, Option, Scenario
from datagen_plugin_banking.entities import FRAUD_FIELDS


def _with_fraud_fields(specs: dict[str, EntitySpec]) -> dict[str, EntitySpec]:
    out = dict(specs)
    if "transaction" in out:
        out["transaction"] = out["transaction"].with_fields(*FRAUD_FIELDS)
    return out


FRAUD_DETECTION = Scenario(
    name="fraud-detection",
    doc=(
        "Customers, accounts (with payroll, recurring payments and lifecycle events), transactions "
        "and their reversals, where a share "
        "of the events are labelled fraud "
        "(is_fraud, fraud_pattern): velocity bursts, amount anomalies, night withdrawals, large "
        "payments to new payees, round amounts, impossible geography (location_city/state)."
    ),
    options=(
        Option("share", "float", 0.05, "Share of transactions that are fraudulent (0..0.5).",
               minimum=0.0, maximum=0.5),
    ),
    entities=("customer", "account", "payroll", "recurring_payment", "transaction", "account_event", "reversal"),
    extend_entities=_with_fraud_fields,
)

CUSTOMER_360 = Scenario(
    name="customer-360",
    doc=(
        "Every product for every customer: each has a CONTA_CORRENTE and an INVESTIMENTOS "
        "account (and, with the other packs installed, a card, a loan, trades, an insurance "
        "policy, a fund position and a consórcio quota)."
    ),
)

SCENARIOS = (FRAUD_DETECTION, CUSTOMER_360)
