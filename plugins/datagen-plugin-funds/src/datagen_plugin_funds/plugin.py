"""Entry point of datagen-plugin-funds (``[project.entry-points.datagen] funds``)."""

from __future__ import annotations

from datagen_kernel import hookimpl
from datagen_kernel.api.registry import EntityRegister, GeneratorRegister, ValidatorRegister
from datagen_plugin_funds.entities import FUND, FUND_POSITION, FUND_QUOTE, OPTIONS
from datagen_plugin_funds.generators import FUND_COUNT, count_positions, generate_quotes, make_fund, make_position
from datagen_plugin_funds.rules import RULES


@hookimpl
def datagen_register_entities(register: EntityRegister) -> None:
    register.rows(FUND, make_fund, count=FUND_COUNT)
    register.rows(FUND_POSITION, make_position, per="account", count=count_positions)
    register(FUND_QUOTE)
    register.options("funds", OPTIONS, doc="Funds pack: quote history and how many investment accounts hold funds.")


@hookimpl
def datagen_register_generators(register: GeneratorRegister) -> None:
    register("fund_quote", generate_quotes)


@hookimpl
def datagen_register_validators(register: ValidatorRegister) -> None:
    for rule in RULES:
        register(rule)
