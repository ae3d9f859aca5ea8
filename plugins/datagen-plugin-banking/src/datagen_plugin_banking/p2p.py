"""P2P Pix payments between the bank's own customers, across blocks (docs/packs/banking.md,
"P2P between customers").

Blocks pair up: block ``b`` and block ``b ^ 1`` form a *group* of ``2 x BLOCK_SIZE`` customers
(blocks 0 and 1, 2 and 3, ...). Every customer draws ``SLOTS`` candidate payments from its own
block's streams; the payee is any other customer of the group, so about half the pairs cross
from one block to the other. The plan of a group's payments depends only on the two blocks'
customers and accounts, which are a function of the seed and the block index (never of the
run's size, the worker or the batch size), so each block computes the whole plan, regenerating
its partner block's customers and accounts from their seeded streams, and keeps the rows of its
own accounts: the debit of each payment it pays and the credit of each payment it receives. No
block reads another block's output; the same seed gives the same pairs with any ``--workers``.

Whether a payment completes must also be known by both blocks, without the payer's whole
transaction history: a payment is *reserved* from its main account's opening balance (the
account's ``balance``). Walking the payer's payments in time order, one completes while their
running total stays within that balance; the others are FAILED (insufficient funds) and credit
nobody. The payer's block then runs its balance with the opening balance minus what it reserved,
so the account's real balance (the reserved amounts leave only when paid) is never below the
simulated one and no completed debit drives it negative.

A process keeps the last few blocks' parties and groups' plans, so with one worker the second
block of a group reuses what the first computed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from datagen_kernel import BlockContext, Records, column
from datagen_kernel.api.seeding import BLOCK_SIZE, uuid4_strings
from datagen_plugin_banking.common import ALPHANUMERIC, DAY_MS, HOUR_MS, MINUTE_MS, cdf, int_column, object_column, pick
from datagen_plugin_banking.entities import ACCOUNT, ACCOUNT_TYPES, CUSTOMER
from datagen_plugin_banking.lifecycle import NEVER, Lifecycle, lifecycle
from datagen_plugin_banking.transferseason import sample_transfer_instants

GROUP_BLOCKS = 2
"""Blocks per group: block ``b`` pays and is paid by customers of blocks ``b`` and ``b ^ 1``."""
GROUP_SIZE = GROUP_BLOCKS * BLOCK_SIZE
SLOTS = 3
"""Candidate payments per customer."""
MEDIAN, SIGMA = 12_000, 1.0  # R$ 120, log-normal
MIN_AMOUNT, MAX_AMOUNT = 500, 500_000  # R$ 5 .. R$ 5,000
KEY_CDF = cdf([0.40, 0.0, 0.20, 0.30, 0.10])  # CPF, (CNPJ), EMAIL, PHONE, EVP


# --- the accounts' active windows ------------------------------------------------------------


@dataclass(frozen=True)
class AccountFrame:
    """The block's accounts as the transaction generator reads them (arrays in account order)."""

    account_ids: np.ndarray  # object: str
    owner_ids: np.ndarray  # object: str
    owner: np.ndarray  # the owner's row in the block's customers
    account_type: np.ndarray
    bank: np.ndarray  # index in masters.BANK_CODES
    opening: np.ndarray  # balance when created, cents
    created: np.ndarray
    life: Lifecycle
    live: np.ndarray  # ever activated before the as-of
    window_start: np.ndarray  # transactions in [window_start, window_end)
    window_end: np.ndarray


def account_frame(customers: Records, accounts: Records, as_of: int, history_days: int) -> AccountFrame:
    """Each account's owner, opening balance and active window inside the history."""
    from datagen_plugin_banking.masters import BANK_CODES

    na = len(accounts)
    cust_index = {cid: k for k, cid in enumerate(column(customers, "customer_id"))}
    type_index = {t: i for i, t in enumerate(ACCOUNT_TYPES)}
    bank_index = {b: i for i, b in enumerate(BANK_CODES)}
    account_ids = object_column(accounts, "account_id")
    owner_ids = object_column(accounts, "customer_id")
    owner = np.fromiter(map(cust_index.__getitem__, owner_ids.tolist()), dtype=np.int64, count=na)
    acc_type = np.fromiter(map(type_index.__getitem__, column(accounts, "account_type")), dtype=np.int64, count=na)
    bank = np.fromiter(map(bank_index.__getitem__, column(accounts, "bank_code")), dtype=np.int64, count=na)
    opening = int_column(accounts, "balance")
    created = int_column(accounts, "created_at")
    life = lifecycle(account_ids.tolist(), created, as_of)
    live = life.activated < NEVER
    start = np.maximum(created + MINUTE_MS, as_of - history_days * DAY_MS)
    start = np.where(live, np.maximum(start, life.activated), start)
    end = np.where(live, np.minimum(life.active_end, as_of), as_of)
    start = np.minimum(start, end - 1)
    return AccountFrame(account_ids, owner_ids, owner, acc_type, bank, opening, created, life, live, start, end)


