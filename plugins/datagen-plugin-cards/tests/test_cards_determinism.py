"""Same seed, same bytes: whatever the workers, the batch size, or how many customers follow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SINK = "json:credit_card,card_transaction"
FILES = ("credit_card.jsonl", "card_transaction.jsonl")


def read(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in FILES}


def test_workers_and_batch_sizes_do_not_change_the_output(cards_run: Any) -> None:
    base = read(cards_run("--customers", "1600", "--seed", "3", sink=SINK))
    assert base["card_transaction.jsonl"].count(b"\n") > 10_000
    assert read(cards_run("--customers", "1600", "--seed", "3", "--workers", "2", sink=SINK)) == base
    assert read(cards_run("--customers", "1600", "--seed", "3", "--batch-size", "777", sink=SINK)) == base


def test_first_customers_are_identical_in_a_small_and_a_large_run(cards_run: Any, jsonl: Any) -> None:
    small = cards_run("--customers", "100", "--seed", "9", sink=SINK)
    large = cards_run("--customers", "2000", "--seed", "9", sink=SINK)
    for name in FILES:
        head = (small / name).read_bytes()
        assert head and (large / name).read_bytes().startswith(head), name
    # the small run's records are exactly the large run's records of its 100 customers
    first = {c["customer_id"] for c in jsonl(small / "credit_card.jsonl")}
    large_cards = [c for c in jsonl(large / "credit_card.jsonl") if c["customer_id"] in first]
    assert large_cards == jsonl(small / "credit_card.jsonl")


def test_another_seed_gives_other_cards(cards_run: Any) -> None:
    one = read(cards_run("--customers", "50", "--seed", "1", sink=SINK))
    two = read(cards_run("--customers", "50", "--seed", "2", sink=SINK))
    assert one["credit_card.jsonl"] != two["credit_card.jsonl"]
