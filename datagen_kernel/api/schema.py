"""Entity model: typed fields, keys, foreign keys, and exports to Avro, SQL and JSON Schema.

In-memory representation of values in records (what generators produce and serializers read):

========== ================================================================
type        Python value in a record
========== ================================================================
string      ``str``
int         ``int``
float       ``float``
bool        ``bool``
decimal     ``int`` in units of 10**-scale (cents for scale 2) or ``decimal.Decimal``
date        ``datetime.date``
timestamp   ``int`` milliseconds since the Unix epoch (UTC), or an aware ``datetime``
uuid        ``str`` (36 characters, canonical form)
enum        ``str``, one of the declared symbols
record      ``dict`` with the nested fields
========== ================================================================

Integers for money and instants keep generation and serialization fast and exact; every
serializer converts them to the destination's native form.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from datagen_kernel.api.errors import SchemaError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Kind(enum.StrEnum):
    """What an entity is: master data, reference data or an event stream."""

    MASTER = "master"
    REFERENCE = "reference"
    EVENT = "event"


class Scope(enum.StrEnum):
    """Where an entity's records come from in a run.

    ``root``: the entity whose count the user gives (``--customers N``); its index range is
    split into blocks. ``subtree``: generated inside a root block from parents of the same
    block. ``global``: a fixed set generated once per run (e.g. listed stocks).
    """

    ROOT = "root"
    SUBTREE = "subtree"
    GLOBAL = "global"


# ---------------------------------------------------------------------------------------------
# field types


@dataclass(frozen=True)
class FieldType:
    """Base of every field type."""

    @property
    def type_name(self) -> str:
        return type(self).__name__.lower()

    def describe(self) -> str:
        return self.type_name


@dataclass(frozen=True)
class String(FieldType):
    max_length: int | None = None

    def describe(self) -> str:
        return f"string({self.max_length})" if self.max_length else "string"


@dataclass(frozen=True)
class Int(FieldType):
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Float(FieldType):
    pass


@dataclass(frozen=True)
class Bool(FieldType):
    pass


@dataclass(frozen=True)
class Decimal(FieldType):
    precision: int = 15
    scale: int = 2

    def describe(self) -> str:
        return f"decimal({self.precision},{self.scale})"


@dataclass(frozen=True)
class Date(FieldType):
    pass


@dataclass(frozen=True)
class Timestamp(FieldType):
    pass


@dataclass(frozen=True)
class Uuid(FieldType):
    pass


@dataclass(frozen=True)
class Enum(FieldType):
    symbols: tuple[str, ...] = ()
    name: str | None = None

    def __init__(self, *symbols: str, name: str | None = None) -> None:
        object.__setattr__(self, "symbols", tuple(symbols))
        object.__setattr__(self, "name", name)

    def describe(self) -> str:
        return "enum(" + "|".join(self.symbols) + ")"


@dataclass(frozen=True)
class Record(FieldType):
    """A nested record (e.g. an address), flattened to ``<field>_<sub>`` columns in SQL."""

    name: str = "record"
    fields: tuple[Field, ...] = ()

    def __init__(self, name: str, fields: Iterable[Field]) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "fields", tuple(fields))

    def describe(self) -> str:
        return f"record({self.name})"


@dataclass(frozen=True)
class Field:
    """One field of an entity."""

    name: str
    type: FieldType
    nullable: bool = False
    doc: str = ""

    def describe(self) -> str:
        return self.type.describe() + ("?" if self.nullable else "")


@dataclass(frozen=True)
class ForeignKey:
    """``field`` of this entity references ``entity.ref_field``."""

    field: str
    entity: str
    ref_field: str


@dataclass(frozen=True)
class EntitySpec:
    """Everything the kernel and the sinks know about an entity."""

    name: str
    kind: Kind
    fields: tuple[Field, ...]
    primary_key: str
    foreign_keys: tuple[ForeignKey, ...] = ()
    scope: Scope = Scope.SUBTREE
    table: str | None = None
    topic: str | None = None
    key_field: str | None = None
    namespace: str = "br.com.datagen"
    doc: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Kind(self.kind))
        object.__setattr__(self, "scope", Scope(self.scope))
        object.__setattr__(self, "fields", tuple(self.fields))
        object.__setattr__(self, "foreign_keys", tuple(self.foreign_keys))
        if not _NAME.match(self.name):
            raise SchemaError(
                f"entity name {self.name!r} is invalid",
                hint="use lower_snake_case letters, digits and underscores",
            )
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SchemaError(f"entity {self.name!r} declares field(s) {dupes} twice")
        for key in (self.primary_key, self.key_field):
            if key is not None and key not in names:
                raise SchemaError(
                    f"entity {self.name!r}: key field {key!r} is not one of its fields",
                    hint=f"fields are {', '.join(names)}",
                )
        for fk in self.foreign_keys:
            if fk.field not in names:
                raise SchemaError(
                    f"entity {self.name!r}: foreign key field {fk.field!r} is not one of its fields"
                )

    @property
    def table_name(self) -> str:
        return self.table or self.name

    @property
    def topic_name(self) -> str:
        return self.topic or self.name

    @property
    def message_key(self) -> str:
        """The field whose value keys a message (events: ``key_field``; others: the id)."""
        return self.key_field or self.primary_key

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def parents(self) -> tuple[str, ...]:
        """Entities this one references, in declaration order, without duplicates."""
        seen: dict[str, None] = {}
        for fk in self.foreign_keys:
            if fk.entity != self.name:
                seen[fk.entity] = None
        return tuple(seen)

    def with_fields(self, *extra: Field) -> EntitySpec:
        """A copy with fields appended (how plugins extend an entity without a fork)."""
        return replace(self, fields=self.fields + tuple(extra))


# ---------------------------------------------------------------------------------------------
# exports


def to_avro(spec: EntitySpec) -> dict[str, Any]:
    """Avro record schema of an entity (logical types for decimal, date, timestamp, uuid)."""
    return {
        "type": "record",
        "name": _camel(spec.name),
        "namespace": spec.namespace,
        "doc": spec.doc or f"datagen entity {spec.name}",
        "fields": [_avro_field(f, spec.namespace, spec.name) for f in spec.fields],
    }


def _avro_field(f: Field, namespace: str, owner: str) -> dict[str, Any]:
    avro_type = _avro_type(f.type, namespace, owner, f.name)
    out: dict[str, Any] = {"name": f.name}
    if f.nullable:
        out["type"] = ["null", avro_type]
        out["default"] = None
    else:
        out["type"] = avro_type
    if f.doc:
        out["doc"] = f.doc
    return out


def _avro_type(t: FieldType, namespace: str, owner: str, fname: str) -> Any:
    if isinstance(t, String):
        return "string"
    if isinstance(t, Int):
        return "long" if (t.maximum is None or t.maximum > 2**31 - 1) else "int"
    if isinstance(t, Float):
        return "double"
    if isinstance(t, Bool):
        return "boolean"
    if isinstance(t, Decimal):
        return {"type": "bytes", "logicalType": "decimal", "precision": t.precision, "scale": t.scale}
    if isinstance(t, Date):
        return {"type": "int", "logicalType": "date"}
    if isinstance(t, Timestamp):
        return {"type": "long", "logicalType": "timestamp-millis"}
    if isinstance(t, Uuid):
        return {"type": "string", "logicalType": "uuid"}
    if isinstance(t, Enum):
        return {"type": "enum", "name": t.name or _camel(owner) + _camel(fname), "symbols": list(t.symbols)}
    if isinstance(t, Record):
        return {
            "type": "record",
            "name": _camel(t.name),
            "fields": [_avro_field(sub, namespace, t.name) for sub in t.fields],
        }
    raise SchemaError(f"no Avro mapping for field type {t!r}")


def sql_columns(spec: EntitySpec) -> list[tuple[str, Field]]:
    """Flattened SQL columns: nested records become ``<field>_<sub>`` columns."""
    cols: list[tuple[str, Field]] = []
    for f in spec.fields:
        if isinstance(f.type, Record):
            for sub in f.type.fields:
                cols.append((f"{f.name}_{sub.name}", replace(sub, nullable=sub.nullable or f.nullable)))
        else:
            cols.append((f.name, f))
    return cols


def sql_type(t: FieldType) -> str:
    """PostgreSQL column type of a scalar field type."""
    if isinstance(t, String):
        return f"VARCHAR({t.max_length})" if t.max_length else "TEXT"
    if isinstance(t, Int):
        return "BIGINT" if (t.maximum is None or t.maximum > 2**31 - 1) else "INTEGER"
    if isinstance(t, Float):
        return "DOUBLE PRECISION"
    if isinstance(t, Bool):
        return "BOOLEAN"
    if isinstance(t, Decimal):
        return f"NUMERIC({t.precision},{t.scale})"
    if isinstance(t, Date):
        return "DATE"
    if isinstance(t, Timestamp):
        return "TIMESTAMPTZ"
    if isinstance(t, Uuid):
        return "UUID"
    if isinstance(t, Enum):
        return "TEXT"
    raise SchemaError(f"no SQL mapping for field type {t!r}")


def to_sql_ddl(
    spec: EntitySpec, entities: Mapping[str, EntitySpec] | None = None, schema: str = "public"
) -> str:
    """``CREATE TABLE`` (+ FK indexes) for an entity.

    Enums are ``TEXT`` with a ``CHECK`` constraint rather than native enum types: adding a
    symbol later is then a constraint swap, not an ``ALTER TYPE`` that cannot run in a
    transaction on older servers.
    """
    entities = entities or {}
    table = f"{_q(schema)}.{_q(spec.table_name)}"
    lines: list[str] = []
    for col, f in sql_columns(spec):
        line = f"    {_q(col)} {sql_type(f.type)}"
        if not f.nullable:
            line += " NOT NULL"
        if isinstance(f.type, Enum):
            values = ", ".join("'" + s.replace("'", "''") + "'" for s in f.type.symbols)
            line += f" CHECK ({_q(col)} IN ({values}))"
        lines.append(line)
    lines.append(f"    PRIMARY KEY ({_q(spec.primary_key)})")
    for fk in spec.foreign_keys:
        parent = entities.get(fk.entity)
        ref_table = parent.table_name if parent else fk.entity
        lines.append(
            f"    FOREIGN KEY ({_q(fk.field)}) REFERENCES {_q(schema)}.{_q(ref_table)} ({_q(fk.ref_field)})"
        )
    ddl = f"CREATE TABLE IF NOT EXISTS {table} (\n" + ",\n".join(lines) + "\n);\n"
    for fk in spec.foreign_keys:
        idx = f"{spec.table_name}_{fk.field}_idx"
        ddl += f"CREATE INDEX IF NOT EXISTS {_q(idx)} ON {table} ({_q(fk.field)});\n"
    return ddl


def to_json_schema(spec: EntitySpec) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the records the json serializer writes."""
    props = {f.name: _json_field(f) for f in spec.fields}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{spec.namespace}.{spec.name}",
        "title": spec.name,
        "description": spec.doc or f"datagen entity {spec.name}",
        "type": "object",
        "properties": props,
        "required": [f.name for f in spec.fields],
        "additionalProperties": False,
    }


