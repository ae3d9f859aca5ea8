"""Data-quality rules of the cards pack (run on every block, and by ``datagen validate``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from datagen_kernel import EntitySpec, Lookup, Record, Rule, Violation
from datagen_plugin_cards.generators import billing_cycles

_HOLDING = ("APPROVED", "PENDING")
"""Purchase statuses that use the card's limit."""


def check_card_limits(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """0 < credit_limit; limit/2 <= available_limit <= credit_limit; limit 2..5x the holder's income."""
    for r in records:
        limit, available = r["credit_limit"], r["available_limit"]
        if limit <= 0 or not (limit / 2 <= available <= limit):
            yield Violation(spec.name, r["card_id"], "available_limit", "card-limits",
                            f"available {available} must be 50-100% of a positive credit_limit {limit}")
            continue
        holder = lookup.get("customer", r["customer_id"]) if lookup.has_entity("customer") else None
        if holder is not None and not 2 * holder["monthly_income"] <= limit <= 5 * holder["monthly_income"]:
            yield Violation(spec.name, r["card_id"], "credit_limit", "card-limits",
                            f"{limit} is not 2-5x the holder's monthly income {holder['monthly_income']}")


def check_purchase_owner(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """A purchase's customer_id is its card's holder."""
    if not lookup.has_entity("credit_card"):
        return
    for r in records:
        card = lookup.get("credit_card", r["card_id"])
        if card is not None and card["customer_id"] != r["customer_id"]:
            yield Violation(spec.name, r["transaction_id"], "customer_id", "card-owner",
                            f"{r['customer_id']} is not the holder of card {r['card_id']} ({card['customer_id']})")


def check_purchase_amounts(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Amounts are positive."""
    for r in records:
        if r["amount"] <= 0:
            yield Violation(spec.name, r["transaction_id"], "amount", "amount-positive", f"{r['amount']} is not > 0")


def check_purchase_limits(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Approved and pending purchases of a card total at most its available_limit per billing cycle.

    Checked over the records given; a card's purchases split over several batches are each
    checked on their part (a partial total never exceeds the full one, so nothing false is reported).
    """
    if not lookup.has_entity("credit_card"):
        return
    held = [r for r in records if r["status"] in _HOLDING]
    cards = [lookup.get("credit_card", r["card_id"]) for r in held]
    known = [(r, c) for r, c in zip(held, cards, strict=True) if c is not None]
    if not known:
        return
    cycles = billing_cycles([r["timestamp"] for r, _ in known], [c["due_day"] for _, c in known]).tolist()
    used: dict[tuple[str, int], int] = defaultdict(int)
    reported: set[tuple[str, int]] = set()
    for (r, card), cycle in zip(known, cycles, strict=True):
        key = (r["card_id"], cycle)
        used[key] += r["amount"]
        if used[key] > card["available_limit"] and key not in reported:
            reported.add(key)
            yield Violation(spec.name, r["transaction_id"], "status", "card-limit",
                            f"approved purchases of card {r['card_id']} reach {used[key]} in one billing cycle, "
                            f"above its available_limit {card['available_limit']}")


RULES = (
    Rule("card-limits", "credit_card", check_card_limits, check_card_limits.__doc__ or ""),
    Rule("card-owner", "card_transaction", check_purchase_owner, check_purchase_owner.__doc__ or ""),
    Rule("amount-positive", "card_transaction", check_purchase_amounts, check_purchase_amounts.__doc__ or ""),
    Rule("card-limit", "card_transaction", check_purchase_limits,
         "Approved and pending purchases of a card total at most its available_limit per billing cycle."),
)
