"""The kernel's schema and foreign-key checks, rule by rule, on lists of dicts and on Batches alike."""

from __future__ import annotations

import decimal
from typing import Any

import numpy as np
import pytest

from datagen_kernel import Batch, TextColumn
from datagen_kernel.api.rules import RecordIndex, Rule
from datagen_kernel.api.schema import Decimal, EntitySpec, Enum, Field, ForeignKey, Int, Kind, String, Uuid
from datagen_kernel.engine.validation import (
    SCHEMA_SAMPLE,
    foreign_key_violations,
    run_rules,
    schema_violations,
)

PARENT = EntitySpec(name="parent", kind=Kind.MASTER, primary_key="parent_id", fields=(Field("parent_id", Uuid()),))
CHILD = EntitySpec(
    name="child", kind=Kind.MASTER, primary_key="child_id",
    fields=(
        Field("child_id", String()),
        Field("parent_id", Uuid(), nullable=True),
        Field("label", String(4), nullable=True),
        Field("kind", Enum("A", "B")),
        Field("n", Int(minimum=0, maximum=10)),
        Field("amount", Decimal(4, 2)),
    ),
    foreign_keys=(ForeignKey("parent_id", "parent", "parent_id"),),
)
P1, P2 = "6ffea1d9-118c-442a-b488-a600af840a48", "41309433-396c-4ff3-bd8f-7f1aecbad74d"


def _child(i: int, **changes: Any) -> dict[str, Any]:
    row = {"child_id": f"c{i}", "parent_id": P1, "label": "ab", "kind": "A", "n": 5, "amount": 9999}
    row.update(changes)
    return row


def _forms(rows: list[dict[str, Any]]) -> list[Any]:
    """The same records as dicts, as a Batch of lists, and as a Batch holding its text fields
    as TextColumns (checked from their bytes where that settles it)."""
    columns = {name: [r.get(name) for r in rows] for name in rows[0]}
    text = {name: TextColumn.from_strings(values) if all(v is None or isinstance(v, str) for v in values)
            else values for name, values in columns.items()}
    return [rows, Batch(columns), Batch(text)]


def _found(records: Any) -> list[tuple[Any, str, str]]:
    return [(v.key, v.field, v.rule) for v in schema_violations(CHILD, records)]


@pytest.mark.parametrize("form", [0, 1, 2])
def test_good_records_pass(form: int) -> None:
    rows = [_child(0), _child(1, parent_id=None, label=None, n=0, amount=-9999), _child(2, n=10, kind="B")]
    assert _found(_forms(rows)[form]) == []
    wide = [_child(0, label="ééé"), _child(1, label="éé")]  # 4 characters at most, in up to 6 bytes
    assert _found(_forms(wide)[form]) == []


@pytest.mark.parametrize("form", [0, 1, 2])
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"kind": None}, ("c1", "kind", "not-null")),
        ({"kind": "C"}, ("c1", "kind", "enum")),
        ({"label": "abcde"}, ("c1", "label", "max-length")),
        ({"label": "ééééé"}, ("c1", "label", "max-length")),
        ({"n": -1}, ("c1", "n", "range")),
        ({"n": 11}, ("c1", "n", "range")),
        ({"amount": 10_000}, ("c1", "amount", "precision")),
        ({"amount": -10_000}, ("c1", "amount", "precision")),
        ({"amount": 1.5}, ("c1", "amount", "decimal-type")),
        ({"amount": True}, ("c1", "amount", "decimal-type")),
    ],
)
def test_each_schema_rule_names_the_record_and_field(form: int, changes: dict[str, Any],
                                                     expected: tuple[Any, str, str]) -> None:
    rows = [_child(0), _child(1, **changes), _child(2)]
    assert _found(_forms(rows)[form]) == [expected]


def test_limits_are_inclusive_where_the_type_allows() -> None:
    assert _found([_child(0, label="abcd", amount=decimal.Decimal("99.99"))]) == []
    assert _found([_child(0, amount=9999), _child(1, amount=-9999)]) == []


def test_missing_and_unexpected_fields_are_reported() -> None:
    rows = [_child(0), {k: v for k, v in _child(1).items() if k != "n"}]
    assert [(v.key, v.field, v.rule) for v in schema_violations(CHILD, rows)] == [("c1", "n", "fields")]
    extra = [_child(0), {**_child(1), "zzz": 1}]
    assert [(v.field, v.rule) for v in schema_violations(CHILD, extra)] == [("zzz", "fields")]
    batch = Batch({name: [r[name] for r in [_child(0)]] for name in CHILD.field_names if name != "kind"} |
                  {"other": [1]})
    found = schema_violations(CHILD, batch)
    assert [(v.key, v.field, v.rule) for v in found] == [(None, "kind,other", "fields")]
    assert "missing ['kind'], unexpected ['other']" in found[0].message
    assert schema_violations(CHILD, []) == []


@pytest.mark.parametrize("form", [0, 1])
def test_foreign_keys_point_at_existing_parents(form: int) -> None:
    parents = {"parent": [{"parent_id": P1}]}
    specs = {"parent": PARENT, "child": CHILD}
    good = [_child(0), _child(1, parent_id=None)]
    assert foreign_key_violations(CHILD, _forms(good)[form], RecordIndex(specs, parents)) == []
    bad = [_child(0), _child(1, parent_id=P2), _child(2, parent_id=P2)]
    found = foreign_key_violations(CHILD, _forms(bad)[form], RecordIndex(specs, parents))
    assert [(v.key, v.field, v.rule) for v in found] == [("c1", "parent_id", "foreign-key")]
    assert f"{P2!r} is not a parent.parent_id" in found[0].message


