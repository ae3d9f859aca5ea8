"""Entry point of datagen-plugin-consorcio (``[project.entry-points.datagen] consorcio``)."""

from __future__ import annotations

from datagen_kernel import hookimpl
from datagen_kernel.api.registry import EntityRegister, ValidatorRegister
from datagen_plugin_consorcio.entities import CONSORTIUM, OPTIONS
from datagen_plugin_consorcio.generators import count_quotas, make_consortium
from datagen_plugin_consorcio.rules import RULES


@hookimpl
def datagen_register_entities(register: EntityRegister) -> None:
    register.rows(CONSORTIUM, make_consortium, per="customer", count=count_quotas)
    register.options("consorcio", OPTIONS, doc="Consórcio pack: how many customers hold a quota.")


@hookimpl
def datagen_register_validators(register: ValidatorRegister) -> None:
    for rule in RULES:
        register(rule)