# --- one block's customers as parties ----------------------------------------------------------


@dataclass(frozen=True)
class Parties:
    """One block's customers as P2P parties (arrays in customer order) and their draws."""

    main: np.ndarray  # their main account (first account that ever moved), row in the block; -1: none
    start: np.ndarray  # the main account's window
    end: np.ndarray
    bank: np.ndarray
    opening: np.ndarray
    names: np.ndarray  # object
    keys: np.ndarray  # (5, n) object, PIX_KEY_TYPES order (CNPJ: None)
    draws: np.ndarray  # (n * SLOTS, 6) uniforms: existence, payee, amount (2), key type, spare
    times: np.ndarray  # (n * SLOTS, 3) uniforms of the instant
    e2e: np.ndarray  # (n * SLOTS, 11) end-to-end id characters


def parties(ctx: BlockContext, customers: Records, frame: AccountFrame) -> Parties:
    """The block's customers as parties, from its records (``ctx``: the block's transaction context)."""
    nc = len(customers)
    movers = np.flatnonzero(frame.live)
    owners, first = np.unique(frame.owner[movers], return_index=True)
    main = np.full(nc, -1, dtype=np.int64)
    main[owners] = movers[first]
    at = np.maximum(main, 0)
    none = np.full(nc, None, dtype=object)
    evp = np.array(uuid4_strings(ctx.rng("p2p-evp"), nc), dtype=object)
    keys = np.stack([object_column(customers, "cpf"), none, object_column(customers, "email"),
                     object_column(customers, "phone"), evp])
    return Parties(
        main=main, start=frame.window_start[at], end=frame.window_end[at], bank=frame.bank[at],
        opening=frame.opening[at], names=object_column(customers, "name"), keys=keys,
        draws=ctx.rng("p2p").random((nc, SLOTS, 6)).reshape(nc * SLOTS, 6),
        times=ctx.rng("p2p-time").random((nc * SLOTS, 3)),
        e2e=ctx.rng("p2p-e2e").integers(0, len(ALPHANUMERIC), size=(nc * SLOTS, 11), dtype=np.uint8),
    )


def regenerate_masters(ctx: BlockContext, block: int) -> dict[str, Records]:
    """Customers and accounts of a whole ``block``, regenerated from their seeded streams (what
    they depend on: the seed, the block index, the as-of and the scenario)."""
    from datagen_plugin_banking.masters import generate_accounts, generate_customers

    start = block * BLOCK_SIZE
    recs: dict[str, Records] = {}
    recs["customer"] = generate_customers(BlockContext(ctx.run, CUSTOMER, block, start, start + BLOCK_SIZE, recs))
    recs["account"] = generate_accounts(BlockContext(ctx.run, ACCOUNT, block, start, start + BLOCK_SIZE, recs))
    return recs


# --- per-process caches --------------------------------------------------------------------------

T = TypeVar("T")
_CACHE: OrderedDict[Hashable, Any] = OrderedDict()
_CACHE_SIZE = 6
_LOCK = threading.Lock()


def _cached(key: Hashable, make: Callable[[], T]) -> T:
    """``make()``, kept for the next call with the same key (the last few keys only)."""
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]  # type: ignore[no-any-return]
    value = make()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def run_key(ctx: BlockContext, history_days: int, per_year: float) -> tuple[Any, ...]:
    """What a block's parties and a group's plan depend on, besides the block."""
    return (ctx.run.seed, ctx.run.as_of_ms, ctx.run.scenario, ctx.entity.name, history_days, per_year)


