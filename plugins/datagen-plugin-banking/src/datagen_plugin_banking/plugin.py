"""The banking pack's hook implementations (entry point ``banking`` in group ``datagen``)."""

from __future__ import annotations

from datetime import datetime

from datagen_kernel.api import DomainDefaults, Option, hookimpl
from datagen_plugin_banking.common import SAO_PAULO
from datagen_plugin_banking.entities import ENTITIES
from datagen_plugin_banking.lifecycle import generate_account_events
from datagen_plugin_banking.masters import generate_accounts, generate_customers
from datagen_plugin_banking.payroll import generate_payroll, generate_recurring_payments
from datagen_plugin_banking.reversals import generate_reversals
from datagen_plugin_banking.scenarios import SCENARIOS
from datagen_plugin_banking.transactions import (
    DEFAULT_HISTORY_DAYS,
    DEFAULT_P2P_PER_YEAR,
    DEFAULT_PER_YEAR,
    generate_transactions,
)
from datagen_plugin_banking.validators import RULES

OPTIONS = (
    Option("history_days", "int", DEFAULT_HISTORY_DAYS,
           "Days of transaction history before the as-of instant.", minimum=1, maximum=3650),
    Option("transactions_per_year", "float", DEFAULT_PER_YEAR,
           "Mean transactions per customer per year of history (fewer for newer customers).",
           minimum=0.0, maximum=10_000.0),
    Option("p2p_per_year", "float", DEFAULT_P2P_PER_YEAR,
           "Mean Pix payments per customer per year to other customers of the dataset (0: none).",
           minimum=0.0, maximum=100.0),
)

DOMAIN = DomainDefaults(
    count_flag="customers", timezone=SAO_PAULO, as_of=datetime(2026, 1, 1, tzinfo=SAO_PAULO),
    # the bank calendar covers 1970..2099: room for the longest history before the as-of
    # (customers, up to ten years of transactions, fund quotes) and the schedules after it
    as_of_range=(datetime(1990, 1, 1, tzinfo=SAO_PAULO), datetime(2089, 12, 31, 23, 59, 59, tzinfo=SAO_PAULO)),
)
"""The bank's defaults: ``--customers N``, Sao Paulo time, history up to 2026-01-01 00:00 there."""


@hookimpl
def datagen_register_entities(register) -> None:  # type: ignore[no-untyped-def]
    for spec in ENTITIES:
        register(spec)
    register.options("banking", OPTIONS, "Banking pack: transaction history and volume.")
    register.domain(DOMAIN)


@hookimpl
def datagen_register_generators(register) -> None:  # type: ignore[no-untyped-def]
    register("customer", generate_customers)
    register("account", generate_accounts)
    register("payroll", generate_payroll)
    register("recurring_payment", generate_recurring_payments)
    register("transaction", generate_transactions)
    register("account_event", generate_account_events)
    register("reversal", generate_reversals)


@hookimpl
def datagen_register_validators(register) -> None:  # type: ignore[no-untyped-def]
    for rule in RULES:
        register(rule)


@hookimpl
def datagen_register_scenarios(register) -> None:  # type: ignore[no-untyped-def]
    for scenario in SCENARIOS:
        register(scenario)
