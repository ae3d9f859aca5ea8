"""Binary COPY from columns: a Batch (numpy or list columns) and a list of dicts give the same
tuples, and every field decodes (independently of the encoder) to the value it was given."""

from __future__ import annotations

import datetime as dt
import decimal
import struct
import uuid
from decimal import Decimal as PyDecimal
from typing import Any

import numpy as np
import pytest
from datagen_plugin_postgres import encoding
from datagen_plugin_postgres.encoding import column_plans, encode_binary
from psycopg.types.datetime import DateBinaryDumper, DatetimeBinaryDumper
from psycopg.types.numeric import DecimalBinaryDumper
from psycopg.types.uuid import UUIDBinaryDumper

from datagen_kernel import (
    Batch,
    Bool,
    Date,
    Decimal,
    EntitySpec,
    Field,
    Float,
    Int,
    Kind,
    RecordType,
    String,
    TextColumn,
    Timestamp,
    Uuid,
)

ADDRESS = RecordType("address", (Field("street", String(60)), Field("complement", String(20), nullable=True),
                                 Field("state", String(2))))
SPEC = EntitySpec(
    "thing", Kind.MASTER,
    (Field("thing_id", Uuid()), Field("code", String(6)), Field("name", String(80)),
     Field("amount", Decimal(15, 2)), Field("n", Int(minimum=0, maximum=1000)), Field("big", Int()),
     Field("ratio", Float()), Field("flag", Bool()), Field("born", Date()), Field("at", Timestamp()),
     Field("address", ADDRESS, nullable=True), Field("note", String(), nullable=True),
     Field("closed_at", Timestamp(), nullable=True), Field("paid", Decimal(10, 2), nullable=True)),
    "thing_id",
)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NAMES = ["Ana", "João Conceição", "Zé", "", "Müller-Łukasz", "plain name", "ção", "Ωμέγα 🙂"]


def _rows(n: int, seed: int) -> list[dict[str, Any]]:
    rnd = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        rows.append({
            "thing_id": str(uuid.UUID(int=int(rnd.integers(0, 2**62)) * 3 + i, version=4)),
            "code": f"C{i % 100000:05d}",
            "name": NAMES[i % len(NAMES)] + ("x" * int(rnd.integers(0, 5))),
            "amount": int(rnd.integers(-10**13, 10**13)),
            "n": int(rnd.integers(0, 1001)),
            "big": int(rnd.integers(-2**62, 2**62)),
            "ratio": float(rnd.standard_normal()),
            "flag": bool(i % 3 == 0),
            "born": dt.date(1950, 1, 1) + dt.timedelta(days=int(rnd.integers(0, 30000))),
            "at": int(rnd.integers(-10**12, 2 * 10**12)),
            "address": None if i % 5 == 4 else {"street": f"Rua {NAMES[i % len(NAMES)]} {i}",
                                                 "complement": None if i % 2 else f"Apto {i}", "state": "SP"},
            "note": None if i % 4 else f"note\t{i}\n",
            "closed_at": None,
            "paid": None if i % 3 else int(rnd.integers(0, 10**9)),
        })
    return rows


def _as_batch(rows: list[dict[str, Any]]) -> Batch:
    """Columns as a columnar generator would store them: numpy where the type allows."""
    def col(name: str) -> list[Any]:
        return [r[name] for r in rows]

    return Batch({
        "thing_id": col("thing_id"), "code": np.array(col("code")), "name": col("name"),
        "amount": np.array(col("amount"), dtype=np.int64), "n": np.array(col("n"), dtype=np.int64),
        "big": np.array(col("big"), dtype=np.int64), "ratio": np.array(col("ratio")),
        "flag": np.array(col("flag")), "born": np.array(col("born"), dtype="datetime64[D]"),
        "at": np.array(col("at"), dtype=np.int64), "address": col("address"), "note": col("note"),
        "closed_at": col("closed_at"), "paid": col("paid"),
    })


def _decode(payload: bytes, width: int) -> list[list[bytes | None]]:
    """Tuples of a binary COPY body: int16 field count, then int32 length + bytes per field."""
    out: list[list[bytes | None]] = []
    pos = 0
    while pos < len(payload):
        (count,) = struct.unpack_from(">h", payload, pos)
        assert count == width
        pos += 2
        row: list[bytes | None] = []
        for _ in range(count):
            (length,) = struct.unpack_from(">i", payload, pos)
            pos += 4
            if length < 0:
                row.append(None)
            else:
                row.append(payload[pos : pos + length])
                pos += length
        out.append(row)
    return out


def _expected(row: dict[str, Any]) -> list[bytes | None]:
    """Each SQL column's binary value by psycopg's own dumpers (or struct for the plain types)."""
    def num(v: int | None, scale: int) -> bytes | None:
        if v is None:
            return None
        return bytes(DecimalBinaryDumper(decimal.Decimal).dump(decimal.Decimal(v).scaleb(-scale)))

    def ts(ms: int | None) -> bytes | None:
        if ms is None:
            return None
        return bytes(DatetimeBinaryDumper(dt.datetime).dump(EPOCH + dt.timedelta(milliseconds=ms)))

    def text(v: str | None) -> bytes | None:
        return None if v is None else v.encode()

    addr = row["address"] or {}
    return [
        bytes(UUIDBinaryDumper(uuid.UUID).dump(uuid.UUID(row["thing_id"]))), text(row["code"]), text(row["name"]),
        num(row["amount"], 2), struct.pack(">i", row["n"]), struct.pack(">q", row["big"]),
        struct.pack(">d", row["ratio"]), struct.pack(">?", row["flag"]),
        bytes(DateBinaryDumper(dt.date).dump(row["born"])), ts(row["at"]),
        text(addr.get("street")), text(addr.get("complement")), text(addr.get("state")),
        text(row["note"]), ts(row["closed_at"]), num(row["paid"], 2),
    ]


