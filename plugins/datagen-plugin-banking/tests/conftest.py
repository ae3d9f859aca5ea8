"""Fixtures of the banking pack tests: a host with the pack and the json sink, a CLI runner,
and a 20,000-customer sample generated block by block like the engine does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import datagen_plugin_banking.plugin as banking_plugin
import datagen_plugin_json.plugin as json_plugin
import pytest
from banking_blocks import generate_blocks
from click.testing import CliRunner, Result

from datagen_kernel import PluginHost, make_plugin_host
from datagen_kernel.cli import make_cli

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


@pytest.fixture(scope="session")
def sample() -> dict[str, list[dict[str, Any]]]:
    """20,000 customers with their accounts and a year of transactions (seed 42)."""
    return generate_blocks(SAMPLE_CUSTOMERS)
