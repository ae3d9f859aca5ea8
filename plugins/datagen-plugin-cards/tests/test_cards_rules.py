"""The cards pack's validators accept generated data and catch corrupted records."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from datagen_plugin_cards.rules import RULES

from datagen_kernel import Batch, as_rows, column, hookimpl
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host
from datagen_kernel.engine.validation import run_rules
from datagen_kernel.testing import generate_records


@pytest.fixture(scope="module")
def generated(cards_host: Any) -> dict[str, list[dict[str, Any]]]:
    return generate_records(cards_host, customers=300, seed=21)


def violations(cards_host: Any, records: dict[str, list[dict[str, Any]]], entity: str) -> list[Any]:
    specs = cards_host.registry.entity_specs()
    rules = [r for r in RULES if r.entity == entity]
    return run_rules(specs[entity], records[entity], rules, RecordIndex(specs, records))


def test_generated_records_pass(cards_host: Any, generated: dict[str, list[dict[str, Any]]]) -> None:
    assert generated["card_transaction"]
    assert violations(cards_host, generated, "credit_card") == []
    assert violations(cards_host, generated, "card_transaction") == []


def rules_broken(cards_host: Any, records: dict[str, list[dict[str, Any]]], entity: str) -> set[str]:
    return {v.rule for v in violations(cards_host, records, entity)}


def test_a_purchase_charged_to_someone_else_is_caught(cards_host: Any, generated: dict[str, Any]) -> None:
    records = copy.deepcopy(generated)
    purchase = records["card_transaction"][0]
    purchase["customer_id"] = next(c["customer_id"] for c in records["customer"]
                                   if c["customer_id"] != purchase["customer_id"])
    assert rules_broken(cards_host, records, "card_transaction") == {"card-owner"}


def test_a_non_positive_amount_is_caught(cards_host: Any, generated: dict[str, Any]) -> None:
    records = copy.deepcopy(generated)
    records["card_transaction"][5]["amount"] = 0
    assert rules_broken(cards_host, records, "card_transaction") == {"amount-positive"}


def test_limits_outside_the_catalog_bands_are_caught(cards_host: Any, generated: dict[str, Any]) -> None:
    records = copy.deepcopy(generated)
    card = records["credit_card"][0]
    card["available_limit"] = card["credit_limit"] + 1
    assert rules_broken(cards_host, records, "credit_card") == {"card-limits"}
    records = copy.deepcopy(generated)
    records["credit_card"][1]["credit_limit"] *= 3  # above 5x income, available now under 50%
    assert rules_broken(cards_host, records, "credit_card") == {"card-limits"}


def test_purchases_beyond_the_available_limit_are_caught(cards_host: Any, generated: dict[str, Any]) -> None:
    records = copy.deepcopy(generated)
    purchase = next(p for p in records["card_transaction"] if p["status"] == "APPROVED")
    card = next(c for c in records["credit_card"] if c["card_id"] == purchase["card_id"])
    purchase["amount"] = card["available_limit"] + 1
    found = violations(cards_host, records, "card_transaction")
    assert {v.rule for v in found} == {"card-limit"}
    assert found[0].key == purchase["transaction_id"] and found[0].field == "status"


def _columns_like_the_generator(batch: Batch, **changes: Any) -> Batch:
    """A copy of ``batch`` with some columns replaced."""
    return Batch({name: changes.get(name, batch.values(name)) for name in batch.names})


def test_rules_catch_broken_purchases_in_a_batch_and_in_dicts(cards_host: Any, cards_blocks: Any) -> None:
    block = next(cards_blocks(300, ["card_transaction"], seed=5))
    batch = block["card_transaction"]
    assert isinstance(batch, Batch) and isinstance(batch.values("amount"), np.ndarray)
    assert violations(cards_host, block, "card_transaction") == []
    keys = batch.column("transaction_id")
    amount = batch.values("amount").copy()
    amount[3] = -990
    owners = list(batch.column("customer_id"))
    owners[9] = next(c for c in column(block["customer"], "customer_id") if c != owners[9])
    status = batch.values("status")
    approved = next(i for i, s in enumerate(status) if s == "APPROVED" and i not in (3, 9))
    card = next(c for c in block["credit_card"] if c["card_id"] == batch.column("card_id")[approved])
    amount[approved] = card["available_limit"] + 1
    broken = _columns_like_the_generator(batch, amount=amount, customer_id=owners)
    expected = {("amount-positive", "amount", keys[3]), ("card-owner", "customer_id", keys[9]),
                ("card-limit", "status", keys[approved])}
    for form in (broken, [dict(r) for r in broken]):
        found = violations(cards_host, {**block, "card_transaction": form}, "card_transaction")
        assert {(v.rule, v.field, v.key) for v in found} == expected, type(form)


def test_purchases_out_of_card_order_are_checked_alike(cards_host: Any, cards_blocks: Any) -> None:
    """Rules group a card's purchases by runs of the same id; interleaved cards must not matter."""
    block = next(cards_blocks(300, ["card_transaction"], seed=5))
    rows = [dict(r) for r in block["card_transaction"]]
    approved = next(i for i, r in enumerate(rows) if r["status"] == "APPROVED")
    card = next(c for c in block["credit_card"] if c["card_id"] == rows[approved]["card_id"])
    rows[approved]["amount"] = card["available_limit"] + 1
    rows[1]["customer_id"] = next(c for c in column(block["customer"], "customer_id") if c != rows[1]["customer_id"])
    expected = {("card-limit", rows[approved]["transaction_id"]), ("card-owner", rows[1]["transaction_id"])}
    shuffled = rows[::2] + rows[1::2]  # every card's purchases split in two interleaved halves
    for form in (rows, shuffled):
        found = violations(cards_host, {**block, "card_transaction": form}, "card_transaction")
        assert {(v.rule, v.key) for v in found} == expected


