"""Bulk-load practice of the postgres sink, checked in the server's own catalogs: tables the run
creates or truncates get their rows frozen by COPY ... FREEZE (appended rows are not); keys are
checked once after the load (truncated tables get theirs back exactly); one pass over the blocks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def visibility(pg_admin: Any, pg_schema: str) -> Iterator[str]:
    """``pg_visibility`` installed in a schema of this test (dropped with it); skip if unavailable."""
    if pg_admin.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_visibility'").fetchone() is None:
        pytest.skip("the server has no pg_visibility extension (contrib)")
    if pg_admin.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_visibility'").fetchone() is not None:
        pytest.skip("pg_visibility is already installed elsewhere in this database")
    holder = f"{pg_schema}_vis"
    pg_admin.execute(f'CREATE SCHEMA "{holder}"')
    pg_admin.execute(f'CREATE EXTENSION pg_visibility SCHEMA "{holder}"')
    try:
        yield holder
    finally:
        pg_admin.execute(f'DROP SCHEMA "{holder}" CASCADE')


def frozen_pages(conn: Any, holder: str, table: str) -> tuple[int, int]:
    """(pages of ``table``, pages the visibility map marks all-frozen)."""
    pages = conn.execute("SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int",
                         (table,)).fetchone()[0]
    frozen = conn.execute(f'SELECT all_frozen FROM "{holder}".pg_visibility_map_summary(%s::regclass)',
                          (table,)).fetchone()[0]
    return int(pages), int(frozen)


def test_postgres_created_and_truncated_tables_are_loaded_frozen(pg_cli: Any, pg_admin: Any, pg_schema: str,
                                                                  toy_host: Any, visibility: str) -> None:
    specs = toy_host.registry.entity_specs()
    tables = [f'"{pg_schema}"."{spec.table_name}"' for spec in specs.values()]
    assert pg_cli(toy_host, ["--customers", "3000", "--seed", "5"]).exit_code == 0
    for table in tables:  # keys added after the load: nothing touches the frozen rows again
        pages, frozen = frozen_pages(pg_admin, visibility, table)
        assert pages > 0 and frozen == pages, (table, pages, frozen)
    again = pg_cli(toy_host, ["--customers", "3000", "--seed", "5"], if_exists="truncate")
    assert again.exit_code == 0, again.output
    # their foreign keys are suspended during the load: no per-row check locks (un-freezes) a parent row
    for table in tables:
        pages, frozen = frozen_pages(pg_admin, visibility, table)
        assert pages > 0 and frozen == pages, (table, pages, frozen)
    more = pg_cli(toy_host, ["--customers", "3000", "--seed", "6"], if_exists="append")
    assert more.exit_code == 0, more.output
    pages, frozen = frozen_pages(pg_admin, visibility, tables[0])
    assert frozen < pages, "rows appended to an existing table are not frozen"


def _dump(conn: Any, schema: str, host: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {name: conn.execute(f'SELECT * FROM "{schema}"."{spec.table_name}" ORDER BY 1').fetchall()
            for name, spec in host.registry.entity_specs().items()}


@pytest.mark.parametrize("mode", ["fail", "truncate"])
def test_postgres_one_pass_loads_the_same_tables_as_two_phases(pg_cli: Any, pg_admin: Any, pg_schema: str,
                                                                toy_host: Any, monkeypatch: pytest.MonkeyPatch,
                                                                mode: str) -> None:
    """The engine generates each block once for this sink (no phase barrier): masters and
    events of a block arrive together, parents first, also into existing tables whose foreign
    keys are checked row by row (truncate)."""
    from datagen_plugin_postgres.sink import PostgresSink

    from datagen_kernel.engine.run import Engine

    phases: list[tuple[str, ...]] = []
    real = Engine._phases

    def spy(self: Any, sinks: Any) -> tuple[str, ...]:
        phases.append(real(self, sinks))
        return phases[-1]

    monkeypatch.setattr(Engine, "_phases", spy)
    args = ["--customers", "1700", "--seed", "4", "--batch-size", "300"]
    if mode == "truncate":
        assert pg_cli(toy_host, ["--customers", "20", "--seed", "1"]).exit_code == 0
    one = pg_cli(toy_host, args, if_exists=mode, batch_size="500")
    assert one.exit_code == 0, one.output
    assert len(phases[-1]) == 1, "one pass"
    single = _dump(pg_admin, pg_schema, toy_host)
    assert all(single.values())
    monkeypatch.setattr(PostgresSink, "phase_barrier", True)
    again = pg_cli(toy_host, args, if_exists="truncate", batch_size="500")
    assert again.exit_code == 0, again.output
    assert len(phases[-1]) == 2, "masters, then events"
    assert _dump(pg_admin, pg_schema, toy_host) == single


def _constraints(conn: Any, schema: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), obj_description(c.oid, 'pg_constraint') "
        "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = %s ORDER BY 1, 2", (schema,)).fetchall()


def test_postgres_truncate_suspends_foreign_keys_and_restores_them_as_they_were(
        pg_cli: Any, pg_admin: Any, pg_schema: str, toy_host: Any, visibility: str) -> None:
    specs = toy_host.registry.entity_specs()
    assert pg_cli(toy_host, ["--customers", "2000", "--seed", "4"]).exit_code == 0
    members = f'"{pg_schema}"."members"'
    (fk,) = pg_admin.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                             (members,)).fetchone()
    pg_admin.execute(f'ALTER TABLE {members} DROP CONSTRAINT "{fk}", ADD CONSTRAINT member_of_team FOREIGN KEY '
                     f'(team_id) REFERENCES "{pg_schema}"."teams" (team_id) ON DELETE CASCADE DEFERRABLE')
    pg_admin.execute(f"COMMENT ON CONSTRAINT member_of_team ON {members} IS 'every member plays for a team'")
    before = _constraints(pg_admin, pg_schema)
    mine = [c for c in before if c[1] == "member_of_team"]
    assert len(mine) == 1 and mine[0][2].endswith("ON DELETE CASCADE DEFERRABLE"), mine
    assert mine[0][3] == "every member plays for a team"
    again = pg_cli(toy_host, ["--customers", "2000", "--seed", "5"], if_exists="truncate")
    assert again.exit_code == 0, again.output
    assert _constraints(pg_admin, pg_schema) == before, "same keys, names, actions and comments"
    for spec in specs.values():  # no per-row key checks: no parent row was locked (un-frozen)
        pages, frozen = frozen_pages(pg_admin, visibility, f'"{pg_schema}"."{spec.table_name}"')
        assert pages > 0 and frozen == pages, (spec.table_name, pages, frozen)
    scores = f'"{pg_schema}"."{specs["score"].table_name}"'
    kept = pg_admin.execute(f"SELECT count(*), sum(points) FROM {scores}").fetchone()
    # scores of other members: the key added back at the end does not hold -> nothing committed
    orphans = pg_cli(toy_host, ["--sink", "postgres:event", "--customers", "2000", "--seed", "6"],
                     if_exists="truncate")
    assert orphans.exit_code != 0
    errors = [line for line in orphans.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "foreign key does not hold" in errors[0] and "nothing was committed" in errors[0]
    assert _constraints(pg_admin, pg_schema) == before
    assert pg_admin.execute(f"SELECT count(*), sum(points) FROM {scores}").fetchone() == kept
