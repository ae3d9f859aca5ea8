"""The product packs end to end (issue #18): 2,000 customers with insurance, funds and consórcio.

``datagen run --customers 2000 --sink json`` writes every product file and ``datagen validate``
passes; ``--sink postgres`` loads every entity, each table with its foreign key constraints, and
no row misses its parent; ``--sink kafka-avro:event`` carries the products' events (claims,
premiums, quotes), which an independent consumer decodes to what the json sink wrote.
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

from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host

pytestmark = pytest.mark.integration

CUSTOMERS = 2000
SEED = 18
PRODUCTS = ("insurance_policy", "insurance_claim", "insurance_premium", "fund", "fund_position", "fund_quote",
            "consortium")
EVENTS = ("insurance_claim", "insurance_premium", "fund_quote")


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = make_plugin_host()
    missing = set(PRODUCTS) - set(host.registry.entity_specs())
    if missing:
        pytest.skip(f"the insurance, funds and consorcio packs are not installed: {sorted(missing)}")
    return host


def _cli(host: PluginHost, *args: str) -> Any:
    result = CliRunner().invoke(make_cli(lambda: host), list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def products_json(host: PluginHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("products-json")
    _cli(host, "run", "--customers", str(CUSTOMERS), "--seed", str(SEED), "-q", "--sink", "json",
         "-o", f"json.path={out}")
    return out


def test_json_run_writes_every_product_and_validates(host: PluginHost, products_json: Path) -> None:
    for name in PRODUCTS:
        assert (products_json / f"{name}.jsonl").read_bytes().count(b"\n") > 0, name
    result = _cli(host, "validate", str(products_json))
    assert "no violations" in result.output


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    import psycopg

    schema = f"t_products_{uuid.uuid4().hex[:10]}"
    yield schema
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_postgres_loads_every_entity_with_foreign_keys(host: PluginHost, products_json: Path, postgres_url: str,
                                                       pg_schema: str) -> None:
    import psycopg

    _cli(host, "run", "--customers", str(CUSTOMERS), "--seed", str(SEED), "-q", "--workers", "2",
         "--sink", "postgres", "-o", f"postgres.url={postgres_url}", "-o", f"postgres.schema={pg_schema}")
    specs = host.registry.entity_specs()
    with psycopg.connect(postgres_url) as conn:
        for name, spec in specs.items():
            rows = conn.execute(f'SELECT count(*) FROM "{pg_schema}"."{spec.table_name}"').fetchone()
            expected = (products_json / f"{name}.jsonl").read_bytes().count(b"\n")
            assert rows is not None and rows[0] == expected, f"{spec.table_name}: {rows}, {expected} expected"
        constraints = {
            (table, column, parent) for table, column, parent in conn.execute(
                "SELECT tc.table_name, kcu.column_name, ccu.table_name FROM information_schema.table_constraints tc "
                "JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name "
                "AND tc.table_schema = kcu.table_schema "
                "JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name "
                "AND tc.table_schema = ccu.table_schema "
                "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = %s", (pg_schema,)).fetchall()
        }
        for name in PRODUCTS:
            spec = specs[name]
            for fk in spec.foreign_keys:
                assert (spec.table_name, fk.field, specs[fk.entity].table_name) in constraints, (name, fk)
                orphans = conn.execute(
                    f'SELECT count(*) FROM "{pg_schema}"."{spec.table_name}" c LEFT JOIN '
                    f'"{pg_schema}"."{specs[fk.entity].table_name}" p ON c."{fk.field}" = p."{fk.ref_field}" '
                    f'WHERE c."{fk.field}" IS NOT NULL AND p."{fk.ref_field}" IS NULL').fetchone()
                assert orphans == (0,), (name, fk.field)


def test_kafka_avro_carries_the_product_events(host: PluginHost, products_json: Path, kafka_bootstrap: str,
                                               schema_registry_url: str) -> None:
    prefix = unique_prefix("products")
    _cli(host, "run", "--customers", str(CUSTOMERS), "--seed", str(SEED), "-q", "--workers", "2",
         "--sink", "kafka-avro:" + ",".join(EVENTS), "-o", f"kafka-avro.bootstrap_servers={kafka_bootstrap}",
         "-o", f"kafka-avro.topic_prefix={prefix}", "-o", "kafka-avro.partitions=3",
         "-o", f"avro.schema_registry_url={schema_registry_url}")
    specs = host.registry.entity_specs()
    assert [specs[e].topic_name for e in EVENTS] == ["insurance.claims", "insurance.premiums", "funds.quotes"]
    for name in EVENTS:
        assert_topic_matches_json(kafka_bootstrap, schema_registry_url, prefix + specs[name].topic_name, specs[name],
                                  products_json / f"{name}.jsonl", partitions=3, content_type=b"application/avro",
                                  timezone=host.registry.run_defaults().timezone)
