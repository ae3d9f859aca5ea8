"""Unit checks of the postgres sink that need no server: encodings, DDL split, shape checks, options."""

from __future__ import annotations

import datetime as dt
import decimal
import struct
from decimal import Decimal as PyDecimal

import pytest
from datagen_plugin_postgres.connection import check_url, connect_error, safe_url
from datagen_plugin_postgres.ddl import shape_problems, split_ddl
from datagen_plugin_postgres.encoding import (
    binary_column,
    column_plans,
    encode_binary,
    encode_text,
    numeric_binary,
)
from datagen_plugin_postgres.sink import PostgresSink
from psycopg.types.datetime import DateBinaryDumper, DatetimeBinaryDumper
from psycopg.types.numeric import DecimalBinaryDumper
from psycopg.types.uuid import UUIDBinaryDumper

from datagen_kernel import (
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    Float,
    ForeignKey,
    Int,
    Kind,
    RecordType,
    String,
    Timestamp,
    Uuid,
)
from datagen_kernel.api.schema import sql_columns, to_sql_ddl
from datagen_kernel.engine.config import ConfigSources, resolve

ADDRESS = RecordType("address", (Field("street", String(60)), Field("complement", String(20), nullable=True)))
PARENT = EntitySpec("parent", Kind.MASTER, (Field("parent_id", Uuid()), Field("label", String(20))), "parent_id",
                    table="parents")
CHILD = EntitySpec(
    "child", Kind.MASTER,
    (Field("child_id", Uuid()), Field("parent_id", Uuid()), Field("amount", Decimal(15, 2)),
     Field("rate", Decimal(10, 6)), Field("n", Int(minimum=0, maximum=10)), Field("big", Int()),
     Field("ratio", Float()), Field("born", Date()), Field("at", Timestamp()),
     Field("state", Enum("A", "B")), Field("address", ADDRESS, nullable=True),
     Field("note", String(), nullable=True)),
    "child_id", foreign_keys=(ForeignKey("parent_id", "parent", "parent_id"),), table="children",
)


@pytest.mark.parametrize("scale", [0, 2, 4, 6])
@pytest.mark.parametrize("value", [0, 1, -1, 5, 99, 100, 10_000, 123_456_789, -987_654_321_012, 10**14 - 1, 10**17,
                                   40_000_000, -10_000])
def test_numeric_binary_equals_psycopg_dumper(value: int, scale: int) -> None:
    expected = bytes(DecimalBinaryDumper(decimal.Decimal).dump(decimal.Decimal(value).scaleb(-scale)))
    assert numeric_binary(value, scale) == expected


def test_timestamps_dates_uuids_encode_like_psycopg() -> None:
    plans = {p.name: p for p in column_plans(CHILD)}
    ms = [0, 1_700_000_000_123, -86_400_000, 946_684_800_000]
    got = binary_column(plans["at"], ms)
    tsd = DatetimeBinaryDumper(dt.datetime)
    for m, b in zip(ms, got, strict=True):
        value = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=m)
        assert b == struct.pack(">i", 8) + bytes(tsd.dump(value))
    days = [dt.date(2000, 1, 1), dt.date(1969, 7, 20), dt.date(2026, 2, 28)]
    for d, b in zip(days, binary_column(plans["born"], days), strict=True):
        assert b == struct.pack(">i", 4) + bytes(DateBinaryDumper(dt.date).dump(d))
    import uuid

    u = "6ffea1d9-118c-442a-b488-a600af840a48"
    assert binary_column(plans["child_id"], [u])[0][4:] == bytes(UUIDBinaryDumper(uuid.UUID).dump(uuid.UUID(u)))


def test_nulls_and_nested_fields_are_encoded_per_column() -> None:
    record = {"child_id": "6ffea1d9-118c-442a-b488-a600af840a48", "parent_id": "41309433-396c-4ff3-bd8f-7f1aecbad74d",
              "amount": 12345, "rate": decimal.Decimal("0.012345"), "n": 3, "big": 2**40, "ratio": 0.5,
              "born": dt.date(1990, 5, 17), "at": 1_700_000_000_000, "state": "A",
              "address": {"street": "Rua A\tB", "complement": None}, "note": "line1\nline2\\x"}
    other = dict(record, address=None, note=None, child_id="00000000-0000-4000-8000-000000000000")
    text = encode_text(column_plans(CHILD), [record, other]).decode()
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 3
    first = lines[0].split("\t")
    assert [c for c, _ in sql_columns(CHILD)][10:12] == ["address_street", "address_complement"]
    assert first[2:4] == ["123.45", "0.012345"]
    assert first[8] == "2023-11-14T22:13:20.000Z"
    assert first[10:13] == ["Rua A\\tB", "\\N", "line1\\nline2\\\\x"]
    second = lines[1].split("\t")
    assert second[10:13] == ["\\N", "\\N", "\\N"]
    binary = encode_binary(column_plans(CHILD), [record, other])
    assert binary.startswith(struct.pack(">h", 13))
    assert binary.count(struct.pack(">i", -1)) >= 4


