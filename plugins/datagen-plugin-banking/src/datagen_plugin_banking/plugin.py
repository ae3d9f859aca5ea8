"""The banking pack's hook implementations (entry point ``banking`` in group ``datagen``)."""

from __future__ import annotations

from datagen_kernel import hookimpl

from datagen_plugin_banking.entities import ACCOUNT, CUSTOMER
from datagen_plugin_banking.masters import generate_accounts, generate_customers


@hookimpl
def datagen_register_entities(register) -> None:  # type: ignore[no-untyped-def]
    register(CUSTOMER)
    register(ACCOUNT)


@hookimpl
def datagen_register_generators(register) -> None:  # type: ignore[no-untyped-def]
    register("customer", generate_customers)
    register("account", generate_accounts)
