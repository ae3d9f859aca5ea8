"""Generators of the cards pack: credit_card (master) and card_transaction (event).

Every array is drawn per block from its own stream, in root (customer, then card) order, so
the first customers of a block get the same cards and purchases whatever the block's size.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from datagen_plugin_banking.common import (
    BUSINESS_HOURS,
    DAY_MS,
    HOUR_MS,
    LOCAL_OFFSET_MS,
    cdf,
    int_column,
    object_column,
    pick,
    states,
)

from datagen_kernel import Batch, BlockContext, Record, Records, TextColumn, column, int_array
from datagen_plugin_cards.entities import BRANDS, CARD_STATUSES, PURCHASE_STATUSES
from datagen_plugin_cards.merchants import ABROAD, INSTALLMENT_BUCKETS, LOCATION_SHARES, MCC_TABLE
from datagen_plugin_cards.season import CHANNELS, ONLINE_BY_MCC, channels, is_northeast, sample_instants

ONLINE_SHARE = np.array([ONLINE_BY_MCC[c.mcc] for c in MCC_TABLE])
_CHANNEL_NAMES = np.array(CHANNELS, dtype=object)

YEAR_MS = 365.25 * DAY_MS
DEFAULT_HISTORY_DAYS = 365

CARDS_PER_CUSTOMER_CDF = cdf([0.30, 0.50, 0.20])
"""0, 1 or 2 cards: 70% of customers hold at least one."""
BRAND_CDF = cdf([0.45, 0.40, 0.15])
CARD_STATUS_CDF = cdf([0.90, 0.04, 0.06])
FIRST_CARD_TENURE_SHARE = 0.25
"""The first card is issued within the first quarter of the customer's tenure so far."""

MCC_CDF = cdf([c.weight for c in MCC_TABLE])
MCC_LOW = np.array([c.low_cents for c in MCC_TABLE], dtype=np.float64)
MCC_SPAN = np.array([c.high_cents - c.low_cents for c in MCC_TABLE], dtype=np.float64)
MCC_CODES = np.array([c.mcc for c in MCC_TABLE], dtype=object)
_MCC_CODE_BYTES = np.frombuffer("".join(MCC_CODES).encode("ascii"), dtype=np.uint8).reshape(-1, 4)
MCC_NAMES = np.array([c.name for c in MCC_TABLE], dtype=object)
MCC_AFFINITY = np.array([c.installment_affinity for c in MCC_TABLE])
AMOUNT_SKEW = 1.6
"""Amounts are ``low + span * u**AMOUNT_SKEW``: inside the band, denser near its low end."""
_MERCHANT_COUNT = np.array([len(c.merchants) for c in MCC_TABLE], dtype=np.int64)
_MERCHANT_OFFSET = np.concatenate([[0], np.cumsum(_MERCHANT_COUNT)[:-1]])
_MERCHANTS = np.array([m for c in MCC_TABLE for m in c.merchants], dtype=object)

INSTALLMENT_NOISE = 0.6
"""A card's installment counts go to its larger purchases, in shops where parcelado is common:
purchases are ranked by log(amount) + the category's affinity + this much normal noise."""
_BUCKET_CUM = np.cumsum([b[2] for b in INSTALLMENT_BUCKETS])
_BUCKET_CUM[-1] = 1.0
_BUCKET_START = np.concatenate([[0.0], _BUCKET_CUM[:-1]])
_BUCKET_LOW = np.array([b[0] for b in INSTALLMENT_BUCKETS], dtype=np.int64)
_BUCKET_SIZE = np.array([b[1] - b[0] + 1 for b in INSTALLMENT_BUCKETS], dtype=np.int64)

APPROVAL_RATE = 0.95
"""Authorizations approved before the limit check; the others are DECLINED."""
PENDING, APPROVED, DECLINED = 0, 1, 2
SETTLEMENT_MS = 2 * DAY_MS
"""Approved purchases of the last two days before as-of are not settled yet: PENDING."""
_STATUS_NAMES = np.array(PURCHASE_STATUSES, dtype=object)
LOCATION_CDF = cdf(LOCATION_SHARES)
_ABROAD_CITY = np.array([city for _, city in ABROAD], dtype=object)
_COUNTRIES = np.array(["BR", *(c for c, _ in ABROAD)], dtype=object)
_COUNTRY_BYTES = np.frombuffer("".join(_COUNTRIES).encode("ascii"), dtype=np.uint8).reshape(-1, 2)


