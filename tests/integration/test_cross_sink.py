"""One value, every sink: the same records read back alike from json, console, PostgreSQL, Kafka and Avro.

A probe entity holds every field type. Hypothesis draws its records with the edge values that
used to split the sinks (decimal ties such as 0.125, negative ties, more places than the scale,
floats into decimals, sub-millisecond instants, the bounds of each type, nulls, non-ASCII text,
the first and last supported dates); one run writes them through every sink of the real
stack, and each destination is read back by an independent reader: ``json`` parse of the file
and of the console output, psycopg ``SELECT``, a confluent-kafka consumer for the JSON topic,
fastavro with the schema fetched from the registry for the Avro topic. Every field must equal
the value the documented rule gives (decimal ``quantize`` with ``ROUND_HALF_UP``, computed here
without the kernel's code).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import uuid
from collections.abc import Iterator
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datagen_kernel import (
    BlockContext,
    Bool,
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    Float,
    Int,
    Kind,
    Scope,
    String,
    Timestamp,
    Uuid,
    hookimpl,
)
from datagen_kernel.api.schema import Record
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host

pytestmark = pytest.mark.integration

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
FIRST_INSTANT = dt.datetime(1, 1, 2, tzinfo=UTC)
LAST_INSTANT = dt.datetime(9999, 12, 30, 23, 59, 59, 999_000, tzinfo=UTC)

ADDRESS = Record("probe_address", [Field("city", String(30)), Field("rent", Decimal(8, 2), nullable=True)])
PROBE = EntitySpec(
    name="probe", kind=Kind.MASTER, scope=Scope.ROOT, primary_key="probe_id",
    fields=(
        Field("probe_id", Uuid()),
        Field("label", String()),
        Field("short", String(8), nullable=True),
        Field("big", Int()),
        Field("small", Int(minimum=-(2**31), maximum=2**31 - 1), nullable=True),
        Field("ratio", Float(), nullable=True),
        Field("flag", Bool()),
        Field("amount", Decimal(10, 2), nullable=True),
        Field("rate", Decimal(12, 6)),
        Field("at", Timestamp()),
        Field("day", Date(), nullable=True),
        Field("kind", Enum("PIX", "TED", "BOLETO")),
        Field("address", ADDRESS, nullable=True),
    ),
)

CURRENT: list[dict[str, Any]] = []
"""The records of the example being run (what the probe's generator gives)."""


class ProbePlugin:
    @hookimpl
    def datagen_register_entities(self, register: Any) -> None:
        register(PROBE)

    @hookimpl
    def datagen_register_generators(self, register: Any) -> None:
        def generate(ctx: BlockContext) -> list[dict[str, Any]]:
            return [dict(r) for r in CURRENT[ctx.start : ctx.stop]]

        register("probe", generate)


# ---------------------------------------------------------------------------------------------
# values, edges first


def _decimals(places: int, digits: int, scale: int) -> st.SearchStrategy[Any]:
    """Decimal values (Decimal, float or scaled int) whose rounded value fits ``digits`` integer digits."""
    top = D(10) ** digits - D(1).scaleb(-scale)  # the largest value the type holds
    edges = [D("0.125"), D("-0.125"), D("0.005"), D("-0.005"), D("2.675"), D("0.135"), D("1.115"), top, -top,
             D(0), D("-0.0049")]
    return st.one_of(
        st.sampled_from(edges),
        st.decimals(min_value=-top, max_value=top, places=places, allow_nan=False, allow_infinity=False),
        st.sampled_from([2.675, -0.125, 0.125, 1e-9, 12.5]),
        st.integers(min_value=-(10 ** (digits + scale) - 1), max_value=10 ** (digits + scale) - 1),  # scaled ints
    )


def _instants() -> st.SearchStrategy[Any]:
    offsets = st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=-3)),
                               dt.timezone(dt.timedelta(hours=5, minutes=30))])
    first_ms = (FIRST_INSTANT - EPOCH) // dt.timedelta(milliseconds=1)
    last_ms = (LAST_INSTANT - EPOCH) // dt.timedelta(milliseconds=1)
    return st.one_of(
        st.sampled_from([first_ms, last_ms, 0, -1, 1_704_067_200_000]),
        st.integers(min_value=first_ms, max_value=last_ms),
        st.sampled_from([dt.datetime(2024, 1, 1, 0, 0, 0, 1500, tzinfo=UTC),
                         dt.datetime(2024, 1, 1, 0, 0, 0, 2500, tzinfo=UTC),
                         dt.datetime(1969, 12, 31, 23, 59, 59, 999_500, tzinfo=UTC)]),
        st.datetimes(min_value=dt.datetime(1, 1, 3), max_value=dt.datetime(9999, 12, 29), timezones=offsets),
    )


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=24)
EDGE_TEXT = st.sampled_from(["", "São Paulo", "ação", "日本語", "emoji 🙂", "tab\there", "new\nline", "back\\slash",
                             '"quoted"', "\r\n", "N"])


