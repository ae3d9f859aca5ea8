"""Fixtures for integration tests against the real stack (Kafka, Schema Registry, PostgreSQL).

Start the servers with ``scripts/stack up`` (no Docker) or ``docker compose -f
docker/docker-compose.yml up -d``; the addresses come from the environment that
``scripts/stack env`` prints:

    DATAGEN_KAFKA_BOOTSTRAP       default 127.0.0.1:9092
    DATAGEN_SCHEMA_REGISTRY_URL   default http://127.0.0.1:8081/apis/ccompat/v7
    DATAGEN_POSTGRES_URL          default postgresql://postgres:postgres@127.0.0.1:5432/datagen

A server that does not answer skips the tests that need it, unless ``DATAGEN_REQUIRE_STACK`` is
set (as CI does): then the test fails, so a broken stack can never pass as "all skipped".
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.parse
import urllib.request

import pytest

DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092"
DEFAULT_SCHEMA_REGISTRY_URL = "http://127.0.0.1:8081/apis/ccompat/v7"
DEFAULT_POSTGRES_URL = "postgresql://postgres:postgres@127.0.0.1:5432/datagen"

PROBE_TIMEOUT_S = 3.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "integration: needs the real Kafka / Schema Registry / PostgreSQL stack (scripts/stack up)",
    )


def stack_unavailable(what: str, address: str, detail: str) -> None:
    """Skip (or fail, when DATAGEN_REQUIRE_STACK is set) because a server does not answer."""
    reason = f"stack is down: run scripts/stack up ({what} at {address}: {detail})"
    if os.environ.get("DATAGEN_REQUIRE_STACK"):
        pytest.fail(f"{reason}; DATAGEN_REQUIRE_STACK is set, so this is an error", pytrace=False)
    pytest.skip(reason)


def _tcp_probe(host: str, port: int) -> str | None:
    """None when something accepts a TCP connection there, else the reason it did not."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


def _split_host_port(hostport: str, default_port: int) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(f"//{hostport.strip()}")
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """Bootstrap servers of a Kafka broker that accepts connections."""
    bootstrap = os.environ.get("DATAGEN_KAFKA_BOOTSTRAP") or DEFAULT_KAFKA_BOOTSTRAP
    errors = []
    for server in bootstrap.split(","):
        host, port = _split_host_port(server, 9092)
        error = _tcp_probe(host, port)
        if error is None:
            return bootstrap
        errors.append(error)
    stack_unavailable("Kafka", bootstrap, "; ".join(errors))
    raise AssertionError("unreachable")  # pragma: no cover  (skip/fail raised above)


@pytest.fixture(scope="session")
def schema_registry_url() -> str:
    """Base URL of a Confluent-compatible Schema Registry that answers GET /subjects."""
    url = (os.environ.get("DATAGEN_SCHEMA_REGISTRY_URL") or DEFAULT_SCHEMA_REGISTRY_URL).rstrip("/")
    try:
        with urllib.request.urlopen(f"{url}/subjects", timeout=PROBE_TIMEOUT_S) as response:
            if response.status == 200:
                return url
            detail = f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        detail = f"HTTP {exc.code} on GET /subjects (is the URL the registry's ccompat base?)"
    except (urllib.error.URLError, OSError) as exc:
        detail = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    stack_unavailable("Schema Registry", url, detail)
    raise AssertionError("unreachable")  # pragma: no cover


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """libpq URL of a PostgreSQL server that accepts connections."""
    url = os.environ.get("DATAGEN_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    parsed = urllib.parse.urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 5432
    error = _tcp_probe(host, port)
    if error is not None:
        safe = url.replace(f":{parsed.password}@", ":***@") if parsed.password else url
        stack_unavailable("PostgreSQL", safe, error)
    return url
