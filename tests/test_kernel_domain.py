"""Domain defaults come from the packs: the root count's flag, the time zone, the as-of."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path
from typing import Any

import orjson
import pytest

from datagen_kernel.api import DomainDefaults, EntitySpec, Field, Kind, PluginError, Scope, Timestamp, Uuid, hookimpl
from datagen_kernel.codecs.json import JsonSerializer
from datagen_kernel.testing import generate_records

KOLKATA = dt.timezone(dt.timedelta(hours=5, minutes=30), "Asia/Kolkata")
THING = EntitySpec(
    name="thing",
    kind=Kind.MASTER,
    scope=Scope.ROOT,
    fields=(Field("thing_id", Uuid()), Field("seen_at", Timestamp())),
    primary_key="thing_id",
)


class TinyPack:
    """One root entity whose timestamp is the run's as-of; declares ``domain`` if given."""

    def __init__(self, domain: DomainDefaults | None = None, entity: EntitySpec | None = THING) -> None:
        self.domain = domain
        self.entity = entity

    @hookimpl
    def datagen_register_entities(self, register: Any) -> None:
        if self.entity is not None:
            register(self.entity)
        if self.domain is not None:
            register.domain(self.domain)

    @hookimpl
    def datagen_register_generators(self, register: Any) -> None:
        if self.entity is not None:
            register(self.entity.name, self.generate)

    @staticmethod
    def generate(ctx: Any) -> list[dict[str, Any]]:
        return [{"thing_id": i, "seen_at": ctx.run.as_of_ms} for i in ctx.uuids(ctx.size)]


@pytest.fixture
def with_json(datagen_register: Any) -> Any:
    import datagen_plugin_json.plugin as json_plugin

    datagen_register(json_plugin)
    return datagen_register


