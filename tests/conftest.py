"""Fixtures for kernel tests: a host with the toy pack and the json sink, and a CLI on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
import toy_pack
from click.testing import CliRunner, Result

from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host


def _json_plugin() -> Any:
    import datagen_plugin_json.plugin as plugin

    return plugin


@pytest.fixture
def toy_host() -> PluginHost:
    """Kernel built-ins + the toy pack + the json/console sinks; nothing else installed."""
    return make_plugin_host(entrypoints=False, plugins=[toy_pack, _json_plugin()])


@pytest.fixture
def toy_cli(toy_host: PluginHost) -> Callable[..., Result]:
    def invoke(args: Sequence[str], **kwargs: Any) -> Result:
        return CliRunner().invoke(make_cli(lambda: toy_host), list(args), **kwargs)

    return invoke
