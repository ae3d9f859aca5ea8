"""The postgres sink against a real PostgreSQL (``scripts/stack up postgres``)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import socket
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import datagen_plugin_postgres.plugin as pg_plugin
import pytest

from datagen_kernel import EntitySpec, make_plugin_host
from datagen_kernel.api.schema import Decimal, Timestamp
from datagen_kernel.api.schema import Record as RecordType
from datagen_kernel.testing import ConformancePack, SinkConformance, generate_records

pytestmark = pytest.mark.integration


# --- helpers -----------------------------------------------------------------------------------


def dump(conn: Any, schema: str, specs: Mapping[str, EntitySpec]) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows ordered by primary key (tables that do not exist are left out)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for spec in specs.values():
        exists = conn.execute("SELECT to_regclass(%s)", (f'"{schema}"."{spec.table_name}"',)).fetchone()[0]
        if exists:
            out[spec.name] = conn.execute(
                f'SELECT * FROM "{schema}"."{spec.table_name}" ORDER BY "{spec.primary_key}"').fetchall()
    return out


def as_db_row(spec: EntitySpec, record: Mapping[str, Any]) -> tuple[Any, ...]:
    """What PostgreSQL returns for a generated record (psycopg's Python types)."""
    row: list[Any] = []

    def convert(f: Any, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(f.type, Decimal):
            return decimal.Decimal(value).scaleb(-f.type.scale) if isinstance(value, int) else value
        if isinstance(f.type, Timestamp):
            return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=value)
        if type(f.type).__name__ == "Uuid":
            return uuid.UUID(value)
        return value

    for f in spec.fields:
        if isinstance(f.type, RecordType):
            nested = record[f.name]
            row.extend(convert(sub, None if nested is None else nested[sub.name]) for sub in f.type.fields)
        else:
            row.append(convert(f, record[f.name]))
    return tuple(row)


def run_cli(host: Any, args: Sequence[str]) -> Any:
    from click.testing import CliRunner

    from datagen_kernel.cli import make_cli

    return CliRunner().invoke(make_cli(lambda: host), list(args))


def specs_of(host: Any) -> dict[str, EntitySpec]:
    return dict(host.registry.entity_specs())


def one_error(output: str) -> str:
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert "Traceback" not in output, output
    return errors[0]


def orphans(conn: Any, schema: str, specs: Mapping[str, EntitySpec]) -> dict[str, int]:
    """Rows whose foreign key has no parent row, per child.field (SQL anti-join)."""
    out: dict[str, int] = {}
    for spec in specs.values():
        for fk in spec.foreign_keys:
            parent = specs[fk.entity]
            child_col, parent_col = f'c."{fk.field}"', f'p."{fk.ref_field}"'
            n = conn.execute(
                f'SELECT count(*) FROM "{schema}"."{spec.table_name}" c LEFT JOIN "{schema}"."{parent.table_name}" p '
                f"ON {child_col} = {parent_col} WHERE {child_col} IS NOT NULL AND {parent_col} IS NULL"
            ).fetchone()[0]
            out[f"{spec.name}.{fk.field}"] = n
    return out


def counts(conn: Any, schema: str, specs: Mapping[str, EntitySpec]) -> dict[str, int]:
    return {n: conn.execute(f'SELECT count(*) FROM "{schema}"."{s.table_name}"').fetchone()[0]
            for n, s in specs.items()}


def summary_of(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# --- the conformance suite every sink runs ------------------------------------------------------


class TestPostgresConformance(SinkConformance):
    sink_name = "postgres"
    plugins: ClassVar[Sequence[Any]] = (pg_plugin,)
    bad_options: ClassVar[dict[str, str]] = {"url": "postgresql://postgres:postgres@127.0.0.1:1/datagen",
                                             "schema": "no such schema"}

    @pytest.fixture
    def conformance_options(self, postgres_url: str, pg_admin: Any) -> Iterator[Mapping[str, str]]:
        prefix = f"dgc_{uuid.uuid4().hex[:8]}_"
        yield {"url": postgres_url, "schema": prefix + "{run}"}
        for (name,) in pg_admin.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                                        (prefix + "%",)).fetchall():
            pg_admin.execute(f'DROP SCHEMA "{name}" CASCADE')

    def read_back(self, config: Mapping[str, Any], entities: Mapping[str, EntitySpec]) -> Mapping[str, Sequence[Any]]:
        import psycopg

        with psycopg.connect(config["url"], autocommit=True) as conn:
            return dump(conn, config["schema"], entities)


# --- values, keys, counts -----------------------------------------------------------------------


@pytest.mark.parametrize("copy_format", ["binary", "text"])
def test_postgres_rows_equal_the_generated_records(pg_cli: Any, pg_admin: Any, pg_schema: str,
                                                   copy_format: str) -> None:
    host = make_plugin_host(entrypoints=False, plugins=[ConformancePack(), pg_plugin])
    result = pg_cli(host, ["--customers", "700", "--seed", "5", "--sink", "postgres"], copy_format=copy_format,
                    batch_size="333")
    assert result.exit_code == 0, result.output
    specs = specs_of(host)
    records = generate_records(host, customers=700, seed=5)
    held = dump(pg_admin, pg_schema, specs)
    for name, spec in specs.items():
        expected = sorted((as_db_row(spec, r) for r in records[name]), key=lambda row: row[0])
        assert len(held[name]) == len(expected) > 0
        assert held[name] == expected, f"{name}: first difference at row " + str(
            next(i for i, (a, b) in enumerate(zip(held[name], expected, strict=True)) if a != b))


def test_postgres_keys_hold_and_counts_are_the_generated_ones(pg_cli: Any, pg_admin: Any, pg_schema: str,
                                                             toy_host: Any, tmp_path: Path) -> None:
    summary_file = tmp_path / "summary.json"
    result = pg_cli(toy_host, ["--customers", "1200", "--sink", "postgres", "--summary-json", str(summary_file)])
    assert result.exit_code == 0, result.output
    specs = specs_of(toy_host)
    summary = summary_of(summary_file)
    generated = {row["entity"]: row["generated"] for row in summary["rows"]}
    assert counts(pg_admin, pg_schema, specs) == generated
    assert {row["entity"]: row["acknowledged"] for row in summary["rows"]} == generated
    assert set(orphans(pg_admin, pg_schema, specs).values()) == {0}
    fks = pg_admin.execute(
        "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = %s AND c.contype = 'f'", (pg_schema,)).fetchone()[0]
    assert fks == sum(len(s.foreign_keys) for s in specs.values()) == 2


def _catalog(conn: Any, schema: str) -> dict[str, Any]:
    """Columns, constraints and indexes of a schema, with the schema name blanked out."""
    def blank(text: str) -> str:
        return text.replace(f'"{schema}".', "S.").replace(f"{schema}.", "S.")

    columns = conn.execute(
        "SELECT table_name, ordinal_position, column_name, data_type, character_maximum_length, numeric_precision, "
        "numeric_scale, is_nullable FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2",
        (schema,)).fetchall()
    constraints = conn.execute(
        "SELECT r.relname, c.conname, c.contype, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
        "WHERE n.nspname = %s ORDER BY 1, 2", (schema,)).fetchall()
    indexes = conn.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1, 2",
                           (schema,)).fetchall()
    return {"columns": columns, "constraints": [(*c[:3], blank(c[3])) for c in constraints],
            "indexes": [(*i[:2], blank(i[2])) for i in indexes]}