@st.composite
def _records(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=1, max_value=8))
    out = []
    for i in range(n):
        address = draw(st.one_of(st.none(), st.fixed_dictionaries({
            "city": st.one_of(EDGE_TEXT, TEXT).map(lambda s: s[:30]), "rent": st.one_of(st.none(), _decimals(3, 6, 2)),
        })))
        out.append({
            "probe_id": str(uuid.UUID(int=i + 1)),
            "label": draw(st.one_of(EDGE_TEXT, TEXT)),
            "short": draw(st.one_of(st.none(), TEXT.map(lambda s: s[:8]))),
            "big": draw(st.one_of(st.sampled_from([-(2**63), 2**63 - 1, 0]), st.integers(-(2**63), 2**63 - 1))),
            "small": draw(st.one_of(st.none(), st.sampled_from([-(2**31), 2**31 - 1]),
                                    st.integers(-(2**31), 2**31 - 1))),
            "ratio": draw(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))),
            "flag": draw(st.booleans()),
            "amount": draw(st.one_of(st.none(), _decimals(4, 8, 2))),
            "rate": draw(_decimals(8, 6, 6)),
            "at": draw(_instants()),
            "day": draw(st.one_of(st.none(), st.sampled_from([dt.date.min, dt.date.max, dt.date(2024, 2, 29)]),
                                  st.dates())),
            "kind": draw(st.sampled_from(["PIX", "TED", "BOLETO"])),
            "address": address,
        })
    return out


# ---------------------------------------------------------------------------------------------
# what every reader must get: the documented rule, computed without the kernel


