"""Installed like users install it, the tweak changes `datagen run` output of the banking pack.

It gets its own layered environment: the tweak changes customer for every run there.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from datagen_kernel.testing import PluginVenv

DIST = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> PluginVenv:
    env = PluginVenv(tmp_path_factory.mktemp("income-tweak") / "venv")
    env.install(DIST)
    return env


def test_installed_tweak_extends_and_wraps_customer(venv: PluginVenv, tmp_path: Path) -> None:
    plugins = json.loads(venv.datagen("plugins", "--json", check=True).stdout)["plugins"]
    mine = next(p for p in plugins if p["distribution"] == "datagen-plugin-income-tweak")
    assert mine["provides"]["extends"] == ["customer.social_class"] and mine["provides"]["wraps"] == ["customer"]

    out = tmp_path / "out"
    venv.datagen("run", "--customers", "600", "--seed", "4", "--sink", "json:customer", "-q",
                 "-o", f"json.path={out}", "-o", "income.median=12000", cwd=tmp_path, check=True)
    customers = [json.loads(line) for line in (out / "customer.jsonl").read_text().splitlines()]
    assert len(customers) == 600 and all(c["social_class"] in "ABCDE" for c in customers)
    employed = [float(c["monthly_income"]) for c in customers if c["employment_status"] == "EMPLOYED"]
    assert 12000 * 0.85 < statistics.median(employed) < 12000 * 1.15
    checked = venv.datagen("validate", str(out), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_installed_tweak_refuses_a_bad_median(venv: PluginVenv, tmp_path: Path) -> None:
    done = venv.datagen("run", "--customers", "3", "--sink", "null", "-o", "income.median=100", cwd=tmp_path)
    assert done.returncode == 2
    assert "option income.median='100' (from -o income.median) is invalid: must be >= 1518" in done.stderr
