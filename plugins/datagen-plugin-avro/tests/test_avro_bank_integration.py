"""The whole bank: masters into PostgreSQL, events into Kafka (Avro and JSON), read back and joined.

``--sink postgres:master,reference --sink kafka-avro:event`` (and the same with ``kafka``): every
event topic is read by an independent consumer and checked against the json sink's output for
the same seed (counts, decoded values, keys, partition by key, CloudEvents headers), and every
foreign key of every event must exist in PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from avrotest_support import assert_topic_matches_json
from click.testing import CliRunner
from kafkatest_support import unique_prefix

from datagen_kernel import EntitySpec, Kind
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host

pytestmark = pytest.mark.integration

CUSTOMERS = 150
SEED = 20260101


@pytest.fixture(scope="module")
def bank_host() -> PluginHost:
    host = make_plugin_host()
    specs = host.registry.entity_specs()
    if "transaction" not in specs:
        pytest.skip("the banking pack is not installed")
    for name in ("postgres", "kafka", "kafka-avro", "json"):
        if name not in host.registry.sinks:
            pytest.skip(f"sink {name!r} is not installed")
    return host


def _run(host: PluginHost, *args: str) -> Any:
    result = CliRunner().invoke(make_cli(lambda: host), ["run", "--customers", str(CUSTOMERS), "--seed", str(SEED),
                                                          "-q", *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def bank_json(bank_host: PluginHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bank-json")
    _run(bank_host, "--sink", "json", "-o", f"json.path={out}")
    return out


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    import psycopg

    schema = f"t_bank_{uuid.uuid4().hex[:10]}"
    yield schema
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _events(host: PluginHost) -> dict[str, EntitySpec]:
    return {n: s for n, s in host.registry.entity_specs().items() if s.kind == Kind.EVENT}


def _assert_foreign_keys_in_postgres(postgres_url: str, schema: str, specs: dict[str, EntitySpec],
                                     spec: EntitySpec, records: list[dict[str, Any]]) -> None:
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        for fk in spec.foreign_keys:
            parent = specs[fk.entity]
            if parent.kind == Kind.EVENT:
                continue  # an event's parent event is in Kafka: checked among the decoded events
            values = sorted({str(r[fk.field]) for r in records if r[fk.field] is not None})
            if not values:
                continue
            rows = conn.execute(
                f'SELECT count(DISTINCT "{fk.ref_field}") FROM "{schema}"."{parent.table_name}" '
                f'WHERE "{fk.ref_field}"::text = ANY(%s)', (values,)).fetchone()
            assert rows is not None and rows[0] == len(values), (
                f"{spec.name}.{fk.field}: {len(values) - (rows[0] if rows else 0)} of {len(values)} referenced "
                f"{parent.name} rows are missing from PostgreSQL")


def _assert_masters_in_postgres(postgres_url: str, schema: str, host: PluginHost, bank_json: Path) -> None:
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        for name, spec in host.registry.entity_specs().items():
            if spec.kind == Kind.EVENT:
                continue
            expected = len((bank_json / f"{name}.jsonl").read_bytes().splitlines())
            row = conn.execute(f'SELECT count(*) FROM "{schema}"."{spec.table_name}"').fetchone()
            assert row is not None and row[0] == expected, f"{spec.table_name}: {row} rows, {expected} expected"


@pytest.mark.parametrize("sink", ["kafka-avro", "kafka"])
def test_whole_bank_masters_in_postgres_events_in_kafka(
    bank_host: PluginHost, bank_json: Path, kafka_bootstrap: str, schema_registry_url: str, postgres_url: str,
    pg_schema: str, sink: str,
) -> None:
    prefix = unique_prefix(f"bank-{sink}")
    _run(bank_host, "--workers", "2", "--sink", "postgres:master,reference", "--sink", f"{sink}:event",
         "-o", f"postgres.url={postgres_url}", "-o", f"postgres.schema={pg_schema}",
         "-o", f"{sink}.bootstrap_servers={kafka_bootstrap}", "-o", f"{sink}.topic_prefix={prefix}",
         "-o", f"{sink}.partitions=4", "-o", f"avro.schema_registry_url={schema_registry_url}")
    _assert_masters_in_postgres(postgres_url, pg_schema, bank_host, bank_json)
    specs = bank_host.registry.entity_specs()
    events = _events(bank_host)
    assert "transaction" in events
    decoded: dict[str, list[dict[str, Any]]] = {}
    for name, spec in events.items():
        decoded[name] = assert_topic_matches_json(
            kafka_bootstrap, schema_registry_url if sink == "kafka-avro" else None, prefix + spec.topic_name, spec,
            bank_json / f"{name}.jsonl", partitions=4,
            content_type=b"application/avro" if sink == "kafka-avro" else b"application/json",
            timezone=bank_host.registry.run_defaults().timezone)
        _assert_foreign_keys_in_postgres(postgres_url, pg_schema, specs, spec, decoded[name])
    for name, spec in events.items():  # events referencing events (a reversal its transaction)
        for fk in (fk for fk in spec.foreign_keys if fk.entity in events):
            parents = {str(r[fk.ref_field]) for r in decoded[fk.entity]}
            missing = {str(r[fk.field]) for r in decoded[name] if r[fk.field] is not None} - parents
            assert not missing, f"{name}.{fk.field}: {len(missing)} referenced {fk.entity} events missing"


def test_kafka_with_the_avro_serializer_writes_what_kafka_avro_writes(
    bank_host: PluginHost, bank_json: Path, kafka_bootstrap: str, schema_registry_url: str,
) -> None:
    """``--sink kafka:event -o kafka.serializer=avro`` and ``--sink kafka-avro:event``: an independent
    consumer decodes both the same, message for message (and both as the json sink's records)."""
    decoded: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for label, route, options in (
        ("chosen", "kafka:event", ["-o", "kafka.serializer=avro"]),
        ("alias", "kafka-avro:event", []),
    ):
        sink = route.split(":")[0]
        prefix = unique_prefix(f"bank-{label}")
        _run(bank_host, "--workers", "2", "--sink", route, *options,
             "-o", f"{sink}.bootstrap_servers={kafka_bootstrap}", "-o", f"{sink}.topic_prefix={prefix}",
             "-o", f"{sink}.partitions=4", "-o", f"avro.schema_registry_url={schema_registry_url}")
        decoded[label] = {
            name: assert_topic_matches_json(kafka_bootstrap, schema_registry_url, prefix + spec.topic_name, spec,
                                            bank_json / f"{name}.jsonl", partitions=4,
                                            content_type=b"application/avro",
                                            timezone=bank_host.registry.run_defaults().timezone)
            for name, spec in _events(bank_host).items()
        }
    specs = _events(bank_host)
    assert decoded["chosen"].keys() == decoded["alias"].keys() and "transaction" in decoded["alias"]
    for name, records in decoded["alias"].items():
        pk = specs[name].primary_key
        assert sorted(decoded["chosen"][name], key=lambda r: r[pk]) == sorted(records, key=lambda r: r[pk]), name