def block_parties(ctx: BlockContext, block: int, key: tuple[Any, ...], history_days: int,
                  own: Callable[[], Parties] | None = None) -> Parties:
    """Block ``block``'s parties: from ``own()`` (the current block's records) or regenerated."""

    def make() -> Parties:
        if own is not None:
            return own()
        recs = regenerate_masters(ctx, block)
        frame = account_frame(recs["customer"], recs["account"], ctx.run.as_of_ms, history_days)
        start = block * BLOCK_SIZE
        other = BlockContext(ctx.run, ctx.entity, block, start, start + BLOCK_SIZE, recs)
        return parties(other, recs["customer"], frame)

    return _cached(("parties", *key, block), make)


# --- a group's payments -------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The payments of a group (customers indexed ``0 .. GROUP_SIZE - 1`` in the group)."""

    payer: np.ndarray
    payee: np.ndarray
    amount: np.ndarray
    key_type: np.ndarray
    ts: np.ndarray
    e2e: np.ndarray  # (m, 11)
    completed: np.ndarray  # False: FAILED, insufficient funds (no credit)
    names: np.ndarray  # (GROUP_SIZE,) the group's customers' names
    keys: np.ndarray  # (5, GROUP_SIZE)
    bank: np.ndarray  # (GROUP_SIZE,) bank index of each customer's main account
    main: np.ndarray  # (GROUP_SIZE,) main account row in its own block (-1: none)


def plan(sides: tuple[Parties, Parties], per_year: float) -> Plan:
    """The group's payments: customer ``c`` pays ``(c + d) mod GROUP_SIZE`` (``d`` in
    ``1 .. GROUP_SIZE - 1``) in each slot where the payment exists: probability ``per_year /
    SLOTS`` x the years both main accounts are active (the instant falls in both windows)."""
    cat = np.concatenate
    main = cat([s.main for s in sides])
    start, end = cat([s.start for s in sides]), cat([s.end for s in sides])
    r = cat([s.draws for s in sides])
    n = main.size
    payer = np.repeat(np.arange(n), SLOTS)
    payee = (payer + 1 + (r[:, 1] * (n - 1)).astype(np.int64)) % n
    ok = (main[payer] >= 0) & (main[payee] >= 0)
    lo = np.maximum(start[payer], start[payee])
    hi = np.minimum(end[payer], end[payee])
    years = np.maximum(hi - lo, 0) / (365.0 * DAY_MS)
    ok &= (hi - lo > HOUR_MS) & (r[:, 0] < per_year / SLOTS * years)
    sel = np.flatnonzero(ok)
    payer, payee, r = payer[sel], payee[sel], r[sel]
    m = sel.size
    z = np.sqrt(-2.0 * np.log(1.0 - r[:, 2])) * np.cos(2.0 * np.pi * r[:, 3])
    amount = np.clip(np.rint(MEDIAN * np.exp(SIGMA * z)), MIN_AMOUNT, MAX_AMOUNT).astype(np.int64)
    key_type = pick(KEY_CDF, r[:, 4])
    ts = sample_transfer_instants(cat([s.times for s in sides])[sel], lo[sel], hi[sel], np.zeros(m, dtype=bool))
    # reserve each payer's payments from its main account's opening balance, in time order
    opening = cat([s.opening for s in sides])
    order = np.lexsort((ts, payer))
    paid = amount[order]
    cum = np.cumsum(paid)
    first = np.ones(m, dtype=bool)
    first[1:] = payer[order][1:] != payer[order][:-1]
    start_at = np.maximum.accumulate(np.where(first, np.arange(m), 0))
    running = cum - (cum[start_at] - paid[start_at])
    completed = np.empty(m, dtype=bool)
    completed[order] = running <= opening[payer[order]]
    return Plan(payer, payee, amount, key_type, ts, cat([s.e2e for s in sides])[sel], completed,
                cat([s.names for s in sides]), np.concatenate([s.keys for s in sides], axis=1),
                cat([s.bank for s in sides]), main)


def group_plan(ctx: BlockContext, block: int, own: Callable[[], Parties], history_days: int,
               per_year: float) -> Plan:
    """The plan of ``block``'s group (``own()``: ``block``'s parties from its records)."""
    key = run_key(ctx, history_days, per_year)
    group = block // GROUP_BLOCKS

    def make() -> Plan:
        sides = tuple(
            block_parties(ctx, b, key, history_days, own if b == block else None)
            for b in range(group * GROUP_BLOCKS, (group + 1) * GROUP_BLOCKS)
        )
        return plan((sides[0], sides[1]), per_year)

    return _cached(("plan", *key, group), make)


__all__ = ["GROUP_BLOCKS", "AccountFrame", "Parties", "Plan", "account_frame", "group_plan", "parties"]
