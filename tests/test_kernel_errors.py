"""Bad input gives one clear line and a non-zero exit code, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host

# the table of single bad inputs (exit 2, one line) is tests/test_bad_inputs.py


def test_every_problem_is_listed_at_once(toy_cli) -> None:  # type: ignore[no-untyped-def]
    result = toy_cli(["run", "--sink", "nosuch", "-o", "json.gzip=x", "--customers", "-1"])
    assert result.exit_code == 2
    for part in ("unknown sink 'nosuch'", "--customers -1 is out of range"):
        assert part in result.output


def test_no_entity_pack_installed_says_what_to_install() -> None:
    import datagen_plugin_json.plugin as json_plugin

    host = make_plugin_host(entrypoints=False, plugins=[json_plugin])
    result = CliRunner().invoke(make_cli(lambda: host), ["run", "--count", "10"])
    assert result.exit_code == 2
    assert "no entity pack is installed" in result.output
    assert "install an entity pack (see `datagen plugins`)" in result.output


def test_config_file_errors(toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = toy_cli(["run", "--config", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\n")
    assert "is not valid TOML" in toy_cli(["run", "--config", str(bad)]).output
    odd = tmp_path / "odd.toml"
    odd.write_text("[whatever]\nx = 1\n")
    assert "unknown section(s): whatever" in toy_cli(["run", "--config", str(odd)]).output


def _datagen(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``datagen`` command, as a user runs it (its own process, its own argv)."""
    command = [sys.executable, "-c", "from datagen_kernel.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("args", [["--debug", "run", "--sink", "nosuch"], ["run", "--debug", "--sink", "nosuch"]])
def test_debug_shows_the_traceback(args: list[str]) -> None:
    result = _datagen(*args)
    assert result.returncode != 0
    assert "Traceback (most recent call last):" in result.stderr
    assert "datagen_kernel.api.errors.ConfigError: invalid configuration: unknown sink 'nosuch'" in result.stderr


def test_without_debug_one_line_and_no_traceback() -> None:
    result = _datagen("run", "--sink", "nosuch")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: invalid configuration: unknown sink 'nosuch'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_as_of_without_an_offset_is_in_the_run_time_zone() -> None:
    import datetime as dt

    from datagen_kernel.cli.common import parse_as_of

    sao_paulo = dt.timezone(dt.timedelta(hours=-3))
    assert parse_as_of("2024-05-01T10:30", sao_paulo) == dt.datetime(2024, 5, 1, 13, 30, tzinfo=dt.UTC)
    assert parse_as_of("2024-05-01", sao_paulo).utcoffset() == dt.timedelta(hours=-3)
    assert parse_as_of("2024-05-01T10:30+01:00", sao_paulo).utcoffset() == dt.timedelta(hours=1)
    assert parse_as_of("2024-05-01T10:30").tzinfo == dt.UTC
