"""Entry point of datagen-plugin-income-tweak: extend + wrap the banking pack's customer."""

from __future__ import annotations

from datagen_kernel.api import EntityRegister, GeneratorRegister, Option, ValidatorRegister, hookimpl
from datagen_plugin_income_tweak.tweak import CLASS_RULE, SOCIAL_CLASS, tweak_customers

OPTIONS = (
    Option("median", "float", 4500.0, "Median monthly income of an employed customer, in reais.",
           minimum=1518.0, maximum=1_000_000.0),
    Option("sigma", "float", 0.9, "Spread of the log-normal (0.75 in the banking pack).", minimum=0.05, maximum=3.0),
)


@hookimpl
def datagen_register_entities(register: EntityRegister) -> None:
    register.extend("customer", SOCIAL_CLASS)
    register.options("income", OPTIONS, "Income tweak: the customer monthly_income distribution.")


@hookimpl
def datagen_register_generators(register: GeneratorRegister) -> None:
    register.wrap("customer", tweak_customers)


@hookimpl
def datagen_register_validators(register: ValidatorRegister) -> None:
    register(CLASS_RULE)