def _rounded(value: Any, scale: int) -> D | None:
    if value is None:
        return None
    if isinstance(value, int):
        return D(value).scaleb(-scale)
    d = D(repr(value)) if isinstance(value, float) else value
    return d.quantize(D(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def _instant(value: Any) -> dt.datetime:
    if isinstance(value, int):
        return EPOCH + dt.timedelta(milliseconds=value)
    micros = D((value - EPOCH) // dt.timedelta(microseconds=1))
    ms = int((micros / 1000).quantize(D(1), rounding=ROUND_HALF_UP))
    return EPOCH + dt.timedelta(milliseconds=ms)


def _expected(r: dict[str, Any]) -> dict[str, Any]:
    address = r["address"]
    return {
        **r,
        "amount": _rounded(r["amount"], 2),
        "rate": _rounded(r["rate"], 6),
        "at": _instant(r["at"]),
        "address": None if address is None else {"city": address["city"], "rent": _rounded(address["rent"], 2)},
    }


def _from_json(obj: dict[str, Any]) -> dict[str, Any]:
    """A record as the json serializer writes it, in comparable values."""
    address = obj["address"]
    return {
        **obj,
        "amount": None if obj["amount"] is None else D(obj["amount"]),
        "rate": D(obj["rate"]),
        "at": dt.datetime.fromisoformat(obj["at"]),
        "day": None if obj["day"] is None else dt.date.fromisoformat(obj["day"]),
        "address": None if address is None else {
            "city": address["city"], "rent": None if address["rent"] is None else D(address["rent"])},
    }


def _same(reader: str, got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want), reader
    by_id = {r["probe_id"]: r for r in got}
    for expected in want:
        actual = by_id[expected["probe_id"]]
        for name in PROBE.field_names:
            assert actual[name] == expected[name], (reader, expected["probe_id"], name, actual[name], expected[name])
            if isinstance(expected[name], dt.datetime):
                assert actual[name].utcoffset() is not None, (reader, name)


# ---------------------------------------------------------------------------------------------
# the readers


def _postgres_rows(url: str, schema: str) -> list[dict[str, Any]]:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        cur = conn.execute(f'SELECT * FROM "{schema}"."probe"')
        names = [c.name for c in cur.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    out = []
    for row in rows:
        city, rent = row.pop("address_city"), row.pop("address_rent")
        row["probe_id"] = str(row["probe_id"])
        row["address"] = None if city is None else {"city": city, "rent": rent}
        out.append(row)
    return out


def _messages(bootstrap: str, topic: str, count: int) -> list[bytes]:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"probe-{uuid.uuid4().hex}",
                         "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        values: list[bytes] = []
        for _ in range(200):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                values.append(msg.value())
            if len(values) >= count:
                break
        return values
    finally:
        consumer.close()


def _avro_records(registry: str, values: list[bytes]) -> list[dict[str, Any]]:
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from fastavro import parse_schema, schemaless_reader

    client = SchemaRegistryClient({"url": registry})
    schemas: dict[int, Any] = {}
    out = []
    for value in values:
        assert value[:1] == b"\x00"
        schema_id = int.from_bytes(value[1:5], "big")
        if schema_id not in schemas:
            schemas[schema_id] = parse_schema(json.loads(client.get_schema(schema_id).schema_str))
        record = schemaless_reader(io.BytesIO(value[5:]), schemas[schema_id])
        assert isinstance(record, dict)
        out.append({**record, "probe_id": str(record["probe_id"])})  # the uuid logical type reads as UUID
    return out


def _drop(tag: str, bootstrap: str, registry: str, postgres_url: str) -> None:
    """Everything the example made: its PostgreSQL schema, topics and registry subjects."""
    import psycopg
    from confluent_kafka.admin import AdminClient
    from confluent_kafka.schema_registry import SchemaRegistryClient

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{tag}" CASCADE')

    topics = [f"{tag}.probe", f"{tag}-avro.probe"]
    for future in AdminClient({"bootstrap.servers": bootstrap}).delete_topics(topics).values():
        with contextlib.suppress(Exception):
            future.result(10)
    client = SchemaRegistryClient({"url": registry})
    for subject in client.get_subjects():
        if subject.startswith(tag):
            client.delete_subject(subject)
            client.delete_subject(subject, permanent=True)


def _console_records(output: str) -> Iterator[dict[str, Any]]:
    for line in output.split("\n"):  # not splitlines(): JSON text may hold U+2028 and the like
        if line.startswith("{"):
            yield orjson.loads(line)


# ---------------------------------------------------------------------------------------------


@settings(max_examples=25, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(records=_records())
def test_every_sink_carries_the_same_value(records: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory,
                                           kafka_bootstrap: str, schema_registry_url: str, postgres_url: str) -> None:
    import datagen_plugin_avro.plugin as avro
    import datagen_plugin_json.plugin as json_plugin
    import datagen_plugin_kafka.plugin as kafka
    import datagen_plugin_postgres.plugin as postgres

    CURRENT[:] = records
    tag = f"probe{uuid.uuid4().hex[:10]}"
    out = tmp_path_factory.mktemp("cross-sink")
    host = make_plugin_host(entrypoints=False, plugins=[ProbePlugin(), json_plugin, kafka, avro, postgres])
    args = ["run", "--quiet", "--count", str(len(records)),
            "--sink", "json", "-o", f"json.path={out}",
            "--sink", "console", "-o", "console.limit=0", "-o", "console.pretty=false",
            "--sink", "postgres", "-o", f"postgres.url={postgres_url}", "-o", f"postgres.schema={tag}",
            "--sink", "kafka", "-o", f"kafka.bootstrap_servers={kafka_bootstrap}", "-o", f"kafka.topic_prefix={tag}.",
            "-o", "kafka.partitions=1",
            "--sink", "kafka-avro", "-o", f"kafka-avro.bootstrap_servers={kafka_bootstrap}",
            "-o", f"kafka-avro.topic_prefix={tag}-avro.", "-o", "kafka-avro.partitions=1",
            "-o", f"avro.schema_registry_url={schema_registry_url}"]
    try:
        _check_every_sink(host, args, records, out, tag, kafka_bootstrap, schema_registry_url, postgres_url)
    finally:
        _drop(tag, kafka_bootstrap, schema_registry_url, postgres_url)


def _check_every_sink(host: Any, args: list[str], records: list[dict[str, Any]], out: Any, tag: str,
                      kafka_bootstrap: str, schema_registry_url: str, postgres_url: str) -> None:
    result = CliRunner().invoke(make_cli(lambda: host), args)
    assert result.exit_code == 0, result.output
    want = [_expected(r) for r in records]

    _same("json file", [_from_json(orjson.loads(line)) for line in (out / "probe.jsonl").read_bytes().splitlines()],
          want)
    _same("console", [_from_json(r) for r in _console_records(result.stdout)], want)
    _same("postgres", _postgres_rows(postgres_url, tag), want)
    _same("kafka json", [_from_json(orjson.loads(v)) for v in _messages(kafka_bootstrap, f"{tag}.probe", len(want))],
          want)
    avro_values = _messages(kafka_bootstrap, f"{tag}-avro.probe", len(want))
    _same("kafka avro", _avro_records(schema_registry_url, avro_values), want)


def test_a_value_the_type_cannot_hold_fails_every_sink_alike(tmp_path: Any, postgres_url: str) -> None:
    """The same one-line error whichever sink: raised by the kernel before any serializer."""
    import datagen_plugin_json.plugin as json_plugin
    import datagen_plugin_postgres.plugin as postgres

    CURRENT[:] = [{"probe_id": str(uuid.UUID(int=1)), "label": "x", "short": None, "big": 1, "small": None,
                   "ratio": None, "flag": True, "amount": D("123456789.99"), "rate": 0, "at": 0, "day": None,
                   "kind": "PIX", "address": None}]
    host = make_plugin_host(entrypoints=False, plugins=[ProbePlugin(), json_plugin, postgres])
    messages = set()
    for sink in (["--sink", "json", "-o", f"json.path={tmp_path}"], ["--sink", "console"],
                 ["--sink", "postgres", "-o", f"postgres.url={postgres_url}", "-o", "postgres.schema=probe_never"]):
        result = CliRunner().invoke(make_cli(lambda: host), ["run", "--quiet", "--count", "1", *sink])
        assert result.exit_code != 0
        messages.add(result.output.strip().splitlines()[-1])
    assert len(messages) == 1, messages
    (message,) = messages
    assert message.startswith("error: entity 'probe', field 'amount' (decimal(10,2)?) in record "
                              "'00000000-0000-0000-0000-000000000001': value 123456789.99 does not fit decimal(10,2)")