def test_postgres_tables_are_what_schemas_export_prints(pg_cli: Any, pg_admin: Any, pg_schema: str,
                                                        tmp_path: Path) -> None:
    import datagen_plugin_postgres.plugin as plugin
    import toy_pack

    host = make_plugin_host(entrypoints=False, plugins=[toy_pack, plugin, ConformancePack()])
    result = pg_cli(host, ["--customers", "30", "--sink", "postgres"])
    assert result.exit_code == 0, result.output
    other = pg_schema + "_x"
    exported = run_cli(host, ["schemas", "export", "--format", "sql", "--schema", other, str(tmp_path)])
    assert exported.exit_code == 0, exported.output
    try:
        pg_admin.execute(f'CREATE SCHEMA "{other}"')
        pg_admin.execute((tmp_path / "schema.sql").read_text())
        sink_made, ddl_made = _catalog(pg_admin, pg_schema), _catalog(pg_admin, other)
    finally:
        pg_admin.execute(f'DROP SCHEMA IF EXISTS "{other}" CASCADE')
    assert sink_made["columns"] and sink_made["indexes"]
    assert any(c[2] == "f" for c in sink_made["constraints"])
    assert any(c[2] == "c" for c in sink_made["constraints"]), "enum columns carry CHECK constraints"
    assert sink_made == ddl_made


# --- modes ----------------------------------------------------------------------------------------


