"""The matrix encoder (columns of a Batch -> framed values) against fastavro, edge cases included."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from typing import Any

import numpy as np
import pytest
from datagen_plugin_avro import codec as codec_module
from datagen_plugin_avro.codec import EntityCodec, MatrixEncoder, wire_header
from kafkatest_support import toy_pack

from datagen_kernel import Batch, EntitySpec, Field, TextColumn
from datagen_kernel.api.schema import Bool, Date, Decimal, Enum, Float, Int, Kind, String, Timestamp, Uuid, to_avro
from datagen_kernel.engine.plugins import make_plugin_host
from datagen_kernel.testing import ConformancePack, generate_records

HEADER = wire_header(77)


def _columnar(spec: EntitySpec, records: list[dict[str, Any]]) -> Batch:
    """The records as a Batch in the column forms generators use (arrays, TextColumn, lists)."""
    columns: dict[str, Any] = {}
    for f in spec.fields:
        values = [r[f.name] for r in records]
        if f.nullable or not values:
            columns[f.name] = values
        elif isinstance(f.type, Uuid):
            columns[f.name] = TextColumn(np.frombuffer("".join(values).encode(), dtype=np.uint8).reshape(-1, 36))
        elif isinstance(f.type, (Int, Decimal, Timestamp)) and all(-(2**63) <= v < 2**63 for v in values
                                                                   if type(v) is int):
            columns[f.name] = np.array(values, dtype=np.int64) if all(type(v) is int for v in values) else values
        elif isinstance(f.type, Date):
            columns[f.name] = np.array(values, dtype="datetime64[D]")
        elif isinstance(f.type, (Float, Bool)):
            columns[f.name] = np.array(values)
        else:
            columns[f.name] = values
    return Batch(columns)


def _check(spec: EntitySpec, records: list[dict[str, Any]]) -> None:
    codec = EntityCodec(spec)
    assert codec.matrix is not None, spec.name
    reference = codec.encode_reference(records, HEADER)
    from_dicts = codec.matrix.encode(records, HEADER)
    from_batch = codec.matrix.encode(_columnar(spec, records), HEADER)
    assert from_dicts == reference, f"{spec.name}: matrix encoder on dicts != fastavro"
    assert from_batch == reference, f"{spec.name}: matrix encoder on columns != fastavro"


def test_conformance_pack_columns_and_dicts_equal_fastavro() -> None:
    records = generate_records(make_plugin_host(entrypoints=False, plugins=[ConformancePack()]), customers=60, seed=4)
    for spec in ConformancePack.entities:
        assert records[spec.name], spec.name
        _check(spec, records[spec.name])


def test_installed_packs_columns_equal_fastavro() -> None:
    host = make_plugin_host()
    specs = host.registry.entity_specs()
    if not specs:
        pytest.skip("no entity pack installed")
    for name, recs in generate_records(host, customers=30, seed=2).items():
        if recs:
            _check(specs[name], list(recs[:600]))


EDGE = EntitySpec(
    "edge", Kind.EVENT,
    (Field("edge_id", Uuid()), Field("text", String()), Field("maybe", String(), nullable=True),
     Field("n", Int()), Field("cents", Decimal(17, 2)), Field("when", Timestamp()),
     Field("day", Date()), Field("opt_day", Date(), nullable=True), Field("flag", Bool()), Field("x", Float()),
     Field("kind", Enum("A", "B", "C")), Field("opt_kind", Enum("A", "B"), nullable=True)),
    primary_key="edge_id",
)


def _edge(i: int, text: str, maybe: str | None) -> dict[str, Any]:
    return {"edge_id": str(uuid.UUID(int=i)), "text": text, "maybe": maybe,
            "n": [0, -1, 2**63 - 1, -(2**63), 63, 64][i % 6],
            "cents": [0, -1, 127, 128, -129, 2**62][i % 6], "when": [0, -1, 1767000000123][i % 3],
            "day": dt.date(2024, 1, 1) + dt.timedelta(days=i), "opt_day": None if i % 2 else dt.date(1969, 12, 31),
            "flag": bool(i % 2), "x": i / 7, "kind": "ABC"[i % 3], "opt_kind": None if i % 3 else "B"}


def test_edge_values_equal_fastavro() -> None:
    texts = ["", "a", "São Paulo", "x" * 70, "emoji \U0001f600", "tab\tnew\nline"]
    records = [_edge(i, texts[i % len(texts)], None if i % 4 else texts[(i + 1) % len(texts)]) for i in range(120)]
    _check(EDGE, records)
    _check(EDGE, records[:1])
    _check(EDGE, [dict(r, maybe=None) for r in records])  # a nullable column that is all null
    _check(EDGE, [dict(r, maybe="m") for r in records])  # ... and never null


def test_nul_characters_in_strings_are_kept() -> None:
    records = [_edge(i, "a\x00b" if i % 2 else "", "\x00") for i in range(10)]
    _check(EDGE, records)


def test_decimals_beyond_64_bits_and_decimal_objects_fall_back_to_exact_bytes() -> None:
    import decimal

    records = [_edge(i, "t", None) for i in range(10)]
    records[3]["cents"] = 2**70
    _check(EDGE, records)
    records[3]["cents"] = decimal.Decimal("12.34")
    codec = EntityCodec(EDGE)
    assert codec.matrix is not None
    assert codec.matrix.encode(records, HEADER) == codec.encode_reference(records, HEADER)


def test_wide_rows_go_through_the_column_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [_edge(i, "long text " * 300 if i == 0 else "t", None) for i in range(5)]
    codec = EntityCodec(EDGE)
    assert codec.matrix is not None and codec.matrix.encode(records, HEADER) is None
    assert codec.encode(records, HEADER) == codec.encode_reference(records, HEADER)
    data, ends = codec.encode_packed(records, HEADER)  # the packed form of the same fallback
    assert data == b"".join(codec.encode_reference(records, HEADER))
    assert ends.tolist() == list(itertools.accumulate(len(v) for v in codec.encode_reference(records, HEADER)))
    monkeypatch.setattr(codec_module, "MAX_ROW", 10**6)
    assert MatrixEncoder(codec.schema).encode(records, HEADER) == codec.encode_reference(records, HEADER)


def test_bad_values_name_the_field() -> None:
    codec = EntityCodec(toy_pack.TEAM)
    good = {"team_id": str(uuid.UUID(int=1)), "name": "x", "league": "GOLD", "budget": 1}
    assert codec.matrix is not None
    with pytest.raises(ValueError, match=r"'league'.*PLATINUM.*not a symbol"):
        codec.matrix.encode([dict(good, league="PLATINUM")], HEADER)
    with pytest.raises(ValueError, match=r"'budget'"):
        codec.matrix.encode([dict(good, budget="12")], HEADER)


def test_packed_values_are_the_values_end_to_end() -> None:
    records = [_edge(i, "t" * (i % 5), None) for i in range(20)]
    codec = EntityCodec(EDGE)
    reference = codec.encode_reference(records, HEADER)
    data, ends = codec.encode_packed(records, HEADER)
    assert data == b"".join(reference)
    assert ends.tolist() == list(itertools.accumulate(map(len, reference)))


def test_the_registered_schema_text_is_the_entitys_avro_schema() -> None:
    codec = EntityCodec(EDGE)
    assert json.loads(codec.schema_str) == to_avro(EDGE) == codec.schema
    assert codec.full_name == "br.com.datagen.Edge"


def test_empty_batches() -> None:
    codec = EntityCodec(EDGE)
    assert codec.encode([], HEADER) == [] and codec.encode(Batch({f.name: [] for f in EDGE.fields}), HEADER) == []
    data, ends = codec.encode_packed([], HEADER)
    assert data == b"" and len(ends) == 0


def test_padded_and_nullable_text_columns_equal_fastavro() -> None:
    """TextColumns as generators make them: NUL-padded UTF-8, nulls, enum symbols from codes."""
    texts = ["", "a", "São Paulo", "x" * 70, "emoji \U0001f600"]
    records = [_edge(i, texts[i % len(texts)], None if i % 3 else texts[(i + 2) % len(texts)]) for i in range(90)]
    codec = EntityCodec(EDGE)
    assert codec.matrix is not None
    reference = codec.encode_reference(records, HEADER)
    base = _columnar(EDGE, records)
    columns = {name: base.values(name) for name in base.names}
    columns["text"] = TextColumn.from_strings([r["text"] for r in records])
    columns["maybe"] = TextColumn.from_strings([r["maybe"] for r in records])
    codes = np.array(["ABC".index(r["kind"]) for r in records])
    columns["kind"] = TextColumn.from_codes(codes, ["A", "B", "C"])
    kinds = [r["opt_kind"] for r in records]
    columns["opt_kind"] = TextColumn.from_codes(np.array([0 if k is None else "AB".index(k) for k in kinds]),
                                                ["A", "B"], np.array([k is None for k in kinds]))
    assert codec.matrix.encode(Batch(columns), HEADER) == reference
    all_null = dict(columns, maybe=TextColumn.from_strings([None] * len(records)))
    assert codec.matrix.encode(Batch(all_null), HEADER) == codec.encode_reference(
        [dict(r, maybe=None) for r in records], HEADER)
    bad = dict(columns, kind=TextColumn.from_codes(codes, ["A", "B", "Z"]))
    with pytest.raises(ValueError, match=r"'kind'.*'Z' is not a symbol"):
        codec.matrix.encode(Batch(bad), HEADER)
