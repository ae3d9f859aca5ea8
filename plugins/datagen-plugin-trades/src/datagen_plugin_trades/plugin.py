"""Entry point of datagen-plugin-trades (``[project.entry-points.datagen] trades``)."""

from __future__ import annotations

from datagen_kernel import hookimpl
from datagen_kernel.api.registry import EntityRegister, GeneratorRegister, ValidatorRegister
from datagen_plugin_trades.entities import OPTIONS, STOCK, TRADE
from datagen_plugin_trades.generators import generate_stocks, generate_trades
from datagen_plugin_trades.rules import RULES


@hookimpl
def datagen_register_entities(register: EntityRegister) -> None:
    register(STOCK)
    register(TRADE)
    register.options("trades", OPTIONS, doc="Trades pack: volume and price behaviour.")


@hookimpl
def datagen_register_generators(register: GeneratorRegister) -> None:
    register("stock", generate_stocks)
    register("trade", generate_trades)


@hookimpl
def datagen_register_validators(register: ValidatorRegister) -> None:
    for rule in RULES:
        register(rule)
