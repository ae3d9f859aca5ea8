"""The income tweak, in-process with the banking pack: new distribution, new field, no fork."""

from __future__ import annotations

import statistics
from typing import Any

import datagen_plugin_banking.plugin as banking
import pytest
from datagen_plugin_income_tweak import plugin, social_class
from datagen_plugin_income_tweak.tweak import MINIMUM_WAGE_CENTS, STATUS_FACTOR

from datagen_kernel import PluginHost, make_plugin_host
from datagen_kernel.testing import generate_records

Data = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def tweaked_host() -> PluginHost:
    return make_plugin_host(entrypoints=False, plugins=[banking, plugin])


@pytest.fixture(scope="module")
def plain() -> Data:
    return generate_records(make_plugin_host(entrypoints=False, plugins=[banking]), customers=2000, seed=8)


@pytest.fixture(scope="module")
def tweaked(tweaked_host: PluginHost) -> Data:
    return generate_records(tweaked_host, customers=2000, seed=8)


def _median_base_income(data: Data) -> float:
    return statistics.median(c["monthly_income"] / 100 / STATUS_FACTOR[c["employment_status"]]
                             for c in data["customer"])


def test_customer_gains_social_class_after_the_banking_fields(tweaked_host: PluginHost) -> None:
    spec = tweaked_host.registry.entity_specs()["customer"]
    assert spec.field_names[-1] == "social_class"
    assert tweaked_host.registry.entities["customer"].value.field_names[-1] == "updated_at"  # banking's own spec


def test_income_follows_the_new_distribution(tweaked: Data, plain: Data) -> None:
    assert 4500 * 0.92 < _median_base_income(tweaked) < 4500 * 1.08
    assert _median_base_income(plain) < 3600  # the banking pack's own median is near 3,000
    assert min(c["monthly_income"] for c in tweaked["customer"]) >= MINIMUM_WAGE_CENTS


def test_option_moves_the_median(tweaked_host: PluginHost) -> None:
    rich = generate_records(tweaked_host, customers=2000, seed=8, options={"income.median": 9000, "income.sigma": 0.5})
    assert 9000 * 0.93 < _median_base_income(rich) < 9000 * 1.07


def test_dependent_fields_stay_consistent(tweaked: Data, plain: Data) -> None:
    for c in tweaked["customer"]:
        assert c["social_class"] == social_class(c["monthly_income"])
        income_part = min(c["monthly_income"] / 100 / 50_000 * 400, 400)
        assert 300 <= c["credit_score"] <= 850
        assert c["credit_score"] in (300, 850) or abs(c["credit_score"] - 300 - income_part) <= 51
    # accounts are generated from the wrapped customers: balances follow the higher incomes
    ratio = statistics.median(a["balance"] for a in tweaked["account"]) / statistics.median(
        a["balance"] for a in plain["account"])
    assert ratio > 1.2


def test_everything_else_is_the_banking_pack_unchanged(tweaked: Data, plain: Data) -> None:
    changed = {"monthly_income", "credit_score", "social_class"}
    for a, b in zip(tweaked["customer"], plain["customer"], strict=True):
        assert {k: v for k, v in a.items() if k not in changed} == {k: v for k, v in b.items() if k not in changed}
    assert [a["account_id"] for a in tweaked["account"]] == [a["account_id"] for a in plain["account"]]


def test_deterministic_and_prefix_stable(tweaked_host: PluginHost, tweaked: Data) -> None:
    small = generate_records(tweaked_host, customers=100, seed=8)
    assert small["customer"] == tweaked["customer"][:100]
