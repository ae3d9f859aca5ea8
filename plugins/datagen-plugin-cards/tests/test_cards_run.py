"""A full run of banking + cards through the json sink: keys, formats, limits, time windows."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from datagen_plugin_cards.merchants import MCC_TABLE

from datagen_kernel.cli import make_cli

AS_OF = datetime.fromisoformat("2026-01-01T00:00:00-03:00")
MASK = re.compile(r"^\*{4}-\*{4}-\*{4}-\d{4}$")
BANDS = {c.mcc: (c.name, c.low_cents, c.high_cents) for c in MCC_TABLE}


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def dataset(cards_run: Any, jsonl: Any) -> dict[str, Any]:
    out: Path = cards_run("--customers", "1200", "--seed", "5")
    data = {name: jsonl(out / f"{name}.jsonl") for name in ("customer", "credit_card", "card_transaction")}
    data["dir"] = out
    return data


def test_every_foreign_key_resolves_and_ids_are_unique(dataset: dict[str, Any]) -> None:
    customers = {c["customer_id"] for c in dataset["customer"]}
    cards = {c["card_id"]: c for c in dataset["credit_card"]}
    assert len(cards) == len(dataset["credit_card"])
    assert all(c["customer_id"] in customers for c in cards.values())
    purchases = dataset["card_transaction"]
    assert len({p["transaction_id"] for p in purchases}) == len(purchases) > 10_000
    for p in purchases:
        assert p["card_id"] in cards
        assert p["customer_id"] == cards[p["card_id"]]["customer_id"]


def test_cards_have_catalog_formats_limits_and_dates(dataset: dict[str, Any]) -> None:
    customers = {c["customer_id"]: c for c in dataset["customer"]}
    for card in dataset["credit_card"]:
        owner = customers[card["customer_id"]]
        income = cents(owner["monthly_income"])
        limit, available = cents(card["credit_limit"]), cents(card["available_limit"])
        assert MASK.match(card["card_number_masked"])
        assert 2 * income <= limit <= 5 * income
        assert limit <= 2 * available and available <= limit
        assert 1 <= card["due_day"] <= 28
        assert when(owner["created_at"]) < when(card["created_at"]) < AS_OF
        if card["status"] == "ACTIVE":
            assert card["updated_at"] is None
        else:
            assert when(card["created_at"]) < when(card["updated_at"]) < AS_OF


def _cycle(timestamp: str, due_day: int) -> tuple[int, int]:
    """Billing cycle computed independently of the generator: a cycle starts on the due day."""
    local = when(timestamp).astimezone(AS_OF.tzinfo).date() - timedelta(days=due_day - 1)
    return local.year, local.month


def test_purchases_fit_the_available_limit_in_every_billing_cycle(dataset: dict[str, Any]) -> None:
    cards = {c["card_id"]: c for c in dataset["credit_card"]}
    spent: dict[tuple[str, tuple[int, int]], int] = defaultdict(int)
    declined = 0
    for p in dataset["card_transaction"]:
        if p["status"] == "DECLINED":
            declined += 1
            continue
        card = cards[p["card_id"]]
        key = (p["card_id"], _cycle(p["timestamp"], card["due_day"]))
        spent[key] += cents(p["amount"])
        assert spent[key] <= cents(card["available_limit"]), key
    assert declined > 0


def test_purchases_follow_the_mcc_table_and_their_card_lifetime(dataset: dict[str, Any]) -> None:
    cards = {c["card_id"]: c for c in dataset["credit_card"]}
    history_start = AS_OF - timedelta(days=365)
    last_seen: dict[str, datetime] = {}
    for p in dataset["card_transaction"]:
        category, low, high = BANDS[p["mcc_code"]]
        assert p["merchant_category"] == category
        assert low <= cents(p["amount"]) <= high
        assert 1 <= p["installments"] <= 12
        card = cards[p["card_id"]]
        t = when(p["timestamp"])
        end = AS_OF if card["status"] == "ACTIVE" else when(card["updated_at"])
        assert max(when(card["created_at"]), history_start) <= t <= end
        assert t < when(p["created_at"]) <= t + timedelta(seconds=3)
        assert p["updated_at"] is None
        assert (p["status"] == "PENDING") <= (t >= AS_OF - timedelta(days=2)), "only recent purchases are PENDING"
        assert last_seen.get(p["card_id"], t) <= t, "a card's purchases are in time order"
        last_seen[p["card_id"]] = t


def test_purchases_happen_mostly_in_the_holders_city(dataset: dict[str, Any]) -> None:
    city = {c["customer_id"]: c["address"]["city"] for c in dataset["customer"]}
    purchases = dataset["card_transaction"]
    home = sum(1 for p in purchases if p["location_city"] == city[p["customer_id"]])
    brazil = sum(1 for p in purchases if p["location_country"] == "BR")
    assert 0.85 < home / len(purchases) < 0.92
    assert 0.96 < brazil / len(purchases) < 0.98
    assert all(len(p["location_country"]) == 2 for p in purchases)


def test_datagen_validate_accepts_the_dataset(dataset: dict[str, Any], cards_host: Any) -> None:
    result = CliRunner().invoke(make_cli(lambda: cards_host), ["validate", str(dataset["dir"])])
    assert result.exit_code == 0, result.output
    assert "card_transaction" in result.output and "0 violation(s)" in result.output