def _brazilian_cities() -> tuple[np.ndarray, np.ndarray]:
    """Major cities of every UF and a population-based sampling CDF (capital first)."""
    names: list[str] = []
    weights: list[float] = []
    for st in states():
        share = [2.0 if r == 0 else 1.0 / (r + 1) for r in range(len(st.cities))]
        total = sum(share)
        names.extend(c.name for c in st.cities)
        weights.extend(st.population_millions * s / total for s in share)
    return np.array(names, dtype=object), cdf(weights)


_BR_CITIES, _BR_CITY_CDF = _brazilian_cities()


def history_days(ctx: BlockContext) -> int:
    """Days of purchase history: ``cards.history_days``, else ``banking.history_days``, else 365."""
    own = int(ctx.options("cards").get("history_days") or 0)
    if own > 0:
        return own
    shared = ctx.options("banking").get("history_days")
    return int(shared) if shared else DEFAULT_HISTORY_DAYS


def billing_cycles(timestamps: Any, due_days: Any) -> np.ndarray:
    """Billing cycle (months since 1970) of each purchase: cycles run from a due day to the next.

    The holder pays the bill on the due day, which frees the card's limit for the next cycle.
    """
    local_day = (np.asarray(timestamps, dtype=np.int64) + LOCAL_OFFSET_MS) // DAY_MS
    shifted = local_day - (np.asarray(due_days, dtype=np.int64) - 1)
    if shifted.size == 0:
        return shifted
    # month of each day through a table over the few days spanned (calendar math once per day)
    lo, hi = int(shifted.min()), int(shifted.max())
    months = np.arange(lo, hi + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months[shifted - lo]  # type: ignore[no-any-return]


# --- credit_card -----------------------------------------------------------------------------


def generate_credit_cards(ctx: BlockContext) -> list[Record]:
    """Cards of the block's customers, in customer order (scenario customer-360: at least one)."""
    customers = ctx.records("customer")
    n = len(customers)
    if n == 0:
        return []
    counts = pick(CARDS_PER_CUSTOMER_CDF, ctx.rng("count").random(n))
    if ctx.run.scenario == "customer-360":
        counts = np.maximum(counts, 1)
    m = int(counts.sum())
    if m == 0:
        return []
    owner = np.repeat(np.arange(n), counts)
    rank = np.arange(m) - np.repeat(np.cumsum(counts) - counts, counts)
    as_of = ctx.run.as_of_ms
    income = int_array(customers, "monthly_income")[owner]
    joined = int_array(customers, "created_at")[owner]

    u = ctx.rng("attrs").random((m, 6))
    brand = pick(BRAND_CDF, u[:, 0])
    low, high = 2 * income, 5 * income
    limit = np.rint(income * (2.0 + 3.0 * u[:, 1]) / 1000.0).astype(np.int64) * 1000  # whole R$ 10
    limit = np.clip(limit, low, high)
    available = np.maximum((limit * (0.5 + 0.5 * u[:, 2])).astype(np.int64), (limit + 1) // 2)
    due_day = (u[:, 3] * 28).astype(np.int64) + 1
    status = pick(CARD_STATUS_CDF, u[:, 4])
    last4 = (u[:, 5] * 10_000).astype(np.int64)

    tenure = np.maximum(as_of - joined, 2 * HOUR_MS)
    share = np.where(rank == 0, FIRST_CARD_TENURE_SHARE, 1.0)
    created = BUSINESS_HOURS.sample(ctx.rng("created"), joined + HOUR_MS, joined + (tenure * share).astype(np.int64), m)
    created = np.minimum(np.maximum(created, joined + 1), as_of - 2)
    changed = BUSINESS_HOURS.sample(ctx.rng("status-change"), created + DAY_MS, as_of, m)
    changed = np.minimum(np.maximum(changed, created + 1), as_of - 1)
    updated = np.where(status == 0, -1, changed).tolist()

    ids = ctx.uuids(m)
    cust_ids = np.array(column(customers, "customer_id"), dtype=object)[owner].tolist()
    masked = [f"****-****-****-{d:04d}" for d in last4.tolist()]
    return [
        {
            "card_id": i,
            "customer_id": c,
            "card_number_masked": mk,
            "brand": BRANDS[b],
            "credit_limit": lim,
            "available_limit": av,
            "due_day": dd,
            "status": CARD_STATUSES[st],
            "created_at": cr,
            "updated_at": None if up < 0 else up,
        }
        for i, c, mk, b, lim, av, dd, st, cr, up in zip(
            ids, cust_ids, masked, brand.tolist(), limit.tolist(), available.tolist(), due_day.tolist(),
            status.tolist(), created.tolist(), updated, strict=True,
        )
    ]


# --- card_transaction ------------------------------------------------------------------------


def _purchase_windows(ctx: BlockContext, cards: Records) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, expected purchases) of each card: from issue (or the history start) to the
    block/cancel instant (or as-of); a holder's yearly purchases are split among their cards."""
    as_of = ctx.run.as_of_ms
    n = len(cards)
    created = int_column(cards, "created_at")
    ended = np.fromiter(
        (as_of if up is None or st == "ACTIVE" else up
         for up, st in zip(column(cards, "updated_at"), column(cards, "status"), strict=True)),
        dtype=np.int64, count=n,
    )
    holder = column(cards, "customer_id")
    per_holder = Counter(holder)
    holders = np.fromiter(map(per_holder.__getitem__, holder), dtype=np.float64, count=n)
    start = np.maximum(created, as_of - history_days(ctx) * DAY_MS)
    end = np.maximum(ended, start)
    rate = float(ctx.options("cards").get("purchases_per_year", 57.0))
    return start, end, rate * (end - start) / YEAR_MS / holders


def _enforce_limits(card: np.ndarray, cycle: np.ndarray, amount: np.ndarray, status: np.ndarray,
                    cap: np.ndarray) -> None:
    """Decline (in place) purchases that would take a card's cycle total past its available limit.

    ``card``/``cycle`` are grouped and time-ordered. Approved and pending purchases count
    against the limit. Cumulative sums find the few cycles that overflow; only those are
    replayed purchase by purchase.
    """
    n = len(card)
    if n == 0:
        return
    key = card * 1_000_000 + cycle
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    spend = np.where(status != DECLINED, amount, 0)
    total = np.cumsum(spend)
    within = total - (total - spend)[starts][group]
    over = within > cap[card]
    if not over.any():
        return
    bounds = np.append(starts, n)
    for g in np.unique(group[over]).tolist():
        lo, hi = int(bounds[g]), int(bounds[g + 1])
        limit = int(cap[card[lo]])
        used = 0
        for i in range(lo, hi):
            if status[i] == DECLINED:
                continue
            a = int(amount[i])
            if used + a > limit:
                status[i] = DECLINED
            else:
                used += a


def _pair_by_rank(values: np.ndarray, score: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``values`` (small non-negative ints) redistributed inside each run of the non-decreasing
    ``group``: the largest to the highest score.

    Each group keeps exactly its own values (so every distribution of them is unchanged);
    only which record gets which value follows ``score``.
    """
    if values.size == 0:
        return values
    width = int(values.max()) + 1
    ranked = np.sort(group * width + values) - group * width  # each group's values, ascending
    spread = float(score.max() - score.min()) + 1.0
    by_score = np.argsort(group * spread + (score - score.min()))
    out = np.empty_like(values)
    out[by_score] = ranked
    return out


def _sorted_within(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``values`` sorted inside each run of the non-decreasing ``group`` (one int64 sort)."""
    if values.size == 0:
        return values
    base = int(values.min())
    span = int(values.max()) - base + 1
    if int(group[-1]) * span >= 2**62:
        return values[np.lexsort((values, group))]
    offset = group * span
    return np.sort(offset + (values - base)) - offset + base  # type: ignore[no-any-return]


def generate_card_transactions(ctx: BlockContext) -> Records:
    """Purchases of the block's cards as a ``Batch``, grouped by card in card order, each card's in
    time order."""
    cards = ctx.records("credit_card")
    if not cards:
        return []
    customers = ctx.records("customer")
    start, end, expected = _purchase_windows(ctx, cards)
    start = np.broadcast_to(np.asarray(start, dtype=np.int64), (len(cards),))
    end = np.broadcast_to(np.asarray(end, dtype=np.int64), (len(cards),))
    counts = ctx.rng("count").poisson(expected)
    total = int(counts.sum())
    if total == 0:
        return []
    card = np.repeat(np.arange(len(cards)), counts)

    # seasonal days (the holder's region: Northeast or not) and the purchases' hour profile
    home = {cid: a["state"] for cid, a in zip(column(customers, "customer_id"), column(customers, "address"),
                                              strict=True)}
    region = is_northeast([home[h] for h in object_column(cards, "customer_id").tolist()])
    ts = sample_instants(ctx.rng("timestamp").random((total, 3)), start[card], end[card], region[card])
    ts = _sorted_within(ts, card)
    u = ctx.rng("attrs").random((total, 8))

    mcc = pick(MCC_CDF, u[:, 0])
    amount = np.rint(MCC_LOW[mcc] + MCC_SPAN[mcc] * u[:, 1] ** AMOUNT_SKEW).astype(np.int64)
    bucket = np.minimum(np.searchsorted(_BUCKET_CUM, u[:, 2], side="right"), len(_BUCKET_CUM) - 1)
    inside = (u[:, 2] - _BUCKET_START[bucket]) / (_BUCKET_CUM[bucket] - _BUCKET_START[bucket])
    installments = _BUCKET_LOW[bucket] + np.minimum((inside * _BUCKET_SIZE[bucket]).astype(np.int64),
                                                    _BUCKET_SIZE[bucket] - 1)
    noise = INSTALLMENT_NOISE * ctx.rng("pairing").standard_normal(total)
    installments = _pair_by_rank(installments, np.log(amount) + MCC_AFFINITY[mcc] + noise, card)
    status = np.where(u[:, 3] < APPROVAL_RATE, APPROVED, DECLINED)
    due_day = int_column(cards, "due_day")
    cap = int_column(cards, "available_limit")
    _enforce_limits(card, billing_cycles(ts, due_day[card]), amount, status, cap)
    status[(status == APPROVED) & (ts >= ctx.run.as_of_ms - SETTLEMENT_MS)] = PENDING

    where = pick(LOCATION_CDF, u[:, 4])
    merchant = _MERCHANT_OFFSET[mcc] + np.minimum((u[:, 5] * _MERCHANT_COUNT[mcc]).astype(np.int64),
                                                  _MERCHANT_COUNT[mcc] - 1)
    # one table of place names: the cards' home cities, then Brazilian cities, then abroad
    home_city = {cid: a["city"] for cid, a in zip(column(customers, "customer_id"), column(customers, "address"),
                                                  strict=True)}
    n_cards = len(cards)
    holders = object_column(cards, "customer_id")
    places = np.concatenate([
        np.array(list(map(home_city.__getitem__, holders.tolist())), dtype=object), _BR_CITIES, _ABROAD_CITY,
    ])
    abroad = np.minimum((u[:, 6] * len(ABROAD)).astype(np.int64), len(ABROAD) - 1)
    place = np.where(
        where == 0, card,
        np.where(where == 1, n_cards + pick(_BR_CITY_CDF, u[:, 6]), n_cards + len(_BR_CITIES) + abroad),
    )
    country = np.where(where == 2, 1 + abroad, 0)
    channel = channels(ctx.rng("channel").random((total, 2)), mcc, ONLINE_SHARE, ts, where == 2)
    latency = (200 + u[:, 7] * 2800).astype(np.int64)  # authorization recorded 0.2-3 s later

    return Batch({
        "transaction_id": ctx.uuid_column(total),  # the same ids as ctx.uuids(total), kept as bytes
        "card_id": object_column(cards, "card_id")[card].tolist(),
        "customer_id": holders[card].tolist(),
        # text no rule reads stays bytes: no Python string per purchase
        "merchant_name": TextColumn.from_codes(merchant, _MERCHANTS.tolist()),
        "merchant_category": TextColumn.from_codes(mcc, MCC_NAMES.tolist()),
        "mcc_code": TextColumn(_MCC_CODE_BYTES[mcc]),  # fixed-width codes stay bytes
        "amount": amount,
        "installments": installments,
        "timestamp": ts,
        "status": _STATUS_NAMES[status].tolist(),
        "location_city": TextColumn.from_codes(place, places.tolist()),
        "location_country": TextColumn(_COUNTRY_BYTES[country]),
        "created_at": ts + latency,
        "updated_at": [None] * total,
        "channel": TextColumn.from_codes(channel, _CHANNEL_NAMES.tolist()),
    })