def test_postgres_truncate_rerun_gives_identical_tables(pg_cli: Any, pg_admin: Any, pg_schema: str,
                                                        toy_host: Any) -> None:
    specs = specs_of(toy_host)
    assert pg_cli(toy_host, ["--customers", "900", "--seed", "3"]).exit_code == 0
    first = dump(pg_admin, pg_schema, specs)
    again = pg_cli(toy_host, ["--customers", "900", "--seed", "3", "--batch-size", "77"], if_exists="truncate")
    assert again.exit_code == 0, again.output
    assert dump(pg_admin, pg_schema, specs) == first
    smaller = pg_cli(toy_host, ["--customers", "10", "--seed", "3"], if_exists="truncate")
    assert smaller.exit_code == 0, smaller.output
    assert counts(pg_admin, pg_schema, specs)["team"] == 10


def test_postgres_upsert_rerun_duplicates_nothing(pg_cli: Any, pg_admin: Any, pg_schema: str, toy_host: Any,
                                                  tmp_path: Path) -> None:
    specs = specs_of(toy_host)
    assert pg_cli(toy_host, ["--customers", "600", "--seed", "9"], if_exists="upsert").exit_code == 0
    first = dump(pg_admin, pg_schema, specs)
    summary_file = tmp_path / "s.json"
    again = pg_cli(toy_host, ["--customers", "600", "--seed", "9", "--summary-json", str(summary_file)],
                   if_exists="upsert")
    assert again.exit_code == 0, again.output
    assert dump(pg_admin, pg_schema, specs) == first
    summary = summary_of(summary_file)
    assert summary["ok"] and summary["acknowledged"] == summary["generated"] == sum(len(v) for v in first.values())
    grown = pg_cli(toy_host, ["--customers", "1100", "--seed", "9"], if_exists="upsert")
    assert grown.exit_code == 0, grown.output
    now = dump(pg_admin, pg_schema, specs)
    assert len(now["team"]) == 1100
    assert set(first["team"]) <= set(now["team"]), "the first 600 teams are the same rows"
    for name, spec in specs.items():
        keys = [row[0] for row in now[name]]
        assert len(keys) == len(set(keys)), f"{spec.table_name} has duplicate keys"


def test_postgres_append_adds_rows_and_refuses_existing_keys(pg_cli: Any, pg_admin: Any, pg_schema: str,
                                                             toy_host: Any) -> None:
    specs = specs_of(toy_host)
    assert pg_cli(toy_host, ["--customers", "50", "--seed", "1"]).exit_code == 0
    assert pg_cli(toy_host, ["--customers", "50", "--seed", "2"], if_exists="append").exit_code == 0
    before = dump(pg_admin, pg_schema, specs)
    assert len(before["team"]) == 100
    clash = pg_cli(toy_host, ["--customers", "50", "--seed", "1"], if_exists="append")
    assert clash.exit_code != 0
    line = one_error(clash.output)
    assert "if_exists=append" in line and "already holds a row with the same key" in line, line
    assert "upsert" in line
    assert dump(pg_admin, pg_schema, specs) == before, "nothing of the refused run was committed"


def test_postgres_fail_mode_refuses_tables_that_hold_rows(pg_cli: Any, pg_admin: Any, pg_schema: str,
                                                          toy_host: Any) -> None:
    assert pg_cli(toy_host, ["--customers", "20"]).exit_code == 0
    again = pg_cli(toy_host, ["--customers", "20"])
    assert again.exit_code != 0
    line = one_error(again.output)
    assert f"{pg_schema}.teams already holds rows and if_exists=fail" in line, line
    assert "if_exists=truncate" in line


def _failing_member_generator(fail_block: int) -> Any:
    """A plugin wrapping the toy member generator so that one block raises."""
    from datagen_kernel import hookimpl

    class Breaker:
        @hookimpl
        def datagen_register_generators(self, register: Any) -> None:
            def wrapper(ctx: Any, inner: Any) -> Any:
                if ctx.block == fail_block:
                    raise RuntimeError("generator broke on purpose")
                return inner(ctx)

            register.wrap("member", wrapper)

    return Breaker()


def test_postgres_failed_run_rolls_back_everything(pg_cli: Any, pg_admin: Any, pg_schema: str, toy_host: Any) -> None:
    import toy_pack

    specs = specs_of(toy_host)
    broken = make_plugin_host(entrypoints=False, plugins=[toy_pack, pg_plugin, _failing_member_generator(2)])
    fresh = pg_cli(broken, ["--customers", "1500", "--batch-size", "100"], batch_size="100")
    assert fresh.exit_code != 0
    exists = pg_admin.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (pg_schema,)).fetchone()
    assert exists is None, "a failed first run leaves not even the schema"
    assert pg_cli(toy_host, ["--customers", "700", "--seed", "4"]).exit_code == 0
    before = dump(pg_admin, pg_schema, specs)
    failed = pg_cli(broken, ["--customers", "1500", "--seed", "8"], if_exists="truncate", batch_size="100")
    assert failed.exit_code != 0
    assert dump(pg_admin, pg_schema, specs) == before, "a failed truncate run keeps the previous rows"


