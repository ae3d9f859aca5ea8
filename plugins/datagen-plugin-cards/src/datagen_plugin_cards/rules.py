"""Data-quality rules of the cards pack (run on every block, and by ``datagen validate``).

Rules run on every block of a normal run, so they read whole columns (``column``, numpy
arrays for numbers; records may be a list of dicts or a ``Batch``, whose rows are never built)
and look each parent card up once, not once per purchase.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from itertools import chain, compress, islice, repeat
from typing import Any

import numpy as np
from datagen_plugin_banking.common import int_column

from datagen_kernel import EntitySpec, Lookup, Record, Rule, Violation, column
from datagen_plugin_cards.generators import billing_cycles


def check_card_limits(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterator[Violation]:
    """0 < credit_limit; limit/2 <= available_limit <= credit_limit; limit 2..5x the holder's income."""
    if not records:
        return
    limit, available = int_column(records, "credit_limit"), int_column(records, "available_limit")
    broken = (limit <= 0) | (limit > 2 * available) | (available > limit)
    keys = column(records, "card_id")
    holders = column(records, "customer_id") if lookup.has_entity("customer") else None
    for i in range(len(keys)):
        if broken[i]:
            yield Violation(spec.name, keys[i], "available_limit", "card-limits",
                            f"available {int(available[i])} must be 50-100% of a positive credit_limit "
                            f"{int(limit[i])}")
            continue
        holder = lookup.get("customer", holders[i]) if holders is not None else None
        if holder is not None and not 2 * holder["monthly_income"] <= limit[i] <= 5 * holder["monthly_income"]:
            yield Violation(spec.name, keys[i], "credit_limit", "card-limits",
                            f"{int(limit[i])} is not 2-5x the holder's monthly income {holder['monthly_income']}")


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
    amounts = int_column(records, "amount")
    keys = _Keys(records)
    if amounts.min() <= 0:
        for i in np.flatnonzero(amounts <= 0).tolist():
            yield Violation(spec.name, keys[i], "amount", "amount-positive", f"{int(amounts[i])} is not > 0")
    if not lookup.has_entity("credit_card"):
        return
    ids = column(records, "card_id")
    runs = _Runs(ids)
    cards = {cid: lookup.get("credit_card", cid) for cid in dict.fromkeys(runs.values)}
    yield from _owners(spec, records, keys, ids, runs, cards)
    yield from _limits(spec, records, keys, ids, runs, amounts, cards)


def _positions(values: list[Any], target: Any) -> list[int]:
    """Indexes of the values equal to ``target``: C-level scans between hits (few are expected)."""
    found: list[int] = []
    i = -1
    try:
        while True:
            i = values.index(target, i + 1)
            found.append(i)
    except ValueError:
        return found


class _Runs:
    """Runs of consecutive identical values (a card's purchases usually come together), so
    per-card work is done once per run, not once per record."""

    def __init__(self, values: list[Any]) -> None:
        n = len(values)
        starts = [0, *compress(range(1, n), map(operator.is_not, islice(values, 1, None), values))]
        self.values = list(map(values.__getitem__, starts))
        self.lengths = np.diff(np.append(np.array(starts, dtype=np.int64), n))

    def spread(self, per_run: list[Any]) -> list[Any]:
        """One value per run, repeated over the run's records."""
        return list(chain.from_iterable(map(repeat, per_run, self.lengths.tolist())))


class _Keys:
    """Primary keys of the records, read (as Python strings) only if a violation needs one."""

    def __init__(self, records: Sequence[Record]) -> None:
        self._records = records
        self._keys: list[Any] | None = None

    def __getitem__(self, i: int) -> Any:
        if self._keys is None:
            self._keys = column(self._records, "transaction_id")
        return self._keys[i]


def _owners(spec: EntitySpec, records: Sequence[Record], keys: _Keys, ids: list[str], runs: _Runs,
            cards: dict[str, Record | None]) -> Iterator[Violation]:
    holder = {cid: (card["customer_id"] if card is not None else None) for cid, card in cards.items()}
    owners = column(records, "customer_id")
    if runs.spread(list(map(holder.__getitem__, runs.values))) == owners:
        return
    for i, (cid, owner) in enumerate(zip(ids, owners, strict=True)):
        if holder[cid] is not None and holder[cid] != owner:
            yield Violation(spec.name, keys[i], "customer_id", "card-owner",
                            f"{owner} is not the holder of card {cid} ({holder[cid]})")


def _limits(spec: EntitySpec, records: Sequence[Record], keys: _Keys, ids: list[str], runs: _Runs,
            amounts: np.ndarray, cards: dict[str, Record | None]) -> Iterator[Violation]:
    code = {cid: i for i, cid in enumerate(cards)}
    known = np.array([card is not None for card in cards.values()])
    due = np.array([card["due_day"] if card is not None else 1 for card in cards.values()], dtype=np.int64)
    cap = np.array([card["available_limit"] if card is not None else 0 for card in cards.values()], dtype=np.int64)
    card = np.repeat(np.array(list(map(code.__getitem__, runs.values)), dtype=np.int64), runs.lengths)
    declined = _positions(column(records, "status"), "DECLINED")
    held = known[card]
    held[declined] = False
    amount = np.where(held, amounts, 0)
    cycle = billing_cycles(int_column(records, "timestamp"), due[card])
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
        i = int(order[pos])
        c: Any = cards[ids[i]]
        yield Violation(spec.name, keys[i], "status", "card-limit",
                        f"approved purchases of card {ids[i]} reach {int(running[pos])} in one billing "
                        f"cycle, above its available_limit {c['available_limit']}")


RULES = (
    Rule("card-limits", "credit_card", check_card_limits, check_card_limits.__doc__ or ""),
    Rule("card-purchases", "card_transaction", check_purchases,
         "Positive amounts; customer_id is the card's holder; approved and pending purchases of a card "
         "total at most its available_limit per billing cycle."),
)
