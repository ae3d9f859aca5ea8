"""fraud-detection: labelled patterns at the configured share; customer-360: every product."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from banking_blocks import generate_blocks
from datagen_plugin_banking.common import local_parts
from datagen_plugin_banking.entities import FRAUD_PATTERNS
from datagen_plugin_banking.transactions import distance_km

MINUTE = 60_000


@pytest.fixture(scope="module")
def fraud() -> dict:
    return generate_blocks(5000, seed=99, scenario="fraud-detection")


def test_share_and_every_pattern(fraud) -> None:
    txs = fraud["transaction"]
    labelled = [t for t in txs if t["is_fraud"]]
    assert all((t["fraud_pattern"] is not None) == t["is_fraud"] for t in txs)
    assert 0.04 <= len(labelled) / len(txs) <= 0.06
    patterns = Counter(t["fraud_pattern"] for t in labelled)
    assert set(patterns) == set(FRAUD_PATTERNS)
    assert all(count >= 50 for count in patterns.values()), patterns
    assert all(t["direction"] == "DEBIT" for t in labelled)
    plain = generate_blocks(5000, seed=99)["transaction"]
    normal = [t for t in txs if not t["is_fraud"]]
    # fraud comes on top of the usual events; a P2P payment whose payer fraud drained fails and
    # its credit is not made
    assert 0 <= len(plain) - len(normal) <= 0.002 * len(plain)


def test_share_option(fraud) -> None:
    more = generate_blocks(1000, seed=99, scenario="fraud-detection", options={"scenario": {"share": 0.2}})
    txs = more["transaction"]
    assert 0.17 <= sum(t["is_fraud"] for t in txs) / len(txs) <= 0.23


def _incidents(txs: list, pattern: str) -> list[list[dict]]:
    """Consecutive events of one account labelled with ``pattern`` (events are in time order)."""
    runs: list[list[dict]] = []
    for t in txs:
        if t["fraud_pattern"] != pattern:
            continue
        if runs and runs[-1][-1]["account_id"] == t["account_id"] and t["timestamp"] - runs[-1][-1]["timestamp"] < \
                4 * 60 * MINUTE:
            runs[-1].append(t)
        else:
            runs.append([t])
    return runs


def test_patterns_look_like_what_they_are(fraud) -> None:
    txs = fraud["transaction"]
    bursts = _incidents(txs, "VELOCITY_BURST")
    assert bursts and all(len(b) >= 5 for b in bursts)
    for b in bursts:
        assert all(t["transaction_type"] == "PIX" for t in b)
        assert b[-1]["timestamp"] - b[0]["timestamp"] <= 10 * 15 * 1000 * 6  # 5..10 PIX within 15 minutes
    night = [t for t in txs if t["fraud_pattern"] == "NIGHT_ACTIVITY"]
    _, _, hour = local_parts(np.array([t["timestamp"] for t in night]))
    assert set(hour.tolist()) <= {1, 2, 3, 4} and {t["transaction_type"] for t in night} == {"WITHDRAW"}
    for t in (t for t in txs if t["fraud_pattern"] == "ROUND_AMOUNTS"):
        assert t["amount"] % 10_000 == 0  # whole hundreds of reais
    usual = defaultdict(list)
    for t in txs:
        if not t["is_fraud"]:
            usual[t["account_id"]].append(t["amount"])
    anomalies = [t for t in txs if t["fraud_pattern"] == "AMOUNT_ANOMALY" and t["status"] == "COMPLETED"
                 and usual[t["account_id"]]]
    ratio = np.median([t["amount"] / np.median(usual[t["account_id"]]) for t in anomalies])
    assert ratio > 10
    pairs = _incidents(txs, "IMPOSSIBLE_GEOGRAPHY")
    assert pairs
    for first, second in (p[:2] for p in pairs if len(p) >= 2):
        assert second["timestamp"] - first["timestamp"] <= 40 * MINUTE
        assert distance_km(first["location_state"], second["location_state"]) >= 1500
    customers = {c["customer_id"]: c for c in fraud["customer"]}
    home = sum(t["location_city"] == customers[t["customer_id"]]["address"]["city"] for t in txs if not t["is_fraud"])
    assert 0.95 <= home / sum(not t["is_fraud"] for t in txs) <= 0.99  # 3% travel
    payees = defaultdict(set)
    for t in txs:
        if not t["is_fraud"] and t["counterparty_key"]:
            payees[t["account_id"]].add(t["counterparty_key"])
    new_payee = [t for t in txs if t["fraud_pattern"] == "NEW_PAYEE_LARGE_AMOUNT"]
    assert all(t["counterparty_key"] not in payees[t["account_id"]] for t in new_payee)


def test_fraud_scenario_through_the_cli(banking_cli, tmp_path: Path) -> None:
    out = tmp_path / "fraud"
    result = banking_cli(["run", "--customers", "300", "--scenario", "fraud-detection", "-o", "scenario.share=0.1",
                          "--sink", "json", "-q", "-o", f"json.path={out}"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "transaction.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"is_fraud", "fraud_pattern", "location_city", "location_state"} <= set(rows[0])
    assert 0.07 <= sum(r["is_fraud"] for r in rows) / len(rows) <= 0.13
    assert sorted(p.name for p in out.glob("*.jsonl")) == [
        "account.jsonl", "account_event.jsonl", "customer.jsonl", "payroll.jsonl", "recurring_payment.jsonl",
        "reversal.jsonl", "transaction.jsonl"]
    checked = banking_cli(["validate", "--scenario", "fraud-detection", str(out)])
    assert checked.exit_code == 0, checked.output
    assert banking_cli(["validate", str(out)]).exit_code == 0  # the run manifest names the scenario
    (out / "_datagen-run.json").unlink()
    assert banking_cli(["validate", str(out)]).exit_code != 0  # without either, the labels are unexpected fields
    bad = banking_cli(["run", "--customers", "3", "--scenario", "fraud-detection", "-o", "scenario.share=0.9",
                       "--sink", "json", "-o", f"json.path={out}"])
    assert bad.exit_code != 0 and "scenario.share" in bad.output


def test_customer_360_gives_every_customer_both_accounts(banking_cli) -> None:
    data = generate_blocks(1000, scenario="customer-360")
    kinds = defaultdict(set)
    for a in data["account"]:
        kinds[a["customer_id"]].add(a["account_type"])
    assert len(kinds) == 1000
    assert all({"CONTA_CORRENTE", "INVESTIMENTOS"} <= k for k in kinds.values())
    assert all(t["customer_id"] in kinds for t in data["transaction"])


def test_the_fraud_share_holds_closely_at_ten_thousand_customers() -> None:
    for seed in (1, 2):
        txs = generate_blocks(10_000, seed=seed, scenario="fraud-detection",
                              options={"scenario": {"share": 0.1}})["transaction"]
        share = sum(t["is_fraud"] for t in txs) / len(txs)
        assert abs(share - 0.1) <= 0.005, (seed, share)


def test_new_payee_large_amounts_are_large_for_the_customer(fraud) -> None:
    income = {c["customer_id"]: c["monthly_income"] for c in fraud["customer"]}
    events = [t for t in fraud["transaction"] if t["fraud_pattern"] == "NEW_PAYEE_LARGE_AMOUNT"]
    assert len(events) > 100
    # at least 30% of a month's income (drained accounts), at least half of it when it failed
    assert all(t["amount"] >= 0.3 * income[t["customer_id"]] for t in events)
    assert all(t["amount"] >= 0.5 * income[t["customer_id"]] for t in events if t["status"] == "FAILED")
    assert sum(t["status"] == "COMPLETED" for t in events) / len(events) > 0.5
