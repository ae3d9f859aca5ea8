"""Fixtures for kernel tests: a host with the toy pack and the json sink, and a CLI on it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).parent))

import toy_pack  # noqa: E402
from datagen_kernel.cli import make_cli  # noqa: E402
from datagen_kernel.plugins import PluginHost, make_plugin_host  # noqa: E402


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