# --- errors ---------------------------------------------------------------------------------------


def _url(base: str, **parts: Any) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(base)
    params.update(parts)
    return make_conninfo(**params)


def test_postgres_unreachable_host_fails_fast(pg_cli: Any, toy_host: Any) -> None:
    refused = pg_cli(toy_host, ["--customers", "5"], url="postgresql://postgres:postgres@127.0.0.1:1/datagen")
    assert refused.exit_code != 0
    line = one_error(refused.output)
    assert "cannot reach PostgreSQL at 127.0.0.1:1: connection refused" in line, line
    assert "scripts/stack up postgres" in line
    with socket.socket() as silent_server:  # accepts connections, never answers
        silent_server.bind(("127.0.0.1", 0))
        silent_server.listen(8)
        port = silent_server.getsockname()[1]
        started = time.monotonic()
        silent = pg_cli(toy_host, ["--customers", "5"], url=f"postgresql://postgres:postgres@127.0.0.1:{port}/datagen",
                        connect_timeout="2")
        elapsed = time.monotonic() - started
    assert silent.exit_code != 0
    line = one_error(silent.output)
    assert 1.5 < elapsed < 15, f"took {elapsed:.1f}s with connect_timeout=2"
    assert f"PostgreSQL at 127.0.0.1:{port} did not answer within 2s" in line, line


def test_postgres_wrong_password_is_named_and_not_printed(pg_cli: Any, toy_host: Any, postgres_url: str) -> None:
    result = pg_cli(toy_host, ["--customers", "5"], url=_url(postgres_url, password="not-the-password-42"))
    assert result.exit_code != 0
    line = one_error(result.output)
    assert "refused the password of user" in line, line
    assert "not-the-password-42" not in result.output


def test_postgres_missing_database_prints_the_command_that_creates_it(pg_cli: Any, toy_host: Any,
                                                                       postgres_url: str) -> None:
    name = f"dg_missing_{uuid.uuid4().hex[:8]}"
    result = pg_cli(toy_host, ["--customers", "5"], url=_url(postgres_url, dbname=name))
    assert result.exit_code != 0
    line = one_error(result.output)
    assert f"database '{name}' does not exist" in line, line
    assert re.search(rf"createdb -h \S+ -p \d+ -U \S+ {name}", line), line
    assert f'CREATE DATABASE "{name}"' in line


def test_postgres_insufficient_privileges_are_named(pg_cli: Any, toy_host: Any, pg_admin: Any, pg_schema: str,
                                                    postgres_url: str) -> None:
    role = f"dg_ro_{uuid.uuid4().hex[:8]}"
    pg_admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'ro-pass'")
    try:
        url = _url(postgres_url, user=role, password="ro-pass")
        new_schema = pg_cli(toy_host, ["--customers", "5"], url=url)
        assert new_schema.exit_code != 0
        line = one_error(new_schema.output)
        assert f"PostgreSQL user '{role}' lacks a privilege" in line and "GRANT" in line, line
        pg_admin.execute(f'CREATE SCHEMA "{pg_schema}"')
        pg_admin.execute(f'GRANT USAGE ON SCHEMA "{pg_schema}" TO {role}')
        no_create = pg_cli(toy_host, ["--customers", "5"], url=url)
        line = one_error(no_create.output)
        assert no_create.exit_code != 0 and "lacks a privilege" in line and "permission denied for schema" in line, line
    finally:
        pg_admin.execute(f'DROP SCHEMA IF EXISTS "{pg_schema}" CASCADE')
        pg_admin.execute(f"DROP ROLE {role}")


def test_postgres_mismatched_tables_are_described(pg_cli: Any, toy_host: Any, pg_admin: Any, pg_schema: str) -> None:
    pg_admin.execute(f'CREATE SCHEMA "{pg_schema}"')
    pg_admin.execute(f'CREATE TABLE "{pg_schema}".teams (team_id uuid PRIMARY KEY, name text NOT NULL, '
                     "budget numeric(10,2), legacy int NOT NULL)")
    result = pg_cli(toy_host, ["--customers", "5"])
    assert result.exit_code != 0
    line = one_error(result.output)
    for part in (f"{pg_schema}.teams (entity team)", "column name is text, expected character varying(40)",
                 "missing column league text", "column budget is numeric(10,2), expected numeric(15,2)",
                 "extra column legacy integer is NOT NULL without a default", "schemas export --format sql"):
        assert part in line, (part, line)


