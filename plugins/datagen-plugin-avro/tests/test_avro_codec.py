"""The Avro codec without a registry: wire framing, logical types, column encoder = fastavro."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import struct
import time
import uuid

import pytest
from datagen_plugin_avro.codec import (
    EntityCodec,
    decimal_bytes,
    encode_long,
    encode_longs,
    physical_schema,
    wire_header,
)
from datagen_plugin_avro.serializer import AvroSerializer
from fastavro import parse_schema, schemaless_reader
from fastavro.write import schemaless_writer
from kafkatest_support import toy_pack

from datagen_kernel import EntitySpec, SinkError
from datagen_kernel.api.schema import Date, Decimal, Field, Kind, String, Timestamp, Uuid, to_avro
from datagen_kernel.api.schema import Record as RecordType
from datagen_kernel.engine.plugins import make_plugin_host
from datagen_kernel.testing import ConformancePack, generate_records

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _serializer(**config: object) -> AvroSerializer:
    base = {o.name: o.default_value() for o in AvroSerializer.options}
    base.update(config)
    return AvroSerializer(base)


def _logical(value: object, field_type: object) -> object:
    """What a reader of the registered (logical) schema should get for a record value."""
    if value is None:
        return None
    from datagen_kernel.api.schema import Record as RecordType

    if isinstance(field_type, Decimal):
        return decimal.Decimal(value).scaleb(-field_type.scale)  # type: ignore[arg-type]
    if isinstance(field_type, Timestamp):
        return EPOCH + dt.timedelta(milliseconds=value)  # type: ignore[arg-type]
    if isinstance(field_type, Uuid):
        return uuid.UUID(value)  # type: ignore[arg-type]
    if isinstance(field_type, RecordType):
        return {f.name: _logical(value[f.name], f.type) for f in field_type.fields}  # type: ignore[index]
    return value


def _check_entity(spec: EntitySpec, records: list[dict[str, object]]) -> None:
    codec = EntityCodec(spec)
    header = wire_header(4242)
    fast = codec.encode(records, header)
    reference = codec.encode_reference(records, header)
    assert fast == reference, f"{spec.name}: the column encoder and fastavro disagree"
    logical = parse_schema(to_avro(spec))
    for record, value in zip(records, fast, strict=True):
        assert value[:1] == b"\x00" and struct.unpack(">I", value[1:5]) == (4242,)
        decoded = schemaless_reader(io.BytesIO(value[5:]), logical, None)
        expected = {f.name: _logical(record[f.name], f.type) for f in spec.fields}
        assert decoded == expected, f"{spec.name}: decoded {decoded} != {expected}"


def test_every_field_type_round_trips_through_the_registered_schema() -> None:
    records = generate_records(make_plugin_host(entrypoints=False, plugins=[ConformancePack()]), customers=60, seed=3)
    for spec in ConformancePack.entities:
        assert records[spec.name], spec.name
        _check_entity(spec, records[spec.name])


def test_logical_values_inside_nested_records_round_trip() -> None:
    """A decimal, an instant and a date inside a nested record (and a nullable one) reach a reader of the
    registered schema as the values they stand for, through the column encoders and the fastavro path."""
    parts = (Field("amount", Decimal(12, 2)), Field("at", Timestamp()), Field("day", Date()),
             Field("note", String(), nullable=True))
    spec = EntitySpec("payment", Kind.EVENT, (Field("payment_id", Uuid()), Field("money", RecordType("Money", parts)),
                                              Field("refund", RecordType("Refund", parts), nullable=True)),
                      primary_key="payment_id")

    def money_of(i: int) -> dict[str, object]:
        return {"amount": 12_345 - 1_000 * i, "at": 1_700_000_000_123 + i, "day": dt.date(2024, 2, 29)
                + dt.timedelta(days=i), "note": None if i % 2 else f"n{i}"}

    records: list[dict[str, object]] = [
        {"payment_id": str(uuid.UUID(int=i)), "money": money_of(i), "refund": None if i % 3 else money_of(-i)}
        for i in range(70)]
    _check_entity(spec, records)
    _check_entity(spec, records[:3])


def test_toy_pack_round_trips() -> None:
    records = generate_records(make_plugin_host(entrypoints=False, plugins=[toy_pack]), customers=40, seed=9)
    for spec in (toy_pack.TEAM, toy_pack.MEMBER, toy_pack.SCORE):
        _check_entity(spec, records[spec.name])


def test_installed_entity_packs_round_trip() -> None:
    host = make_plugin_host()
    specs = host.registry.entity_specs()
    if not specs:
        pytest.skip("no entity pack installed")
    records = generate_records(host, customers=25, seed=1)
    for name, recs in records.items():
        if recs:
            _check_entity(specs[name], recs[:400])


@pytest.mark.parametrize("cents", [0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, -32768,
                                   10**15 - 1, -(10**15 - 1), 123456789])
def test_decimal_bytes_are_minimal_twos_complement(cents: int) -> None:
    """Like Java's BigInteger.toByteArray (what Java Avro writers emit); any reader decodes them."""
    schema = parse_schema({"type": "bytes", "logicalType": "decimal", "precision": 17, "scale": 2})
    ours = decimal_bytes(cents, 2)
    assert int.from_bytes(ours, "big", signed=True) == cents
    assert len(ours) == 1 or int.from_bytes(ours[1:], "big", signed=True) != cents, "not minimal"
    decoded = schemaless_reader(io.BytesIO(encode_long(len(ours)) + ours), schema, None)
    assert decoded == decimal.Decimal(cents).scaleb(-2)
    buf = io.BytesIO()
    schemaless_writer(buf, schema, decimal.Decimal(cents).scaleb(-2))
    assert schemaless_reader(io.BytesIO(buf.getvalue()), schema, None) == decoded
    assert decimal_bytes(decimal.Decimal(cents).scaleb(-2), 2) == ours