def test_card_limit_rule_reads_batches_and_dicts(cards_host: Any, cards_blocks: Any) -> None:
    block = next(cards_blocks(100, ["credit_card"], seed=5))
    cards = Batch.from_rows([f.name for f in cards_host.registry.entity_specs()["credit_card"].fields],
                            block["credit_card"])
    limit = np.array(cards.column("credit_limit"), dtype=np.int64)
    available = np.array(cards.column("available_limit"), dtype=np.int64)
    available[2] = limit[2] + 1
    broken = _columns_like_the_generator(cards, available_limit=available)
    for form in (broken, [dict(r) for r in broken]):
        found = violations(cards_host, {**block, "credit_card": form}, "credit_card")
        assert [(v.rule, v.key) for v in found] == [("card-limits", cards.column("card_id")[2])], type(form)


class _Corrupting:
    """Wraps the card_transaction generator and charges one purchase to another customer."""

    @hookimpl
    def datagen_register_generators(self, register: Any) -> None:
        def wrapper(ctx: Any, inner: Any) -> list[dict[str, Any]]:
            out = as_rows(inner(ctx))  # the generator returns a Batch: edit its rows
            if out:
                out[0] = dict(out[0], customer_id=column(ctx.records("customer"), "customer_id")[-1])
            return out

        register.wrap("card_transaction", wrapper)


def test_a_run_with_a_corrupted_purchase_fails_naming_the_rule(tmp_path: Any) -> None:
    import datagen_plugin_banking.plugin as banking
    import datagen_plugin_cards.plugin as cards
    import datagen_plugin_json.plugin as json_sink

    host = make_plugin_host(entrypoints=False, plugins=[banking, cards, json_sink, _Corrupting()])
    result = CliRunner().invoke(make_cli(lambda: host), [
        "run", "--customers", "200", "--sink", "json:credit_card,card_transaction", "-o", f"json.path={tmp_path}"])
    assert result.exit_code != 0
    assert "card-owner" in result.output and "card_transaction" in result.output
    assert not (tmp_path / "card_transaction.jsonl").exists()
