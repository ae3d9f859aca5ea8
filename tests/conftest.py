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


@pytest.fixture(params=["native", "numpy"])
def json_writer_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with each of the json writer's two paths: the C helper (when the kernel was
    built with it) and the numpy one, which must write the same bytes."""
    from datagen_kernel.codecs import jsonlines

    if request.param == "native" and jsonlines._native is None:
        pytest.skip("the kernel was installed without the json writer's C helper")
    if request.param == "numpy":
        monkeypatch.setattr(jsonlines, "_native", None)
    return str(request.param)
