"""Fixtures of the kafka sink tests: the stack fixtures of tests/integration, the toy pack."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from kafkatest_support import REPO, SESSION, delete_topics  # noqa: E402

_STACK = REPO / "tests" / "integration" / "conftest.py"


def _load_stack_fixtures() -> bool:
    """Re-export the fixtures of tests/integration/conftest.py (kafka_bootstrap, ...) here."""
    if not _STACK.exists():
        return False
    spec = importlib.util.spec_from_file_location("datagen_stack_fixtures_for_kafka", _STACK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    exported = False
    for name in dir(module):
        value = getattr(module, name)
        is_fixture = hasattr(value, "_fixture_function_marker") or hasattr(value, "_pytestfixturefunction")
        if name.startswith("_") or not is_fixture:
            continue
        globals()[name] = value
        exported = True
    return exported


if not _load_stack_fixtures():  # the shared fixtures are not there yet: same contract, minimal

    def _stack_missing(what: str) -> None:
        if os.environ.get("DATAGEN_REQUIRE_STACK"):
            pytest.fail(f"{what} is not reachable and DATAGEN_REQUIRE_STACK is set (scripts/stack up)")
        pytest.skip(f"{what} is not reachable (scripts/stack up)")

    @pytest.fixture(scope="session")
    def kafka_bootstrap() -> str:
        from confluent_kafka.admin import AdminClient

        bootstrap = os.environ.get("DATAGEN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
        try:
            AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=5)
        except Exception:
            _stack_missing(f"Kafka at {bootstrap}")
        return bootstrap

    @pytest.fixture(scope="session")
    def schema_registry_url() -> str:
        import urllib.request

        url = os.environ.get("DATAGEN_SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7")
        try:
            urllib.request.urlopen(url.rstrip("/") + "/subjects", timeout=5).read()
        except Exception:
            _stack_missing(f"the Schema Registry at {url}")
        return url

    @pytest.fixture(scope="session")
    def postgres_url() -> str:
        url = os.environ.get("DATAGEN_POSTGRES_URL", "postgresql://postgres:postgres@127.0.0.1:5432/datagen")
        try:
            import psycopg

            psycopg.connect(url, connect_timeout=5).close()
        except Exception:
            _stack_missing(f"PostgreSQL at {url}")
        return url


@pytest.fixture(scope="session", autouse=True)
def _delete_test_topics() -> object:
    """Topics made by this session's tests all start with ``t-<SESSION>-``; drop them at the end."""
    yield
    bootstrap = os.environ.get("DATAGEN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    with contextlib.suppress(Exception):
        delete_topics(bootstrap, f"t-{SESSION}-")
