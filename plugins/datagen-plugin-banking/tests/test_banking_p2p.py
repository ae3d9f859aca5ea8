"""P2P Pix payments between the bank's own customers: every pair on a whole dataset (pairs cross
blocks inside a group of two), the rule that checks them (also across validation chunks),
failed payments without a credit, and prefix runs."""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

import pytest
from banking_blocks import generate_blocks
from datagen_plugin_banking.entities import ENTITIES
from datagen_plugin_banking.validators import RULES, p2p_pair_problem

from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.engine.validation import run_rules

SPECS = {e.name: e for e in ENTITIES}

P2P_RULE = [r for r in RULES if r.name == "p2p-pairs"]


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return generate_blocks(3_000, seed=21)


def _pairs(txs: list[dict]) -> list[list[dict]]:
    by_id: dict[str, list[dict]] = defaultdict(list)
    for t in txs:
        if t["pix_e2e_id"]:
            by_id[t["pix_e2e_id"]].append(t)
    assert max(map(len, by_id.values())) <= 2
    return [v for v in by_id.values() if len(v) == 2]


def test_every_pair_on_a_whole_dataset(data) -> None:
    customers = {c["customer_id"]: c for c in data["customer"]}
    index = {c["customer_id"]: i for i, c in enumerate(data["customer"])}
    pairs = _pairs(data["transaction"])
    pix = sum(t["transaction_type"] == "PIX" for t in data["transaction"])
    assert 0.08 <= 2 * len(pairs) / pix <= 0.35  # a share of Pix transfers
    blocks = set()
    for a, b in pairs:
        debit, credit = (a, b) if a["direction"] == "DEBIT" else (b, a)
        assert {debit["direction"], credit["direction"]} == {"DEBIT", "CREDIT"}
        payer, payee = customers[debit["customer_id"]], customers[credit["customer_id"]]
        assert p2p_pair_problem(debit, credit, payer, payee) is None
        assert debit["description"] == "Pix enviado para " + payee["name"]
        assert credit["description"] == "Pix recebido de " + payer["name"]
        payer_block, payee_block = index[payer["customer_id"]] // 500, index[payee["customer_id"]] // 500
        assert payer_block // 2 == payee_block // 2  # blocks 0-1, 2-3, 4-5 pair up
        blocks.add((payer_block, payee_block))
    # every block pays itself and its partner, both ways
    assert blocks == {(b, c) for b in range(6) for c in range(6) if b // 2 == c // 2}
    kinds = {t["pix_key_type"] for pair in pairs for t in pair}
    assert kinds == {"CPF", "EMAIL", "PHONE", "EVP"}


def test_a_failed_payment_has_no_credit(data) -> None:
    names = {c["name"] for c in data["customer"]}
    shared = {p[0]["pix_e2e_id"] for p in _pairs(data["transaction"])}
    failed = [t for t in data["transaction"] if t["transaction_type"] == "PIX" and t["status"] == "FAILED"
              and t["counterparty_name"] in names and t["pix_e2e_id"] not in shared]
    assert all(t["direction"] == "DEBIT" for t in failed)


def test_the_rule_passes_and_catches_corruption(data) -> None:
    index = RecordIndex(SPECS, data)
    assert run_rules(SPECS["transaction"], data["transaction"], P2P_RULE, index) == []
    bad = copy.deepcopy(data["transaction"])
    pairs = _pairs(bad)
    pairs[0][0]["amount"] += 1
    pairs[1][0]["counterparty_name"] = "Fulano de Tal"
    pairs[2][1]["status"] = "FAILED"
    pairs[3][0]["direction"] = pairs[3][1]["direction"]
    found = run_rules(SPECS["transaction"], bad, P2P_RULE, index)
    assert len(found) == 4 and {v.rule for v in found} == {"p2p-pairs"}
    # an id shared by three transactions
    shared = {t["pix_e2e_id"] for pair in _pairs(bad) for t in pair}
    intruder = next(t for t in bad if t["pix_e2e_id"] and t["pix_e2e_id"] not in shared)
    intruder["pix_e2e_id"] = pairs[4][0]["pix_e2e_id"]
    found = run_rules(SPECS["transaction"], bad, P2P_RULE, index)
    assert len(found) >= 5 and {v.rule for v in found} == {"p2p-pairs"}


def test_the_rule_checks_pairs_across_validation_chunks(data) -> None:
    """``datagen validate`` checks a dataset in chunks; a pair whose sides fall in two chunks is
    checked once, from its credit's chunk, against the whole dataset's index."""
    bad = copy.deepcopy(data["transaction"])
    index = RecordIndex(SPECS, {**data, "transaction": bad})
    position = {id(t): i for i, t in enumerate(bad)}
    half = len(bad) // 2
    chunks = [bad[:half], bad[half:]]
    across = [p for p in _pairs(bad) if (position[id(p[0])] < half) != (position[id(p[1])] < half)]
    assert len(across) >= 3
    assert [v for c in chunks for v in run_rules(SPECS["transaction"], c, P2P_RULE, index)] == []
    across[0][0]["amount"] += 1
    across[1][1]["counterparty_name"] = "Fulano de Tal"
    across[2][0]["direction"] = across[2][1]["direction"]
    found = [v for c in chunks for v in run_rules(SPECS["transaction"], c, P2P_RULE, index)]
    assert len(found) == 3 and {v.rule for v in found} == {"p2p-pairs"}
    # each side is seen alone by its block's own check: no pair to check, no complaint
    alone = RecordIndex(SPECS, {**data, "transaction": chunks[0]})
    assert run_rules(SPECS["transaction"], chunks[0], P2P_RULE, alone) == []


def test_a_prefix_run_keeps_credits_from_later_customers(data) -> None:
    """The last block of a shorter run still has its customers' credits from payers beyond the
    run (computed from their index alone): a prefix of the records of the longer run."""
    short = generate_blocks(2_750, seed=21)
    owners = {c["customer_id"] for c in short["customer"]}
    longer = [t for t in data["transaction"] if t["customer_id"] in owners]
    assert short["transaction"] == longer
    names = {c["name"] for c in short["customer"]}
    outside = [t for t in short["transaction"] if t["pix_e2e_id"] and t["direction"] == "CREDIT"
               and t["counterparty_name"] not in names
               and t["counterparty_name"] in {c["name"] for c in data["customer"][2_750:]}]
    assert outside  # counterparties outside the shorter dataset