def run_json(datagen_cli: Any, out: Path, *args: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    summary = out / "summary.json"
    result = datagen_cli(["run", "-q", "--sink", "json", "-o", f"json.path={out}",
                          "--summary-json", str(summary), *args])
    assert result.exit_code == 0, result.output
    lines = (out / "thing.jsonl").read_bytes().splitlines()
    return [orjson.loads(line) for line in lines], json.loads(summary.read_text())


# --- without any declaration: the kernel's neutral defaults ------------------------------------


def test_no_declaration_means_count_utc_and_2026_in_utc(with_json: Any, datagen_cli: Any, tmp_path: Path) -> None:
    with_json(TinyPack())
    things, summary = run_json(datagen_cli, tmp_path, "--count", "4")
    assert len(things) == 4
    assert summary["as_of"] == "2026-01-01T00:00:00+00:00" and summary["timezone"] == "UTC"
    assert {t["seen_at"] for t in things} == {"2026-01-01T00:00:00.000Z"}
    result = datagen_cli(["run", "-q", "--customers", "4", "--sink", "null"])
    assert result.exit_code == 2 and "No such option '--customers'" in result.output


def test_no_declaration_run_info_and_naive_as_of_are_utc(datagen_host: Any, datagen_register: Any) -> None:
    datagen_register(TinyPack())
    defaults = datagen_host.registry.run_defaults()
    assert (defaults.timezone, defaults.count_flag) == (dt.UTC, None)
    assert defaults.as_of == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert defaults.install_hint == "install an entity pack (see `datagen plugins`)"


# --- a pack's declaration ----------------------------------------------------------------------


def test_declared_zone_sets_the_json_offset_and_the_as_of(with_json: Any, datagen_cli: Any, tmp_path: Path) -> None:
    with_json(TinyPack(DomainDefaults(timezone=KOLKATA)))
    things, summary = run_json(datagen_cli, tmp_path / "zone", "--count", "2")
    # no as-of declared: 2026-01-01 at midnight in the declared zone
    assert summary["as_of"] == "2026-01-01T00:00:00+05:30" and summary["timezone"] == "Asia/Kolkata"
    assert {t["seen_at"] for t in things} == {"2026-01-01T00:00:00.000+05:30"}
    utc, _ = run_json(datagen_cli, tmp_path / "utc", "--count", "2", "-o", "json.utc=true")
    assert {t["seen_at"] for t in utc} == {"2025-12-31T18:30:00.000Z"}


def test_declared_as_of_is_the_default(datagen_host: Any, datagen_register: Any) -> None:
    as_of = dt.datetime(2024, 7, 1, 12, 0, tzinfo=KOLKATA)
    datagen_register(TinyPack(DomainDefaults(timezone=KOLKATA, as_of=as_of)))
    records = generate_records(datagen_host, customers=3)
    assert {r["seen_at"] for r in records["thing"]} == {int(as_of.timestamp() * 1000)}


def test_generate_records_takes_an_as_of(datagen_host: Any, datagen_register: Any) -> None:
    datagen_register(TinyPack(DomainDefaults(timezone=KOLKATA)))

    def seen(as_of: Any) -> set[int]:
        return {r["seen_at"] for r in generate_records(datagen_host, customers=2, as_of=as_of)["thing"]}

    midnight = int(dt.datetime(2025, 6, 30, tzinfo=KOLKATA).timestamp() * 1000)
    assert seen("2025-06-30") == seen(dt.date(2025, 6, 30)) == seen(dt.datetime(2025, 6, 30)) == {midnight}
    assert seen("2025-06-30T00:00Z") == {int(dt.datetime(2025, 6, 30, tzinfo=dt.UTC).timestamp() * 1000)}
    assert seen(None) == {int(dt.datetime(2026, 1, 1, tzinfo=KOLKATA).timestamp() * 1000)}


def test_naive_as_of_is_in_the_declared_zone(with_json: Any, datagen_cli: Any, tmp_path: Path) -> None:
    with_json(TinyPack(DomainDefaults(timezone=KOLKATA)))
    _, summary = run_json(datagen_cli, tmp_path / "date", "--count", "1", "--as-of", "2025-06-30")
    assert summary["as_of"] == "2025-06-30T00:00:00+05:30"
    _, summary = run_json(datagen_cli, tmp_path / "time", "--count", "1", "--as-of", "2025-06-30T08:15")
    assert summary["as_of"] == "2025-06-30T08:15:00+05:30"
    # an explicit offset stays what it says
    things, summary = run_json(datagen_cli, tmp_path / "offset", "--count", "1", "--as-of", "2025-06-30T00:00Z")
    assert summary["as_of"] == "2025-06-30T00:00:00+00:00"
    assert things[0]["seen_at"] == "2025-06-30T05:30:00.000+05:30"


def test_config_file_as_of_is_in_the_declared_zone(with_json: Any, datagen_cli: Any, tmp_path: Path) -> None:
    with_json(TinyPack(DomainDefaults(timezone=KOLKATA)))
    config = tmp_path / "run.toml"
    config.write_text('[run]\ncount = 1\nas_of = "2025-01-31"\n')
    _, summary = run_json(datagen_cli, tmp_path / "out", "--config", str(config))
    assert summary["as_of"] == "2025-01-31T00:00:00+05:30"


def test_json_serializer_writes_in_its_timezone() -> None:
    records = [{"thing_id": "a", "seen_at": 0}]
    assert orjson.loads(JsonSerializer({}).serialize(THING, records)[0])["seen_at"] == "1970-01-01T00:00:00.000Z"
    serializer = JsonSerializer({})
    serializer.timezone = KOLKATA  # what the engine does before open
    assert orjson.loads(serializer.serialize(THING, records)[0])["seen_at"] == "1970-01-01T05:30:00.000+05:30"
    utc = JsonSerializer({"utc": True})
    utc.timezone = KOLKATA
    assert orjson.loads(utc.serialize(THING, records)[0])["seen_at"] == "1970-01-01T00:00:00.000Z"


def test_console_sink_prints_in_the_declared_zone(with_json: Any, datagen_cli: Any) -> None:
    with_json(TinyPack(DomainDefaults(timezone=KOLKATA)))
    result = datagen_cli(["run", "-q", "--count", "3", "--sink", "console", "-o", "console.pretty=false"])
    assert result.exit_code == 0, result.output
    assert result.output.count('"seen_at":"2026-01-01T00:00:00.000+05:30"') == 3


# --- the count flag ----------------------------------------------------------------------------


def test_declared_count_flag_is_an_alias_of_count(with_json: Any, datagen_cli: Any, tmp_path: Path) -> None:
    with_json(TinyPack(DomainDefaults(count_flag="things")))
    by_alias, _ = run_json(datagen_cli, tmp_path / "alias", "--things", "7", "--seed", "3")
    by_count, _ = run_json(datagen_cli, tmp_path / "count", "--count", "7", "--seed", "3")
    assert len(by_alias) == 7 and by_alias == by_count
    help_text = datagen_cli(["run", "--help"]).output
    assert "--count" in help_text and "--things" in help_text


def test_messages_name_the_flag_typed(with_json: Any, datagen_cli: Any) -> None:
    with_json(TinyPack(DomainDefaults(count_flag="things")))
    for flag in ("--things", "--count"):
        result = datagen_cli(["run", flag, "-5"])
        assert result.exit_code == 2
        assert f"{flag} -5 is out of range: expected 1..1,000,000,000" in result.output
    both = datagen_cli(["run", "--count", "1", "--things", "2"])
    assert both.exit_code == 2
    assert "--count and --things both give the number of root records" in both.output


def test_config_key_count_and_the_declared_one(with_json: Any, datagen_cli: Any, tmp_path: Path) -> None:
    with_json(TinyPack(DomainDefaults(count_flag="things")))
    for key, n in (("count", 5), ("things", 6)):
        config = tmp_path / f"{key}.toml"
        config.write_text(f"[run]\n{key} = {n}\n")
        things, _ = run_json(datagen_cli, tmp_path / key, "--config", str(config))
        assert len(things) == n
    both = tmp_path / "both.toml"
    both.write_text("[run]\ncount = 1\nthings = 2\n")
    result = datagen_cli(["run", "--config", str(both)])
    assert result.exit_code == 2 and "both count and things" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nthings = -1\n")
    result = datagen_cli(["run", "--config", str(bad)])
    assert result.exit_code == 2 and "[run] things -1 is out of range" in result.output
    # a flag wins over the file, whichever name either uses
    flag_wins, _ = run_json(datagen_cli, tmp_path / "flag", "--config", str(tmp_path / "things.toml"), "--count", "2")
    assert len(flag_wins) == 2


def test_config_key_customers_needs_a_pack_declaring_it(with_json: Any, datagen_cli: Any, tmp_path: Path) -> None:
    with_json(TinyPack())
    config = tmp_path / "run.toml"
    config.write_text("[run]\ncustomers = 5\n")
    result = datagen_cli(["run", "--config", str(config)])
    assert result.exit_code == 2 and "unknown key(s) ['customers']" in result.output


# --- declarations that disagree or are wrong ---------------------------------------------------


def test_two_packs_disagreeing_is_an_error_naming_both(datagen_host: Any, datagen_register: Any) -> None:
    datagen_register(TinyPack(DomainDefaults(timezone=dt.UTC)), "pack-a")
    datagen_register(TinyPack(DomainDefaults(timezone=KOLKATA), entity=None), "pack-b")
    with pytest.raises(PluginError) as err:
        _ = datagen_host.registry
    message = str(err.value)
    assert "domain default timezone is declared differently by two plugins" in message
    assert "'pack-a'" in message and "'pack-b'" in message
    assert "UTC (+00:00)" in message and "Asia/Kolkata (+05:30)" in message


def test_disagreement_through_the_cli_is_one_line(datagen_register: Any, datagen_cli: Any) -> None:
    datagen_register(TinyPack(DomainDefaults(count_flag="things")), "pack-a")
    datagen_register(TinyPack(DomainDefaults(count_flag="items"), entity=None), "pack-b")
    # the flags are unknown then; the plugins' error is what the user sees, whatever flag was typed
    result = datagen_cli(["run", "--things", "3"])
    assert result.exit_code == 1
    assert result.output.startswith("error: domain default count_flag is declared differently")
    assert "'things'" in result.output and "'items'" in result.output


def test_packs_agreeing_is_fine(datagen_host: Any, datagen_register: Any) -> None:
    same = dt.timezone(dt.timedelta(hours=5, minutes=30), "Asia/Kolkata")
    datagen_register(TinyPack(DomainDefaults(count_flag="things", timezone=KOLKATA)), "pack-a")
    datagen_register(TinyPack(DomainDefaults(timezone=same), entity=None), "pack-b")
    defaults = datagen_host.registry.run_defaults()
    assert defaults.timezone is KOLKATA and defaults.count_flag == "things"
    assert defaults.count_flag_owner == "(registered in-process)"


class SummerTime(dt.tzinfo):
    """A zone with daylight saving time (like ``zoneinfo.ZoneInfo("Europe/Paris")``)."""

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta | None:
        return None if when is None else dt.timedelta(hours=2 if 4 <= when.month <= 9 else 1)

    def dst(self, when: dt.datetime | None) -> dt.timedelta | None:
        return None

    def tzname(self, when: dt.datetime | None) -> str:
        return "Summer/Time"


@pytest.mark.parametrize(("declared", "problem"), [
    (DomainDefaults(count_flag="--things"), "count_flag '--things' is not a flag name"),
    (DomainDefaults(count_flag="Things"), "count_flag 'Things' is not a flag name"),
    (DomainDefaults(as_of=dt.datetime(2026, 1, 1)), "is not a datetime with a time zone"),
    (DomainDefaults(timezone="UTC"), "timezone 'UTC' is not a datetime.tzinfo"),  # type: ignore[arg-type]
    (DomainDefaults(timezone=SummerTime()), "has no fixed offset: declare a datetime.timezone"),
])
def test_invalid_declarations_are_refused(datagen_host: Any, datagen_register: Any, declared: DomainDefaults,
                                          problem: str) -> None:
    datagen_register(TinyPack(declared), "odd-pack")
    with pytest.raises(PluginError, match=r"'odd-pack'.*invalid domain defaults") as err:
        _ = datagen_host.registry
    assert problem in str(err.value)


def test_count_flag_clashing_with_a_run_option_is_refused(with_json: Any, datagen_cli: Any) -> None:
    with_json(TinyPack(DomainDefaults(count_flag="seed")))
    result = datagen_cli(["run", "--count", "1", "--sink", "null", "-q"])
    assert result.exit_code == 1
    assert "declares count_flag 'seed', but `datagen run` already has an option --seed" in result.output


def test_install_hint_is_declared_by_a_plugin_without_entities(datagen_register: Any, datagen_cli: Any) -> None:
    datagen_register(TinyPack(DomainDefaults(install_hint="pip install acme-datagen-entities"), entity=None))
    result = datagen_cli(["run", "--count", "1"])
    assert result.exit_code == 2
    assert "no entity pack is installed, so there is nothing to generate (pip install acme-datagen-entities)" \
        in result.output


def test_datagen_plugins_lists_the_declaration(datagen_register: Any, datagen_cli: Any) -> None:
    datagen_register(TinyPack(DomainDefaults(count_flag="things", timezone=KOLKATA)), "pack-a")
    result = datagen_cli(["plugins", "--json"])
    rows = {r["name"]: r for r in json.loads(result.output)["plugins"]}
    assert rows["pack-a"]["provides"]["defaults"] == ["--things", "timezone Asia/Kolkata (+05:30)"]


# --- kernel 1 names ----------------------------------------------------------------------------


def test_sao_paulo_still_imports_from_the_kernel_1_path() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from datagen_kernel.serializers import SAO_PAULO  # type: ignore[attr-defined]
    from datagen_kernel.codecs.text import SAO_PAULO as in_codecs

    assert SAO_PAULO is in_codecs
    assert SAO_PAULO.utcoffset(None) == dt.timedelta(hours=-3) and SAO_PAULO.tzname(None) == "America/Sao_Paulo"