def _json_field(f: Field) -> dict[str, Any]:
    t = f.type
    out: dict[str, Any]
    if isinstance(t, String):
        out = {"type": "string"}
        if t.max_length:
            out["maxLength"] = t.max_length
    elif isinstance(t, Int):
        out = {"type": "integer"}
        if t.minimum is not None:
            out["minimum"] = t.minimum
        if t.maximum is not None:
            out["maximum"] = t.maximum
    elif isinstance(t, Float):
        out = {"type": "number"}
    elif isinstance(t, Bool):
        out = {"type": "boolean"}
    elif isinstance(t, Decimal):
        out = {"type": "string", "pattern": rf"^-?\d{{1,{t.precision - t.scale}}}\.\d{{{t.scale}}}$"}
    elif isinstance(t, Date):
        out = {"type": "string", "format": "date"}
    elif isinstance(t, Timestamp):
        out = {"type": "string", "format": "date-time"}
    elif isinstance(t, Uuid):
        out = {"type": "string", "format": "uuid"}
    elif isinstance(t, Enum):
        out = {"type": "string", "enum": list(t.symbols)}
    elif isinstance(t, Record):
        out = {
            "type": "object",
            "properties": {sub.name: _json_field(sub) for sub in t.fields},
            "required": [sub.name for sub in t.fields],
            "additionalProperties": False,
        }
    else:
        raise SchemaError(f"no JSON Schema mapping for field type {t!r}")
    if f.doc:
        out["description"] = f.doc
    if f.nullable:
        inner = out.get("type")
        if isinstance(inner, str):
            out["type"] = [inner, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def topological_order(entities: Mapping[str, EntitySpec]) -> list[str]:
    """Entities ordered so that every entity comes after the ones it references.

    Ties keep a stable order: global before root before subtree, then kind (reference,
    master, event), then name; so the plan is the same on every machine.
    """
    rank = {Scope.GLOBAL: 0, Scope.ROOT: 1, Scope.SUBTREE: 2}
    kind_rank = {Kind.REFERENCE: 0, Kind.MASTER: 1, Kind.EVENT: 2}
    pending = dict(entities)
    for spec in entities.values():
        for parent in spec.parents():
            if parent not in entities:
                raise SchemaError(
                    f"entity {spec.name!r} references {parent!r}, which no installed plugin registers",
                    hint=f"install the pack that provides {parent!r}",
                )
    done: list[str] = []
    while pending:
        ready = [
            s for s in pending.values() if all(p in done or p == s.name for p in s.parents())
        ]
        if not ready:
            raise SchemaError("foreign keys form a cycle between: " + ", ".join(sorted(pending)))
        ready.sort(key=lambda s: (s.kind == Kind.EVENT, rank[s.scope], kind_rank[s.kind], s.name))
        first = ready[0]
        done.append(first.name)
        del pending[first.name]
    return done


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-.]", name) if part)


def _q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def all_fields(fields: Sequence[Field]) -> list[Field]:
    """Fields including nested ones (used by documentation generators)."""
    out: list[Field] = []
    for f in fields:
        out.append(f)
        if isinstance(f.type, Record):
            out.extend(all_fields(f.type.fields))
    return out


__all__ = [
    "Bool",
    "Date",
    "Decimal",
    "EntitySpec",
    "Enum",
    "Field",
    "FieldType",
    "Float",
    "ForeignKey",
    "Int",
    "Kind",
    "Record",
    "Scope",
    "String",
    "Timestamp",
    "Uuid",
    "sql_columns",
    "sql_type",
    "to_avro",
    "to_json_schema",
    "to_sql_ddl",
    "topological_order",
]
