"""Fixtures of the TUI tests: the installed plugins' catalog, a FAKE run launcher, the stack."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from datagen_plugin_tui.model import Catalog

from datagen_kernel.engine.plugins import make_plugin_host

HERE = Path(__file__).resolve().parent
FAKE_RUN = HERE / "fake_datagen_run.py"
FAKE_EVENTS = HERE / "fake_progress.jsonl"
_STACK = HERE.parents[2] / "tests" / "integration" / "conftest.py"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """What every installed plugin offers (the packs, json, kafka, avro, postgres...)."""
    return Catalog.load(make_plugin_host())


def fake_launcher(delay: float) -> Callable[[Sequence[str]], list[str]]:
    """Starts the FAKE run (recorded events, ``delay`` seconds apart) in place of ``datagen run``."""

    def launch(argv: Sequence[str]) -> list[str]:
        return [sys.executable, str(FAKE_RUN), str(FAKE_EVENTS), str(delay), *argv[1:]]

    return launch


def _stack_fixtures() -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("datagen_tui_stack_fixtures", _STACK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: getattr(module, name) for name in ("kafka_bootstrap", "schema_registry_url", "postgres_url")}


globals().update(_stack_fixtures())
