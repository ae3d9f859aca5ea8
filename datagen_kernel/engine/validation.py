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
from datagen_kernel.api.schema import Decimal, EntitySpec, Enum, Int, String


def schema_violations(spec: EntitySpec, records: Sequence[Record]) -> list[Violation]:
    """Field presence, nullability, enum symbols, string lengths, int bounds, decimal range.

    Column-wise with C-level built-ins (``None in column``, set differences, ``min``/``max``):
    this runs on every generated record, so it must cost far less than generating it.
    """
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
    for f in spec.fields:
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


def _key_of(records: Sequence[Record], column: list[Any], value: Any, pk: str) -> Any:
    return column_of(records, pk)[column.index(value)]


def foreign_key_violations(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> list[Violation]:
    """Every foreign key value names an existing parent record."""
    out: list[Violation] = []
    pk = spec.primary_key
    for fk in spec.foreign_keys:
        if not lookup.has_entity(fk.entity):
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
    *, schema: bool = True, sample_schema: bool = False, run: RunInfo | None = None,
) -> list[Violation]:
    """All violations of ``records``: schema rules, foreign keys, then the plugin rules.

    ``lookup`` finds parent records (``RecordIndex(specs, records)`` over in-memory lists);
    ``run`` is given to the rules that take it (default: a neutral run, as-of
    2026-01-01T00:00Z, UTC, no options). With ``sample_schema`` the type/enum/length rules
    look at an even sample of ``SCHEMA_SAMPLE`` records (they guard against generator bugs
    that show on every record, and cost more than generating); foreign keys and plugin rules
    always see every record.
    """
    found: list[Violation] = []
    if schema:
        checked = records
        if sample_schema and len(records) > SCHEMA_SAMPLE:
            checked = records[:: len(records) // SCHEMA_SAMPLE + 1]
        found.extend(schema_violations(spec, checked))
        found.extend(foreign_key_violations(spec, records, lookup))
    for rule in rules:
        if rule.entity in (spec.name, "*"):
            found.extend(rule.run_check(spec, records, lookup, run))
    return found
