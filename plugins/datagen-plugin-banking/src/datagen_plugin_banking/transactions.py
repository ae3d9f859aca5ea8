"""Generator of the ``transaction`` event stream (and the fraud-detection scenario's patterns).

Each account gets Poisson(rate x its share of the customer's activity x its years of history)
events, returned as a columnar ``Batch`` (no dict per event). Per block, every array is
drawn once, flat over all events of the block in account order (accounts are in customer
order), so the first customers' events do not depend on how many customers follow. Events
are then ordered by account and time, and a running balance per
account is kept from the account's ``balance`` (its balance when it was created):

* a COMPLETED debit larger than the running balance is **capped**: the customer spends a
  share (50..100%) of what the account holds instead (cash withdrawals in whole R$ 10); if
  that is under R$ 1.00 (R$ 20 for withdrawals) the debit is **FAILED** (insufficient funds)
  and leaves the balance alone;
* PENDING and FAILED events do not move the balance.

So a completed debit never drives a balance negative.
"""

from __future__ import annotations

import bisect
import functools
import math
import operator
from itertools import compress, repeat
from typing import Any

import numpy as np

from datagen_kernel import Batch, BlockContext, Records, TextColumn, column
from datagen_kernel.api.seeding import BLOCK_SIZE, stream_for, uuid4_strings
from datagen_plugin_banking import names as _names
from datagen_plugin_banking.bankcalendar import is_business_days, roll_back_days, roll_forward_days
from datagen_plugin_banking.common import (
    ALPHANUMERIC,
    BUSINESS_HOURS,
    DAY_MS,
    HOUR_MS,
    LOCAL_OFFSET_MS,
    MINUTE_MS,
    SECOND_MS,
    TimestampSampler,
    ascii_digits,
    cdf,
    emails_for,
    int_column,
    object_column,
    phones_for_ddds,
    pick,
    random_cnpjs,
    random_cpfs,
    sample_locations,
    sample_names,
    state_by_uf,
    zero_padded,
)
from datagen_plugin_banking.entities import (
    DIRECTIONS,
    FRAUD_PATTERNS,
    PIX_KEY_TYPES,
    TRANSACTION_STATUSES,
    TRANSACTION_TYPES,
)
from datagen_plugin_banking.masters import BANK_CDF, BANK_CODES, BANK_ISPB, account_numbers
from datagen_plugin_banking.p2p import GROUP_BLOCKS, AccountFrame, account_frame, group_plan, parties
from datagen_plugin_banking.payroll import Scheduled, scheduled_events
from datagen_plugin_banking.transferseason import sample_transfer_instants

DEFAULT_HISTORY_DAYS = 365
DOC_END_MS = 1_705_374_000_000
"""2024-01-16T00:00-03:00: DOC transfers were discontinued (the last could be scheduled on
2024-01-15); a DOC drawn at or after this instant is made a TED, its successor."""
DEFAULT_PER_YEAR = 20.0

# catalog weights, in TRANSACTION_TYPES order: PIX, TED, DEPOSIT, WITHDRAW, BOLETO, DOC
TYPE_CDF = cdf([0.45, 0.15, 0.15, 0.10, 0.10, 0.05])
PIX, TED, DEPOSIT, WITHDRAW, BOLETO, DOC, SALARY, AUTO_DEBIT = range(8)
CREDIT, DEBIT = 0, 1
CREDIT_SHARE = np.array([0.5, 0.5, 1.0, 0.0, 0.0, 0.5, 1.0, 0.0])
"""Probability that an event of each type is a CREDIT (PIX, TED and DOC go both ways)."""
STATUS_CDF = cdf([0.01, 0.98, 0.01])  # PENDING, COMPLETED, FAILED
PENDING, COMPLETED, FAILED = range(3)
# pix key types in PIX_KEY_TYPES order: CPF, CNPJ, EMAIL, PHONE, EVP
PIX_KEY_CDF = cdf([0.40, 0.0, 0.20, 0.30, 0.10])
ACCOUNT_ACTIVITY = np.array([1.0, 0.2, 0.15])
"""Relative share of a customer's events per account type (corrente, poupança, investimentos)."""
AMOUNT_SHARE = 0.05
AMOUNT_SIGMA = 1.5
MIN_AMOUNT = 100  # R$ 1.00

PERSONS = 4096
MULES = 1024
REGULAR_PAYEES = 8
"""An account's events mostly go to a handful of recurring counterparties."""

CAP_SHARE, CAP_DRAIN, CAP_FAIL, CAP_NOTES, CAP_FLOOR = range(5)
"""What an uncovered completed debit becomes: capped to a share of the balance, capped to the
whole balance (fraud draining an account), FAILED (round amounts must stay round), capped
to a share of the balance in R$ 10 notes (cash withdrawals; FAILED below R$ 20), or capped to
the whole balance if that is at least the event's floor (its ``cap`` value, in cents), FAILED
otherwise (a large payment stays large)."""

# --- counterparties ---------------------------------------------------------------------------