def test_text_escaping_survives_the_separator_character() -> None:
    spec = EntitySpec("t", Kind.MASTER, (Field("t_id", Uuid()), Field("s", String())), "t_id")
    rows = [{"t_id": "00000000-0000-4000-8000-000000000001", "s": "a\x1fb\tc"},
            {"t_id": "00000000-0000-4000-8000-000000000002", "s": "plain"}]
    lines = encode_text(column_plans(spec), rows).decode().split("\n")
    assert lines[0].split("\t", 1)[1] == "a\x1fb\\tc"
    assert lines[1].split("\t", 1)[1] == "plain"


def test_split_ddl_defers_foreign_keys_and_indexes() -> None:
    routed = {"parent": PARENT, "child": CHILD}
    ddl = split_ddl(CHILD, routed, "s1")
    assert "FOREIGN KEY" not in ddl.create and "CREATE INDEX" not in ddl.create and "PRIMARY KEY" not in ddl.create
    assert ddl.primary_key == 'ALTER TABLE "s1"."children" ADD PRIMARY KEY ("child_id");'
    assert ddl.foreign_keys == ('ALTER TABLE "s1"."children" ADD FOREIGN KEY ("parent_id") '
                                'REFERENCES "s1"."parents" ("parent_id");',)
    full = to_sql_ddl(CHILD, routed, "s1")
    assert ddl.indexes and all(i in full for i in ddl.indexes)
    assert ddl.create == full.split(",\n    PRIMARY KEY")[0] + "\n);\n"
    alone = split_ddl(CHILD, {"child": CHILD}, "s1")
    assert alone.foreign_keys == () and alone.indexes == ()


def test_shape_problems_name_each_difference() -> None:
    rows = [("parent_id", "uuid", None, None, None, False, False),
            ("label", "text", None, None, None, True, False),
            ("legacy", "integer", None, None, None, False, False),
            ("spare", "integer", None, None, None, True, False)]
    problems = shape_problems(PARENT, rows)
    assert problems == ["column label is text, expected character varying(20)",
                        "extra column legacy integer is NOT NULL without a default (the sink cannot fill it)"]
    child_rows = [("child_id", "uuid", None, None, None, False, False),
                  ("amount", "numeric", None, 12, 2, False, False),
                  ("note", "text", None, None, None, False, False)]
    found = shape_problems(CHILD, child_rows)
    assert "column amount is numeric(12,2), expected numeric(15,2)" in found
    assert "missing column parent_id uuid" in found
    assert "column note is NOT NULL but the entity allows nulls" in found


def test_url_is_secret_and_shown_without_password(monkeypatch: pytest.MonkeyPatch) -> None:
    url_opt = next(o for o in PostgresSink.options if o.name == "url")
    assert url_opt.secret
    monkeypatch.delenv("DATAGEN_POSTGRES_URL", raising=False)
    assert url_opt.default_value() == "postgresql://postgres:postgres@localhost:5432/datagen"
    monkeypatch.setenv("DATAGEN_POSTGRES_URL", "postgresql://u:p@db:6543/x")
    assert url_opt.default_value() == "postgresql://u:p@db:6543/x"
    assert safe_url("postgresql://u:s3cret@db:6543/x") == "postgresql://u:********@db:6543/x"
    assert safe_url("postgresql://u@db/x") == "postgresql://u@db/x"
    assert "s3cret" not in safe_url("host=db password=s3cret user=u")
    assert check_url("mysql://u:p@h/db") is not None
    assert check_url("postgresql://u:p@h:5432/db") is None
    assert check_url("host=h nonsense") is not None


