"""Registers the ``poison`` transform and the ``data-quality`` scenario."""

from __future__ import annotations

from datagen_kernel.api import Scenario, ScenarioRegister, TransformRegister, hookimpl
from datagen_plugin_poison.poison import KINDS, POISON

DATA_QUALITY_RATES = {
    "duplicate": 0.02,
    "late": 0.01,
    "out_of_order": 0.02,
    "schema_evolution": 0.01,
    "nulls": 0.01,
    "malformed": 0.01,
    "orphan": 0.01,
    "extreme": 0.005,
    "timezone": 0.01,
    "correction": 0.01,
    "tombstone": 0.005,
    "encoding": 0.01,
}
"""The data-quality scenario's rate per kind (docs/poison-pills.md lists them)."""

assert set(DATA_QUALITY_RATES) == set(KINDS)

DATA_QUALITY = Scenario(
    "data-quality",
    "The default bank with every poison-pill kind at 0.5-2% of events, listed in a manifest "
    "(datagen transforms describe poison).",
    transforms=["poison"],
    transform_options={"poison": DATA_QUALITY_RATES},
)


@hookimpl
def datagen_register_transforms(register: TransformRegister) -> None:
    register(POISON)


@hookimpl
def datagen_register_scenarios(register: ScenarioRegister) -> None:
    register(DATA_QUALITY)
