"""A whole-bank run (every bundled pack, json sink) is valid: rules, foreign keys, owners."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from bank_testkit import ENTITIES, bank_host, invoke, read_lines

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
OWNED_EVENTS = {  # event -> (parent entity, field naming the parent)
    "transaction": ("account", "account_id"),
    "card_transaction": ("credit_card", "card_id"),
    "installment": ("loan", "loan_id"),
    "trade": ("account", "account_id"),
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bank") / "data"
    result = invoke(["run", "--customers", "1000", "--seed", "7", "--sink", "json", "-o", f"json.path={out}",
                     "--quiet"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def records(dataset: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: [orjson.loads(line) for line in lines] for name, lines in read_lines(dataset).items()}


def test_every_entity_of_the_packs_is_written(records: dict[str, list[dict[str, Any]]]) -> None:
    assert set(records) == set(ENTITIES)
    for name in ENTITIES:
        assert records[name], f"no {name} record among 1,000 customers"
    assert len(records["customer"]) == 1000
    assert len(records["stock"]) == 42


def test_datagen_validate_finds_no_violation(dataset: Path) -> None:
    result = invoke(["validate", str(dataset)])
    assert result.exit_code == 0, result.output
    assert "no violations" in result.output


def test_primary_keys_are_unique_uuid4(records: dict[str, list[dict[str, Any]]]) -> None:
    specs = bank_host().registry.entity_specs()
    seen: set[str] = set()
    for name, recs in records.items():
        pk = specs[name].primary_key
        keys = [r[pk] for r in recs]
        assert len(set(keys)) == len(keys), name
        assert all(UUID4.match(k) for k in keys), name
        assert seen.isdisjoint(keys), f"{name} reuses another entity's id"
        seen.update(keys)


def test_every_foreign_key_resolves(records: dict[str, list[dict[str, Any]]]) -> None:
    specs = bank_host().registry.entity_specs()
    checked = 0
    for name, spec in specs.items():
        for fk in spec.foreign_keys:
            parents = {r[fk.ref_field] for r in records[fk.entity]}
            values = [r[fk.field] for r in records[name] if r[fk.field] is not None]
            missing = [v for v in values if v not in parents]
            assert not missing, f"{name}.{fk.field}: {len(missing)} value(s) not in {fk.entity}.{fk.ref_field}"
            checked += len(values)
    assert checked > 100_000


def test_event_customer_is_the_parents_owner(records: dict[str, list[dict[str, Any]]]) -> None:
    for event, (parent, field) in OWNED_EVENTS.items():
        pk = bank_host().registry.entity_specs()[parent].primary_key
        owner = {r[pk]: r["customer_id"] for r in records[parent]}
        bad = [e for e in records[event] if owner[e[field]] != e["customer_id"]]
        assert not bad, f"{len(bad)} {event} record(s) whose customer_id is not the {parent}'s owner"


def test_trades_only_on_investment_accounts(records: dict[str, list[dict[str, Any]]]) -> None:
    kind = {a["account_id"]: a["account_type"] for a in records["account"]}
    assert {kind[t["account_id"]] for t in records["trade"]} == {"INVESTIMENTOS"}
    traded = {t["account_id"] for t in records["trade"]}
    activated = {e["account_id"] for e in records["account_event"] if e["event_type"] == "ACTIVATED"}
    investment = [a for a, k in kind.items() if k == "INVESTIMENTOS" and a in activated]  # trades need an active life
    assert len(traded) >= 0.9 * len(investment)


def test_housing_loans_are_backed_by_a_property_worth_the_principal(records: dict[str, list[dict[str, Any]]]) -> None:
    value = {p["property_id"]: Decimal(p["appraised_value"]) for p in records["property"]}
    housing = [loan for loan in records["loan"] if loan["loan_type"] == "HOUSING"]
    assert housing
    for loan in records["loan"]:
        if loan["loan_type"] == "HOUSING":
            assert Decimal(loan["principal"]) <= value[loan["property_id"]]
        else:
            assert loan["property_id"] is None
    assert {loan["property_id"] for loan in housing} == set(value)  # no orphan property


def test_validate_reports_broken_foreign_key_and_owner(dataset: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(dataset, broken)
    path = broken / "trade.jsonl"
    lines = path.read_bytes().splitlines()
    trade = orjson.loads(lines[0])
    trade["account_id"] = "00000000-0000-4000-8000-000000000000"
    lines[0] = orjson.dumps(trade)
    path.write_bytes(b"\n".join(lines) + b"\n")
    tx_path = broken / "transaction.jsonl"
    tx_lines = tx_path.read_bytes().splitlines()
    tx = orjson.loads(tx_lines[3])
    tx["customer_id"] = orjson.loads((broken / "customer.jsonl").read_bytes().splitlines()[-1])["customer_id"]
    tx_lines[3] = orjson.dumps(tx)
    tx_path.write_bytes(b"\n".join(tx_lines) + b"\n")
    result = invoke(["validate", str(broken)])
    assert result.exit_code == 1
    assert "foreign-key" in result.output and trade["trade_id"] in result.output
    assert tx["transaction_id"] in result.output


def test_validate_counts_every_broken_record(dataset: Path, tmp_path: Path) -> None:
    """Every account pointing at a missing customer is one violation, gzip or not, all in the report."""
    broken = tmp_path / "every"
    shutil.copytree(dataset, broken)
    path = broken / "account.jsonl"
    accounts = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    for account in accounts[:321]:
        account["customer_id"] = "00000000-0000-4000-8000-000000000000"
    path.write_bytes(b"".join(orjson.dumps(a) + b"\n" for a in accounts))
    # a parent file in gzip form is read back as well
    import gzip

    customers = broken / "customer.jsonl"
    (broken / "customer.jsonl.gz").write_bytes(gzip.compress(customers.read_bytes()))
    customers.unlink()
    report = tmp_path / "report.json"
    result = invoke(["validate", str(broken), "--report", str(report), "--max-violations", "5"])
    assert result.exit_code == 1, result.output
    found = orjson.loads(report.read_bytes())
    [row] = [e for e in found["entities"] if e["entity"] == "account"]
    assert row["rules"]["foreign-key"] == 321 and row["records"] == len(accounts)
    assert found["violation_count"] >= 321 and len(found["violations"]) == 5 and found["truncated"]
    assert "FAILED: " in result.output


def test_validate_fails_a_dataset_whose_run_did_not_complete(dataset: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    shutil.copytree(dataset, partial)
    manifest = partial / "_datagen-run.json"
    recorded = orjson.loads(manifest.read_bytes()) if manifest.exists() else {}
    manifest.write_bytes(orjson.dumps(recorded | {"complete": False}))
    result = invoke(["validate", str(partial)])
    assert result.exit_code == 1, result.output
    assert "did not complete" in result.output and "no violation in" in result.output
