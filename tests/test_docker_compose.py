"""docker/docker-compose.yml offers the stack datagen expects: same ports and credentials as the
defaults of the integration tests and of scripts/stack, KRaft Kafka, logical WAL, UI opt-in."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker" / "docker-compose.yml"

KAFKA_PORT = 9092
REGISTRY_PORT = 8081
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"
POSTGRES_PASSWORD = "postgres"
POSTGRES_DB = "datagen"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a dict, whichever of the two compose forms it uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def published(service: dict[str, Any]) -> dict[int, int]:
    """host port -> container port, for the short ("[ip:]host:container") and long port forms."""
    out: dict[int, int] = {}
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            out[int(port["published"])] = int(port["target"])
            continue
        match = re.fullmatch(r"(?:(?P<ip>[\d.]+|\[[0-9a-f:]+\]):)?(?P<host>\d+):(?P<container>\d+)(?:/tcp)?", str(port))
        assert match, f"unexpected port syntax {port!r}"
        out[int(match["host"])] = int(match["container"])
    return out


def command_args(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(c) for c in command]


def test_default_services_and_images(services: dict[str, dict[str, Any]]) -> None:
    assert {"kafka", "schema-registry", "postgres"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert services["schema-registry"]["image"].startswith("confluentinc/cp-schema-registry:")
    assert services["postgres"]["image"].split(":")[0] == "postgres"
    assert services["postgres"]["image"].split(":")[1].startswith("16")
    for name in ("kafka", "schema-registry", "postgres"):
        assert not services[name].get("profiles"), f"{name} must start by default"
        assert "healthcheck" in services[name], f"{name} needs a healthcheck for depends_on"
    assert not any("zookeeper" in name for name in services)


def test_kafka_is_single_node_kraft_on_9092(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    assert published(kafka).get(KAFKA_PORT) == KAFKA_PORT
    env = environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_NODE_ID"] == "1"
    assert f"localhost:{KAFKA_PORT}" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "true"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    # every listener named in the advertised list is declared and mapped to a protocol
    listeners = {item.split("://")[0] for item in env["KAFKA_LISTENERS"].split(",")}
    advertised = {item.split("://")[0] for item in env["KAFKA_ADVERTISED_LISTENERS"].split(",")}
    protocols = {item.split(":")[0] for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")}
    assert advertised <= listeners <= protocols
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"]), "Kafka cluster ids are 16 bytes in base64"


def test_schema_registry_on_8081_uses_the_internal_listener(services: dict[str, dict[str, Any]]) -> None:
    registry = services["schema-registry"]
    assert published(registry).get(REGISTRY_PORT) == REGISTRY_PORT
    env = environment(registry)
    assert env["SCHEMA_REGISTRY_LISTENERS"].endswith(f":{REGISTRY_PORT}")
    bootstrap = env["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"]
    internal = [
        item.split("://", 1)[1]
        for item in environment(services["kafka"])["KAFKA_ADVERTISED_LISTENERS"].split(",")
        if not item.split("://", 1)[1].startswith("localhost:")
    ]
    assert any(addr in bootstrap for addr in internal), "the registry must reach kafka by its container name"
    assert "kafka" in registry["depends_on"]


def test_postgres_16_credentials_and_logical_wal(services: dict[str, dict[str, Any]]) -> None:
    postgres = services["postgres"]
    assert published(postgres).get(POSTGRES_PORT) == POSTGRES_PORT
    env = environment(postgres)
    assert env["POSTGRES_USER"] == POSTGRES_USER
    assert env["POSTGRES_PASSWORD"] == POSTGRES_PASSWORD
    assert env["POSTGRES_DB"] == POSTGRES_DB
    args = command_args(postgres)
    settings = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "-c"]
    settings += [arg[2:] for arg in args if arg.startswith("-c") and len(arg) > 2]
    assert "wal_level=logical" in settings


def test_kafka_ui_is_optional_behind_the_ui_profile(services: dict[str, dict[str, Any]]) -> None:
    ui = [name for name, svc in services.items() if "ui" in (svc.get("profiles") or [])]
    assert ui, "a Kafka UI service under `profiles: [ui]`"
    for name in ui:
        assert services[name]["profiles"] == ["ui"]
        env = environment(services[name])
        assert any("kafka:" in value for value in env.values()), "the UI points at the kafka service"


def test_ports_are_published_on_loopback_only(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for port in svc.get("ports") or []:
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_same_ports_and_credentials_as_scripts_stack() -> None:
    """`scripts/stack env` (no Docker) and the compose file agree on ports, user, password, db."""
    out = subprocess.run(
        ["bash", str(REPO / "scripts" / "stack"), "env"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
    ).stdout
    exports = dict(re.findall(r"^export (\w+)=(\S+)$", out, flags=re.M))
    assert exports["DATAGEN_KAFKA_BOOTSTRAP"] == f"127.0.0.1:{KAFKA_PORT}"
    assert exports["DATAGEN_SCHEMA_REGISTRY_URL"] == f"http://127.0.0.1:{REGISTRY_PORT}/apis/ccompat/v7"
    assert exports["DATAGEN_POSTGRES_URL"] == (
        f"postgresql://{POSTGRES_USER}:{POSTGRES_PASSWORD}@127.0.0.1:{POSTGRES_PORT}/{POSTGRES_DB}"
    )
