"""Every bad input in one table: exit code 2, exactly one line on stderr, never a traceback.

The rows run in this process (click's runner) on the installed plugins; a few run the
``datagen`` command in its own process, as a user does. Nothing here reaches a server: every
input is refused while the run is planned, before a sink opens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host

CONFIGS = {
    "missing.toml": None,
    "unparsable.toml": b"[run\n",
    "unknown-section.toml": b"[whatever]\nx = 1\n",
    "unknown-run-key.toml": b"[run]\nspeed = 3\n",
    "latin1.toml": "[run]\nseed = 1\n# configura\u00e7\u00e3o\n".encode("latin-1"),
    "negative-count.toml": b"[run]\ncustomers = -1\n",
    "both-counts.toml": b"[run]\ncount = 1\ncustomers = 2\n",
}

# (arguments, what the one line says); {dir} is a folder with the config files above
TABLE: list[tuple[list[str], str]] = [
    # names: sinks, selectors, scenarios, transforms, executors, namespaces, option keys
    (["run", "--sink", "nosuch"], "unknown sink 'nosuch'; available: console, json"),
    (["run", "--sink", "jsn"], "unknown sink 'jsn' (did you mean 'json'?)"),
    (["run", "--sinkk", "json"], "No such option '--sinkk'. Did you mean '--sink'?"),
    (["rn"], "No such command 'rn'. Did you mean 'run'?"),
    (["run", "--sink", "json:nosuch"], "unknown selector(s) ['nosuch']; expected kinds master, reference, event"),
    (["run", "--sink", "json:"], "--sink 'json:' is malformed"),
    (["run", "--sink", "json", "--sink", "json"], "to sink 'json' again (--sink 'json' already does): each entity "
     "goes to a sink once"),
    (["run", "--sink", "json", "--sink", "json:customer"],
     "--sink 'json:customer' sends 'customer' to sink 'json' again"),
    (["run", "--scenario", "nosuch"], "unknown scenario 'nosuch'"),
    (["run", "--transform", "nosuch"], "unknown transform 'nosuch'"),
    (["run", "--executor", "nosuch"], "unknown executor 'nosuch'"),
    (["run", "-o", "json.no_such_option=1"], "unknown option json.no_such_option (from -o); json accepts:"),
    (["run", "-o", "json.pth=out"], "unknown option json.pth (did you mean 'path'?)"),
    (["run", "-o", "nowhere.key=1"], "unknown option namespace 'nowhere'"),
    (["run", "-o", "jsn.path=out"], "unknown option namespace 'jsn' (did you mean 'json'?)"),
    (["run", "-o", "kafka.partitions=3"], "options for sink 'kafka' were given but --sink does not use it"),
    # option values
    (["run", "-o", "oops"], "option 'oops' is malformed: expected NAMESPACE.KEY=VALUE"),
    (["run", "-o", "json.path="], "option 'json.path=' has no value"),
    (["run", "-o", "json.gzip=maybe"],
     "option json.gzip='maybe' (from -o json.gzip) is invalid: expected true or false"),
    (["run", "--sink", "kafka", "-o", "kafka.partitions=0"], "kafka.partitions='0' (from -o kafka.partitions) is "
     "invalid: must be >= 1"),
    (["run", "--sink", "kafka", "-o", "kafka.topics=customer=__consumer_offsets"],
     "topic '__consumer_offsets' is reserved: names starting with '__' are Kafka's internal topics"),
    (["run", "--sink", "kafka", "-o", "kafka.topics=customer=bad/name"], "topic 'bad/name' is not a valid Kafka topic"),
    (["run", "--sink", "kafka", "-o", "kafka.topics=customer=.."], "topic '..' is not a valid Kafka topic name"),
    (["run", "--sink", "kafka", "-o", "kafka.topic_prefix=__"], "a topic prefix may not start with '__'"),
    (["run", "--sink", "kafka", "-o", "kafka.topic_naming=old"], "expected one of catalog, legacy"),
    # counts, seeds, workers, batches
    (["run", "--customers", "0"], "--customers 0 is out of range: expected 1..1,000,000,000"),
    (["run", "--customers", "-5"], "--customers -5 is out of range: expected 1..1,000,000,000"),
    (["run", "--customers", "100000000000"], "--customers 100000000000 is out of range"),
    (["run", "--customers", "many"], "Invalid value for '--customers': 'many' is not a valid integer"),
    (["run", "--count", "1", "--customers", "2"], "--count and --customers both give the number of root records"),
    (["run", "--seed", "-1"], "--seed -1 is out of range: expected 0..18446744073709551615"),
    (["run", "--seed", str(2**64)], f"--seed {2**64} is out of range"),
    (["run", "--seed", str(2**70)], f"--seed {2**70} is out of range"),
    (["run", "--workers", "0"], "--workers 0 is out of range"),
    (["run", "--batch-size", "0"], "--batch-size 0 is out of range"),
    # dates
    (["run", "--as-of", "yesterday"], "--as-of 'yesterday' is not a date"),
    (["run", "--as-of", "0001-01-01"], "--as-of 0001-01-01T00:00:00-03:00 is out of range: datagen-plugin-banking "
     "generates histories ending between 1990-01-01 and 2089-12-31"),
    (["run", "--as-of", "9999-12-31"], "--as-of 9999-12-31T00:00:00-03:00 is out of range"),
    (["run", "--as-of", "9999-12-31T23:59:59-12:00"], "--as-of 9999-12-31T23:59:59-12:00 is out of range"),
    # stream mode
    (["run", "--rate", "5"], "--rate only applies to stream mode (add --stream, or leave them out)"),
    (["run", "--duration", "5"], "--duration only applies to stream mode"),
    (["run", "--rate", "5", "--duration", "5"], "--rate and --duration only apply to stream mode"),
    (["run", "--stream", "--duration", "nan"], "--duration nan must be a positive, finite number of seconds"),
    (["run", "--stream", "--duration", "inf"], "--duration inf must be a positive, finite number of seconds"),
    (["run", "--stream", "--duration", "-3"], "--duration -3 must be a positive, finite number of seconds"),
    (["run", "--stream", "--rate", "0"], "--rate 0 is out of range"),
    (["run", "--stream", "--rate", "nan"], "--rate nan is out of range"),
    # config files
    (["run", "--config", "{dir}/missing.toml"], "config file '{dir}/missing.toml' does not exist"),
    (["run", "--config", "{dir}/unparsable.toml"], "is not valid TOML"),
    (["run", "--config", "{dir}/unknown-section.toml"], "unknown section(s): whatever"),
    (["run", "--config", "{dir}/unknown-run-key.toml"], "config file [run] has unknown key(s) ['speed']"),
    (["run", "--config", "{dir}/latin1.toml"], "config file '{dir}/latin1.toml' is not UTF-8 text"),
    (["run", "--config", "{dir}/negative-count.toml"], "[run] customers -1 is out of range"),
    (["run", "--config", "{dir}/both-counts.toml"], "config file [run] has both count and customers"),
    (["run", "--config", "{dir}"], "Invalid value for '--config': File '{dir}' is a directory."),
    # other commands
    (["sinks", "describe", "nosuch"], "unknown sink 'nosuch'"),
    (["sinks", "describe", "kafak"], "unknown sink 'kafak' (did you mean 'kafka'?)"),
    (["transforms", "describe", "nosuch"], "unknown transform 'nosuch'"),
    (["sinks", "describe"], "Missing argument 'NAME'. (see `datagen sinks describe --help`)"),
    (["schemas", "export", "--format", "nosuch", "{dir}/schemas"], "--format 'nosuch' is unknown"),
    (["validate", "{dir}"], "no dataset files found"),
    (["validate", "{dir}", "--as-of", "yesterday"], "--as-of 'yesterday' is not a date"),
    (["new-plugin", "Bad"], "plugin name 'Bad' is invalid"),
]


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return make_plugin_host()


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("configs")
    for name, content in CONFIGS.items():
        if content is not None:
            (folder / name).write_bytes(content)
    return folder


@pytest.fixture
def in_empty_folder(tmp_path: Path) -> Iterator[Path]:
    """Run in an empty folder, so that a run that was wrongly accepted writes nowhere that matters."""
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


@pytest.mark.parametrize(("args", "expected"), TABLE, ids=[" ".join(a) for a, _ in TABLE])
def test_bad_input_is_one_line_and_exit_2(host: PluginHost, config_dir: Path, in_empty_folder: Path,
                                          args: list[str], expected: str) -> None:
    argv = [a.replace("{dir}", str(config_dir)) for a in args]
    result = CliRunner().invoke(make_cli(lambda: host), argv, prog_name="datagen")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.output
    assert expected.replace("{dir}", str(config_dir)) in lines[0]
    assert not list(in_empty_folder.iterdir()), "nothing is written"


def _datagen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The ``datagen`` command in its own process, as a user runs it."""
    command = [sys.executable, "-c", "from datagen_kernel.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, cwd=cwd)


@pytest.mark.parametrize("args", [
    ["run", "--config", "{dir}/latin1.toml"],
    ["run", "--sink", "json", "--sink", "json"],
    ["run", "--as-of", "9999-12-31"],
    ["run", "--sinkk", "json"],
])
def test_bad_input_in_a_process_of_its_own(config_dir: Path, tmp_path: Path, args: list[str]) -> None:
    done = _datagen(*[a.replace("{dir}", str(config_dir)) for a in args], cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("error: "), done.stderr
    assert done.stdout == "" and not list(tmp_path.iterdir())


def test_a_misspelled_variable_gets_one_warning_and_the_run_goes_on(host: PluginHost, tmp_path: Path) -> None:
    env = {"DATAGEN_JSON_GZIPP": "true", "DATAGEN_MY_OWN_TOOL": "1", "DATAGEN_STACK_KAFKA_PORT": "29092",
           "DATAGEN_REQUIRE_STACK": "1", "DATAGEN_KAFKA_BOOTSTRAP": "localhost:1", "DATAGEN_JSON_UTC": "true"}
    result = CliRunner().invoke(make_cli(lambda: host), ["run", "--customers", "3", "-q", "--sink", "json:customer",
                                                         "-o", f"json.path={tmp_path}"], env=env)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: environment variable DATAGEN_JSON_GZIPP is not one datagen reads "
                        "(did you mean DATAGEN_JSON_GZIP?); it is ignored"]
    assert (tmp_path / "customer.jsonl").exists(), "the misspelled gzip=true was not applied"


def test_every_variable_the_project_reads_is_known(host: PluginHost) -> None:
    from datagen_kernel.cli.environment import known_variables, unknown_variable_warnings

    known = known_variables(host)
    for name in ("DATAGEN_KAFKA_BOOTSTRAP", "DATAGEN_SCHEMA_REGISTRY_URL", "DATAGEN_POSTGRES_URL",
                 "DATAGEN_REQUIRE_STACK", "DATAGEN_DISABLE_PLUGINS", "DATAGEN_JSON_PATH",
                 "DATAGEN_KAFKA_BOOTSTRAP_SERVERS", "DATAGEN_AVRO_SCHEMA_REGISTRY_URL", "DATAGEN_BANKING_HISTORY_DAYS",
                 "DATAGEN_KAFKA_AVRO_TOPIC_NAMING", "DATAGEN_JSON_GZIP"):
        assert name in known, name
    # every DATAGEN_ name written in the project's sources, scripts and docs is one datagen knows
    import re

    root = Path(__file__).resolve().parents[1]
    texts = [p for pattern in ("datagen_kernel/**/*.py", "plugins/*/src/**/*.py", "scripts/stack", "docs/*.md",
                               "README.md", "tests/**/*.py", "plugins/*/tests/*.py") for p in root.glob(pattern)]
    texts = [p for p in texts if p.name not in (Path(__file__).name, "environment.py")]  # misspelled on purpose
    written = {m for p in texts for m in re.findall(r"\bDATAGEN_[A-Z0-9_]*[A-Z0-9]\b", p.read_text("utf-8"))}
    written -= {"DATAGEN_SCENARIO_KEY", "DATAGEN_JSON_GZIPP"}  # the docs' placeholder, and their misspelling
    assert len(written) > 20
    environ = dict.fromkeys(written, "x")
    assert unknown_variable_warnings(host, environ) == []


@pytest.mark.parametrize(("env", "expected"), [
    ({"DATAGEN_JSON_PATH": ""}, "option json.path='' (from $DATAGEN_JSON_PATH) is invalid: expected a path"),
    ({"DATAGEN_JSON_GZIP": "maybe"}, "option json.gzip='maybe' (from $DATAGEN_JSON_GZIP) is invalid"),
])
def test_a_bad_environment_value_is_one_line_and_exit_2(host: PluginHost, in_empty_folder: Path,
                                                        env: dict[str, str], expected: str) -> None:
    result = CliRunner().invoke(make_cli(lambda: host), ["run", "--customers", "1"], env=env)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.output
    assert expected in result.stderr and not list(in_empty_folder.iterdir())
