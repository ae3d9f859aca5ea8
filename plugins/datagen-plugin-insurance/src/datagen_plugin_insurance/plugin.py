"""Entry point of datagen-plugin-insurance (``[project.entry-points.datagen] insurance``)."""

from __future__ import annotations

from datagen_kernel import Option, Scenario, hookimpl
from datagen_kernel.api.registry import EntityRegister, ScenarioRegister, ValidatorRegister
from datagen_plugin_insurance.entities import INSURANCE_CLAIM, INSURANCE_POLICY, INSURANCE_PREMIUM, OPTIONS
from datagen_plugin_insurance.generators import (
    PORTFOLIO,
    count_claims,
    count_policies,
    count_premiums,
    make_claim,
    make_policy,
    make_premium,
)
from datagen_plugin_insurance.rules import RULES

INSURANCE_PORTFOLIO = Scenario(
    name=PORTFOLIO,
    doc="Customers, accounts and their insurance: policies (HOME of financed properties), claims and premium debits.",
    options=(
        Option("penetration", "float", 0.8, "Share of customers with at least one policy.", minimum=0.0, maximum=1.0),
    ),
    entities=("customer", "account", "property", "insurance_policy", "insurance_claim", "insurance_premium"),
)


@hookimpl
def datagen_register_entities(register: EntityRegister) -> None:
    register.rows(INSURANCE_POLICY, make_policy, per="customer", count=count_policies)
    register.rows(INSURANCE_CLAIM, make_claim, per="insurance_policy", count=count_claims)
    register.rows(INSURANCE_PREMIUM, make_premium, per="insurance_policy", count=count_premiums)
    register.options("insurance", OPTIONS, doc="Insurance pack: how many customers hold a policy.")


@hookimpl
def datagen_register_validators(register: ValidatorRegister) -> None:
    for rule in RULES:
        register(rule)


@hookimpl
def datagen_register_scenarios(register: ScenarioRegister) -> None:
    register(INSURANCE_PORTFOLIO)
