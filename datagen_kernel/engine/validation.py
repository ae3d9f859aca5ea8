"""Checking records: schema rules, foreign keys and the plugins' rules (engine and ``datagen validate``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal as PyDecimal
from typing import Any

import numpy as np

from datagen_kernel.api.columnar import Batch, TextColumn
from datagen_kernel.api.columnar import column as column_of
from datagen_kernel.api.generation import RunInfo
from datagen_kernel.api.records import Record
from datagen_kernel.api.rules import Lookup, Rule, Violation
from datagen_kernel.api.schema import Decimal, EntitySpec, Enum, Field, Int, String, Uuid


def schema_violations(spec: EntitySpec, records: Sequence[Record], *, every: bool = False) -> list[Violation]:
    """Field presence, nullability, enum symbols, string lengths, int bounds, decimal range.

    Column-wise with C-level built-ins (``None in column``, set differences, ``min``/``max``):
    this runs on every generated record, so it must cost far less than generating it. It
    names the first record breaking each rule of each field; with ``every``, each record
    (``datagen validate`` counts them all).
    """
    if every:  # the column-wise pass first: a clean slice costs no more than during a run
        return _every_schema_violation(spec, records) if schema_violations(spec, records) else []
    out: list[Violation] = []
    if not records:
        return out
    pk = spec.primary_key
    names = spec.field_names
    n_fields = len(names)
    if isinstance(records, Batch) and not records.rows_built:
        if set(records.names) != set(names):
            missing = sorted(set(names) - set(records.names))
            extra = sorted(set(records.names) - set(names))
            return [Violation(spec.name, None, ",".join(missing + extra), "fields",
                              f"batch columns: missing {missing}, unexpected {extra}")]
    else:
        expected = set(names)
        for r in records:  # every record: one with a renamed field has the right count but not the keys
            if len(r) != n_fields or r.keys() != expected:
                missing = sorted(set(names) - r.keys())
                extra = sorted(r.keys() - set(names))
                out.append(Violation(spec.name, r.get(pk), ",".join(missing + extra) or "*", "fields",
                                     f"missing {missing}, unexpected {extra}"))
                return out
    batch = records if isinstance(records, Batch) and not records.rows_built else None
    for f in spec.fields:
        if batch is not None and _text_passes(batch, f):
            continue
        column = column_of(records, f.name)
        has_null = None in column
        if has_null and not f.nullable:
            i = column.index(None)
            out.append(Violation(spec.name, column_of(records, pk)[i], f.name, "not-null", "is null"))
            continue
        values = [v for v in column if v is not None] if has_null else column
        if not values:
            continue
        t = f.type
        if isinstance(t, Enum):
            bad = set(values) - set(t.symbols)
            if bad:
                first = next(v for v in values if v in bad)
                out.append(Violation(spec.name, _key_of(records, column, first, pk), f.name, "enum",
                                     f"{first!r} is not one of {list(t.symbols)}"))
        elif isinstance(t, String) and t.max_length:
            longest = max(values, key=len)
            if len(longest) > t.max_length:
                out.append(Violation(spec.name, _key_of(records, column, longest, pk), f.name, "max-length",
                                     f"{len(longest)} characters, at most {t.max_length} allowed"))
        elif isinstance(t, Int) and (t.minimum is not None or t.maximum is not None):
            lo, hi = min(values), max(values)
            if t.minimum is not None and lo < t.minimum:
                out.append(Violation(spec.name, _key_of(records, column, lo, pk), f.name, "range",
                                     f"{lo} is below the minimum {t.minimum}"))
            if t.maximum is not None and hi > t.maximum:
                out.append(Violation(spec.name, _key_of(records, column, hi, pk), f.name, "range",
                                     f"{hi} is above the maximum {t.maximum}"))
        elif isinstance(t, Decimal):
            limit = 10**t.precision
            try:
                lo, hi = min(values), max(values)
            except TypeError:
                lo = hi = 0
            bad_type = next((v for v in values if not isinstance(v, (int, PyDecimal)) or isinstance(v, bool)), None)
            if bad_type is not None:
                out.append(Violation(spec.name, _key_of(records, column, bad_type, pk), f.name, "decimal-type",
                                     f"{type(bad_type).__name__} value; use int (scaled) or Decimal"))
            elif isinstance(lo, int) and isinstance(hi, int) and (lo <= -limit or hi >= limit):
                v = lo if lo <= -limit else hi
                out.append(Violation(spec.name, _key_of(records, column, v, pk), f.name, "precision",
                                     f"{v} does not fit decimal({t.precision},{t.scale})"))
    return out


def _text_passes(records: Batch, f: Field) -> bool:
    """Whether a ``TextColumn`` field passes the schema rules, told from its bytes (no string
    per record): nulls only where allowed, enum symbols among the distinct values, and a
    ``String`` no wider in bytes than its maximum length (a character is at least a byte).
    False when that does not settle it: the values are then checked one by one."""
    stored = records.stored(f.name)
    if not isinstance(stored, TextColumn) or (stored.nulls is not None and not f.nullable):
        return False
    t = f.type
    if isinstance(t, Enum):
        return _distinct_text(records, f.name) <= set(t.symbols)
    if isinstance(t, String):
        return not t.max_length or stored.width <= t.max_length
    return isinstance(t, Uuid)


def _every_schema_violation(spec: EntitySpec, records: Sequence[Record]) -> list[Violation]:
    """``schema_violations`` naming every record that breaks a rule (one violation per record and field)."""
    out: list[Violation] = []
    pk = spec.primary_key
    names = set(spec.field_names)
    for r in records:
        if r.keys() != names:
            missing, extra = sorted(names - r.keys()), sorted(r.keys() - names)
            out.append(Violation(spec.name, r.get(pk), ",".join(missing + extra) or "*", "fields",
                                 f"missing {missing}, unexpected {extra}"))
    if out:
        return out
    keys = column_of(records, pk)
    for f in spec.fields:
        t = f.type
        for key, v in zip(keys, column_of(records, f.name), strict=True):
            if v is None:
                if not f.nullable:
                    out.append(Violation(spec.name, key, f.name, "not-null", "is null"))
                continue
            if isinstance(t, Enum) and v not in t.symbols:
                out.append(Violation(spec.name, key, f.name, "enum", f"{v!r} is not one of {list(t.symbols)}"))
            elif isinstance(t, String) and t.max_length and len(v) > t.max_length:
                out.append(Violation(spec.name, key, f.name, "max-length",
                                     f"{len(v)} characters, at most {t.max_length} allowed"))
            elif isinstance(t, Int) and t.minimum is not None and v < t.minimum:
                out.append(Violation(spec.name, key, f.name, "range", f"{v} is below the minimum {t.minimum}"))
            elif isinstance(t, Int) and t.maximum is not None and v > t.maximum:
                out.append(Violation(spec.name, key, f.name, "range", f"{v} is above the maximum {t.maximum}"))
            elif isinstance(t, Decimal):
                if not isinstance(v, (int, PyDecimal)) or isinstance(v, bool):
                    out.append(Violation(spec.name, key, f.name, "decimal-type",
                                         f"{type(v).__name__} value; use int (scaled) or Decimal"))
                elif isinstance(v, int) and abs(v) >= 10**t.precision:
                    out.append(Violation(spec.name, key, f.name, "precision",
                                         f"{v} does not fit decimal({t.precision},{t.scale})"))
    return out


def _key_of(records: Sequence[Record], column: list[Any], value: Any, pk: str) -> Any:
    return column_of(records, pk)[column.index(value)]


def foreign_key_violations(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, *,
                           every: bool = False) -> list[Violation]:
    """Every foreign key value names an existing parent record.

    Names the first record of each foreign key whose parent is missing; with ``every``, each
    such record. A lookup with a ``missing(entity, field, values)`` method (``DatasetLookup``)
    answers which values no parent holds.
    """
    out: list[Violation] = []
    pk = spec.primary_key
    for fk in spec.foreign_keys:
        if not lookup.has_entity(fk.entity):
            continue
        if every or hasattr(lookup, "missing"):
            out.extend(_every_missing_parent(spec, records, lookup, fk.field, fk.entity, fk.ref_field, every))
            continue
        keys = lookup.keys(fk.entity, fk.ref_field) if hasattr(lookup, "keys") else None
        if keys is not None and _distinct_text(records, fk.field) <= keys:
            continue  # the common case, without a Python string per record
        column = column_of(records, fk.field)
        if keys is not None:
            missing = set(column) - keys
            missing.discard(None)
            if missing:
                first = next(v for v in column if v in missing)
                out.append(Violation(spec.name, _key_of(records, column, first, pk), fk.field, "foreign-key",
                                     f"{first!r} is not a {fk.entity}.{fk.ref_field}"))
            continue
        for key, value in zip(column_of(records, pk), column, strict=True):
            if value is None:
                continue
            parent = lookup.get(fk.entity, value)
            if parent is None or parent.get(fk.ref_field) != value:
                out.append(Violation(spec.name, key, fk.field, "foreign-key",
                                     f"{value!r} is not a {fk.entity}.{fk.ref_field}"))
                break
    return out


def _every_missing_parent(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, field: str,
                          entity: str, ref_field: str, every: bool) -> list[Violation]:
    column = column_of(records, field)
    distinct = set(column) - {None}
    finder = getattr(lookup, "missing", None)
    if finder is not None:
        missing = set(finder(entity, ref_field, distinct))
    elif hasattr(lookup, "keys"):
        missing = distinct - lookup.keys(entity, ref_field)
    else:
        missing = {v for v in distinct if (p := lookup.get(entity, v)) is None or p.get(ref_field) != v}
    out: list[Violation] = []
    for key, value in zip(column_of(records, spec.primary_key), column, strict=True):
        if value in missing:
            out.append(Violation(spec.name, key, field, "foreign-key", f"{value!r} is not a {entity}.{ref_field}"))
            if not every:
                break
    return out


def _distinct_text(records: Sequence[Record], name: str) -> set[Any]:
    """The distinct values of a ``TextColumn`` field, decoded once each (else: all values)."""
    if isinstance(records, Batch):
        stored = records.stored(name)
        if isinstance(stored, TextColumn) and stored.width:
            matrix = stored.matrix if stored.nulls is None else stored.matrix[~stored.nulls]
            flat = np.ascontiguousarray(matrix).view(f"S{stored.width}").ravel()
            return {b.decode("utf-8") for b in set(flat.tolist())}
    return set(column_of(records, name)) - {None}


SCHEMA_SAMPLE = 256
"""During a run, schema rules check this many records per block and entity (evenly spread)."""


def run_rules(
    spec: EntitySpec, records: Sequence[Record], rules: Sequence[Rule], lookup: Lookup,
    *, schema: bool = True, sample_schema: bool = False, run: RunInfo | None = None, every: bool = False,
) -> list[Violation]:
    """All violations of ``records``: schema rules, foreign keys, then the plugin rules.

    ``lookup`` finds parent records (``RecordIndex(specs, records)`` over in-memory lists);
    ``run`` is given to the rules that take it (default: a neutral run, as-of
    2026-01-01T00:00Z, UTC, no options). With ``sample_schema`` the type/enum/length rules
    look at an even sample of ``SCHEMA_SAMPLE`` records (they guard against generator bugs
    that show on every record, and cost more than generating); foreign keys and plugin rules
    always see every record. With ``every`` the schema rules and foreign keys name each
    record that breaks them (``datagen validate``), not the first one per field.
    """
    found: list[Violation] = []
    if schema:
        checked = records
        if sample_schema and len(records) > SCHEMA_SAMPLE:
            checked = records[:: len(records) // SCHEMA_SAMPLE + 1]
        broken = schema_violations(spec, checked, every=every)
        found.extend(broken)
        found.extend(foreign_key_violations(spec, records, lookup, every=every))
        if every and broken and spec.primary_key:  # a dataset checked after the fact (it may hold
            # poison pills): plugin rules see only records of the right types, as during a run
            keys = {v.key for v in broken}
            records = [r for r in records if r.get(spec.primary_key) not in keys]
    for rule in rules:
        if rule.entity in (spec.name, "*"):
            if not every:
                found.extend(rule.run_check(spec, records, lookup, run))
                continue
            try:  # a dataset checked after the fact may hold values no rule expects (poison pills)
                found.extend(rule.run_check(spec, records, lookup, run))
            except Exception as exc:
                found.append(Violation(spec.name, None, "*", rule.name,
                                       f"the rule could not check {len(records):,} records: "
                                       f"{type(exc).__name__}: {exc}"))
    return found
