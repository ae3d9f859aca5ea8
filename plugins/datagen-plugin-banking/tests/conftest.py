"""Fixtures of the banking pack tests: a host with the pack and the json sink, a CLI runner,
and a 20,000-customer sample generated block by block like the engine does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import datagen_plugin_banking.plugin as banking_plugin
import datagen_plugin_json.plugin as json_plugin
import pytest
from click.testing import CliRunner, Result
from datagen_plugin_banking.entities import ACCOUNT, CUSTOMER, TRANSACTION
from datagen_plugin_banking.masters import generate_accounts, generate_customers
from datagen_plugin_banking.transactions import generate_transactions

from datagen_kernel import PluginHost, make_plugin_host
from datagen_kernel.cli import make_cli
from datagen_kernel.generation import BlockContext, RunInfo
from datagen_kernel.seeding import BLOCK_SIZE

SAMPLE_CUSTOMERS = 20_000


def banking_only_host(*extra: Any) -> PluginHost:
    """The banking pack and the json/console sinks, nothing else installed."""
    return make_plugin_host(entrypoints=False, plugins=[banking_plugin, json_plugin, *extra])


@pytest.fixture
def banking_cli() -> Callable[..., Result]:
    """``banking_cli(args, *plugins)`` runs the CLI with the banking pack (+ plugins)."""

    def invoke(args: Sequence[str], *extra: Any) -> Result:
        host = banking_only_host(*extra)
        return CliRunner().invoke(make_cli(lambda: host), list(args), catch_exceptions=False)

    return invoke


def generate_blocks(customers: int, seed: int = 42, scenario: str | None = None,
                    options: dict[str, dict[str, Any]] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every block of a run generated with the pack's generators, as the engine calls them."""
    opts = {"banking": {"history_days": 365, "transactions_per_year": 20.0}, "scenario": {"share": 0.05}}
    opts.update(options or {})
    run = RunInfo(seed=seed, root_count=customers, scenario=scenario, options=opts)
    out: dict[str, list[dict[str, Any]]] = {"customer": [], "account": [], "transaction": []}
    for b in range((customers + BLOCK_SIZE - 1) // BLOCK_SIZE):
        start, stop = b * BLOCK_SIZE, min((b + 1) * BLOCK_SIZE, customers)
        recs: dict[str, list[dict[str, Any]]] = {}
        for spec, fn in ((CUSTOMER, generate_customers), (ACCOUNT, generate_accounts),
                         (TRANSACTION, generate_transactions)):
            recs[spec.name] = fn(BlockContext(run, spec, b, start, stop, recs))
            out[spec.name].extend(recs[spec.name])
    return out


@pytest.fixture(scope="session")
def sample() -> dict[str, list[dict[str, Any]]]:
    """20,000 customers with their accounts and a year of transactions (seed 42)."""
    return generate_blocks(SAMPLE_CUSTOMERS)
