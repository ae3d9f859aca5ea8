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


def check_purchases(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """Amounts are positive (``amount-positive``); a purchase's customer_id is its card's holder
    (``card-owner``); approved and pending purchases of a card total at most its available_limit
    per billing cycle (``card-limit``).

    The limit is checked over the records given, in their order; a card's purchases split over
    several batches are each checked on their part (a partial total never exceeds the full one,
    so nothing false is reported).
    """
    if not records:
        return
    amounts = list(map(itemgetter("amount"), records))
    if min(amounts) <= 0:
        for r, amount in zip(records, amounts, strict=True):
            if amount <= 0:
                yield Violation(spec.name, r["transaction_id"], "amount", "amount-positive", f"{amount} is not > 0")
    if not lookup.has_entity("credit_card"):
        return
    ids = list(map(itemgetter("card_id"), records))
    cards = {cid: lookup.get("credit_card", cid) for cid in dict.fromkeys(ids)}
    yield from _owners(spec, records, ids, cards)
    yield from _limits(spec, records, ids, amounts, cards)


def _owners(spec: EntitySpec, records: Sequence[Record], ids: list[str],
            cards: dict[str, Record | None]) -> Iterator[Violation]:
    holder = {cid: (card["customer_id"] if card is not None else None) for cid, card in cards.items()}
    owners = list(map(itemgetter("customer_id"), records))
    if list(map(holder.__getitem__, ids)) == owners:
        return
    for r, cid, owner in zip(records, ids, owners, strict=True):
        if holder[cid] is not None and holder[cid] != owner:
            yield Violation(spec.name, r["transaction_id"], "customer_id", "card-owner",
                            f"{owner} is not the holder of card {cid} ({holder[cid]})")


def _limits(spec: EntitySpec, records: Sequence[Record], ids: list[str], amounts: list[int],
            cards: dict[str, Record | None]) -> Iterator[Violation]:
    code = {cid: i for i, cid in enumerate(cards)}
    known = np.array([card is not None for card in cards.values()])
    due = np.array([card["due_day"] if card is not None else 1 for card in cards.values()], dtype=np.int64)
    cap = np.array([card["available_limit"] if card is not None else 0 for card in cards.values()], dtype=np.int64)
    card = np.array(list(map(code.__getitem__, ids)), dtype=np.int64)
    held = (np.array(list(map(itemgetter("status"), records)), dtype=object) != "DECLINED") & known[card]
    amount = np.where(held, np.array(amounts, dtype=np.int64), 0)
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
    Rule("card-purchases", "card_transaction", check_purchases,
         "Positive amounts; customer_id is the card's holder; approved and pending purchases of a card "
         "total at most its available_limit per billing cycle."),
)
