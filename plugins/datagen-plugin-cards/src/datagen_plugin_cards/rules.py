"""Data-quality rules of the cards pack (run on every block, and by ``datagen validate``).

Rules run on every block of a normal run, so they read whole columns (``itemgetter``) and
look each parent card up once, not once per purchase.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

import numpy as np

from datagen_kernel import EntitySpec, Lookup, Record, Rule, Violation
from datagen_plugin_cards.generators import billing_cycles


def check_card_limits(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """0 < credit_limit; limit/2 <= available_limit <= credit_limit; limit 2..5x the holder's income."""
    customers = lookup.has_entity("customer")
    for r in records:
        limit, available = r["credit_limit"], r["available_limit"]
        if limit <= 0 or not (limit <= 2 * available and available <= limit):
            yield Violation(spec.name, r["card_id"], "available_limit", "card-limits",
                            f"available {available} must be 50-100% of a positive credit_limit {limit}")
            continue
        holder = lookup.get("customer", r["customer_id"]) if customers else None
        if holder is not None and not 2 * holder["monthly_income"] <= limit <= 5 * holder["monthly_income"]:
            yield Violation(spec.name, r["card_id"], "credit_limit", "card-limits",
                            f"{limit} is not 2-5x the holder's monthly income {holder['monthly_income']}")


def _cards_of(records: Sequence[Record], lookup: Lookup) -> tuple[list[str], dict[str, Record | None]]:
    """The card_id column and each distinct card's record (None when unknown)."""
    ids = list(map(itemgetter("card_id"), records))
    return ids, {cid: lookup.get("credit_card", cid) for cid in dict.fromkeys(ids)}


def check_purchase_owner(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """A purchase's customer_id is its card's holder."""
    if not lookup.has_entity("credit_card") or not records:
        return
    ids, cards = _cards_of(records, lookup)
    holder = {cid: (card["customer_id"] if card is not None else None) for cid, card in cards.items()}
    owners = list(map(itemgetter("customer_id"), records))
    if list(map(holder.__getitem__, ids)) == owners:
        return
    for r, cid, owner in zip(records, ids, owners, strict=True):
        if holder[cid] is not None and holder[cid] != owner:
            yield Violation(spec.name, r["transaction_id"], "customer_id", "card-owner",
                            f"{owner} is not the holder of card {cid} ({holder[cid]})")


def check_purchase_amounts(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Amounts are positive."""
    amounts = list(map(itemgetter("amount"), records))
    if not amounts or min(amounts) > 0:
        return
    for r, amount in zip(records, amounts, strict=True):
        if amount <= 0:
            yield Violation(spec.name, r["transaction_id"], "amount", "amount-positive", f"{amount} is not > 0")


def check_purchase_limits(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Approved and pending purchases of a card total at most its available_limit per billing cycle.

    Checked over the records given, in their order; a card's purchases split over several
    batches are each checked on their part (a partial total never exceeds the full one, so
    nothing false is reported).
    """
    if not lookup.has_entity("credit_card") or not records:
        return
    ids, cards = _cards_of(records, lookup)
    code = {cid: i for i, cid in enumerate(cards)}
    known = [card is not None for card in cards.values()]
    due = np.array([card["due_day"] if card is not None else 1 for card in cards.values()], dtype=np.int64)
    cap = np.array([card["available_limit"] if card is not None else 0 for card in cards.values()], dtype=np.int64)
    card = np.array(list(map(code.__getitem__, ids)), dtype=np.int64)
    held = np.array([s != "DECLINED" for s in map(itemgetter("status"), records)]) & np.array(known)[card]
    amount = np.where(held, np.array(list(map(itemgetter("amount"), records)), dtype=np.int64), 0)
    cycle = billing_cycles(np.array(list(map(itemgetter("timestamp"), records)), dtype=np.int64), due[card])
    key = card * 100_000 + (cycle - cycle.min())
    order = np.argsort(key, kind="stable")  # by card and cycle, keeping the records' order inside
    k, a = key[order], amount[order]
    starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    running = np.cumsum(a)
    running -= np.repeat((running - a)[starts], np.diff(np.append(starts, len(k))))
    over = running > cap[card[order]]
    if not over.any():
        return
    reported: set[int] = set()
    for pos in np.flatnonzero(over).tolist():
        if int(k[pos]) in reported:
            continue
        reported.add(int(k[pos]))
        r = records[int(order[pos])]
        c: Any = cards[r["card_id"]]
        yield Violation(spec.name, r["transaction_id"], "status", "card-limit",
                        f"approved purchases of card {r['card_id']} reach {int(running[pos])} in one billing "
                        f"cycle, above its available_limit {c['available_limit']}")


RULES = (
    Rule("card-limits", "credit_card", check_card_limits, check_card_limits.__doc__ or ""),
    Rule("card-owner", "card_transaction", check_purchase_owner, check_purchase_owner.__doc__ or ""),
    Rule("amount-positive", "card_transaction", check_purchase_amounts, check_purchase_amounts.__doc__ or ""),
    Rule("card-limit", "card_transaction", check_purchase_limits,
         "Approved and pending purchases of a card total at most its available_limit per billing cycle."),
)