def _canonical_numeric(blob: bytes | None) -> decimal.Decimal | None:
    """NUMERIC bytes -> value (the encoder may send leading/trailing zero digit groups)."""
    if blob is None:
        return None
    ndigits, weight, sign, dscale = struct.unpack_from(">hhHh", blob)
    digits = struct.unpack_from(f">{ndigits}h", blob, 8)
    value = sum((decimal.Decimal(d) * decimal.Decimal(10000) ** (weight - i) for i, d in enumerate(digits)),
                decimal.Decimal(0))
    return (-value if sign == 0x4000 else value).quantize(decimal.Decimal(1).scaleb(-dscale))


@pytest.mark.parametrize("n", [1, 7, 500])
def test_batch_and_dicts_give_the_same_tuples_and_each_field_decodes(n: int) -> None:
    rows = _rows(n, seed=n)
    plans = column_plans(SPEC)
    from_dicts = encode_binary(plans, rows)
    assert encode_binary(plans, _as_batch(rows)) == from_dicts
    assert encode_binary(plans, Batch.from_rows(SPEC.field_names, rows)) == from_dicts
    decoded = _decode(from_dicts, len(plans))
    assert len(decoded) == n
    numeric = {i for i, p in enumerate(plans) if p.sql_type.startswith("NUMERIC")}
    for row, got in zip(rows, decoded, strict=True):
        want = _expected(row)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            if i in numeric:
                assert _canonical_numeric(g) == _canonical_numeric(w), plans[i].name
            else:
                assert g == w, (plans[i].name, g, w)


def test_small_gather_chunks_give_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(300, seed=3)
    plans = column_plans(SPEC)
    whole = encode_binary(plans, rows)
    monkeypatch.setattr(encoding, "GATHER_CHUNK_BYTES", 1000)
    assert encode_binary(plans, rows) == whole
    monkeypatch.setattr(encoding, "GATHER_CHUNK_BYTES", 1)
    assert encode_binary(plans, _as_batch(rows)) == whole


def test_fixed_width_text_and_uuid_checks() -> None:
    plans = {p.name: p for p in column_plans(SPEC)}
    same = encoding.binary_cells(plans["code"], ["AB12", "CD34", "EF56"])
    assert isinstance(same, np.ndarray) and same.shape == (3, 8)
    mixed = encoding.binary_column(plans["code"], ["AB", "CDE", None])
    assert mixed == [struct.pack(">i", 2) + b"AB", struct.pack(">i", 3) + b"CDE", struct.pack(">i", -1)]
    good = "6ffea1d9-118c-442a-b488-a600af840a48"
    with pytest.raises(ValueError, match="not a UUID"):
        encoding.binary_cells(plans["thing_id"], [good[:-1], good + "0"])  # lengths that add up
    with pytest.raises(ValueError, match="not a UUID"):
        encoding.binary_cells(plans["thing_id"], [good.replace("-", "x")])


def test_array_columns_of_the_wrong_kind_are_refused() -> None:
    plans = {p.name: p for p in column_plans(SPEC)}
    with pytest.raises(TypeError, match="int value expected"):
        encoding.binary_cells(plans["n"], np.array([1.0, 2.5]))
    with pytest.raises(TypeError, match="bool value"):
        encoding.binary_column(plans["amount"], [True])
    # a float is the decimal's value, rounded by the kernel's one rule (half away from zero)
    assert encoding.binary_column(plans["amount"], np.array([1.125, -1.125])) == \
        encoding.binary_column(plans["amount"], [PyDecimal("1.13"), PyDecimal("-1.13")])
    with pytest.raises(TypeError, match="text value expected, got int 7"):
        encoding.binary_cells(plans["name"], ["a", 7])


def _text_column(values: list[str]) -> TextColumn:
    return TextColumn(np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(len(values), -1).copy())


def test_text_columns_encode_like_their_strings() -> None:
    rows = _rows(40, seed=11)
    plans = column_plans(SPEC)
    batch = _as_batch(rows)
    columns = {name: batch.values(name) for name in SPEC.field_names}
    columns["thing_id"] = _text_column([r["thing_id"] for r in rows])
    columns["code"] = _text_column([r["code"] for r in rows])
    assert encode_binary(plans, Batch(columns)) == encode_binary(plans, rows)
    assert encoding.encode_text(plans, Batch(columns)) == encoding.encode_text(plans, rows)
    ids = {p.name: p for p in plans}["thing_id"]
    upper = _text_column([r["thing_id"].upper() for r in rows[:3]])
    assert encoding.binary_column(ids, upper) == encoding.binary_column(ids, [r["thing_id"] for r in rows[:3]])
    for bad in ("6ffea1d9-118c-442a-b488-a600af840a4g", "6ffea1d9x118c-442a-b488-a600af840a48"):
        with pytest.raises(ValueError, match="UUID"):
            encoding.binary_cells(ids, _text_column([bad]))
    with pytest.raises(ValueError, match="UUID"):
        encoding.binary_cells(ids, _text_column(["0123456789"]))
