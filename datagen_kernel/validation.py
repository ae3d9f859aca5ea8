"""Data-quality rules: plugin rules plus the schema rules every entity gets for free."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from datagen_kernel.generation import Record
from datagen_kernel.schema import Decimal, EntitySpec, Enum, Int, String


@dataclass(frozen=True)
class Violation:
    """One broken rule: which entity, record key, field and rule, and what was wrong."""

    entity: str
    key: Any
    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.entity} {self.key}: field {self.field!r} broke rule {self.rule!r}: {self.message}"


class Lookup(Protocol):
    """Finds records by primary key, for rules that look at parents."""

    def get(self, entity: str, key: Any) -> Record | None: ...

    def has_entity(self, entity: str) -> bool: ...


Check = Callable[[EntitySpec, Sequence[Record], Lookup], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    """A named check over batches of one entity (``entity='*'`` for every entity)."""

    name: str
    entity: str
    check: Check
    doc: str = ""


class RecordIndex:
    """``Lookup`` over in-memory record lists, indexed lazily by primary key."""

    def __init__(self, specs: Mapping[str, EntitySpec], records: Mapping[str, Sequence[Record]]) -> None:
        self._specs = specs
        self._records = records
        self._index: dict[str, dict[Any, Record]] = {}

    def has_entity(self, entity: str) -> bool:
        return entity in self._records

    def get(self, entity: str, key: Any) -> Record | None:
        idx = self._index.get(entity)
        if idx is None:
            pk = self._specs[entity].primary_key
            idx = {r[pk]: r for r in self._records.get(entity, ())}
            self._index[entity] = idx
        return idx.get(key)

    def keys(self, entity: str) -> set[Any]:
        self.get(entity, None)
        return set(self._index[entity])


def schema_violations(spec: EntitySpec, records: Sequence[Record]) -> list[Violation]:
    """Field presence, nullability, enum symbols, string lengths, int bounds, decimal scale."""
    out: list[Violation] = []
    pk = spec.primary_key
    names = spec.field_names
    expected = set(names)
    for r in records:
        if len(r) != len(names) or r.keys() != expected:
            missing = sorted(expected - r.keys())
            extra = sorted(r.keys() - expected)
            out.append(Violation(spec.name, r.get(pk), ",".join(missing + extra) or "*", "fields",
                                 f"missing {missing} unexpected {extra}"))
            return out
    for f in spec.fields:
        column = [r[f.name] for r in records]
        if not f.nullable:
            for r, v in zip(records, column, strict=True):
                if v is None:
                    out.append(Violation(spec.name, r.get(pk), f.name, "not-null", "is null"))
                    break
        t = f.type
        if isinstance(t, Enum):
            allowed: set[str | None] = set(t.symbols)
            allowed.add(None)  # nullability is checked above
            bad = [i for i, v in enumerate(column) if v not in allowed]
            if bad:
                i = bad[0]
                out.append(Violation(spec.name, records[i].get(pk), f.name, "enum",
                                     f"{column[i]!r} is not one of {list(t.symbols)}"))
        elif isinstance(t, String) and t.max_length:
            m = t.max_length
            for i, v in enumerate(column):
                if v is not None and len(v) > m:
                    out.append(Violation(spec.name, records[i].get(pk), f.name, "max-length",
                                         f"{len(v)} characters, at most {m} allowed"))
                    break
        elif isinstance(t, Int) and (t.minimum is not None or t.maximum is not None):
            lo = t.minimum if t.minimum is not None else -(2**63)
            hi = t.maximum if t.maximum is not None else 2**63 - 1
            for i, v in enumerate(column):
                if v is not None and not lo <= v <= hi:
                    out.append(Violation(spec.name, records[i].get(pk), f.name, "range",
                                         f"{v} is outside {lo}..{hi}"))
                    break
        elif isinstance(t, Decimal):
            limit = 10**t.precision
            for i, v in enumerate(column):
                if isinstance(v, int) and not -limit < v < limit:
                    out.append(Violation(spec.name, records[i].get(pk), f.name, "precision",
                                         f"{v} does not fit decimal({t.precision},{t.scale})"))
                    break
                if v is not None and not isinstance(v, int) and type(v).__name__ != "Decimal":
                    out.append(Violation(spec.name, records[i].get(pk), f.name, "decimal-type",
                                         f"{type(v).__name__} value; use int (scaled) or Decimal"))
                    break
    return out


def foreign_key_violations(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> list[Violation]:
    """Every foreign key value names an existing parent record."""
    out: list[Violation] = []
    pk = spec.primary_key
    for fk in spec.foreign_keys:
        if not lookup.has_entity(fk.entity):
            continue
        for r in records:
            value = r.get(fk.field)
            if value is None:
                continue
            parent = lookup.get(fk.entity, value)
            if parent is None or parent.get(fk.ref_field) != value:
                out.append(Violation(spec.name, r.get(pk), fk.field, "foreign-key",
                                     f"{value!r} is not a {fk.entity}.{fk.ref_field}"))
                break
    return out


def run_rules(
    spec: EntitySpec, records: Sequence[Record], rules: Sequence[Rule], lookup: Lookup,
    *, schema: bool = True,
) -> list[Violation]:
    """All violations of ``records``: schema rules, foreign keys, then the plugin rules."""
    found: list[Violation] = []
    if schema:
        found.extend(schema_violations(spec, records))
        found.extend(foreign_key_violations(spec, records, lookup))
    for rule in rules:
        if rule.entity in (spec.name, "*"):
            found.extend(rule.check(spec, records, lookup))
    return found
