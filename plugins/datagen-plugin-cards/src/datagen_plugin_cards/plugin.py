"""The cards pack's hook implementations (entry point ``cards`` in group ``datagen``)."""

from __future__ import annotations

from datagen_kernel import hookimpl
from datagen_plugin_cards.entities import ENTITIES, OPTIONS
from datagen_plugin_cards.generators import generate_card_transactions, generate_credit_cards
from datagen_plugin_cards.rules import RULES


@hookimpl
def datagen_register_entities(register) -> None:  # type: ignore[no-untyped-def]
    for spec in ENTITIES:
        register(spec)
    register.options("cards", OPTIONS, "Credit cards and card purchases.")


@hookimpl
def datagen_register_generators(register) -> None:  # type: ignore[no-untyped-def]
    register("credit_card", generate_credit_cards)
    register("card_transaction", generate_card_transactions)


@hookimpl
def datagen_register_validators(register) -> None:  # type: ignore[no-untyped-def]
    for rule in RULES:
        register(rule)
