"""Option precedence: flags > environment > config file > declared defaults; secrets redacted."""

from __future__ import annotations

from pathlib import Path

from datagen_kernel import Option
from datagen_kernel.api.options import redacted
from datagen_kernel.engine.config import ConfigSources, resolve


def _resolve(flags=(), env=None, file_text=None, tmp_path: Path | None = None):  # type: ignore[no-untyped-def]
    cfg = None
    if file_text is not None and tmp_path is not None:
        cfg = tmp_path / "c.toml"
        cfg.write_text(file_text)
    sources = ConfigSources.build(flags, cfg, environ=env or {})
    problems: list[str] = []
    values = resolve("json", [Option("path", "path", "./default"), Option("gzip", "bool", False)], sources, problems)
    return values, problems


def test_precedence(tmp_path: Path) -> None:
    file_text = '[sinks.json]\npath = "from-file"\ngzip = true\n'
    assert _resolve(tmp_path=tmp_path)[0]["path"] == "./default"
    assert _resolve(file_text=file_text, tmp_path=tmp_path)[0] == {"path": "from-file", "gzip": True}
    env = {"DATAGEN_JSON_PATH": "from-env"}
    assert _resolve(env=env, file_text=file_text, tmp_path=tmp_path)[0]["path"] == "from-env"
    flags = ["json.path=from-flag"]
    values, problems = _resolve(flags=flags, env=env, file_text=file_text, tmp_path=tmp_path)
    assert values == {"path": "from-flag", "gzip": True} and problems == []


def test_run_reads_config_file_and_env(toy_cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "datagen.toml"
    cfg.write_text(f'[run]\ncustomers = 7\nseed = 3\nsinks = ["json"]\n\n[sinks.json]\npath = "{tmp_path / "file"}"\n')
    result = toy_cli(["run", "-q", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "file" / "team.jsonl").read_bytes().splitlines()) == 7
    monkeypatch.setenv("DATAGEN_JSON_PATH", str(tmp_path / "env"))
    result = toy_cli(["run", "-q", "--config", str(cfg), "--customers", "4"])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "env" / "team.jsonl").read_bytes().splitlines()) == 4


def test_secrets_are_redacted() -> None:
    opts = [Option("password", "str", None, secret=True), Option("user", "str", "u")]
    assert redacted(opts, {"password": "hunter2", "user": "u"}) == {"password": "********", "user": "u"}
    # a URL keeps everything but its password
    assert redacted(opts, {"password": "postgresql://bob:s3cr:t@db.example:5432/x"}) == {
        "password": "postgresql://bob:********@db.example:5432/x"}
    assert redacted(opts, {"password": "postgresql://db.example/x"}) == {"password": "********"}
    problems: list[str] = []
    sources = ConfigSources.build(["db.password=hunter2", "db.user=x"], environ={})
    resolve("db", [Option("password", "int", None, secret=True), Option("user", "str")], sources, problems)
    assert problems and "hunter2" not in problems[0] and "********" in problems[0]


def test_pack_options_come_from_a_packs_table(toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "datagen.toml"
    cfg.write_text(f'[run]\ncustomers = 2\n\n[packs.toy]\nmembers_per_team = 5\n\n[sinks.json]\npath = "{tmp_path}"\n')
    result = toy_cli(["run", "-q", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "member.jsonl").read_bytes().splitlines()) == 10


def test_a_validator_error_shows_the_value_given() -> None:
    def even(value: int) -> str | None:
        return None if value % 2 == 0 else "must be even"

    problems: list[str] = []
    sources = ConfigSources.build(["pack.size=3", "pack.token=7"], environ={})
    resolve("pack", [Option("size", "int", 2, validator=even),
                     Option("token", "int", 2, secret=True, validator=even)], sources, problems)
    assert problems == ["option pack.size='3' (from -o pack.size) is invalid: must be even",
                        "option pack.token=******** (from -o pack.token) is invalid: must be even"]


def test_bounds_are_checked_with_the_validator_s_own_message_when_it_gives_one() -> None:
    def share(value: float) -> str | None:
        return None if 0.0 <= value <= 1.0 else f"must be within 0..1, got {value}"

    problems: list[str] = []
    sources = ConfigSources.build(["t.rate=1.5", "t.plain=1.5", "t.nan=nan", "t.low=-2", "t.ok=0.25"], environ={})
    values = resolve("t", [Option("rate", "float", 0.0, minimum=0, maximum=1, validator=share),
                           Option("plain", "float", 0.0, minimum=0, maximum=1),
                           Option("nan", "float", 0.0, minimum=0, maximum=1),
                           Option("low", "int", 0, minimum=0, validator=lambda v: None),
                           Option("ok", "float", 0.0, minimum=0, maximum=1, validator=share)], sources, problems)
    assert problems == ["option t.rate='1.5' (from -o t.rate) is invalid: must be within 0..1, got 1.5",
                        "option t.plain='1.5' (from -o t.plain) is invalid: must be <= 1",
                        "option t.nan='nan' (from -o t.nan) is invalid: must be >= 0",
                        "option t.low='-2' (from -o t.low) is invalid: must be >= 0"]
    assert values["ok"] == 0.25
