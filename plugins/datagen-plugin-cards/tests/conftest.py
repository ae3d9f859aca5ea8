"""Fixtures of the cards pack tests: a host with banking + cards + json, block iteration, runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from datagen_kernel.cli import make_cli
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import RunParams, build_plan
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host

BlockIterator = Callable[..., Iterator[dict[str, list[dict[str, Any]]]]]


@pytest.fixture(scope="session")
def cards_host() -> PluginHost:
    """Kernel built-ins, the banking and cards packs and the json sink; nothing else."""
    import datagen_plugin_banking.plugin as banking
    import datagen_plugin_cards.plugin as cards
    import datagen_plugin_json.plugin as json_sink

    return make_plugin_host(entrypoints=False, plugins=[banking, cards, json_sink])


@pytest.fixture(scope="session")
def cards_blocks(cards_host: PluginHost) -> BlockIterator:
    """``cards_blocks(customers, entities, seed=..., scenario=..., options=[...])`` yields each
    block's in-memory records (parents included) without keeping earlier blocks."""

    def iterate(customers: int, entities: Sequence[str], seed: int = 11, scenario: str | None = None,
                options: Sequence[str] = ()) -> Iterator[dict[str, list[dict[str, Any]]]]:
        params = RunParams(root_count=customers, seed=seed, scenario=scenario,
                           sinks=("null:" + ",".join(entities),))
        plan = build_plan(cards_host, params, ConfigSources.build(list(options), environ={}))
        globals_ = plan.generate_globals()
        for block in range(plan.blocks):
            yield plan.generate_block(block, globals_)

    return iterate


@pytest.fixture(scope="session")
def cards_run(cards_host: PluginHost, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``cards_run(*args, sink="json")`` runs ``datagen run --sink SINK`` into a fresh directory."""

    def run(*args: str, sink: str = "json") -> Path:
        out = tmp_path_factory.mktemp("cards-run")
        result: Result = CliRunner().invoke(
            make_cli(lambda: cards_host), ["run", "--sink", sink, "-o", f"json.path={out}", *args]
        )
        assert result.exit_code == 0, result.output
        return out

    return run


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


@pytest.fixture(scope="session")
def jsonl() -> Callable[[Path], list[dict[str, Any]]]:
    return read_jsonl