def test_longs_vectorized_equal_one_by_one() -> None:
    values = [0, 1, -1, 63, 64, -64, -65, 2**31, -(2**31), 2**63 - 1, -(2**63), 1767000000123] * 10
    assert encode_longs(values) == [encode_long(v) for v in values]
    with pytest.raises(ValueError):
        encode_long(2**63)


def test_physical_schema_drops_logical_types_only() -> None:
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "a", "type": {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}},
        {"name": "b", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}], "default": None},
        {"name": "c", "type": {"type": "enum", "name": "E", "symbols": ["X"]}},
    ]}
    physical = physical_schema(schema)
    assert [f["type"] for f in physical["fields"]] == ["bytes", ["null", "long"], schema["fields"][2]["type"]]
    assert schema["fields"][0]["type"]["logicalType"] == "decimal", "the input must not change"


def test_physical_schema_keeps_what_defines_fixed_arrays_and_maps() -> None:
    """A ``fixed`` decimal stays a ``fixed`` of the same name and size; logical types nested in arrays and
    maps go too; a type without a logical type is left as written."""
    fixed = {"type": "fixed", "name": "Money", "size": 8, "logicalType": "decimal", "precision": 18, "scale": 2}
    assert physical_schema(fixed) == {"type": "fixed", "name": "Money", "size": 8}
    days = {"type": "array", "items": {"type": "int", "logicalType": "date"}}
    assert physical_schema(days) == {"type": "array", "items": "int"}
    stamps = {"type": "map", "values": {"type": "long", "logicalType": "timestamp-millis"}}
    assert physical_schema(stamps) == {"type": "map", "values": "long"}
    plain = {"type": "string", "doc": "kept"}
    assert physical_schema(plain) == plain