def test_bad_options_are_reported_with_their_name() -> None:
    problems: list[str] = []
    sources = ConfigSources.build(["postgres.if_exists=replace", "postgres.schema=bad name",
                                   "postgres.url=mysql://u:hunter2@h/db", "postgres.batch_size=0"], environ={})
    resolve("postgres", PostgresSink.options, sources, problems)
    text = " | ".join(problems)
    for name in ("postgres.if_exists", "postgres.schema", "postgres.url", "postgres.batch_size"):
        assert name in text
    assert "hunter2" not in text


def test_connection_errors_are_classified() -> None:
    params = {"host": "db", "port": "5432", "user": "alice", "dbname": "nope"}
    url = "postgresql://alice:pw@db:5432/nope"
    cases = {
        'connection failed: FATAL:  database "nope" does not exist': "createdb -h db -p 5432 -U alice nope",
        'FATAL:  password authentication failed for user "alice"': "refused the password of user 'alice'",
        "connection failed: timeout expired": "did not answer within 3s",
        "connection failed: Connection refused\n\tIs the server running": "connection refused",
    }
    for text, expected in cases.items():
        err = connect_error(Exception(text), params, url, 3)
        assert expected in str(err), (text, str(err))
        assert "pw@" not in str(err)


def _decode_numeric(blob: bytes) -> decimal.Decimal:
    length, ndigits, weight, sign, dscale = struct.unpack(">ihhHh", blob[:12])
    assert length == len(blob) - 4
    digits = struct.unpack(f">{ndigits}h", blob[12:])
    value = sum((decimal.Decimal(d) * decimal.Decimal(10000) ** (weight - i) for i, d in enumerate(digits)),
                decimal.Decimal(0))
    return (-value if sign == 0x4000 else value).quantize(decimal.Decimal(1).scaleb(-dscale))


@pytest.mark.parametrize(("precision", "scale"), [(15, 2), (10, 6), (5, 0), (20, 4), (20, 6), (24, 8)])
def test_numeric_columns_vectorized_decode_to_the_same_values(precision: int, scale: int) -> None:
    import random

    from datagen_plugin_postgres.encoding import ColumnPlan

    rnd = random.Random(precision * 100 + scale)
    top = 10**precision - 1
    values = [0, 1, -1, top, -top, *(rnd.randint(-top, top) for _ in range(300))]
    plan = ColumnPlan("x", f"NUMERIC({precision},{scale})", "x", None, scale, precision)
    encoded = binary_column(plan, values)
    if precision <= 18:  # beyond int64: value by value
        assert len({len(b) for b in encoded}) == 1, "all ints of one column take the vectorized path"
    for v, blob in zip(values, encoded, strict=True):
        assert _decode_numeric(blob) == decimal.Decimal(v).scaleb(-scale)
    small = [v % 10**15 for v in values]  # int64 values in a wide column (NUMERIC(20,6)): vectorized too
    for v, blob in zip(small, binary_column(plan, small), strict=True):
        assert _decode_numeric(blob) == decimal.Decimal(v).scaleb(-scale)
    mixed = [None, decimal.Decimal("1.5"), 7]
    encoded = binary_column(plan, mixed)
    assert encoded[0] == struct.pack(">i", -1)
    assert _decode_numeric(encoded[1]) == decimal.Decimal("1.5").quantize(decimal.Decimal(1).scaleb(-scale))
    assert _decode_numeric(encoded[2]) == decimal.Decimal(7).scaleb(-scale)


def test_sink_is_found_through_its_entry_point() -> None:
    from datagen_kernel import make_plugin_host

    registry = make_plugin_host().registry
    reg = registry.sinks["postgres"]
    assert reg.value is PostgresSink
    assert reg.owner.distribution == "datagen-plugin-postgres"


def test_a_float_where_an_int_belongs_is_not_truncated() -> None:
    from datagen_plugin_postgres.encoding import ColumnPlan

    money = ColumnPlan("m", "NUMERIC(15,2)", "m", None, 2, 15)
    # a float is the decimal's value (2.5 is 2.50), never a count of cents cut short
    assert binary_column(money, [100, 2.5]) == binary_column(money, [PyDecimal("1.00"), PyDecimal("2.50")])
    stamps = ColumnPlan("t", "TIMESTAMPTZ", "t", None, 0, 0)
    with pytest.raises(TypeError, match="float value; use int epoch milliseconds"):
        binary_column(stamps, [1_700_000_000_000, 1.7e12])
    count = ColumnPlan("n", "INTEGER", "n", None, 0, 0)
    with pytest.raises(TypeError, match="int value expected"):
        binary_column(count, [1, 2.5])


