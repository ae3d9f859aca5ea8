"""Resumable mode of the postgres sink against a real PostgreSQL: a block and its mark per
transaction, an interrupted run continued with --resume (the server stopped mid-run is in
tests/faults/test_resume.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.engine import resume

pytestmark = pytest.mark.integration

COUNT = str(BLOCK_SIZE * 2 + 3)  # three blocks


@pytest.fixture
def interrupt_after() -> Iterator[Any]:
    """``interrupt_after(n)``: Ctrl+C once the engine handed ``n`` blocks to the sink."""

    def arm(n: int) -> None:
        seen: list[int | None] = []

        def hook(phase: str, block: int | None) -> None:
            seen.append(block)
            if len(seen) == n:
                raise KeyboardInterrupt

        resume.BLOCK_HOOKS.append(hook)

    yield arm
    resume.BLOCK_HOOKS.clear()


def table_rows(conn: Any, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    tables = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                                         "AND table_name NOT LIKE '\\_datagen\\_%%' ORDER BY 1", (schema,))]
    return {t: conn.execute(f'SELECT * FROM "{schema}"."{t}" ORDER BY 1').fetchall() for t in tables}


def primary_keys(conn: Any, schema: str) -> int:
    row = conn.execute("SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                       "WHERE n.nspname = %s AND c.contype = 'p' AND c.conrelid::regclass::text "
                       "NOT LIKE '%%_datagen_%%'", (schema,)).fetchone()
    return int(row[0])


def test_an_interrupted_resumable_run_keeps_its_blocks_and_resume_completes_it(
        toy_host, pg_cli, pg_admin, pg_schema: str, interrupt_after) -> None:
    reference = f"{pg_schema}_ref"
    try:
        assert pg_cli(toy_host, ["--count", COUNT, "--seed", "4"], schema=reference).exit_code == 0
        want = table_rows(pg_admin, reference)

        interrupt_after(2)  # the first two blocks
        stopped = pg_cli(toy_host, ["--count", COUNT, "--seed", "4", "--resumable"])
        assert stopped.exit_code == 130, stopped.output
        resume.BLOCK_HOOKS.clear()
        marks = pg_admin.execute(f'SELECT phase, block, rows FROM "{pg_schema}"._datagen_blocks ORDER BY block'
                                 ).fetchall()
        assert [(p, b) for p, b, _ in marks] == [("all", 0), ("all", 1)]
        held = table_rows(pg_admin, pg_schema)
        assert sum(map(len, held.values())) == sum(rows for _, _, rows in marks) > 0  # a block with its mark
        assert primary_keys(pg_admin, pg_schema) == 0  # added when the run completes
        finished = pg_admin.execute(f'SELECT finished_at FROM "{pg_schema}"._datagen_runs').fetchall()
        assert finished == [(None,)]

        resumed = pg_cli(toy_host, ["--count", COUNT, "--seed", "4", "--resume", "--batch-size", "50"])
        assert resumed.exit_code == 0, resumed.output
        assert "2 block(s) committed by an earlier attempt were skipped" in resumed.output
        assert table_rows(pg_admin, pg_schema) == want
        assert primary_keys(pg_admin, pg_schema) == primary_keys(pg_admin, reference) > 0

        again = pg_cli(toy_host, ["--count", COUNT, "--seed", "4", "--resume"])
        assert again.exit_code == 0 and "nothing to resume: this run is complete" in again.output
        assert table_rows(pg_admin, pg_schema) == want
    finally:
        pg_admin.execute(f'DROP SCHEMA IF EXISTS "{reference}" CASCADE')


def test_resumable_upserts_commit_block_by_block(toy_host, pg_cli, pg_admin, pg_schema: str,
                                                 interrupt_after) -> None:
    assert pg_cli(toy_host, ["--count", COUNT, "--seed", "5"]).exit_code == 0
    want = table_rows(pg_admin, pg_schema)
    pg_admin.execute(f'DELETE FROM "{pg_schema}".score')  # rows the upserts must bring back

    interrupt_after(2)
    stopped = pg_cli(toy_host, ["--count", COUNT, "--seed", "5", "--resumable"], if_exists="upsert")
    assert stopped.exit_code == 130, stopped.output
    resume.BLOCK_HOOKS.clear()
    resumed = pg_cli(toy_host, ["--count", COUNT, "--seed", "5", "--resume"], if_exists="upsert")
    assert resumed.exit_code == 0, resumed.output
    assert table_rows(pg_admin, pg_schema) == want


def test_resumable_mode_is_refused_for_sink_tasks_in_executor_processes(toy_host, pg_cli) -> None:
    import datagen_plugin_dask.plugin as dask_plugin

    toy_host.register(dask_plugin)
    refused = pg_cli(toy_host, ["--count", "10", "--resumable", "--executor", "dask", "--workers", "1"])
    assert refused.exit_code == 1
    assert "resumable runs (--resumable, --resume) cannot be loaded by sink tasks" in refused.output