def test_datetime_values_are_accepted_for_timestamps() -> None:
    spec = EntitySpec("stamp", Kind.EVENT, (Field("stamp_id", Uuid()), Field("at", Timestamp())),
                      primary_key="stamp_id")
    at = dt.datetime(2025, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    ms = (at - EPOCH) // dt.timedelta(milliseconds=1)
    uid = "0b7c8f0e-3c55-4b0c-8d3c-9a5ad6a2c001"
    codec = EntityCodec(spec)
    assert codec.encode([{"stamp_id": uid, "at": at}], b"") == codec.encode([{"stamp_id": uid, "at": ms}], b"")


def test_bad_enum_symbol_is_a_clear_error() -> None:
    bad = [{"team_id": str(uuid.UUID(int=1)), "name": "x", "league": "PLATINUM", "budget": 1}]
    serializer = _serializer()
    serializer._headers["team-value"] = wire_header(1)  # no registry needed for this check
    with pytest.raises(SinkError, match=r"league.*PLATINUM.*not a symbol"):
        serializer.serialize(toy_pack.TEAM, bad, topic="team")


def test_subject_strategies() -> None:
    spec = toy_pack.SCORE
    assert _serializer(subject_strategy="topic").subject(spec, "dev.toy.scores") == "dev.toy.scores-value"
    assert _serializer(subject_strategy="record").subject(spec, "dev.toy.scores") == "br.com.datagen.Score"
    assert (_serializer(subject_strategy="topic_record").subject(spec, "dev.toy.scores")
            == "dev.toy.scores-br.com.datagen.Score")
    assert _serializer().subject(spec, None) == "toy.scores-value"


def test_unreachable_registry_is_a_clear_error_within_seconds() -> None:
    serializer = _serializer(schema_registry_url="http://127.0.0.1:1", timeout_s=2.0)
    serializer.open([toy_pack.SCORE])
    start = time.monotonic()
    with pytest.raises(SinkError) as info:
        serializer.prepare(toy_pack.SCORE, "toy.scores")
    assert time.monotonic() - start < 10
    assert "cannot reach the Schema Registry at http://127.0.0.1:1" in str(info.value)
    assert "schema_registry_url" in str(info.value)


def test_installed_plugin_is_discovered_through_its_entry_point() -> None:
    from datagen_plugin_avro.sink import KafkaAvroSink
    from datagen_plugin_kafka.sink import KafkaSink

    registry = make_plugin_host().registry
    assert registry.serializers["avro"].owner.distribution == "datagen-plugin-avro"
    sink = registry.sinks["kafka-avro"]
    assert sink.owner.distribution == "datagen-plugin-avro" and sink.value is KafkaAvroSink
    assert issubclass(KafkaAvroSink, KafkaSink) and KafkaAvroSink.serializer_name == "avro"


def test_loading_the_plugin_does_not_import_fastavro_or_the_kafka_client() -> None:
    import subprocess
    import sys

    code = ("import sys, datagen_plugin_avro.plugin; "
            "sys.exit(1 if {'confluent_kafka', 'fastavro'} & set(sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_vectorized_decimals_equal_one_by_one() -> None:
    from datagen_plugin_avro.codec import _encode_text, encode_decimals

    values = [0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, -32768, 2**55, -(2**55), 2**63 - 1, -(2**63),
              10**15 - 1, -(10**15 - 1), 123456789] * 8
    assert encode_decimals(values, 2) == _encode_text([decimal_bytes(v, 2) for v in values])
    big = [*values, 2**70]
    assert encode_decimals(big, 2) == _encode_text([decimal_bytes(v, 2) for v in big])
    mixed = [*values, decimal.Decimal("12.34")]
    assert encode_decimals(mixed, 2) == _encode_text([decimal_bytes(v, 2) for v in mixed])


def test_errors_never_show_registry_credentials() -> None:
    in_url = _serializer(schema_registry_url="http://user:s3cr3t-pw@127.0.0.1:1", timeout_s=1.0)
    in_options = _serializer(schema_registry_url="http://127.0.0.1:1", basic_auth_user="user",
                             basic_auth_password="an0ther-pw", timeout_s=1.0)
    both = _serializer(schema_registry_url="http://user:s3cr3t-pw@127.0.0.1:1", basic_auth_user="user",
                       basic_auth_password="an0ther-pw", timeout_s=1.0)
    for serializer in (in_url, in_options, both):
        serializer.open([toy_pack.SCORE])
        with pytest.raises(SinkError) as info:
            serializer.prepare(toy_pack.SCORE, "toy.scores")
        text = str(info.value)
        assert "s3cr3t-pw" not in text and "an0ther-pw" not in text, text
    with pytest.raises(SinkError, match=r"http://\*\*\*@127\.0\.0\.1:1"):
        in_url.prepare(toy_pack.SCORE, "toy.scores")


def test_decimals_and_instants_round_by_the_kernel_rule() -> None:
    """Half away from zero, like the json serializer and PostgreSQL: 0.125 is 0.13, never 0.12."""
    from datagen_plugin_avro.codec import EntityCodec, decimal_bytes, timestamp_ms

    def unscaled(b: bytes) -> int:
        return int.from_bytes(b, "big", signed=True)

    D = decimal.Decimal
    assert [unscaled(decimal_bytes(v, 2)) for v in (D("0.125"), D("-0.125"), D("0.135"), 2.675, D("0.1249"))] == \
        [13, -13, 14, 268, 12]
    at = dt.datetime(2024, 1, 1, 0, 0, 0, 2500, tzinfo=dt.UTC)
    assert timestamp_ms(at) == 1_704_067_200_003
    spec = EntitySpec(name="probe", kind=Kind.EVENT, primary_key="id",
                      fields=(Field("id", Uuid()), Field("amount", Decimal(10, 2)), Field("at", Timestamp())))
    codec = EntityCodec(spec)
    rows = [{"id": str(uuid.UUID(int=i)), "amount": D("0.125") * (1 if i % 2 else -1), "at": at} for i in range(70)]
    schema = parse_schema(codec.schema)
    for encode in (codec.encode, codec.encode_reference):
        for i, value in enumerate(encode(rows, b"\x00\x00\x00\x00\x01")):
            got = schemaless_reader(io.BytesIO(value[5:]), schema)
            assert got["amount"] == (D("0.13") if i % 2 else D("-0.13"))
            assert got["at"] == dt.datetime(2024, 1, 1, 0, 0, 0, 3000, tzinfo=dt.UTC)
