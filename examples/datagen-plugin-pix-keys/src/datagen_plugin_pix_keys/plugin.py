"""Entry point of datagen-plugin-pix-keys (``[project.entry-points.datagen] pix-keys = ...``)."""

from __future__ import annotations

from datagen_kernel.api import EntityRegister, GeneratorRegister, Option, ValidatorRegister, hookimpl
from datagen_plugin_pix_keys.keys import PIX_KEY, generate_pix_keys
from datagen_plugin_pix_keys.rules import RULES

OPTIONS = (
    Option("cpf_share", "float", 0.70, "Share of customers with a CPF key.", minimum=0.0, maximum=1.0),
    Option("phone_share", "float", 0.60, "Share of customers with a PHONE key.", minimum=0.0, maximum=1.0),
    Option("email_share", "float", 0.45, "Share of customers with an EMAIL key.", minimum=0.0, maximum=1.0),
    Option("evp_max", "int", 2, "Most random (EVP) keys per customer (0: 60%, 1: 30%, 2: 10%).",
           minimum=0, maximum=2),
)


@hookimpl
def datagen_register_entities(register: EntityRegister) -> None:
    register(PIX_KEY)
    register.options("pix", OPTIONS, "Pix keys: how many customers register each key type.")


@hookimpl
def datagen_register_generators(register: GeneratorRegister) -> None:
    register("pix_key", generate_pix_keys)


@hookimpl
def datagen_register_validators(register: ValidatorRegister) -> None:
    for rule in RULES:
        register(rule)
