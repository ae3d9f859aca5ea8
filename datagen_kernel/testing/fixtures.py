"""The pytest fixtures of the testing kit: a fresh host, a plugin registered for one test, the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from click.testing import CliRunner, Result

from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host
from datagen_kernel.testing.venv import PluginVenv

# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def datagen_host() -> PluginHost:
    """A fresh plugin host holding only the kernel's built-ins (no installed plugin)."""
    return make_plugin_host(entrypoints=False)


@pytest.fixture
def datagen_register(datagen_host: PluginHost) -> Iterator[Callable[..., str]]:
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
def datagen_cli(datagen_host: PluginHost) -> Callable[..., Result]:
    """``datagen_cli(["run", "--count", "10"])`` runs the CLI against ``datagen_host``."""

    def invoke(args: Sequence[str], **kwargs: Any) -> Result:
        cli = make_cli(lambda: datagen_host)
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)

    return invoke


@pytest.fixture(scope="session")
def datagen_venv(tmp_path_factory: pytest.TempPathFactory) -> PluginVenv:
    """A session-wide ``PluginVenv``: ``datagen_venv.install(path)``, ``datagen_venv.datagen(...)``."""
    return PluginVenv(tmp_path_factory.mktemp("datagen-venv") / "venv")
