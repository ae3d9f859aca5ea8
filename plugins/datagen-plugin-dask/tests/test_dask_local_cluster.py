"""The dask executor against real processes: a LocalCluster of 2 single-threaded worker
processes for the whole module, the real stack for kafka-avro and postgres.

Each test compares with ``--executor local --workers 2``: json files byte-identical, Kafka
topics and PostgreSQL tables holding exactly the local run's records. A worker is killed with
SIGKILL in the middle of a block through the test hook ``DATAGEN_DASK_TEST_KILL`` (a file
naming the phase and block; the first worker reaching it takes the file and kills itself).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from dasktest_support import (
    datagen,
    delete_topics,
    drop_schema,
    environment,
    read_dir,
    read_topics,
    same_events,
    tables,
    unique,
)
from datagen_plugin_dask.worker import KILL_HOOK

CUSTOMERS = "2600"  # 6 blocks: more than the window of 4 (2 workers x 2)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(scheduler address, kill-hook file) of a LocalCluster of 2 single-threaded processes."""
    from distributed import LocalCluster

    hook = tmp_path_factory.mktemp("hook") / "kill"
    with environment(**{KILL_HOOK: str(hook)}), LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as local:
        yield local.scheduler_address, hook


def _kill_at(hook: Path, phase: str, block: int) -> None:
    hook.write_text(f"{phase} {block}\n", encoding="utf-8")
    hook.with_name(hook.name + ".taken").unlink(missing_ok=True)


def _killed(hook: Path) -> bool:
    return hook.with_name(hook.name + ".taken").exists() and not hook.exists()


def test_json_is_byte_identical_to_the_local_executor(cluster: tuple[str, Path], tmp_path: Path) -> None:
    address, _ = cluster
    args = ["run", "-q", "--customers", CUSTOMERS, "--seed", "21", "--sink", "json"]
    datagen(*args, "-o", f"json.path={tmp_path / 'local'}", "--workers", "2")
    datagen(*args, "-o", f"json.path={tmp_path / 'dask'}", "--executor", "dask", "-o", f"dask.scheduler={address}")
    # a LocalCluster of its own (--workers 2), a window of one block
    datagen(*args, "-o", f"json.path={tmp_path / 'own'}", "--executor", "dask", "--workers", "2",
            "-o", "dask.window=1")
    local = read_dir(tmp_path / "local")
    assert {"customer.jsonl", "transaction.jsonl", "card_transaction.jsonl"} <= set(local)
    assert read_dir(tmp_path / "dask") == local
    assert read_dir(tmp_path / "own") == local


def test_poison_pills_and_their_manifest_are_the_local_executors(cluster: tuple[str, Path], tmp_path: Path) -> None:
    """A transform's side rows (the poison manifest) come back with each block from the workers."""
    pytest.importorskip("datagen_plugin_poison")
    address, _ = cluster
    args = ["run", "-q", "--customers", "1000", "--seed", "5", "--sink", "json", "--scenario", "data-quality"]
    datagen(*args, "-o", f"json.path={tmp_path / 'local'}", "--workers", "2")
    datagen(*args, "-o", f"json.path={tmp_path / 'dask'}", "--executor", "dask", "-o", f"dask.scheduler={address}")
    local = read_dir(tmp_path / "local")
    assert local["datagen-poison.jsonl"].count(b"\n") > 100
    assert read_dir(tmp_path / "dask") == local


def test_a_worker_killed_mid_run_changes_nothing_in_the_files(cluster: tuple[str, Path], tmp_path: Path) -> None:
    address, hook = cluster
    args = ["run", "-q", "--customers", CUSTOMERS, "--seed", "22", "--sink", "json"]
    datagen(*args, "-o", f"json.path={tmp_path / 'local'}")
    _kill_at(hook, "all", 3)
    datagen(*args, "-o", f"json.path={tmp_path / 'dask'}", "--executor", "dask", "-o", f"dask.scheduler={address}")
    assert _killed(hook), "no worker reached the block the test hook names"
    assert read_dir(tmp_path / "dask") == read_dir(tmp_path / "local") != {}


@pytest.mark.integration
def test_kafka_avro_and_postgres_hold_exactly_the_local_runs_records(
        cluster: tuple[str, Path], kafka_bootstrap: str, schema_registry_url: str, postgres_url: str) -> None:
    address, _ = cluster
    local, dask = unique("l"), unique("d")
    common = ["run", "-q", "--customers", CUSTOMERS, "--seed", "23", "--sink", "kafka-avro", "--sink", "postgres",
              "-o", f"postgres.url={postgres_url}"]
    try:
        datagen(*common, "--workers", "2", "-o", f"kafka-avro.topic_prefix={local}.",
                "-o", f"postgres.schema={local}")
        out = datagen(*common, "--executor", "dask", "-o", f"dask.scheduler={address}",
                      "-o", f"kafka-avro.topic_prefix={dask}.", "-o", f"postgres.schema={dask}")
        assert "error" not in out.lower(), out
        same_events(read_topics(kafka_bootstrap, f"{local}."), read_topics(kafka_bootstrap, f"{dask}."))
        here = tables(postgres_url, local)
        assert {"customers", "transactions"} <= set(here) and all(here.values())
        assert tables(postgres_url, dask) == here
    finally:
        delete_topics(kafka_bootstrap, local)
        delete_topics(kafka_bootstrap, dask)
        drop_schema(postgres_url, local)
        drop_schema(postgres_url, dask)


@pytest.mark.integration
def test_a_worker_killed_inside_a_kafka_transaction_leaves_every_event_once(
        cluster: tuple[str, Path], kafka_bootstrap: str, schema_registry_url: str) -> None:
    address, hook = cluster
    local, dask = unique("l"), unique("d")
    common = ["run", "-q", "--customers", CUSTOMERS, "--seed", "24", "--sink", "kafka-avro",
              "-o", "kafka-avro.preset=exactly-once"]
    try:
        datagen(*common, "-o", f"kafka-avro.topic_prefix={local}.")
        _kill_at(hook, "events", 2)
        out = datagen(*common, "--executor", "dask", "-o", f"dask.scheduler={address}",
                      "-o", f"kafka-avro.topic_prefix={dask}.")
        assert _killed(hook), "no worker reached the block the test hook names"
        expected = read_topics(kafka_bootstrap, f"{local}.")
        same_events(expected, read_topics(kafka_bootstrap, f"{dask}."))
        # the killed worker had produced part of its block: a reader of uncommitted data sees it twice
        stored = read_topics(kafka_bootstrap, f"{dask}.", committed=False)
        assert sum(map(len, stored.values())) > sum(map(len, expected.values()))
        assert "exactly-once" in out
    finally:
        delete_topics(kafka_bootstrap, local)
        delete_topics(kafka_bootstrap, dask)
