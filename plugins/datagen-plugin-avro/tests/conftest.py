"""Fixtures of the avro plugin tests: the stack fixtures and helpers shared with the kafka tests."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "datagen-plugin-kafka" / "tests"))
sys.path.insert(0, str(HERE))

from kafkatest_support import SESSION, delete_topics, stack_fixtures  # noqa: E402

globals().update(stack_fixtures("avro"))


@pytest.fixture(scope="session", autouse=True)
def _delete_avro_test_topics(request: pytest.FixtureRequest) -> object:
    """Topics and subjects made by this session's tests start with ``t-<SESSION>-``; drop them."""
    yield
    if not any(item.get_closest_marker("integration") for item in request.session.items):
        return  # no test of this session touched the stack (and none may be running)
    bootstrap = os.environ.get("DATAGEN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    with contextlib.suppress(Exception):
        delete_topics(bootstrap, f"t-{SESSION}-")
    registry = os.environ.get("DATAGEN_SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7")
    with contextlib.suppress(Exception):
        from confluent_kafka.schema_registry import SchemaRegistryClient

        client = SchemaRegistryClient({"url": registry, "timeout": 5, "max.retries": 0})
        for subject in client.get_subjects():
            if subject.startswith(f"t-{SESSION}-"):
                client.delete_subject(subject)
                client.delete_subject(subject, permanent=True)
