"""``datagen new-plugin``: every kind installs and its own tests pass right after install."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from datagen_kernel.cli import make_cli
from datagen_kernel.cli.scaffold import KINDS, kernel_requirement, render
from datagen_kernel.engine.plugins import make_plugin_host
from datagen_kernel.testing import PluginVenv


def _new_plugin(args: list[str], cwd: Path) -> tuple[int, str]:
    cli = make_cli(lambda: make_plugin_host(entrypoints=False), load_commands=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        result = CliRunner().invoke(cli, ["new-plugin", *args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory, datagen_venv: PluginVenv) -> dict[str, Path]:
    """One generated plugin of each kind, installed together (one pip call); the rows entity and
    the sink have names of the user's, the others the default ones (extend: ``customer``)."""
    where = tmp_path_factory.mktemp("scaffolded")
    folders = {}
    names = {"rows": ["--entity", "extended_warranty"], "sink": ["--sink", "audit-log"]}
    for kind in KINDS:
        code, output = _new_plugin([f"scaffolded-{kind}", "--kind", kind, *names.get(kind, [])], where)
        assert code == 0, output
        folders[kind] = where / f"datagen-plugin-scaffolded-{kind}"
    datagen_venv.install(*folders.values())
    return folders


@pytest.mark.parametrize("kind", KINDS)
def test_generated_plugin_installs_and_its_tests_pass(kind: str, scaffolded: dict[str, Path],
                                                      datagen_venv: PluginVenv) -> None:
    folder = scaffolded[kind]
    assert (folder / "pyproject.toml").read_text().count("[project.entry-points.datagen]") == 1
    tests = datagen_venv.run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / "tests"), cwd=folder)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "skipped" not in tests.stdout, tests.stdout
    listed = datagen_venv.datagen("plugins", "--json", check=True)
    assert f'"distribution": "datagen-plugin-scaffolded-{kind}"' in listed.stdout


def test_entities_template_references_customer_and_declares_kernel_range() -> None:
    for kind in ("entities", "rows"):
        files = render("loyalty", kind)
        plugin = files["src/datagen_plugin_loyalty/plugin.py"]
        assert "ForeignKey(\"customer_id\", \"customer\", \"customer_id\")" in plugin
        assert kernel_requirement() in files["pyproject.toml"]
        assert "class TestLoyaltyPackConformance(PackConformance):" in files["tests/test_loyalty_plugin.py"]
    rows = render("loyalty", "rows")["src/datagen_plugin_loyalty/plugin.py"]
    assert 'register.rows(ENTITY, make, per="customer"' in rows


def test_entity_and_sink_names_are_the_users() -> None:
    rows = render("insurance", "rows", entity="insurance_policy")
    assert 'name="insurance_policy"' in rows["src/datagen_plugin_insurance/plugin.py"]
    assert '"insurance_policy_id"' in rows["src/datagen_plugin_insurance/plugin.py"]
    assert 'data["insurance_policy"]' in rows["tests/test_insurance_plugin.py"]
    sink = render("acme-out", "sink", sink="audit-log")
    assert 'name = "audit-log"' in sink["src/datagen_plugin_acme_out/plugin.py"]
    assert "class AuditLogSink(Sink)" in sink["src/datagen_plugin_acme_out/plugin.py"]
    assert "--sink audit-log" in sink["README.md"]
    extend = render("risk", "extend")
    assert 'register.extend("customer", FIELD, fill=fill)' in extend["src/datagen_plugin_risk/plugin.py"]
    account = render("risk", "extend", entity="account")["src/datagen_plugin_risk/plugin.py"]
    assert 'register.extend("account", FIELD' in account


@pytest.mark.parametrize(("args", "message"), [
    (["x", "--kind", "sink", "--entity", "y"], "error: --entity does not apply to --kind sink"),
    (["x", "--kind", "rows", "--sink", "y"], "error: --sink does not apply to --kind rows"),
    (["x", "--entity", "Policy"], "error: entity name 'Policy' is invalid"),
    (["x", "--kind", "sink", "--sink", "audit_log"], "error: sink name 'audit_log' is invalid"),
])
def test_bad_entity_and_sink_names_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    code, output = _new_plugin(args, tmp_path)
    assert code == 2 and len(output.strip().splitlines()) == 1 and output.startswith(message), output
    assert not list(tmp_path.iterdir())


def test_existing_folder_is_refused(tmp_path: Path) -> None:
    assert _new_plugin(["twice"], tmp_path)[0] == 0
    code, output = _new_plugin(["twice"], tmp_path)
    assert code == 2
    assert output.strip().splitlines() == ["error: 'datagen-plugin-twice' already exists"
                                          " (choose another name or remove that folder)"]


@pytest.mark.parametrize("bad", ["Bad", "9lives", "two--dashes", "under_score", "_x", "x-", "a" * 41, "class"])
def test_bad_names_are_refused_with_one_line(bad: str, tmp_path: Path) -> None:
    code, output = _new_plugin([bad], tmp_path)
    assert code == 2, output
    assert len(output.strip().splitlines()) == 1 and output.startswith("error: plugin name"), output
    assert not list(tmp_path.iterdir())


def test_prefix_is_accepted_and_kernel_range_follows_semver(tmp_path: Path) -> None:
    code, _ = _new_plugin(["datagen-plugin-short"], tmp_path)
    assert code == 0 and (tmp_path / "datagen-plugin-short").is_dir()
    assert kernel_requirement("0.3.2") == "datagen-kernel>=0.3,<0.4"
    assert kernel_requirement("1.4.0") == "datagen-kernel>=1.4,<2"


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    code, output = _new_plugin(["x", "--kind", "poison"], tmp_path)
    assert code == 2 and "--kind" in output
