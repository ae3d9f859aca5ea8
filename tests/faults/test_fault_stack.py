"""The second stack itself: its own servers answer, and a frozen server really stops answering."""

from __future__ import annotations

import os

import psycopg
import pytest
from confluent_kafka.admin import AdminClient


def test_the_fault_stack_is_a_second_stack(fault_stack):
    for var in ("DATAGEN_KAFKA_BOOTSTRAP", "DATAGEN_SCHEMA_REGISTRY_URL", "DATAGEN_POSTGRES_URL"):
        assert fault_stack.env[var] != os.environ.get(var), var
    admin = AdminClient({"bootstrap.servers": fault_stack.env["DATAGEN_KAFKA_BOOTSTRAP"]})
    assert admin.list_topics(timeout=10).brokers
    with psycopg.connect(fault_stack.env["DATAGEN_POSTGRES_URL"], connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_frozen_postgres_answers_nothing_until_thawed(fault_stack):
    url = fault_stack.env["DATAGEN_POSTGRES_URL"]
    with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
        conn.execute("SET statement_timeout = '2s'")
        fault_stack.freeze("postgres")
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url, connect_timeout=2)
        fault_stack.thaw("postgres")
        assert conn.execute("SELECT 1").fetchone() == (1,)
