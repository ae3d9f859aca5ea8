"""Installed like users install it, pix_key runs through `datagen run` and `datagen validate`."""

from __future__ import annotations

import json
from pathlib import Path

from datagen_kernel.testing import PluginVenv

DIST = Path(__file__).resolve().parents[1]


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_installed_pix_keys_run_and_validate(datagen_venv: PluginVenv, tmp_path: Path) -> None:
    datagen_venv.install(DIST)
    entities = json.loads(datagen_venv.datagen("entities", "--json", check=True).stdout)
    pix = next(e for e in entities if e["name"] == "pix_key")
    assert pix["distribution"] == "datagen-plugin-pix-keys"
    assert {fk["references"] for fk in pix["foreign_keys"]} == {"customer.customer_id", "account.account_id"}

    out = tmp_path / "out"
    datagen_venv.datagen("run", "--customers", "80", "--seed", "3", "--sink", "json:customer,account,pix_key",
                         "-q", "-o", f"json.path={out}", cwd=tmp_path, check=True)
    customers = {c["customer_id"]: c for c in _lines(out / "customer.jsonl")}
    keys = _lines(out / "pix_key.jsonl")
    assert keys and {k["customer_id"] for k in keys} <= set(customers)
    emails = [k for k in keys if k["key_type"] == "EMAIL"]
    assert emails and all(k["key_value"] == str(customers[str(k["customer_id"])]["email"]).lower() for k in emails)

    checked = datagen_venv.datagen("validate", str(out), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "pix_key:" in checked.stderr and "0 violation(s)" in checked.stderr

    # the rule reads the run's as-of: told the dataset ends earlier, it finds the later keys
    cutoff = "2025-06-30"
    early = datagen_venv.datagen("validate", str(out), "--as-of", cutoff, "--report", "-", cwd=tmp_path)
    assert early.returncode == 1, early.stdout + early.stderr
    report = json.loads(early.stdout)
    rules = {e["entity"]: e["rules"] for e in report["entities"]}
    later = [k for k in keys if str(k["created_at"]) > "2025-06-30T00:00:00.000-03:00"]
    assert later and rules["pix_key"] == {"pix-key-account-owner": len(later)}
    assert report["as_of"] == "2025-06-30T00:00:00-03:00" and report["as_of_from"] == "--as-of"

    # a key that is not its owner's is caught by the plugin's rule on a dataset, too
    tampered = [dict(k) for k in keys]
    victim = next(k for k in tampered if k["key_type"] == "CPF")
    victim["key_value"] = "11111111111"
    (out / "pix_key.jsonl").write_text("".join(json.dumps(k) + "\n" for k in tampered), encoding="utf-8")
    failed = datagen_venv.datagen("validate", str(out), cwd=tmp_path)
    assert failed.returncode == 1
    assert f"pix_key {victim['pix_key_id']}: field 'key_value' broke rule 'pix-key-matches-owner'" in failed.stdout