def test_a_value_of_the_wrong_type_is_one_clear_sink_error() -> None:
    from datagen_plugin_postgres.serializer import CopyBinarySerializer, CopyTextSerializer

    from datagen_kernel import SinkError

    # the postgres sink's rows are encoded by its serializers (pgcopy-binary, pgcopy-text)
    good = {"parent_id": "6ffea1d9-118c-442a-b488-a600af840a48", "label": "x"}
    assert len(CopyBinarySerializer({}).encode(PARENT, [good]).data) > 0
    for serializer in (CopyBinarySerializer({}), CopyTextSerializer({})):
        with pytest.raises(SinkError, match=r"cannot store a parent record in parents: column label"):
            serializer.encode(PARENT, [good, {"parent_id": good["parent_id"], "label": 42}])
    small = EntitySpec("s", Kind.MASTER, (Field("s_id", Uuid()), Field("n", Int(minimum=0, maximum=10))), "s_id")
    with pytest.raises(SinkError, match="column n: value out of INTEGER range"):
        CopyBinarySerializer({}).encode(small, [{"s_id": good["parent_id"], "n": 2**40}])


def test_decimals_and_instants_round_by_the_kernel_rule() -> None:
    """Half away from zero, like the json serializer and Avro: 0.125 is 0.13, never 0.12."""
    import datetime as dt

    from datagen_plugin_postgres.encoding import ColumnPlan, epoch_ms, scaled_int, text_column

    assert [scaled_int(v, 2) for v in (PyDecimal("0.125"), PyDecimal("-0.125"), 2.675, PyDecimal("0.1249"))] == \
        [13, -13, 268, 12]
    money = ColumnPlan("m", "NUMERIC(15,2)", "m", None, 2, 15)
    assert text_column(money, [PyDecimal("0.125"), PyDecimal("-0.125"), None]) == ["0.13", "-0.13", "\\N"]
    at = dt.datetime(2024, 1, 1, 0, 0, 0, 2500, tzinfo=dt.UTC)
    assert epoch_ms(at) == 1_704_067_200_003
    stamps = ColumnPlan("t", "TIMESTAMPTZ", "t", None, 0, 0)
    assert text_column(stamps, [at]) == ["2024-01-01T00:00:00.003Z"]


def test_dates_encode_alike_from_a_list_and_from_an_array() -> None:
    """PostgreSQL's binary date: days since 2000-01-01, whatever form the column has."""
    import numpy as np
    from datagen_plugin_postgres.encoding import ColumnPlan

    day = ColumnPlan("d", "DATE", "d", None, 0, 0)
    dates = [dt.date(2000, 1, 1), dt.date(1970, 1, 1), dt.date(2024, 2, 29), dt.date(1, 1, 1)]
    expected = [b"\x00\x00\x00\x04" + struct.pack(">i", (d - dt.date(2000, 1, 1)).days) for d in dates]
    assert binary_column(day, dates) == expected
    assert binary_column(day, np.array([d.isoformat() for d in dates], dtype="datetime64[D]")) == expected


def test_binary_copy_is_framed_as_postgresql_reads_it() -> None:
    """Signature, flags and header extension (both 0), then rows, then the -1 trailer."""
    from datagen_plugin_postgres.encoding import BINARY_HEADER, BINARY_TRAILER

    assert BINARY_HEADER == b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
    assert BINARY_TRAILER == b"\xff\xff"


def test_unsigned_arrays_and_missing_fields() -> None:
    """uint64 values beyond BIGINT are refused, not wrapped; a record without a field is NULL there;
    an encoding error names its column."""
    import numpy as np
    from datagen_plugin_postgres.encoding import ColumnPlan, EncodeError, all_columns

    big = ColumnPlan("b", "BIGINT", "b", None, 0, 0)
    assert binary_column(big, np.array([5, 7], dtype=np.uint64)) == binary_column(big, [5, 7])
    with pytest.raises(EncodeError) as caught:
        encode_binary([big], [{"b": v} for v in np.array([2**63], dtype=np.uint64).tolist()])
    assert caught.value.column == "b"
    plans = [big, ColumnPlan("c", "TEXT", "c", None, 0, 0)]
    assert all_columns(plans, [{"b": 1, "c": "x"}, {"b": 2}]) == [[1, 2], ["x", None]]
    from datagen_kernel import Batch

    assert all_columns(plans, Batch({"b": np.array([1, 2])}))[1] == [None, None]