class Counterparties:
    """Third parties of a seed: people (recurring payees), mules (fraud) and billers.

    Tables are indexed ``[row, payee]`` (payee ``0..PERSONS+MULES-1``, mules last) so a block
    picks every event's key, name and description with one fancy-indexing call each.
    """

    def __init__(self, seed: int) -> None:
        n = PERSONS + MULES
        rng = functools.partial(stream_for, seed, "banking-counterparties")
        people = sample_names(rng("names"), n)
        locations = sample_locations(rng("locations"), n)
        cpfs = random_cpfs(rng("cpf"), n)
        phones = phones_for_ddds(rng("phone"), locations.ddd)
        emails = emails_for(rng("email"), people)
        evps = uuid4_strings(rng("evp"), n)
        u = rng("bank").random((n, 3))
        banks = [BANK_CODES[b] for b in pick(BANK_CDF, u[:, 0]).tolist()]
        branches = zero_padded((u[:, 1] * 4999).astype(np.int64) + 1, 4)
        numbers = account_numbers((u[:, 2] * 999_999).astype(np.int64) + 1)
        bank_accounts = [f"{b}/{br}/{nu}" for b, br, nu in zip(banks, branches, numbers, strict=True)]
        nb = len(_names.BILLERS)
        biller_cnpj = random_cnpjs(rng("biller-cnpj"), nb)
        billers = [_names.BILLERS[i % nb] for i in range(n)]
        billers_key = [biller_cnpj[i % nb] for i in range(n)]
        none = [None] * n
        # key rows: 0..4 pix key types (CNPJ unused: people have none), 5 bank account, 6 biller, 7 none
        self.keys = np.array([cpfs, none, emails, phones, evps, bank_accounts, billers_key, none], dtype=object)
        # name rows: 0 person, 1 biller, 2 none
        self.names = np.array([people.full, billers, none], dtype=object)
        # description rows: type * 2 + direction
        person = np.array(people.full, dtype=object)
        biller = np.array(billers, dtype=object)
        rows = []
        for ty in range(8):
            for d in (CREDIT, DEBIT):
                rows.append(_descriptions(ty, d, person, biller))
        self.descriptions = np.stack(rows)
        # PIX row comes from the key type; SALARY and AUTO_DEBIT get theirs from their master
        self.key_row_by_type = np.array([-1, 5, 7, 7, 6, 5, 7, 7])
        self.name_row_by_type = np.array([0, 0, 2, 2, 1, 0, 2, 2])
        # the same tables as UTF-8 bytes: a block's columns are gathered without a Python string per event
        self.key_text, self.name_text, self.description_text = (
            TextTable(t) for t in (self.keys, self.names, self.descriptions))


