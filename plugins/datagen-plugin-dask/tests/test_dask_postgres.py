"""PostgreSQL sink tasks in dask workers, against real processes: a LocalCluster of 2
single-threaded worker processes for the module and the stack's PostgreSQL (which has
``max_prepared_transactions`` set). Each task prepares its transaction; the run commits all of
them or none.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dasktest_support import drop_schema, environment, tables, unique
from datagen_plugin_dask.worker import KILL_HOOK

from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host

CUSTOMERS = "2600"  # 6 blocks over 2 workers

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(scheduler address, kill-hook file) of a LocalCluster of 2 single-threaded processes."""
    from distributed import LocalCluster

    hook = tmp_path_factory.mktemp("hook") / "kill"
    with environment(**{KILL_HOOK: str(hook)}), LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0",
            silence_logs=logging.ERROR) as local:
        yield local.scheduler_address, hook


@pytest.fixture
def address(cluster: tuple[str, Path]) -> str:
    return cluster[0]


def run(*args: str) -> tuple[int, str]:
    host = make_plugin_host()
    if "customer" not in host.registry.entities:
        pytest.skip("the banking pack is not installed")
    from click.testing import CliRunner

    result = CliRunner().invoke(make_cli(lambda: host), ["run", "-q", "--customers", CUSTOMERS, *args])
    return result.exit_code, result.output


def query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description is not None else []


def constraints(url: str, schema: str) -> list[tuple[Any, ...]]:
    """Keys and foreign keys of the schema's tables (the schema's name left out of them)."""
    found = query(url, "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                       "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                       "WHERE n.nspname = %s ORDER BY 1, 2", (schema,))
    return [(table, name, definition.replace(f"{schema}.", "")) for table, name, definition in found]


def prepared(url: str) -> list[str]:
    return [r[0] for r in query(url, "SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'datagen-%'")]


def test_postgres_holds_exactly_the_local_runs_rows_also_after_a_truncate_rerun(
        address: str, postgres_url: str) -> None:
    local, dask = unique("pl"), unique("pd")
    common = ["--seed", "31", "--sink", "postgres", "-o", f"postgres.url={postgres_url}"]
    on_dask = ["--executor", "dask", "-o", f"dask.scheduler={address}", "-o", f"postgres.schema={dask}"]
    try:
        assert run(*common, "-o", f"postgres.schema={local}")[0] == 0
        code, out = run(*common, *on_dask)
        assert code == 0, out
        expected = tables(postgres_url, local)
        assert {"customers", "transactions"} <= set(expected) and all(expected.values())
        assert tables(postgres_url, dask) == expected
        keys = constraints(postgres_url, local)
        assert keys and constraints(postgres_url, dask) == keys  # keys, foreign keys added after the commit
        # again into the same tables: truncated, foreign keys dropped for the load and put back
        code, out = run(*common, *on_dask, "-o", "postgres.if_exists=truncate")
        assert code == 0, out
        assert tables(postgres_url, dask) == expected
        assert constraints(postgres_url, dask) == keys
        assert prepared(postgres_url) == []
    finally:
        drop_schema(postgres_url, local)
        drop_schema(postgres_url, dask)


def test_a_run_failing_mid_way_leaves_the_tables_as_they_were_and_nothing_prepared(
        address: str, postgres_url: str) -> None:
    schema = unique("pf")
    common = ["--seed", "32", "--sink", "postgres", "-o", f"postgres.url={postgres_url}",
              "-o", f"postgres.schema={schema}"]
    try:
        assert run(*common)[0] == 0
        # keep the last customer (the last block's, in COPY order): appending the same run again
        # collides with it when that block is loaded, after other blocks went into the tasks'
        # transactions
        last = query(postgres_url, f'SELECT customer_id FROM "{schema}".customers ORDER BY ctid DESC LIMIT 1')[0][0]
        names = [r[0] for r in query(postgres_url, "SELECT table_name FROM information_schema.tables "
                                                   "WHERE table_schema = %s", (schema,))]
        query(postgres_url, "TRUNCATE " + ", ".join(f'"{schema}"."{n}"' for n in names if n != "customers"))
        query(postgres_url, f'DELETE FROM "{schema}".customers WHERE customer_id <> %s', (last,))
        before, keys = tables(postgres_url, schema), constraints(postgres_url, schema)
        assert sum(map(len, before.values())) == 1

        code, out = run(*common, "-o", "postgres.if_exists=append", "--executor", "dask",
                        "-o", f"dask.scheduler={address}")
        assert code != 0
        assert "already holds a row with the same key" in out, out
        assert tables(postgres_url, schema) == before
        assert constraints(postgres_url, schema) == keys
        assert prepared(postgres_url) == []
    finally:
        drop_schema(postgres_url, schema)


def test_a_worker_lost_after_loading_blocks_fails_the_run_and_commits_nothing(
        cluster: tuple[str, Path], postgres_url: str) -> None:
    address, hook = cluster
    schema = unique("pk")
    # the worker that reaches block 4 (of 6) loaded at least one block before, acknowledged
    # in its transaction: that transaction dies with it, the other worker's is prepared
    hook.write_text("all 4\n", encoding="utf-8")
    hook.with_name(hook.name + ".taken").unlink(missing_ok=True)
    try:
        code, out = run("--seed", "33", "--sink", "postgres", "-o", f"postgres.url={postgres_url}",
                        "-o", f"postgres.schema={schema}", "--executor", "dask", "-o", f"dask.scheduler={address}")
        assert hook.with_name(hook.name + ".taken").exists(), "no worker reached the block the test hook names"
        assert code != 0
        assert "the prepared transactions of the run hold" in out, out
        assert tables(postgres_url, schema) == {}  # the tables the run created are dropped again
        assert prepared(postgres_url) == []  # the surviving worker's transaction was rolled back
    finally:
        hook.unlink(missing_ok=True)
        drop_schema(postgres_url, schema)
