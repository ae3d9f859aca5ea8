"""Plugin loading, listing, broken plugins, conflicts and misspelled hooks."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pluggy
import pytest
import toy_pack
from click.testing import CliRunner

from datagen_kernel import PluginError, hookimpl, hookspecs
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host


def test_every_hook_is_prefixed_typed_and_documented() -> None:
    hooks = [(n, f) for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("datagen_")]
    assert len(hooks) >= 10
    for name, fn in hooks:
        assert fn.__doc__ and len(fn.__doc__.strip()) > 20, f"{name} has no docstring"
        sig = inspect.signature(fn)
        assert all(p.annotation is not inspect.Parameter.empty for p in sig.parameters.values()), name
    names = {n for n, _ in hooks}
    for required in ("datagen_register_entities", "datagen_register_generators", "datagen_register_validators",
                     "datagen_register_serializers", "datagen_register_sinks", "datagen_register_scenarios",
                     "datagen_register_commands", "datagen_register_transforms"):
        assert required in names


def test_installed_plugins_are_listed_with_what_they_register() -> None:
    result = CliRunner().invoke(make_cli(), ["plugins", "--all", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)["plugins"]}
    assert rows["builtins"]["distribution"] == "datagen-kernel"
    assert rows["builtins"]["builtin"] is True
    assert rows["json"]["distribution"] == "datagen-plugin-json"
    assert rows["json"]["provides"]["sinks"] == ["console", "json"]
    without_all = json.loads(CliRunner().invoke(make_cli(), ["plugins", "--json"]).output)
    assert "builtins" not in {r["name"] for r in without_all["plugins"]}


def _fake_distribution(root: Path, name: str, entry: str) -> None:
    dist = root / f"{name}-1.2.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text(f"[datagen]\n{entry}\n")


def test_a_broken_plugin_is_reported_and_does_not_break_the_cli(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _fake_distribution(tmp_path, "datagen-plugin-broken", "broken = no_such_module_for_datagen_tests")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(make_cli(), ["plugins"])
    assert result.exit_code == 0, result.output
    assert "broken  (datagen-plugin-broken 1.2.3)  BROKEN: ModuleNotFoundError" in result.output
    assert "json" in result.output
    # the rest of the CLI still works
    assert CliRunner().invoke(make_cli(), ["sinks"]).exit_code == 0


def test_two_plugins_registering_the_same_sink_name_are_both_named() -> None:
    import datagen_plugin_json.plugin as json_plugin

    class Impostor:
        @hookimpl
        def datagen_register_sinks(self, register):  # type: ignore[no-untyped-def]
            from datagen_plugin_json.sinks import JsonLinesSink

            register(JsonLinesSink)

    host = make_plugin_host(entrypoints=False, plugins=[json_plugin])
    host.register(Impostor(), "impostor")
    with pytest.raises(PluginError) as err:
        _ = host.registry
    message = str(err.value)
    assert "sink 'json' is registered by two plugins" in message
    assert "impostor" in message and "datagen_plugin_json.plugin" in message
    result = CliRunner().invoke(make_cli(lambda: host), ["run", "--customers", "1"])
    assert result.exit_code != 0
    assert "registered by two plugins" in result.output
    assert "Traceback" not in result.output


def test_misspelled_hook_is_an_error() -> None:
    class Typo:
        @hookimpl
        def datagen_register_sink(self, register):  # type: ignore[no-untyped-def]
            pass

    host = make_plugin_host(entrypoints=False)
    with pytest.raises(pluggy.PluginValidationError):
        host.register(Typo(), "typo")


def test_entities_command_lists_fields_and_keys(toy_cli) -> None:  # type: ignore[no-untyped-def]
    result = toy_cli(["entities", "--json"])
    assert result.exit_code == 0, result.output
    data = {e["name"]: e for e in json.loads(result.output)}
    assert list(data) == ["team", "member", "score"]
    assert data["score"]["topic"] == "toy.scores" and data["score"]["key_field"] == "member_id"
    assert data["member"]["foreign_keys"] == [{"field": "team_id", "references": "team.team_id"}]


def test_sinks_describe_shows_options(toy_cli) -> None:  # type: ignore[no-untyped-def]
    result = toy_cli(["sinks", "describe", "json"])
    assert result.exit_code == 0, result.output
    assert "path" in result.output and "./datagen-out" in result.output and "gzip" in result.output
    result = toy_cli(["sinks"])
    assert "json" in result.output and "console" in result.output and "null" in result.output


def test_a_plain_module_is_a_plugin() -> None:
    """A module of ``@hookimpl`` functions (no class, no entry point) registers what it declares."""
    assert inspect.ismodule(toy_pack)
    host = make_plugin_host(entrypoints=False, plugins=[toy_pack])
    assert list(host.registry.entity_specs()) == ["team", "member", "score"]
    assert set(host.registry.generators) == {"team", "member", "score"}
    assert [(r.value.entity, r.value.name) for r in host.registry.rules] == [("team", "budget-positive")]
    assert [o.name for o in host.registry.option_groups["toy"].options] == ["members_per_team"]


def test_disabled_plugins_are_listed_as_disabled(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATAGEN_DISABLE_PLUGINS", "json")
    result = CliRunner().invoke(make_cli(), ["plugins"])
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if row.startswith("json "))
    assert line.startswith("json  (datagen-plugin-json ") and line.endswith("DISABLED (DATAGEN_DISABLE_PLUGINS)")
    rows = {r["name"]: r for r in json.loads(CliRunner().invoke(make_cli(), ["plugins", "--json"]).output)["plugins"]}
    assert rows["json"]["disabled"] is True and rows["json"]["provides"] == {} and rows["json"]["error"] is None
    assert rows["banking"]["disabled"] is False and rows["banking"]["provides"]
    # disabled means not loaded: its sinks are gone
    assert "json" not in make_plugin_host().registry.sinks
    assert "console" not in CliRunner().invoke(make_cli(), ["sinks"]).output


def _fake_plugin(root: Path, name: str, requires: str) -> None:
    """An installed distribution with a working plugin module and a kernel requirement."""
    module = name.replace("-", "_")
    (root / f"{module}.py").write_text("from datagen_kernel import hookimpl\n\n\n@hookimpl\n"
                                      "def datagen_register_scenarios(register):\n    pass\n")
    dist = root / f"{module}-1.0.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n{requires}")
    (dist / "entry_points.txt").write_text(f"[datagen]\n{name} = {module}\n")


def test_a_plugin_for_another_kernel_is_listed_broken_with_the_reason(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _fake_plugin(tmp_path, "future-pack", "Requires-Dist: datagen-kernel<100,>=99\nRequires-Dist: numpy>=1\n")
    _fake_plugin(tmp_path, "fitting-pack", "Requires-Dist: datagen-kernel<1,>=0.1\n")
    _fake_plugin(tmp_path, "optional-pack", 'Requires-Dist: datagen-kernel>=99; extra == "later"\n')
    _fake_plugin(tmp_path, "undeclared-pack", "")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(make_cli(), ["plugins"])
    assert result.exit_code == 0, result.output
    kernel = datagen_kernel_version()
    assert (f"future-pack  (future-pack 1.0.0)  BROKEN: needs datagen-kernel<100,>=99, but datagen-kernel {kernel} "
            "is installed: install a version of future-pack made for it, or a kernel in that range") in result.output
    for fitting in ("fitting-pack", "optional-pack", "undeclared-pack"):
        assert f"{fitting}  ({fitting} 1.0.0)\n" in result.output
    host = make_plugin_host()
    assert [p.name for p in host.broken()] == ["future-pack"]
    # a run goes on without it, and says so
    ran = CliRunner().invoke(make_cli(), ["run", "--customers", "2", "--sink", "null", "-q"])
    assert ran.exit_code == 0, ran.output
    assert ("warning: plugin 'future-pack' (future-pack 1.0.0) is not loaded: needs datagen-kernel<100,>=99"
            in ran.output)
    assert not host.pm.has_plugin("future-pack") and host.pm.has_plugin("fitting-pack")  # never imported


def test_kernel_range_check_reads_the_distribution_requirement(tmp_path: Path) -> None:
    from importlib.metadata import PathDistribution

    from datagen_kernel.engine.plugins import kernel_mismatch

    _fake_plugin(tmp_path, "ranged-pack", "Requires-Dist: datagen-kernel>=0.1,<0.2\n")
    dist = PathDistribution(tmp_path / "ranged_pack-1.0.0.dist-info")
    assert kernel_mismatch(dist, "0.1.7") is None
    assert "datagen-kernel 0.2.0 is installed" in str(kernel_mismatch(dist, "0.2.0"))
    assert kernel_mismatch(dist, "0+unknown") is None  # a source tree, not installed: nothing to compare


def datagen_kernel_version() -> str:
    from datagen_kernel.engine.plugins import kernel_version

    return kernel_version()