class TextTable:
    """An object table of strings (None: null) as UTF-8 bytes, read like the table:
    ``take(row, payee)`` gives the ``TextColumn`` of ``table[row, payee]``."""

    def __init__(self, table: np.ndarray) -> None:
        self.stride = stride = table.shape[-1]
        rows = table.reshape(-1, stride)
        parts = []
        for values in map(list, rows):
            if values.count(values[0]) == stride:  # one text (or null) throughout: encoded once
                one, null = utf8_rows(values[:1])
                parts.append((np.broadcast_to(one, (stride, one.shape[1])), np.broadcast_to(null, (stride,))))
            else:
                parts.append(utf8_rows(values))
        self.matrix = np.zeros((rows.shape[0] * stride, max(m.shape[1] for m, _ in parts)), dtype=np.uint8)
        self.nulls = np.empty(rows.shape[0] * stride, dtype=bool)
        for k, (matrix, nulls) in enumerate(parts):
            self.matrix[k * stride : (k + 1) * stride, : matrix.shape[1]] = matrix
            self.nulls[k * stride : (k + 1) * stride] = nulls

    def take(self, row: np.ndarray | int, payee: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The bytes and null flags of ``table[row, payee]`` (new arrays, to be edited)."""
        at = row * self.stride + payee
        return np.take(self.matrix, at, axis=0), self.nulls[at]


def _set_text(text: tuple[np.ndarray, np.ndarray], rows: np.ndarray, values: tuple[np.ndarray, np.ndarray]
              ) -> tuple[np.ndarray, np.ndarray]:
    """``text`` (bytes and null flags, as ``TextTable.take`` and ``utf8_rows`` give them) with
    ``values`` (the same, one per row) at ``rows``, widened if they need it."""
    matrix, nulls = text
    if rows.size == 0:
        return matrix, nulls
    given, given_nulls = values
    width = max(matrix.shape[1], given.shape[1])
    if width > matrix.shape[1]:
        matrix = np.pad(matrix, ((0, 0), (0, width - matrix.shape[1])))
    matrix[rows] = 0
    matrix[rows, : given.shape[1]] = given
    nulls[rows] = given_nulls
    return matrix, nulls


def utf8_rows(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Strings (None: null) as a ``TextColumn``'s matrix and null flags, as ``from_strings``
    makes them (the null test and the byte matrix in C-level loops)."""
    n = len(values)
    nulls = np.fromiter(map(operator.is_, values, repeat(None)), dtype=bool, count=n)
    present = list(compress(values, ~nulls)) if nulls.any() else values
    if not present:
        return np.zeros((n, 1), dtype=np.uint8), nulls
    encoded = np.array([v.encode("utf-8") for v in present])  # NUL-padded to the longest
    width = encoded.dtype.itemsize
    if nulls.any():
        matrix = np.zeros((n, width), dtype=np.uint8)
        matrix[~nulls] = encoded.view(np.uint8).reshape(-1, width)
        return matrix, nulls
    return encoded.view(np.uint8).reshape(n, width), nulls


def _descriptions(t: int, d: int, people: np.ndarray, billers: np.ndarray) -> np.ndarray:
    credit = d == CREDIT
    if t == PIX:
        return ("Pix recebido de " if credit else "Pix enviado para ") + people
    if t == TED:
        return ("TED recebida de " if credit else "TED enviada para ") + people
    if t == DOC:
        return ("DOC recebido de " if credit else "DOC enviado para ") + people
    if t == BOLETO:
        return "Pagamento de boleto - " + billers
    if t in (SALARY, AUTO_DEBIT):  # described from their payroll / recurring payment
        return np.full(len(people), None, dtype=object)
    text = "Depósito em dinheiro" if t == DEPOSIT else "Saque em caixa eletrônico"
    return np.full(len(people), text, dtype=object)


@functools.lru_cache(maxsize=8)
def counterparties(seed: int) -> Counterparties:
    """The seed's counterparties, built once per process."""
    return Counterparties(seed)


# --- geography (fraud-detection) ---------------------------------------------------------------

CAPITAL_COORDINATES: dict[str, tuple[float, float]] = {
    "SP": (-23.55, -46.63), "MG": (-19.92, -43.94), "RJ": (-22.91, -43.17), "BA": (-12.97, -38.50),
    "PR": (-25.43, -49.27), "RS": (-30.03, -51.23), "PE": (-8.05, -34.88), "CE": (-3.73, -38.52),
    "PA": (-1.46, -48.50), "SC": (-27.60, -48.55), "GO": (-16.68, -49.25), "MA": (-2.53, -44.30),
    "PB": (-7.12, -34.86), "AM": (-3.12, -60.02), "ES": (-20.32, -40.34), "MT": (-15.60, -56.10),
    "RN": (-5.79, -35.21), "PI": (-5.09, -42.80), "AL": (-9.67, -35.74), "DF": (-15.79, -47.88),
    "MS": (-20.44, -54.65), "SE": (-10.91, -37.07), "RO": (-8.76, -63.90), "TO": (-10.18, -48.33),
    "AC": (-9.97, -67.81), "AP": (0.03, -51.07), "RR": (2.82, -60.67),
}
"""Approximate coordinates of each UF's capital, to tell far-apart states."""
FAR_KM = 1500.0


def distance_km(uf_a: str, uf_b: str) -> float:
    """Great-circle distance between the capitals of two UFs."""
    (la1, lo1), (la2, lo2) = CAPITAL_COORDINATES[uf_a], CAPITAL_COORDINATES[uf_b]
    p1, p2, dl = math.radians(la1), math.radians(la2), math.radians(lo2 - lo1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0 * math.acos(max(-1.0, min(1.0, c)))


@functools.lru_cache(maxsize=1)
def _far_cities() -> dict[str, list[tuple[str, str]]]:
    """For each UF, the (city, UF) pairs at least FAR_KM away."""
    all_states = state_by_uf()
    return {
        uf: [(c.name, other) for other, s in all_states.items() if distance_km(uf, other) >= FAR_KM for c in s.cities]
        for uf in all_states
    }


NIGHT = TimestampSampler(
    hour_weights=[0.0] + [1.0] * 4 + [0.0] * 19,  # 01:00-04:59
    weekday_weights=[1.0] * 7,
)

def on_business_days(ts: np.ndarray, lo: np.ndarray | int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Instants moved to the next business day at the same local time (or the previous one if
    the next is not before ``hi``); ``ok`` is false where neither falls in ``[lo, hi)``."""
    local = ts + LOCAL_OFFSET_MS
    day = local // DAY_MS
    time_of_day = local - day * DAY_MS
    forward = roll_forward_days(day) * DAY_MS + time_of_day - LOCAL_OFFSET_MS
    back = roll_back_days(day) * DAY_MS + time_of_day - LOCAL_OFFSET_MS
    moved = np.where(forward < hi, forward, back)
    return moved, (moved >= lo) & (moved < hi)


# --- generator --------------------------------------------------------------------------------

# enum symbols by code (an extra None at -1 for nullable fields)
_TYPE_NAMES = np.array(TRANSACTION_TYPES, dtype=object)
_DIRECTION_NAMES = np.array(DIRECTIONS, dtype=object)
_STATUS_NAMES = np.array(TRANSACTION_STATUSES, dtype=object)
_PATTERN_NAMES = np.array([*FRAUD_PATTERNS, None], dtype=object)


def generate_transactions(ctx: BlockContext) -> Records:
    """All transactions of the block's accounts, as a ``Batch`` (see the module docstring)."""
    customers = ctx.records("customer")
    accounts = ctx.records("account")
    nc, na = len(customers), len(accounts)
    if nc == 0 or na == 0:
        return []
    opts = ctx.options("banking")
    p2p_share = float(opts.get("p2p_per_year", DEFAULT_P2P_PER_YEAR))
    if p2p_share > 0 and ctx.block is not None and ctx.size < BLOCK_SIZE:
        return _prefix_of_full_block(ctx)
    history_days = int(opts.get("history_days", DEFAULT_HISTORY_DAYS))
    per_year = float(opts.get("transactions_per_year", DEFAULT_PER_YEAR))
    fraud = ctx.run.scenario == "fraud-detection"
    share = float(ctx.options("scenario").get("share", 0.05)) if fraud else 0.0
    as_of = ctx.run.as_of_ms
    pool = counterparties(ctx.run.seed)

    # accounts are grouped by owner, in customer order; parents are read column by column
    frame = account_frame(customers, accounts, as_of, history_days)
    account_ids, owner_ids, acc_owner = frame.account_ids, frame.owner_ids, frame.owner
    acc_type, acc_bank, acc_opening, life, live = frame.account_type, frame.bank, frame.opening, frame.life, frame.live
    acc_id_prefix = np.fromiter((int(a[:8], 16) for a in account_ids.tolist()), dtype=np.int64, count=na)
    acc_balance = acc_opening.astype(np.float64)
    # a customer's activity is shared by their accounts that ever moved (sums to 1 per customer)
    weight = ACCOUNT_ACTIVITY[acc_type] * live
    total = np.bincount(acc_owner, weights=weight, minlength=nc)[acc_owner]
    weight = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)
    window_start, window_end = frame.window_start, frame.window_end
    sched_end = np.where(live, window_end, window_start)  # a dormant account has nothing scheduled
    # expected events per account: the customer's yearly rate x the account's share x its years of history
    expected = np.where(live, per_year * weight * (window_end - window_start) / (365.0 * DAY_MS), 0.0)
    # payee base per account: its recurring counterparties
    payee_base = acc_id_prefix % PERSONS

    counts = ctx.rng("count").poisson(expected)
    # an account activated inside the history has its first deposit then (the ACTIVATED event)
    activation = live & (life.activated >= as_of - history_days * DAY_MS) & (life.activated < window_end)
    counts = counts + activation  # one more event: the first deposit
    n = int(counts.sum())
    acc = np.repeat(np.arange(na), counts)
    u = ctx.rng("attrs").random((n, 6))
    ttype = pick(TYPE_CDF, u[:, 0])
    direction = np.where(u[:, 1] < CREDIT_SHARE[ttype], CREDIT, DEBIT)
    status = pick(STATUS_CDF, u[:, 2])
    regular = u[:, 4] < 0.7
    payee = np.where(
        regular,
        (payee_base[acc] + (u[:, 4] / 0.7 * REGULAR_PAYEES).astype(np.int64) * 37) % PERSONS,
        ((u[:, 4] - 0.7) / 0.3 * PERSONS).astype(np.int64) % PERSONS,
    )
    cap_share = 0.5 + 0.5 * u[:, 5]
    z = ctx.rng("amount").standard_normal(n)
    amount = np.maximum(np.rint(acc_balance[acc] * AMOUNT_SHARE * np.exp(AMOUNT_SIGMA * z)), MIN_AMOUNT)
    amount = np.where(ttype == WITHDRAW, np.maximum(np.rint(amount / 1000) * 1000, 2000), amount)  # R$ 10 notes
    amount = np.minimum(amount, 10**13 - 1).astype(np.int64)
    ts = BUSINESS_HOURS.sample(ctx.rng("time"), window_start, window_end, n, group=acc)
    was_doc = (ttype == DOC) & (ts >= DOC_END_MS)
    ttype = np.where(was_doc, TED, ttype)  # DOC was discontinued: TED took over
    transfer = np.flatnonzero((ttype == PIX) | (ttype == TED))
    if transfer.size:  # Pix and TED follow the transfer season (transferseason.py)
        ta = acc[transfer]
        # a TED that replaced a DOC stays after the discontinuation
        start = np.where(was_doc[transfer], np.maximum(window_start[ta], DOC_END_MS), window_start[ta])
        ts[transfer] = sample_transfer_instants(ctx.rng("transfer-time").random((transfer.size, 3)),
                                                start, window_end[ta], ttype[transfer] == TED)
    ted = np.flatnonzero(ttype == TED)
    if ted.size:  # TEDs settle on business days only
        moved, ok = on_business_days(ts[ted], window_start[acc[ted]], window_end[acc[ted]])
        ts[ted] = np.where(ok, moved, ts[ted])
        ttype[ted[~ok]] = PIX  # no business day in the account's window: an instant transfer instead
    first = np.cumsum(counts) - counts  # each account's first event
    opened = first[activation]
    ts[opened] = life.activated[activation]
    ttype[opened] = DEPOSIT
    direction[opened] = CREDIT
    status[opened] = COMPLETED
    key_type = np.where(ttype == PIX, pick(PIX_KEY_CDF, u[:, 3]), -1)
    e2e_random = ctx.rng("e2e").integers(0, len(ALPHANUMERIC), size=(n, 11), dtype=np.uint8)
    cap_mode = np.where(ttype == WITHDRAW, CAP_NOTES, CAP_SHARE)

    cols: dict[str, Any] = {
        "acc": acc, "ts": ts, "type": ttype, "dir": direction, "amount": amount, "status": status,
        "key": key_type, "payee": payee, "cap": cap_share, "mode": cap_mode, "e2e": e2e_random,
        "link": np.full(n, -1, dtype=np.int64), "part": np.zeros(n, dtype=np.int64),
    }
    planned = scheduled_events(ctx, account_ids.tolist(), window_start, sched_end)
    links: dict[str, Any] = {}
    per_account = counts
    if planned is not None:
        sched, links = planned
        per_account = counts + np.bincount(sched.acc, minlength=na)
        cols = {k: np.concatenate([v, _scheduled_columns(k, sched)]) for k, v in cols.items()}
    cols["pair"] = np.full(cols["acc"].size, -1, dtype=np.int64)
    pairs = None
    if p2p_share > 0 and ctx.block is not None:
        pairs = _p2p_rows(ctx, customers, frame, history_days, p2p_share)
        if pairs is not None:
            cols = {k: np.concatenate([v, pairs.columns[k]]) for k, v in cols.items()}
            per_account = per_account + np.bincount(pairs.columns["acc"], minlength=na)
    if fraud:
        cols["pattern"] = np.full(cols["acc"].size, -1, dtype=np.int64)
        # where it happened: the customer's city, or (3%, people travel) anywhere; salaries and
        # automatic debits are at home
        addresses = column(customers, "address")
        home_city = [a["city"] for a in addresses]
        home_uf = [a["state"] for a in addresses]
        owner = acc_owner[cols["acc"]]
        city = np.array(home_city, dtype=object)[owner]
        uf = np.array(home_uf, dtype=object)[owner]
        away = np.flatnonzero(ctx.rng("location").random(n) < 0.03)
        trip = sample_locations(ctx.rng("travel"), away.size)
        city[away] = trip.city
        uf[away] = trip.uf
        cols["city"], cols["uf"] = city, uf
        income = int_column(customers, "monthly_income").astype(np.float64)[acc_owner]
        extra = _fraud_events(ctx, share, per_account, acc_owner, acc_balance, income,
                              window_start, window_end, home_city, home_uf)
        if extra is not None:
            extra["pair"] = np.full(extra["acc"].size, -1, dtype=np.int64)
            cols = {k: np.concatenate([v, extra[k]]) for k, v in cols.items()}
    return _batch(ctx, cols, (account_ids, owner_ids, acc_opening, acc_bank), pool, fraud, links, pairs)


# --- P2P between the bank's own customers ------------------------------------------------------

DEFAULT_P2P_PER_YEAR = 1.5
"""Expected Pix payments a customer makes per year to other customers of the dataset."""

_P2P_PREFIX = np.array(["Pix recebido de ", "Pix enviado para "], dtype=object)  # by direction


class P2P:
    """The block's sides of P2P payments (p2p.py): their rows (in the generator's column layout)
    and the tables the batch reads: ``party[side, pair]`` is the customer named on that side's
    row (side CREDIT: the payer, DEBIT: the payee; an index in the group), ``names[customer]``,
    ``keys[key_type, customer]``, ``payer_bank[pair]``; ``reserved[account]`` is what the
    block's completed payments took from each account's opening balance."""

    def __init__(self, count: int, columns: dict[str, np.ndarray], party: np.ndarray, names: np.ndarray,
                 keys: np.ndarray, key_type: np.ndarray, payer_bank: np.ndarray, reserved: np.ndarray) -> None:
        self.count, self.columns, self.party, self.names = count, columns, party, names
        self.keys, self.key_type, self.payer_bank, self.reserved = keys, key_type, payer_bank, reserved


def _p2p_rows(ctx: BlockContext, customers: Records, frame: AccountFrame, history_days: int,
              per_year: float) -> P2P | None:
    """The block's side of its group's P2P payments (p2p.py): the debit of each payment a
    customer of the block makes (FAILED if its opening balance could not reserve it) and the
    credit of each completed payment one receives."""
    assert ctx.block is not None
    block = ctx.block
    plan = group_plan(ctx, block, lambda: parties(ctx, customers, frame), history_days, per_year)
    offset = (block % GROUP_BLOCKS) * BLOCK_SIZE
    nc = len(customers)
    mine_payer = (plan.payer >= offset) & (plan.payer < offset + nc)
    mine_payee = (plan.payee >= offset) & (plan.payee < offset + nc) & plan.completed
    debit, credit = np.flatnonzero(mine_payer), np.flatnonzero(mine_payee)
    if debit.size == 0 and credit.size == 0:
        return None
    sel = np.union1d(debit, credit)  # the block's payments, in plan order
    m = sel.size
    d_pair, c_pair = np.searchsorted(sel, debit), np.searchsorted(sel, credit)
    payer, payee = plan.payer[sel], plan.payee[sel]
    rows = np.concatenate([d_pair, c_pair])
    acc = np.concatenate([plan.main[payer[d_pair]], plan.main[payee[c_pair]]])
    nd, nr = d_pair.size, c_pair.size
    status = np.concatenate([np.where(plan.completed[debit], COMPLETED, FAILED), np.full(nr, COMPLETED)])
    amount = plan.amount[sel][rows]
    columns: dict[str, np.ndarray] = {
        "acc": acc,
        "ts": plan.ts[sel][rows],
        "type": np.full(nd + nr, PIX, dtype=np.int64),
        "dir": np.concatenate([np.full(nd, DEBIT), np.full(nr, CREDIT)]).astype(np.int64),
        "amount": amount,
        "status": status.astype(np.int64),
        "key": plan.key_type[sel][rows],
        "payee": np.zeros(nd + nr, dtype=np.int64),
        "cap": np.ones(nd + nr),
        "mode": np.full(nd + nr, CAP_FAIL, dtype=np.int64),
        "e2e": plan.e2e[sel][rows],
        "link": np.full(nd + nr, -1, dtype=np.int64),
        "part": np.zeros(nd + nr, dtype=np.int64),
        "pair": rows,
    }
    paid = np.flatnonzero(status[:nd] == COMPLETED)
    reserved = np.bincount(acc[paid], weights=amount[paid], minlength=len(frame.account_ids)).astype(np.int64)
    party = np.stack([payer, payee])  # row CREDIT: the payer; row DEBIT: the payee
    return P2P(m, columns, party, plan.names, plan.keys, plan.key_type[sel], plan.bank[payer], reserved)


def _prefix_of_full_block(ctx: BlockContext) -> Records:
    """The transactions of a partial (last) block: those of the whole block, cut to its
    customers, so that a run with fewer customers gives a prefix of a larger run's records
    (a customer's incoming P2P payments from later customers of the block included)."""
    from datagen_plugin_banking.entities import ACCOUNT, CUSTOMER, PAYROLL, RECURRING_PAYMENT
    from datagen_plugin_banking.masters import generate_accounts, generate_customers
    from datagen_plugin_banking.payroll import generate_payroll, generate_recurring_payments

    assert ctx.block is not None
    start = ctx.block * BLOCK_SIZE
    recs: dict[str, Records] = {}
    for spec, fn in ((CUSTOMER, generate_customers), (ACCOUNT, generate_accounts), (PAYROLL, generate_payroll),
                     (RECURRING_PAYMENT, generate_recurring_payments)):
        if spec.name in ("customer", "account") or ctx.has(spec.name):
            recs[spec.name] = fn(BlockContext(ctx.run, spec, ctx.block, start, start + BLOCK_SIZE, recs))
    full = generate_transactions(BlockContext(ctx.run, ctx.entity, ctx.block, start, start + BLOCK_SIZE, recs))
    keep = len(ctx.records("account"))
    if not isinstance(full, Batch) or keep == len(recs["account"]):
        return full
    acc_ids = object_column(recs["account"], "account_id")
    mine = set(acc_ids[:keep].tolist())
    rows = np.flatnonzero(np.fromiter(map(mine.__contains__, full.column("account_id")), dtype=bool))
    return full.take(rows)


def _scheduled_columns(name: str, sched: Scheduled) -> np.ndarray:
    """Column ``name`` of the scheduled SALARY / AUTO_DEBIT events, in the generator's layout."""
    m = sched.acc.size
    salary = sched.salary
    if name == "acc":
        return sched.acc
    if name == "ts":
        return sched.ts
    if name == "type":
        return np.where(salary, SALARY, AUTO_DEBIT)
    if name == "dir":
        return np.where(salary, CREDIT, DEBIT)
    if name == "amount":
        return sched.amount
    if name == "status":
        return np.full(m, COMPLETED, dtype=np.int64)
    if name == "key":
        return np.full(m, -1, dtype=np.int64)
    if name == "payee":
        return np.zeros(m, dtype=np.int64)
    if name == "cap":
        return np.ones(m)
    if name == "mode":
        return np.full(m, CAP_FAIL, dtype=np.int64)  # a debit the balance cannot cover is refused
    if name == "e2e":
        return np.zeros((m, 11), dtype=np.uint8)
    if name == "link":
        return sched.link
    if name == "pair":
        return np.full(m, -1, dtype=np.int64)
    return sched.thirteenth  # "part"


def _batch(
    ctx: BlockContext,
    cols: dict[str, Any],
    parents: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    pool: Counterparties,
    fraud: bool,
    links: dict[str, Any],
    pairs: P2P | None = None,
) -> Batch:
    """The block's events as columns in field order, sorted by account then time, balances applied.

    ``parents``: each account's id, owner id, opening balance (cents) and bank index.
    """
    account_ids, owner_ids, opening, acc_bank = parents
    # by account, then time (stable: ties keep draw order); one int64 key sorts faster than lexsort
    ts0 = cols["ts"]
    base = int(ts0.min()) if ts0.size else 0
    span = int(ts0.max()) - base + 1 if ts0.size else 1
    order = np.argsort(cols["acc"] * span + (ts0 - base), kind="stable")
    c = {k: v[order] for k, v in cols.items() if k != "e2e"}
    n = order.size
    acc, ttype, direction = c["acc"], c["type"], c["dir"]
    pair = c["pair"]
    # a P2P debit was reserved from its account's opening balance (p2p.py): its status is
    # decided, and it does not move the balance simulated from what the reservations left
    debit_side = (pair >= 0) & (direction == DEBIT)
    drawn_status = np.where(debit_side, PENDING, c["status"])
    start = opening if pairs is None else opening - pairs.reserved
    amount, status = _running_balance(acc, direction, c["amount"], drawn_status, c["cap"], c["mode"], start)
    status = np.where(debit_side, c["status"], status)
    is_pix = ttype == PIX
    key_row = np.where(is_pix, c["key"], pool.key_row_by_type[ttype])
    payee = c["payee"]
    e2e_text = np.zeros((n, 32), dtype=np.uint8)  # the end-to-end ids (PIX only), kept as bytes
    bank = acc_bank[acc]
    p2p = np.flatnonzero(pair >= 0)
    if pairs is not None and p2p.size:  # the end-to-end id carries the payer's bank
        bank[p2p] = pairs.payer_bank[pair[p2p]]
    if is_pix.any():
        idx = np.flatnonzero(is_pix)
        e2e_text[idx] = _e2e_matrix(bank[idx], c["ts"][idx], cols["e2e"][order[idx]])
    ts = c["ts"]
    # the counterparties' keys, names and descriptions: gathered as bytes (no rule reads them
    # but for P2P pairs), then the P2P and scheduled events' own
    cp_key = pool.key_text.take(key_row, payee)
    cp_name = pool.name_text.take(pool.name_row_by_type[ttype], payee)
    description = pool.description_text.take(ttype * 2 + direction, payee)
    if pairs is not None and p2p.size:  # the other customer's name and key
        side = direction[p2p]  # CREDIT 0 (the payer is the counterparty), DEBIT 1 (the payee)
        who = pairs.party[side, pair[p2p]]
        cp_name = _set_text(cp_name, p2p, utf8_rows(pairs.names[who].tolist()))
        cp_key = _set_text(cp_key, p2p, utf8_rows(pairs.keys[pairs.key_type[pair[p2p]], who].tolist()))
        description = _set_text(description, p2p, utf8_rows((_P2P_PREFIX[side] + pairs.names[who]).tolist()))
    # the links are sparse: kept as bytes with a null mask (no Python string per row)
    sparse: dict[str, TextColumn] = {}
    for code, table, name in ((SALARY, "payroll", "payroll_id"), (AUTO_DEBIT, "recurring", "recurring_id")):
        rows = np.flatnonzero(ttype == code) if table in links else np.zeros(0, dtype=np.int64)
        width = links[table][0].width if table in links else 36
        matrix = np.zeros((n, width), dtype=np.uint8)
        nulls = np.ones(n, dtype=bool)
        sparse[name] = TextColumn(matrix, nulls)
        if rows.size == 0:
            continue
        ids = links[table][0]
        names, keys = (np.array(x, dtype=object) for x in links[table][1:])
        link = c["link"][rows]
        matrix[rows] = ids.matrix[link]
        nulls[rows] = False
        sparse[name] = TextColumn(matrix, nulls)
        # the masters' names and keys, as bytes once each, then gathered for their events
        cp_name = _set_text(cp_name, rows, TextTable(names).take(0, link))
        cp_key = _set_text(cp_key, rows, TextTable(keys).take(0, link))
        if code == SALARY:
            prefixes = np.array(["Salário - ", "13º salário (1ª parcela) - ", "13º salário (2ª parcela) - "],
                                dtype=object)
            part = c["part"][rows]
        else:
            prefixes = np.array(["Débito automático - "], dtype=object)
            part = 0
        description = _set_text(description, rows, TextTable(prefixes[:, None] + names[None, :]).take(part, link))
    columns: dict[str, Any] = {
        "transaction_id": ctx.uuid_column(n),  # the same ids as ctx.uuids(n), kept as bytes
        "account_id": account_ids[acc].tolist(),
        "customer_id": owner_ids[acc].tolist(),
        "transaction_type": _TYPE_NAMES[ttype].tolist(),
        "amount": amount,
        "direction": _DIRECTION_NAMES[direction].tolist(),
        "counterparty_key": TextColumn(*cp_key),
        "counterparty_name": TextColumn(*cp_name),
        "description": TextColumn(*description),
        "timestamp": ts,
        "status": _STATUS_NAMES[status].tolist(),
        "pix_e2e_id": TextColumn(e2e_text, ~is_pix),
        "pix_key_type": TextColumn.from_codes(np.maximum(c["key"], 0), PIX_KEY_TYPES, c["key"] < 0),  # -1: null
        "created_at": ts,
        "updated_at": [None] * n,
        "payroll_id": sparse["payroll_id"],
        "recurring_id": sparse["recurring_id"],
    }
    if fraud:
        pattern = c["pattern"]
        columns["is_fraud"] = pattern >= 0
        columns["fraud_pattern"] = _PATTERN_NAMES[pattern].tolist()  # -1 selects None
        columns["location_city"] = c["city"].tolist()
        columns["location_state"] = c["uf"].tolist()
    return Batch(columns)


def _running_balance(
    acc: np.ndarray, direction: np.ndarray, amount: np.ndarray, status: np.ndarray, cap: np.ndarray,
    mode: np.ndarray, opening: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply events in (account, time) order; cap or fail uncovered debits.

    Vectorized: per-account running balances by cumulative sums; only the events of an account
    from its first overdraft on are replayed one by one (the earlier ones are covered, so they
    stay as drawn). Returns (amount, status).
    """
    n = acc.size
    completed = status == COMPLETED
    signed = np.where(completed, np.where(direction == CREDIT, amount, -amount), 0)
    cum = np.cumsum(signed)
    new_account = np.ones(n, dtype=bool)
    new_account[1:] = acc[1:] != acc[:-1]
    first = np.maximum.accumulate(np.where(new_account, np.arange(n), 0))  # each account's first event
    before = cum[first] - signed[first]
    running = opening[acc] + cum - before
    overdrawn = np.flatnonzero(running < 0)
    if overdrawn.size == 0:
        return amount, status
    amount = amount.copy()
    status = status.copy()
    accounts, at = np.unique(acc[overdrawn], return_index=True)
    start = overdrawn[at]  # each such account's first overdraft ...
    length = np.searchsorted(acc, accounts, side="right") - start  # ... to its last event
    sel = np.repeat(start - (np.cumsum(length) - length), length) + np.arange(int(length.sum()))
    acc_l, dir_l, cap_l, mode_l = acc[sel].tolist(), direction[sel].tolist(), cap[sel].tolist(), mode[sel].tolist()
    amt_l, st_l = amount[sel].tolist(), status[sel].tolist()
    opening_l = dict(zip(accounts.tolist(), (running[start] - signed[start]).tolist(), strict=True))
    current, b = -1, 0
    for k, a in enumerate(acc_l):
        if a != current:
            current, b = a, opening_l[a]
        if st_l[k] != COMPLETED:
            continue
        amt = amt_l[k]
        if dir_l[k] == CREDIT:
            b += amt
            continue
        if amt > b:
            m = mode_l[k]
            if m == CAP_SHARE:
                new = int(b * cap_l[k])
            elif m == CAP_DRAIN:
                new = b
            elif m == CAP_NOTES:
                new = int(b * cap_l[k]) // 1000 * 1000
                new = new if new >= 2000 else 0
            elif m == CAP_FLOOR:
                new = b if b >= cap_l[k] else 0
            else:
                new = 0
            if new < MIN_AMOUNT:
                st_l[k] = FAILED
                continue
            amt_l[k] = amt = new
        b -= amt
    amount[sel] = amt_l
    status[sel] = st_l
    return amount, status


@functools.lru_cache(maxsize=1)
def _e2e_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ASCII tables: ISPB per bank index, yyyyMMdd per UTC day since 1970, HHmm per minute."""
    ispb = np.array([np.frombuffer(BANK_ISPB[b].encode(), dtype=np.uint8) for b in BANK_CODES])
    days = np.arange(0, 47_482, dtype=np.int64).astype("datetime64[D]")  # 1970 .. 2099
    months = days.astype("datetime64[M]")
    year = months.astype(np.int64) // 12 + 1970
    ymd = year * 10_000 + (months.astype(np.int64) % 12 + 1) * 100 + (days - months).astype(np.int64) + 1
    minutes = np.arange(1440, dtype=np.int64)
    return ispb, ascii_digits(ymd, 8), ascii_digits(minutes // 60 * 100 + minutes % 60, 4)


def _e2e_matrix(bank: np.ndarray, ts: np.ndarray, random: np.ndarray) -> np.ndarray:
    """``E`` + ISPB (8) + yyyyMMddHHmm (UTC) + 11 alphanumerics, for bank indexes and instants:
    one row of 32 ASCII bytes each."""
    ispb, day_table, minute_table = _e2e_tables()
    n = ts.size
    day = ts // DAY_MS
    if n and (day.min() < 0 or day.max() >= len(day_table)):
        raise ValueError("Pix instants must fall between 1970 and 2099")
    out = np.empty((n, 32), dtype=np.uint8)
    out[:, 0] = ord("E")
    out[:, 1:9] = ispb[bank]
    out[:, 9:17] = day_table[day]
    out[:, 17:21] = minute_table[(ts - day * DAY_MS) // MINUTE_MS]
    out[:, 21:] = ALPHANUMERIC[random]
    return out


# --- fraud-detection scenario ------------------------------------------------------------------

EVENTS_PER_INCIDENT = np.array([7.5, 1.0, 2.0, 1.0, 3.0, 2.0])
"""Mean events per incident by pattern (FRAUD_PATTERNS order)."""
ROUND_VALUES = (10_000, 20_000, 50_000, 100_000, 200_000, 300_000, 500_000, 1_000_000)
"""R$ 100 .. R$ 10,000; a burst uses values the account could pay (at most 80% of its balance)."""


def _incident_sizes(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pattern and number of events of incidents drawn as rows ``r`` (see ``_fraud_events``)."""
    pattern = (r[:, 0] * len(FRAUD_PATTERNS)).astype(np.int64)
    size = np.array([0, 1, 1, 1, 2, 2])[pattern]  # VELOCITY 5..10, NIGHT 1..3, ROUND 2..4, GEOGRAPHY 2
    size = size + np.select([pattern == 0, pattern == 2, pattern == 4],
                            [5 + (r[:, 1] * 6).astype(np.int64), (r[:, 1] * 3).astype(np.int64),
                             (r[:, 1] * 3).astype(np.int64)], 0)
    return pattern, size


def _fraud_events(
    ctx: BlockContext, share: float, counts: np.ndarray, acc_owner: np.ndarray, acc_balance: np.ndarray,
    income: np.ndarray, window_start: np.ndarray, window_end: np.ndarray, home_city: list[str], home_uf: list[str],
) -> dict[str, np.ndarray] | None:
    """Labelled fraud incidents, so that ``share`` of all events are fraudulent.

    Each account owes ``share / (1 - share)`` fraud events per normal event it has; walking the
    accounts in order, an incident is placed on the account where the owed events so far
    exceed those already placed (systematic sampling: victims in proportion to activity, and
    the block's fraud count within one incident of its target, so the share holds closely
    at any size; the walk only looks back, so the first customers do not depend on the count).
    """
    if share <= 0:
        return None
    owed = share / (1.0 - share) * counts
    bound = math.ceil(float(owed.sum())) + 1  # every incident has at least one event
    r = ctx.rng("fraud-attrs").random((bound, 48))
    drawn, sizes = _incident_sizes(r)
    # nights start at the first local midnight of the window (a partial first day has no night)
    next_midnight = ((window_start + LOCAL_OFFSET_MS) // DAY_MS + 1) * DAY_MS - LOCAL_OFFSET_MS
    acc_has_night = (next_midnight < window_end - 5 * HOUR_MS).tolist()
    debt = -float(ctx.rng("fraud-count").random()) * float(EVENTS_PER_INCIDENT.mean())
    inc_list: list[int] = []
    pat_list: list[int] = []
    drawn_l, sizes_l = drawn.tolist(), sizes.tolist()
    for a, o in enumerate(owed.tolist()):
        debt += o
        while debt > 0 and len(inc_list) < bound:
            k = len(inc_list)
            p, size = drawn_l[k], sizes_l[k]
            if p == 2 and not acc_has_night[a]:  # the account is younger than a night
                p, size = 3, 1
            inc_list.append(a)
            pat_list.append(p)
            debt -= size
    total = len(inc_list)
    if total == 0:
        return None
    inc_acc = np.array(inc_list, dtype=np.int64)
    pattern = np.array(pat_list, dtype=np.int64)
    r = r[:total]
    end = window_end[inc_acc]
    anchor = BUSINESS_HOURS.sample(ctx.rng("fraud-time"), window_start[inc_acc], end, total)
    has_night = [acc_has_night[a] for a in inc_list]
    business = is_business_days((anchor + LOCAL_OFFSET_MS) // DAY_MS).tolist()
    night = NIGHT.sample(ctx.rng("fraud-night"), np.minimum(next_midnight[inc_acc], end - 1), end, total)
    acc_end = window_end.tolist()
    far = _far_cities()
    out: dict[str, list[Any]] = {k: [] for k in ("acc", "ts", "type", "dir", "amount", "status", "key", "payee",
                                                 "cap", "mode", "pattern", "city", "uf")}

    def add(a: int, t: int, ty: int, amt: float, key: int, payee: int, mode: int, p: int, city: str, uf: str,
            cap: float = 1.0) -> None:
        out["acc"].append(a)
        out["ts"].append(min(t, acc_end[a] - 1))
        out["type"].append(ty)
        out["dir"].append(DEBIT)
        out["amount"].append(max(round(amt), MIN_AMOUNT))
        out["status"].append(COMPLETED)
        out["key"].append(key if ty == PIX else -1)
        out["payee"].append(payee)
        out["cap"].append(cap)
        out["mode"].append(mode)
        out["pattern"].append(p)
        out["city"].append(city)
        out["uf"].append(uf)

    key_cdf = PIX_KEY_CDF.tolist()
    for i, (a, p, t0, tn, nightly) in enumerate(zip(inc_acc.tolist(), pattern.tolist(), anchor.tolist(),
                                                    night.tolist(), has_night, strict=True)):
        row = r[i].tolist()
        bal = float(acc_balance[a])
        o = int(acc_owner[a])
        city, uf = home_city[o], home_uf[o]

        def mule(j: int, row: list[float] = row) -> int:
            return PERSONS + int(row[j] * MULES) % MULES

        def key(j: int, row: list[float] = row) -> int:
            return min(bisect.bisect_right(key_cdf, row[j]), len(key_cdf) - 1)

        if p == 0:  # VELOCITY_BURST: 5..10 PIX within a few minutes, to new payees
            k = 5 + int(row[1] * 6)
            t = t0
            for j in range(k):
                t += int((15 + row[2 + j] * 75) * SECOND_MS)
                add(a, t, PIX, bal * (0.03 + 0.09 * row[12 + j]), key(22 + j), mule(32 + j), CAP_DRAIN, p, city, uf)
        elif p == 1:  # AMOUNT_ANOMALY: 50x the account's typical amount (5% of its balance)
            ty = PIX if row[1] < 0.7 or not business[i] else TED  # TED only on business days
            add(a, t0, ty, bal * AMOUNT_SHARE * 50, key(2), mule(3), CAP_DRAIN, p, city, uf)
        elif p == 2 and not nightly:  # the account is younger than a night: no incident
            continue
        elif p == 2:  # NIGHT_ACTIVITY: 1..3 cash withdrawals between 01:00 and 05:00
            k = 1 + int(row[1] * 3)
            t = tn
            for j in range(k):
                amt = max(round(bal * (0.1 + 0.3 * row[2 + j]) / 5000) * 5000, 5000)  # R$ 50 notes
                add(a, t, WITHDRAW, amt, -1, 0, CAP_FAIL, p, city, uf)
                t += int((5 + row[6 + j] * 25) * MINUTE_MS)
                day_start = (t + LOCAL_OFFSET_MS) // DAY_MS * DAY_MS - LOCAL_OFFSET_MS
                t = min(t, day_start + 5 * HOUR_MS - 1)
        elif p == 3:  # NEW_PAYEE_LARGE_AMOUNT: first payment to a never-seen payee, most of the balance
            # and at least half a month's income: the account is drained if it holds 30% of a
            # month's income, otherwise the attempt FAILS (insufficient funds), still large
            large = max(bal * (0.4 + 0.55 * row[1]), float(income[a]) * (0.5 + row[4]))
            add(a, t0, PIX, large, key(2), mule(3), CAP_FLOOR, p, city, uf, cap=float(income[a]) * 0.3)
        elif p == 4:  # ROUND_AMOUNTS: 2..4 PIX of round values the same day
            k = 2 + int(row[1] * 3)
            t = t0
            for j in range(k):
                affordable = [v for v in ROUND_VALUES if v <= 0.8 * bal] or [ROUND_VALUES[0]]
                value = affordable[int(row[2 + j] * len(affordable))]
                add(a, t, PIX, value, key(8 + j), mule(14 + j), CAP_FAIL, p, city, uf)
                t += int((10 + row[20 + j] * 170) * MINUTE_MS)
        else:  # IMPOSSIBLE_GEOGRAPHY: two debits minutes apart in states >= 1,500 km apart
            far_city, far_uf = far[uf][int(row[1] * len(far[uf]))]
            add(a, t0, PIX, bal * (0.02 + 0.1 * row[2]), key(3), int(row[4] * PERSONS), CAP_DRAIN, p, city, uf)
            t1 = t0 + int((10 + row[5] * 30) * MINUTE_MS)
            ty = WITHDRAW if row[6] < 0.5 else PIX
            amt = bal * (0.1 + 0.4 * row[7])
            if ty == WITHDRAW:
                amt = max(round(amt / 1000) * 1000, 2000)
            add(a, t1, ty, amt, key(8), mule(9), CAP_NOTES if ty == WITHDRAW else CAP_DRAIN, p, far_city, far_uf)
    m = len(out["acc"])
    e2e = ctx.rng("fraud-e2e").integers(0, len(ALPHANUMERIC), size=(m, 11), dtype=np.uint8)
    arrays: dict[str, np.ndarray] = {
        k: np.array(v, dtype=object if k in ("city", "uf") else (np.float64 if k == "cap" else np.int64))
        for k, v in out.items()
    }
    arrays["e2e"] = e2e
    arrays["link"] = np.full(m, -1, dtype=np.int64)
    arrays["part"] = np.zeros(m, dtype=np.int64)
    return arrays
