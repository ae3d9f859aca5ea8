"""Credentials in URLs never reach the terminal: option defaults, describe output, error lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from datagen_kernel.api.options import Option, shown_defaults, without_credentials
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host

SECRET = "s3cr3t-pw"


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return make_plugin_host()


@pytest.mark.parametrize(("text", "shown"), [
    ("http://bob:pw@registry:8081/apis", "http://bob:********@registry:8081/apis"),
    ("postgresql://u:p%40ss@db/x", "postgresql://u:********@db/x"),
    ("SASL_SSL://alice:pw@b1:9092,bob:pw2@b2:9092", "SASL_SSL://alice:********@b1:9092,bob:********@b2:9092"),
    ("Kafka at alice:pw@127.0.0.1:1 within 5 s", "Kafka at alice:********@127.0.0.1:1 within 5 s"),
    ("http://bob:p@ss@h/x", "http://bob:********@h/x"),
    ("http://registry:8081/apis at 10:30, mail a@b.c", "http://registry:8081/apis at 10:30, mail a@b.c"),
])
def test_without_credentials(text: str, shown: str) -> None:
    assert without_credentials(text) == shown


def test_defaults_shown_mask_urls_of_options_not_declared_secret() -> None:
    options = [Option("url", "str", f"http://bob:{SECRET}@h:1"), Option("hosts", "list", [f"u:{SECRET}@h:1"]),
               Option("n", "int", 3)]
    assert shown_defaults(options) == {"url": "http://bob:********@h:1", "hosts": ["u:********@h:1"], "n": 3}


@pytest.mark.parametrize("as_json", [False, True])
def test_describe_kafka_avro_hides_the_registry_password(host: PluginHost, as_json: bool) -> None:
    env = {"DATAGEN_SCHEMA_REGISTRY_URL": f"http://bob:{SECRET}@registry:8081/apis/ccompat/v7",
           "DATAGEN_POSTGRES_URL": f"postgresql://pg:{SECRET}@db/x",
           "DATAGEN_KAFKA_BOOTSTRAP": f"alice:{SECRET}@broker:9092"}
    cli = make_cli(lambda: host)
    for sink in ("kafka-avro", "kafka", "postgres"):
        result = CliRunner().invoke(cli, ["sinks", "describe", sink, *(["--json"] if as_json else [])], env=env)
        assert result.exit_code == 0, result.output
        assert SECRET not in result.output and "********@" in result.output
        if as_json and sink == "kafka-avro":
            shown = {o["name"]: o["default"] for o in json.loads(result.output)["serializer_options"]}
            assert shown["schema_registry_url"] == "http://bob:********@registry:8081/apis/ccompat/v7"
    for command in (["executors"], ["scenarios"], ["plugins"], ["entities"]):
        result = CliRunner().invoke(cli, command, env=env)
        assert SECRET not in result.output


def test_bootstrap_credentials_are_not_echoed_in_the_error(host: PluginHost, tmp_path: Path) -> None:
    result = CliRunner().invoke(make_cli(lambda: host), [
        "run", "--customers", "1", "-q", "--sink", "kafka", "-o", f"kafka.bootstrap_servers=alice:{SECRET}@127.0.0.1:1",
        "-o", "kafka.connect_timeout_s=0.5"])
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert "cannot reach Kafka at alice:********@127.0.0.1:1" in line and SECRET not in result.output


def test_an_invalid_value_holding_a_url_is_shown_masked(host: PluginHost) -> None:
    result = CliRunner().invoke(make_cli(lambda: host), [
        "run", "--sink", "kafka", "-o", f"kafka.partitions=http://u:{SECRET}@h"])
    assert result.exit_code == 2
    assert "kafka.partitions='http://u:********@h'" in result.stderr and SECRET not in result.output
