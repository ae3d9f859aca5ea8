"""Resumable runs against real servers: a server stopped mid-run, then ``--resume``.

Each test stops a server of the second stack after a given number of blocks (a hook of the
engine, ``engine.resume.BLOCK_HOOKS``, not a sleep), checks that the run fails with a clear
message, starts the server again and resumes the run. An independent reader then compares
what the destination holds with an uninterrupted run of the same seed: every record, once.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.cli import make_cli
from datagen_kernel.engine import resume

CUSTOMERS = str(BLOCK_SIZE + 100)  # two blocks, the second one small
SEED = "17"


def datagen(*args: str) -> Result:
    return CliRunner().invoke(make_cli(), ["run", "-q", "--customers", CUSTOMERS, *args])


@pytest.fixture
def stop_after(fault_stack: Any) -> Iterator[Any]:
    """``stop_after(component, n)``: stop the server once the engine handed ``n`` blocks
    (the global entities count as one) to its sinks."""

    def arm(component: str, n: int) -> None:
        seen: list[tuple[str, int | None]] = []

        def hook(phase: str, block: int | None) -> None:
            seen.append((phase, block))
            if len(seen) == n:
                fault_stack.stop(component)

        resume.BLOCK_HOOKS.append(hook)

    yield arm
    resume.BLOCK_HOOKS.clear()


def json_lines(tmp_path: Path) -> dict[str, Counter[bytes]]:
    """Each entity's records as an uninterrupted json run of the same seed writes them."""
    out = tmp_path / "reference"
    result = datagen("--seed", SEED, "--sink", "json", "-o", f"json.path={out}")
    assert result.exit_code == 0, result.output
    return {path.name.removesuffix(".jsonl"): Counter(path.read_bytes().splitlines())
            for path in out.glob("*.jsonl")}


def read_committed(bootstrap: str, topics: dict[str, str]) -> dict[str, Counter[bytes]]:
    """Every message of ``topics`` (topic -> entity) a read_committed consumer finds, by entity."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4().hex}",
                         "isolation.level": "read_committed", "enable.partition.eof": True,
                         "enable.auto.commit": False})
    try:
        metadata = consumer.list_topics(timeout=10).topics
        assigned = [TopicPartition(t, p, OFFSET_BEGINNING) for t in topics for p in metadata[t].partitions]
        consumer.assign(assigned)
        found: dict[str, Counter[bytes]] = {entity: Counter() for entity in topics.values()}
        at_end: set[tuple[str, int]] = set()
        while len(at_end) < len(assigned):
            msg = consumer.poll(10)
            assert msg is not None, "the consumer found no end of the topics within 10 s"
            if msg.error() is not None:
                assert msg.error().code() == KafkaError._PARTITION_EOF, msg.error()
                at_end.add((msg.topic(), msg.partition()))
                continue
            found[topics[msg.topic()]][msg.value()] += 1
        return found
    finally:
        consumer.close()


@pytest.mark.timeout(240)  # a broker stopped and started again, four runs: about 40 s on an idle machine
def test_a_kafka_run_resumed_after_the_broker_stopped_delivers_each_event_once(fault_stack, stop_after,
                                                                                tmp_path: Path) -> None:
    bootstrap = fault_stack.env["DATAGEN_KAFKA_BOOTSTRAP"]
    prefix = f"resume-{uuid.uuid4().hex[:8]}."
    run = ["--seed", SEED, "--sink", "kafka", "-o", f"kafka.bootstrap_servers={bootstrap}",
           "-o", f"kafka.topic_prefix={prefix}", "-o", "kafka.preset=exactly-once", "-o", "kafka.delivery_timeout_s=3"]
    stop_after("kafka", 4)  # masters: the global entities and 2 blocks; events: the first block
    failed = datagen(*run, "--resumable", "--workers", "2")
    assert failed.exit_code == 1, failed.output
    error = failed.output.strip().splitlines()[-1]
    assert error.startswith("error: ") and "generated records were not acknowledged by their sink" in error
    assert "run the same command with --resume" in error

    fault_stack.start("kafka")
    refused = datagen(*run, "--resume", "--as-of", "2025-06-30")
    assert refused.exit_code == 2 and "holds an unfinished run" in refused.output
    assert "as-of: 2026-01-01T00:00:00-03:00 -> 2025-06-30T00:00:00-03:00" in refused.output

    resumed = datagen(*run, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "note: resumed run" in resumed.output and "block(s) committed by an earlier attempt" in resumed.output

    expected = json_lines(tmp_path)
    topics = {prefix + spec["topic"]: spec["name"] for spec in _entities() if spec["name"] in expected}
    found = read_committed(bootstrap, topics)
    assert sum(map(len, expected.values())) > 30_000
    for entity, lines in expected.items():
        assert found[entity] == lines, entity  # every record, each exactly once

    again = datagen(*run, "--resume")
    assert again.exit_code == 0 and "nothing to resume: this run is complete" in again.output


def test_a_postgres_run_resumed_after_the_server_stopped_holds_an_uninterrupted_runs_rows(fault_stack,
                                                                                           stop_after) -> None:
    url = fault_stack.env["DATAGEN_POSTGRES_URL"]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS resume_reference, resume_run CASCADE")
    run = ["--seed", SEED, "--sink", "postgres", "-o", f"postgres.url={url}", "-o", "postgres.if_exists=truncate"]
    reference = datagen(*run, "-o", "postgres.schema=resume_reference")
    assert reference.exit_code == 0, reference.output

    stop_after("postgres", 2)  # the global entities and the first block
    failed = datagen(*run, "-o", "postgres.schema=resume_run", "--resumable")
    assert failed.exit_code == 1, failed.output
    error = failed.output.strip().splitlines()[-1]
    assert error.startswith("error: lost the connection to PostgreSQL while loading"), error
    assert "the blocks committed before stay committed" in error and "with --resume" in error

    fault_stack.start("postgres")
    refused = datagen(*run, "-o", "postgres.schema=resume_run", "--resume", "--seed", "18")
    assert refused.exit_code == 2 and "seed: 17 -> 18" in refused.output, refused.output

    resumed = datagen(*run, "-o", "postgres.schema=resume_run", "--resume", "--workers", "2")
    assert resumed.exit_code == 0, resumed.output
    assert "note: resumed run" in resumed.output

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'resume_reference' "
            "ORDER BY table_name").fetchall()]
        assert len(tables) > 10
        for table in tables:
            want = conn.execute(f'SELECT * FROM resume_reference."{table}" ORDER BY 1').fetchall()
            got = conn.execute(f'SELECT * FROM resume_run."{table}" ORDER BY 1').fetchall()
            assert got == want, table
        assert _keys(conn, "resume_run") == _keys(conn, "resume_reference") != 0  # added when the run completed
        assert conn.execute("SELECT finished_at IS NOT NULL FROM resume_run._datagen_runs").fetchall() == [(True,)]

    again = datagen(*run, "-o", "postgres.schema=resume_run", "--resume")
    assert again.exit_code == 0 and "nothing to resume: this run is complete" in again.output


def _keys(conn: psycopg.Connection[Any], schema: str) -> int:
    row = conn.execute("SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                       "WHERE n.nspname = %s AND c.contype IN ('p', 'f') AND c.conrelid::regclass::text "
                       "NOT LIKE '%%_datagen_%%'", (schema,)).fetchone()
    return int(row[0]) if row else 0


def _entities() -> list[dict[str, Any]]:
    import json

    result = CliRunner().invoke(make_cli(), ["entities", "--json"])
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))