def test_postgres_create_tables_false_needs_the_tables(pg_cli: Any, toy_host: Any) -> None:
    result = pg_cli(toy_host, ["--customers", "5"], create_tables="false")
    assert result.exit_code != 0
    line = one_error(result.output)
    assert "does not exist" in line and "create_tables" in line, line


# --- the whole bank -------------------------------------------------------------------------------


def test_postgres_whole_bank_loads_with_every_key_holding(pg_cli: Any, pg_admin: Any, pg_schema: str,
                                                          tmp_path: Path) -> None:
    host = make_plugin_host()
    specs = specs_of(host)
    wanted = {"customer", "account", "transaction", "credit_card", "card_transaction", "property", "loan",
              "installment", "stock", "trade"}
    missing = wanted - set(specs)
    if missing:
        pytest.skip(f"entity packs not installed: {sorted(missing)}")
    summary_file = tmp_path / "summary.json"
    result = pg_cli(host, ["--customers", "600", "--sink", "postgres", "--workers", "2",
                           "--summary-json", str(summary_file)])
    assert result.exit_code == 0, result.output
    summary = summary_of(summary_file)
    generated = {row["entity"]: row["generated"] for row in summary["rows"]}
    assert set(generated) == set(specs)
    assert counts(pg_admin, pg_schema, specs) == generated
    assert all(generated[n] > 0 for n in wanted), generated
    tables = {s.table_name for s in specs.values()}
    assert {"customers", "accounts", "credit_cards", "loans", "properties", "stocks", "transactions",
            "card_transactions", "trades", "installments"} <= tables
    holes = orphans(pg_admin, pg_schema, specs)
    assert holes and set(holes.values()) == {0}, holes
    other = pg_schema + "_x"
    exported = run_cli(host, ["schemas", "export", "--format", "sql", "--schema", other, str(tmp_path / "ddl")])
    assert exported.exit_code == 0, exported.output
    try:
        pg_admin.execute(f'CREATE SCHEMA "{other}"')
        pg_admin.execute((tmp_path / "ddl" / "schema.sql").read_text())
        assert _catalog(pg_admin, pg_schema) == _catalog(pg_admin, other)
    finally:
        pg_admin.execute(f'DROP SCHEMA IF EXISTS "{other}" CASCADE')


def test_postgres_tables_locked_elsewhere_fail_instead_of_hanging(pg_cli: Any, toy_host: Any, pg_schema: str,
                                                                  postgres_url: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import datagen_plugin_postgres.sink as sink_module
    import psycopg

    assert pg_cli(toy_host, ["--customers", "10"]).exit_code == 0
    monkeypatch.setattr(sink_module, "LOCK_TIMEOUT_S", 1)
    with psycopg.connect(postgres_url) as other:
        other.execute(f'LOCK TABLE "{pg_schema}".teams IN ACCESS EXCLUSIVE MODE')
        started = time.monotonic()
        result = pg_cli(toy_host, ["--customers", "10"], if_exists="truncate")
        elapsed = time.monotonic() - started
        other.rollback()
    assert result.exit_code != 0
    line = one_error(result.output)
    assert "lock timeout" in line and "another session" in line, line
    assert elapsed < 30


def test_postgres_lost_connection_is_one_clear_error(pg_cli: Any, toy_host: Any, pg_schema: str,
                                                     postgres_url: str) -> None:
    import psycopg
    import toy_pack

    from datagen_kernel import hookimpl

    class Killer:
        """Terminates the sink's backend while block 2 is generated."""

        @hookimpl
        def datagen_register_generators(self, register: Any) -> None:
            def wrapper(ctx: Any, inner: Any) -> Any:
                if ctx.block == 2:
                    with psycopg.connect(postgres_url, autocommit=True) as admin:
                        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      "WHERE application_name = 'datagen' AND query LIKE %s", (f'%"{pg_schema}"%',))
                return inner(ctx)

            register.wrap("member", wrapper)

    host = make_plugin_host(entrypoints=False, plugins=[toy_pack, pg_plugin, Killer()])
    result = pg_cli(host, ["--customers", "2000"], batch_size="100")
    assert result.exit_code != 0
    line = one_error(result.output)
    assert "lost the connection to PostgreSQL while loading" in line and "nothing was committed" in line, line
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        assert admin.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (pg_schema,)).fetchone() is None
