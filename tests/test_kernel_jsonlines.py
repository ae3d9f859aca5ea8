"""Column-built JSON Lines: the same text as converting and dumping each record on its own."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import orjson
import pytest

from datagen_kernel import Batch, TextColumn
from datagen_kernel.api.schema import (
    Bool,
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    Float,
    Int,
    Kind,
    String,
    Timestamp,
    Uuid,
)
from datagen_kernel.api.schema import Record as RecordType
from datagen_kernel.codecs.json import JsonSerializer
from datagen_kernel.codecs.jsonlines import LineEncoder
from datagen_kernel.codecs.text import SAO_PAULO, to_text_values

ADDRESS = RecordType("address", (Field("street", String()), Field("city", String()),
                                 Field("zip", String(), nullable=True)))
SPEC = EntitySpec(
    name="thing",
    kind=Kind.EVENT,
    fields=(
        Field("id", Uuid()),
        Field("name", String(), nullable=True),
        Field("kind", Enum("A", "BB")),
        Field("n", Int()),
        Field("maybe_n", Int(), nullable=True),
        Field("amount", Decimal(15, 2)),
        Field("rate", Decimal(9, 6), nullable=True),
        Field("whole", Decimal(10, 0)),
        Field("ratio", Float(), nullable=True),
        Field("flag", Bool()),
        Field("day", Date(), nullable=True),
        Field("at", Timestamp()),
        Field("seen", Timestamp(), nullable=True),
        Field("address", ADDRESS, nullable=True),
    ),
    primary_key="id",
)
AWKWARD = ['plain', 'quote " inside', "back\\slash", "new\nline", "tab\tand\x01ctrl", "", "São Paulo ✓",
           "emoji 🚀", 'x},{"id":"y', "a,b", "\x7f del", "null"]


def _reference(spec: EntitySpec, records: list[dict], tz: dt.tzinfo = SAO_PAULO) -> bytes:
    """What the json serializer writes, one record at a time."""
    return b"".join(orjson.dumps(r) + b"\n" for r in to_text_values(spec, records, tz))


def _records(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        big = int(rng.integers(-(10**15) + 1, 10**15))
        out.append({
            "id": f"{i:08d}-0000-4000-8000-000000000000",
            "name": None if i % 5 == 0 else AWKWARD[i % len(AWKWARD)],
            "kind": "A" if i % 2 else "BB",
            "n": [0, -1, 7, 10_000, -99_999_999, 2**62, -(2**62) + 1][i % 7],
            "maybe_n": None if i % 3 == 0 else int(rng.integers(-5, 10**12)),
            "amount": [0, 1, -1, 99, 100, -100, 10_001, big][i % 8],
            "rate": None if i % 4 == 0 else int(rng.integers(0, 10**8)),
            "whole": int(rng.integers(-(10**9), 10**9)),
            "ratio": None if i % 6 == 0 else [0.1, 1e-7, 123.456, 1e16, -0.0, 2.5][i % 6],
            "flag": bool(i % 2),
            "day": None if i % 7 == 0 else dt.date(1970, 1, 1) + dt.timedelta(days=int(rng.integers(-20_000, 40_000))),
            "at": int(rng.integers(-(10**12), 4 * 10**12)),
            "seen": None if i % 2 else int(rng.integers(0, 2 * 10**12)),
            "address": None if i % 9 == 0 else {"street": AWKWARD[i % len(AWKWARD)], "city": "Recife",
                                                "zip": None if i % 2 else "50000-000"},
        })
    return out


@pytest.mark.parametrize("tz", [SAO_PAULO, dt.UTC])
def test_lines_match_the_record_by_record_text(tz: dt.tzinfo) -> None:
    records = _records(500, 1)
    assert LineEncoder(SPEC, tz).encode(records) == _reference(SPEC, records, tz)


@pytest.fixture(autouse=True)
def _both_paths(json_writer_path: str) -> None:
    """Every test here with the json writer's C helper and with its numpy path."""


def test_a_batch_of_arrays_gives_the_same_text_as_its_rows() -> None:
    rows = _records(300, 2)
    batch = Batch.from_rows(SPEC.field_names, rows)
    arrays = Batch({
        **{n: batch.column(n) for n in SPEC.field_names},
        "n": np.array(batch.column("n"), dtype=np.int64),
        "amount": np.array(batch.column("amount"), dtype=np.int64),
        "whole": np.array(batch.column("whole"), dtype=np.int64),
        "flag": np.array(batch.column("flag"), dtype=bool),
        "at": np.array(batch.column("at"), dtype=np.int64),
        "id": TextColumn(np.frombuffer("".join(batch.column("id")).encode(), dtype=np.uint8).reshape(300, 36)),
    })
    expected = _reference(SPEC, rows)
    assert LineEncoder(SPEC, SAO_PAULO).encode(batch) == expected
    assert LineEncoder(SPEC, SAO_PAULO).encode(arrays) == expected


def test_columns_the_fast_path_declines_are_written_value_by_value() -> None:
    records = _records(40, 3)
    records[3]["amount"] = decimal.Decimal("12.345")  # Decimal objects
    records[5]["at"] = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)  # an aware datetime
    records[7]["day"] = dt.date(1492, 10, 12)  # outside the date table
    records[9]["n"] = -(2**63)  # int64's minimum
    records[11]["whole"] = 10**20  # beyond int64
    assert LineEncoder(SPEC, SAO_PAULO).encode(records) == _reference(SPEC, records)


