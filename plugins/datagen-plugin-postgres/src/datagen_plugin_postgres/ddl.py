"""Table DDL (from the kernel's ``to_sql_ddl``) and checks of tables that already exist.

The kernel's ``to_sql_ddl`` is the only author of the DDL: ``datagen schemas export --format
sql`` prints it and this sink runs it. For a table it creates, the sink runs it in two steps:
the ``CREATE TABLE`` without its key clauses before the load; after the load, those clauses
as ``ALTER TABLE ... ADD PRIMARY KEY`` / ``ADD FOREIGN KEY`` (which PostgreSQL names exactly as
it names them inline) and the foreign-key indexes. The resulting catalog is identical (a test
compares them); the load costs the server about four times less CPU: PostgreSQL then builds each
index once by sorting instead of row by row, and validates a foreign key with one join
instead of one lookup per row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from datagen_kernel import EntitySpec
from datagen_kernel.api.schema import to_sql_ddl
from datagen_plugin_postgres.encoding import ColumnPlan, column_plans

_FK_LINE = re.compile(r"^\s+(FOREIGN KEY .+?),?$", re.MULTILINE)
_INDEX = re.compile(r"^CREATE INDEX .+;$", re.MULTILINE)
_PRIMARY_KEY = re.compile(r",\n\s+(PRIMARY KEY \([^\n]+\))\n\);")


def quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def qualified(schema: str, table: str) -> str:
    return f"{quote(schema)}.{quote(table)}"


def routed_spec(spec: EntitySpec, routed: Mapping[str, EntitySpec]) -> EntitySpec:
    """The spec with only the foreign keys whose parent is loaded by the same sink."""
    keep = tuple(fk for fk in spec.foreign_keys if fk.entity in routed)
    return spec if keep == spec.foreign_keys else replace(spec, foreign_keys=keep)


def full_ddl(spec: EntitySpec, routed: Mapping[str, EntitySpec], schema: str) -> str:
    """What ``datagen schemas export --format sql`` prints for this table (FKs to routed parents)."""
    return to_sql_ddl(routed_spec(spec, routed), dict(routed), schema)


@dataclass(frozen=True)
class TableDdl:
    """The kernel's DDL of one table, split into before-load and after-load statements."""

    create: str
    primary_key: str
    foreign_keys: tuple[str, ...]
    indexes: tuple[str, ...]


def split_ddl(spec: EntitySpec, routed: Mapping[str, EntitySpec], schema: str) -> TableDdl:
    spec = routed_spec(spec, routed)
    full = to_sql_ddl(spec, dict(routed), schema)
    bare = to_sql_ddl(replace(spec, foreign_keys=()), dict(routed), schema)
    table = qualified(schema, spec.table_name)
    fks = tuple(f"ALTER TABLE {table} ADD {clause};" for clause in _FK_LINE.findall(full))
    indexes = tuple(_INDEX.findall(full))
    pk = _PRIMARY_KEY.search(bare)
    if pk is None or len(fks) != len(spec.foreign_keys) or len(indexes) != len(spec.foreign_keys):
        raise RuntimeError(f"unexpected DDL layout from datagen_kernel.schema.to_sql_ddl for {spec.name}:\n{full}")
    create = bare[: pk.start()] + "\n);" + bare[pk.end() :]
    return TableDdl(create, f"ALTER TABLE {table} ADD {pk.group(1)};", fks, indexes)


# ---------------------------------------------------------------------------------------------
# existing tables

_INFO_TYPES = {
    "TEXT": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE PRECISION": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMPTZ": "timestamp with time zone",
    "UUID": "uuid",
}

COLUMNS_QUERY = """
SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale,
       is_nullable = 'YES', column_default IS NOT NULL OR is_identity = 'YES' OR is_generated = 'ALWAYS'
FROM information_schema.columns
WHERE table_schema = %s AND table_name = ANY(%s)
ORDER BY table_name, ordinal_position
"""
"""Columns of the named tables of one schema (one query for all): the table name, then what
``shape_problems`` reads."""


def expected_type(sql: str) -> str:
    """``information_schema`` spelling of a kernel SQL type (``VARCHAR(14)`` -> ``character varying(14)``)."""
    m = re.fullmatch(r"VARCHAR\((\d+)\)", sql)
    if m:
        return f"character varying({m.group(1)})"
    m = re.fullmatch(r"NUMERIC\((\d+),(\d+)\)", sql)
    if m:
        return f"numeric({m.group(1)},{m.group(2)})"
    return _INFO_TYPES[sql]


def found_type(data_type: str, length: int | None, precision: int | None, scale: int | None) -> str:
    if data_type == "character varying":
        return f"character varying({length})" if length else "character varying"
    if data_type == "numeric":
        return f"numeric({precision},{scale})" if precision is not None else "numeric"
    return data_type


def shape_problems(spec: EntitySpec, rows: list[tuple[Any, ...]]) -> list[str]:
    """Differences between an entity's columns and an existing table's (``COLUMNS_QUERY`` rows
    of that table, without their leading table name)."""
    found = {r[0]: (found_type(r[1], r[2], r[3], r[4]), bool(r[5]), bool(r[6])) for r in rows}
    problems: list[str] = []
    plans: list[ColumnPlan] = column_plans(spec)
    nullable = _nullable_columns(spec)
    for plan in plans:
        want = expected_type(plan.sql_type)
        if plan.name not in found:
            problems.append(f"missing column {plan.name} {want}")
            continue
        have, is_nullable, _ = found[plan.name]
        if have != want:
            problems.append(f"column {plan.name} is {have}, expected {want}")
        if plan.name in nullable and not is_nullable:
            problems.append(f"column {plan.name} is NOT NULL but the entity allows nulls")
    wanted = {p.name for p in plans}
    for name, (have, is_nullable, has_default) in found.items():
        if name not in wanted and not is_nullable and not has_default:
            problems.append(f"extra column {name} {have} is NOT NULL without a default (the sink cannot fill it)")
    return problems


def _nullable_columns(spec: EntitySpec) -> set[str]:
    from datagen_kernel.api.schema import sql_columns

    return {name for name, f in sql_columns(spec) if f.nullable}
