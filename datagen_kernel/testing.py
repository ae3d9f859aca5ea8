"""Testing helpers for plugin authors, shipped as a pytest plugin (``-p datagen_kernel.testing``).

Fixtures: ``datagen_host`` (a fresh plugin host with only the kernel built-ins),
``datagen_register`` (register a plugin for one test), ``datagen_cli`` (invoke the CLI with
that host).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from click.testing import CliRunner, Result

from datagen_kernel.cli import make_cli
from datagen_kernel.plugins import PluginHost, make_plugin_host


@pytest.fixture
def datagen_host() -> PluginHost:
    """A fresh plugin host holding only the kernel's built-ins (no installed plugin)."""
    return make_plugin_host(entrypoints=False)


@pytest.fixture
def datagen_register(datagen_host: PluginHost) -> Iterator[Callable[[Any], str]]:
    """``datagen_register(plugin)`` registers a plugin on ``datagen_host`` for this test."""
    names: list[str] = []

    def register(plugin: Any, name: str | None = None) -> str:
        registered = datagen_host.register(plugin, name)
        names.append(registered)
        return registered

    yield register
    for name in names:
        if datagen_host.pm.has_plugin(name):
            datagen_host.unregister(name)


@pytest.fixture
def datagen_cli(datagen_host: PluginHost) -> Callable[[Sequence[str]], Result]:
    """``datagen_cli(["run", "--customers", "10"])`` runs the CLI against ``datagen_host``."""

    def invoke(args: Sequence[str], **kwargs: Any) -> Result:
        cli = make_cli(lambda: datagen_host)
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)

    return invoke
