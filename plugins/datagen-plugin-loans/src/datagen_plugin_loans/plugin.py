"""The loans pack's hook implementations (entry point ``loans`` in group ``datagen``)."""

from __future__ import annotations

from datagen_kernel import Option, Scenario, hookimpl
from datagen_plugin_loans.entities import ENTITIES, OPTIONS
from datagen_plugin_loans.generators import generate_installments, generate_loans, generate_properties
from datagen_plugin_loans.plan import PORTFOLIO
from datagen_plugin_loans.rules import RULES

LOAN_PORTFOLIO = Scenario(
    name=PORTFOLIO,
    doc="Customers, accounts and loans with their properties and full installment schedules.",
    options=(
        Option("loan_penetration", "float", 0.35, "Share of customers with a loan.", minimum=0.0, maximum=1.0),
        Option("default_rate", "float", 0.05, "Share of installments due 90+ days ago left unpaid (DEFAULT).",
               minimum=0.0, maximum=0.3),
    ),
    entities=("customer", "account", "property", "loan", "installment"),
)


@hookimpl
def datagen_register_entities(register) -> None:  # type: ignore[no-untyped-def]
    for spec in ENTITIES:
        register(spec)
    register.options("loans", OPTIONS, "Loans, their schedules and the properties backing housing loans.")


@hookimpl
def datagen_register_generators(register) -> None:  # type: ignore[no-untyped-def]
    register("property", generate_properties)
    register("loan", generate_loans)
    register("installment", generate_installments)


@hookimpl
def datagen_register_validators(register) -> None:  # type: ignore[no-untyped-def]
    for rule in RULES:
        register(rule)


@hookimpl
def datagen_register_scenarios(register) -> None:  # type: ignore[no-untyped-def]
    register(LOAN_PORTFOLIO)
