"""How many worker processes the dask executor's LocalCluster gets, and how --workers reaches it."""

from __future__ import annotations

import os
from typing import Any

import pytest
from click.testing import CliRunner
from datagen_plugin_dask.executor import DaskExecutor, cpu_cores

from datagen_kernel.cli import run as cli_run
from datagen_kernel.cli.app import make_cli
from datagen_kernel.engine.runplan import RunParams


def _executor(workers: int, given: bool) -> DaskExecutor:
    executor = DaskExecutor({option.name: option.default for option in DaskExecutor.options}, workers)
    executor.workers_given = given
    return executor


def test_cpu_cores_is_the_processes_affinity() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert cpu_cores() == expected


def test_without_workers_the_cluster_has_one_worker_per_core() -> None:
    assert _executor(1, given=False).cluster_workers() == cpu_cores()


@pytest.mark.parametrize("workers", [1, 3, 17])
def test_an_explicit_workers_count_is_kept(workers: int) -> None:
    assert _executor(workers, given=True).cluster_workers() == workers


def _params(monkeypatch: pytest.MonkeyPatch, *args: str) -> RunParams:
    seen: list[RunParams] = []

    def build_plan(host: Any, params: RunParams, sources: Any) -> Any:
        seen.append(params)
        raise SystemExit(0)

    monkeypatch.setattr(cli_run, "build_plan", build_plan)
    result = CliRunner().invoke(make_cli(), ["run", "--count", "10", *args])
    assert seen, result.output
    return seen[0]


def test_the_cli_says_whether_workers_was_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    not_given = _params(monkeypatch, "--executor", "dask")
    assert (not_given.workers, not_given.workers_given) == (1, False)
    given = _params(monkeypatch, "--executor", "dask", "--workers", "1")
    assert (given.workers, given.workers_given) == (1, True)
    config = tmp_path / "run.toml"
    config.write_text("[run]\nworkers = 3\n", encoding="utf-8")
    from_file = _params(monkeypatch, "--config", str(config))
    assert (from_file.workers, from_file.workers_given) == (3, True)
    assert RunParams().workers_given  # built in code: the number is what the caller asked for
