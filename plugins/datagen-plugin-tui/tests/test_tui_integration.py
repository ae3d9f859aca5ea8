"""The wizard for postgres + kafka-avro against the real stack: health, then a run (scripts/stack up)."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from datagen_plugin_tui.app import DatagenTui
from datagen_plugin_tui.model import Catalog, RunForm
from textual.widgets import DataTable
from tuitest_support import check, paste_into, run, text_of, wait_for

pytestmark = pytest.mark.integration


def test_postgres_and_kafka_avro_from_the_wizard(catalog: Catalog, kafka_bootstrap: str, schema_registry_url: str,
                                                 postgres_url: str) -> None:
    import psycopg
    from confluent_kafka.admin import AdminClient

    tag = uuid.uuid4().hex[:10]
    schema, prefix = f"tui_{tag}", f"t-tui-{tag}."

    async def walk() -> None:
        app = DatagenTui(catalog, RunForm(count="4", sinks={}))
        async with app.run_test(size=(120, 50)) as pilot:
            await check(pilot, "#sink-postgres")
            await check(pilot, "#sink-kafka-avro")
            await paste_into(pilot, "#opt-postgres--schema", schema)
            await paste_into(pilot, "#opt-kafka-avro--topic_prefix", prefix)
            # the avro serializer's options are in the form since kafka-avro uses it
            assert app.query_one("#opt-avro--schema_registry_url")
            command = text_of(pilot, "#command")
            assert f"-o postgres.schema={schema}" in command and "--sink kafka-avro" in command
            assert app.last_check.ok, app.last_check

            app.action_show("health")
            await pilot.pause()
            await pilot.click("#health-go")
            await wait_for(pilot, lambda: len(app.health_results) == 3)
            checks = {h.target.what: h for h in app.health_results}
            assert set(checks) == {"Kafka metadata", "Schema Registry API", "PostgreSQL select 1"}
            assert all(h.ok for h in checks.values()), [h.detail for h in checks.values()]
            assert checks["PostgreSQL select 1"].detail.startswith("select 1 = 1")
            assert "postgres" not in checks["PostgreSQL select 1"].target.shown.split("@")[0].split(":")[-1]
            assert text_of(pilot, "#health-fix") == "every server answers"

            app.query_one("#health-table").focus()
            await pilot.press("f5")  # the Run tab, from a focused table
            await pilot.pause()
            await pilot.click("#run-start")
            await wait_for(pilot, lambda: app.process is not None and app.process.returncode is not None, 90)
            await pilot.pause()
            state = app.process.state
            assert app.process.returncode == 0, text_of(pilot, "#run-log")
            assert state.summary is not None and state.summary["ok"]
            assert set(state.sinks) == {"postgres", "kafka-avro"}
            assert text_of(pilot, "#run-summary").startswith("DONE")
            assert app.query_one("#run-rows", DataTable).row_count == len(state.summary["rows"])
            customers = sum(r["acknowledged"] for r in state.summary["rows"]
                            if r["entity"] == "customer" and r["sink"] == "postgres")
            table = catalog.entities["customer"].table_name
            with psycopg.connect(postgres_url) as conn:
                row = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            assert row is not None and row[0] == customers == 4

    try:
        run(walk())
    finally:
        with contextlib.suppress(Exception), psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'drop schema if exists "{schema}" cascade')
        with contextlib.suppress(Exception):
            admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
            topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
            if topics:
                for future in admin.delete_topics(topics).values():
                    future.result(timeout=30)