def test_all_null_and_single_record_columns() -> None:
    records = _records(1, 4)
    assert LineEncoder(SPEC, SAO_PAULO).encode(records) == _reference(SPEC, records)
    for r in (records := _records(10, 5)):
        for f in SPEC.fields:
            if f.nullable:
                r[f.name] = None
    assert LineEncoder(SPEC, SAO_PAULO).encode(records) == _reference(SPEC, records)
    assert LineEncoder(SPEC, SAO_PAULO).encode([]) == b""


def test_records_that_do_not_fit_the_fields_are_left_to_the_caller() -> None:
    records = _records(5, 6)
    records[2]["extra"] = 1
    assert LineEncoder(SPEC, SAO_PAULO).encode(records) is None
    del records[2]["extra"], records[2]["flag"]
    assert LineEncoder(SPEC, SAO_PAULO).encode(records) is None
    # the serializer then writes them as they are
    lines = JsonSerializer({}).serialize_lines(SPEC, records).splitlines()
    assert len(lines) == 5 and "flag" not in orjson.loads(lines[2])


def test_text_columns_needing_escapes_are_escaped() -> None:
    spec = EntitySpec(name="t", kind=Kind.EVENT, fields=(Field("code", String()),), primary_key="code")
    codes = ['ab"c', "d\\ef", "g\x01hi", "jklm"]
    text = TextColumn(np.frombuffer("".join(codes).encode(), dtype=np.uint8).reshape(4, 4))
    expected = _reference(spec, [{"code": c} for c in codes])
    assert LineEncoder(spec, SAO_PAULO).encode(Batch({"code": text})) == expected


def test_text_columns_beyond_ascii_are_written_as_orjson_writes_them() -> None:
    spec = EntitySpec(name="t", kind=Kind.EVENT, fields=(Field("name", String(), nullable=True),),
                      primary_key="name")
    names = [n for n in AWKWARD if n] + [None, "ção", "\u2028 and \u2029", "é" * 20]
    for values in (names, [n for n in names if n is None or n.isascii() or '"' not in n], ["São", None, "Zé"]):
        expected = _reference(spec, [{"name": n} for n in values])
        text = TextColumn.from_strings(values)
        assert LineEncoder(spec, SAO_PAULO).encode(Batch({"name": text})) == expected
    # bytes that are not UTF-8 are not written as they are: a row cut inside a character, one
    # ending where the next begins with the rest of it
    for rows in ([b"\xc3", b"\xa9A"], [b"abc\xc3", b"\xa9de"]):
        matrix = np.array(rows, dtype="S4").view(np.uint8).reshape(2, 4)
        with pytest.raises(UnicodeDecodeError):
            LineEncoder(spec, SAO_PAULO).encode(Batch({"name": TextColumn(matrix)}))


def test_masked_arrays_and_nullable_text_columns_give_the_same_text() -> None:
    rows = _records(200, 7)
    batch = Batch.from_rows(SPEC.field_names, rows)
    seen, rate, day = batch.column("seen"), batch.column("rate"), batch.column("day")
    kinds = batch.column("kind")
    columnar = Batch({
        **{n: batch.column(n) for n in SPEC.field_names},
        "seen": np.ma.masked_array([0 if v is None else v for v in seen], mask=[v is None for v in seen],
                                   dtype=np.int64),
        "rate": np.ma.masked_array([0 if v is None else v for v in rate], mask=[v is None for v in rate],
                                   dtype=np.int64),
        "day": np.ma.masked_array(np.array([dt.date(2000, 1, 1) if v is None else v for v in day],
                                           dtype="datetime64[D]"), mask=[v is None for v in day]),
        "kind": TextColumn.from_codes(np.array([("A", "BB").index(k) for k in kinds]), ["A", "BB"]),
    })
    assert columnar.column("seen") == seen and columnar.column("day") == day
    assert LineEncoder(SPEC, SAO_PAULO).encode(columnar) == _reference(SPEC, rows)
    names = batch.column("name")
    plain = [n if n is None or (n.isascii() and n.isprintable() and '"' not in n and "\\" not in n) else "x"
             for n in names]
    for r, n in zip(rows, plain, strict=True):
        r["name"] = n
    width = max(len(n or "") for n in plain)
    matrix = np.array([(n or "").encode() for n in plain], dtype=f"S{width}").view(np.uint8).reshape(200, width)
    text = TextColumn(matrix, nulls=np.array([n is None for n in plain]))
    assert text.tolist() == plain
    assert LineEncoder(SPEC, SAO_PAULO).encode(Batch({**{n: columnar.stored(n) for n in SPEC.field_names},
                                                      "name": text})) == _reference(SPEC, rows)


def test_large_batches_are_rendered_in_chunks_with_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    import datagen_kernel.codecs.jsonlines as jsonlines

    records = _records(100, 8)
    monkeypatch.setattr(jsonlines, "CHUNK", 7)
    assert LineEncoder(SPEC, SAO_PAULO).encode(records) == _reference(SPEC, records)
    assert LineEncoder(SPEC, SAO_PAULO).encode(Batch.from_rows(SPEC.field_names, records)) == _reference(SPEC, records)