def test_foreign_keys_through_a_lookup_without_key_sets() -> None:
    class Lookup:
        def has_entity(self, entity: str) -> bool:
            return entity == "parent"

        def get(self, entity: str, key: Any) -> dict[str, Any] | None:
            return {"parent_id": P1} if key == P1 else None

    bad = [_child(0), _child(1, parent_id=None), _child(2, parent_id=P2), _child(3, parent_id=P2)]
    found = foreign_key_violations(CHILD, bad, Lookup())
    assert [(v.key, v.rule) for v in found] == [("c2", "foreign-key")]
    assert foreign_key_violations(CHILD, bad[:2], Lookup()) == []


def test_text_columns_are_compared_as_text() -> None:
    parents = {"parent": [{"parent_id": P1}]}
    specs = {"parent": PARENT, "child": CHILD}
    rows = [_child(0), _child(1)]
    batch = Batch({**{n: [r[n] for r in rows] for n in CHILD.field_names},
                   "parent_id": TextColumn.from_strings([P1, P2]).take(np.array([0, 0]))})
    assert foreign_key_violations(CHILD, batch, RecordIndex(specs, parents)) == []
    wrong = Batch({**{n: [r[n] for r in rows] for n in CHILD.field_names},
                   "parent_id": TextColumn.from_strings([P1, P2])})
    assert [v.key for v in foreign_key_violations(CHILD, wrong, RecordIndex(specs, parents))] == ["c1"]


def test_a_run_samples_the_schema_rules_but_not_foreign_keys_or_plugin_rules() -> None:
    n = SCHEMA_SAMPLE * 4
    rows = [_child(i) for i in range(n)]
    rows[1]["kind"] = "C"  # between two sampled records
    specs = {"parent": PARENT, "child": CHILD}
    index = RecordIndex(specs, {"parent": [{"parent_id": P1}]})
    assert [v.rule for v in run_rules(CHILD, rows, [], index)] == ["enum"]
    assert run_rules(CHILD, rows, [], index, sample_schema=True) == []
    rows[0]["kind"] = "C"  # the first record is always sampled
    assert [v.rule for v in run_rules(CHILD, rows, [], index, sample_schema=True)] == ["enum"]
    rows[5]["parent_id"] = P2
    assert "foreign-key" in {v.rule for v in run_rules(CHILD, rows, [], index, sample_schema=True)}
    seen: list[int] = []
    rule = Rule("count", "child", lambda spec, records, lookup: seen.append(len(records)) or [], "counts")
    run_rules(CHILD, rows, [rule], index, schema=False)
    assert seen == [n]
    assert run_rules(CHILD, rows, [], index, schema=False) == []


def test_a_renamed_field_is_reported_even_with_the_right_count() -> None:
    renamed = {("nn" if k == "n" else k): v for k, v in _child(1).items()}
    assert [(v.key, v.rule) for v in schema_violations(CHILD, [_child(0), renamed])] == [("c1", "fields")]


def test_every_field_is_checked_after_a_violation_or_an_all_null_column() -> None:
    rows = [_child(0, kind=None, label=None, n=11), _child(1, label=None)]
    assert [(v.field, v.rule) for v in schema_violations(CHILD, rows)] == [("kind", "not-null"), ("n", "range")]


def test_one_sided_int_bounds() -> None:
    spec = EntitySpec(name="bounds", kind=Kind.MASTER, primary_key="k",
                      fields=(Field("k", String()), Field("low", Int(minimum=1)), Field("high", Int(maximum=9))))
    good = [{"k": "a", "low": 1, "high": 9}, {"k": "b", "low": 10**12, "high": -(10**12)}]
    assert schema_violations(spec, good) == []
    found = schema_violations(spec, [{"k": "a", "low": 0, "high": 10}])
    assert [(v.field, v.rule) for v in found] == [("low", "range"), ("high", "range")]


def test_every_foreign_key_is_checked() -> None:
    other = EntitySpec(name="other", kind=Kind.MASTER, primary_key="other_id", fields=(Field("other_id", Uuid()),))
    spec = EntitySpec(
        name="two", kind=Kind.MASTER, primary_key="k",
        fields=(Field("k", String()), Field("ghost_id", Uuid()), Field("parent_id", Uuid()), Field("other_id", Uuid())),
        foreign_keys=(ForeignKey("ghost_id", "ghost", "ghost_id"), ForeignKey("parent_id", "parent", "parent_id"),
                      ForeignKey("other_id", "other", "other_id")),
    )
    index = RecordIndex({"parent": PARENT, "other": other, "two": spec},
                        {"parent": [{"parent_id": P1}], "other": [{"other_id": P1}]})
    rows = [{"k": "a", "ghost_id": P2, "parent_id": P1, "other_id": P2}]
    assert [(v.field, v.rule) for v in foreign_key_violations(spec, rows, index)] == [("other_id", "foreign-key")]
    both = [{"k": "b", "ghost_id": P2, "parent_id": P2, "other_id": P2}]
    assert [v.field for v in foreign_key_violations(spec, both, index)] == ["parent_id", "other_id"]


def test_the_sample_is_every_record_up_to_its_size_then_evenly_spread() -> None:
    specs = {"parent": PARENT, "child": CHILD}
    index = RecordIndex(specs, {"parent": [{"parent_id": P1}]})
    rows = [_child(i) for i in range(SCHEMA_SAMPLE)]
    rows[1]["kind"] = "C"  # at most SCHEMA_SAMPLE records: all are checked
    assert [v.rule for v in run_rules(CHILD, rows, [], index, sample_schema=True)] == ["enum"]
    many = [_child(i) for i in range(SCHEMA_SAMPLE * 4)]  # 1,024 records: every 5th is checked
    many[5]["kind"] = "C"
    assert [v.rule for v in run_rules(CHILD, many, [], index, sample_schema=True)] == ["enum"]
