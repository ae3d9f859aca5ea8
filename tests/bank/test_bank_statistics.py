"""Bank-wide statistics on a 20,000-customer sample: the catalog's weights and volumes.

One run of every bundled pack through the CLI and the json sink (seed 42, 2 workers). Unless a
test says otherwise, a share must be within 4 standard errors of the catalog weight
(``4 * sqrt(p * (1 - p) / n)``): a correct generator fails that about once in 16,000 checks.
Shares that other rules legitimately move (declines for the card limit, failed debits for
the balance, SELLs turned BUYs when nothing is held) get a stated absolute tolerance.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from bank_testkit import STATS_CUSTOMERS, invoke, read_columns

pytestmark = pytest.mark.slow

BRT = timezone(timedelta(hours=-3))
AS_OF = datetime(2026, 1, 1, tzinfo=BRT)
YEAR_S = 365 * 86_400
COLUMNS = {
    "customer": ("customer_id", "employment_status"),
    "account": ("account_id", "customer_id", "account_type", "bank_code", "created_at"),
    "credit_card": ("card_id", "customer_id", "brand", "status", "created_at", "updated_at"),
    "card_transaction": ("card_id", "customer_id", "mcc_code", "installments", "status"),
    "loan": ("loan_id", "customer_id", "loan_type", "status", "term_months", "amortization_system", "principal",
             "interest_rate", "property_id"),
    "property": ("property_id", "property_type"),
    "installment": ("loan_id", "customer_id", "status"),
    "transaction": ("account_id", "customer_id", "transaction_type", "direction", "status", "pix_key_type",
                    "timestamp", "pix_e2e_id"),
    "account_event": ("account_id", "event_type", "occurred_at"),
    "trade": ("account_id", "customer_id", "trade_type", "order_type", "status"),
    "stock": ("ticker", "segment"),
}
Sample = dict[str, dict[str, list[object]]]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    out = tmp_path_factory.mktemp("bank-stats") / "data"
    result = invoke(["run", "--customers", str(STATS_CUSTOMERS), "--workers", "2", "--sink", "json",
                     "-o", f"json.path={out}", "--quiet"])
    assert result.exit_code == 0, result.output
    return read_columns(Path(out), COLUMNS)


def assert_shares(values: Iterable[object], expected: Mapping[object, float], *, tolerance: float | None = None,
                  what: str = "") -> None:
    """Shares of ``values`` match ``expected`` within 4 standard errors (or ``tolerance``)."""
    counts = Counter(values)
    n = sum(counts.values())
    assert n > 0, what
    assert set(counts) <= set(expected), f"{what}: unexpected values {set(counts) - set(expected)}"
    for key, p in expected.items():
        tol = tolerance if tolerance is not None else 4 * math.sqrt(p * (1 - p) / n)
        got = counts[key] / n
        assert abs(got - p) <= tol, f"{what} {key}: {got:.4f}, catalog {p} +/- {tol:.4f} (n={n:,})"


def test_customer_employment(sample: Sample) -> None:
    assert len(sample["customer"]["customer_id"]) == STATS_CUSTOMERS
    assert_shares(sample["customer"]["employment_status"],
                  {"EMPLOYED": 0.60, "SELF_EMPLOYED": 0.20, "RETIRED": 0.15, "UNEMPLOYED": 0.05}, what="employment")


def test_accounts_per_customer_and_types(sample: Sample) -> None:
    acc = sample["account"]
    per_customer = Counter(acc["customer_id"])
    assert len(per_customer) == STATS_CUSTOMERS  # everyone has an account
    assert_shares(per_customer.values(), {1: 0.50, 2: 0.35, 3: 0.15}, what="accounts per customer")
    assert_shares(acc["account_type"], {"CONTA_CORRENTE": 0.70, "POUPANCA": 0.20, "INVESTIMENTOS": 0.10},
                  what="account type")
    assert set(acc["bank_code"]) == {"001", "033", "104", "237", "341", "756"}


def test_cards(sample: Sample) -> None:
    cards = sample["credit_card"]
    assert_shares(cards["brand"], {"VISA": 0.45, "MASTERCARD": 0.40, "ELO": 0.15}, what="brand")
    per_customer = Counter(cards["customer_id"])
    assert max(per_customer.values()) <= 2
    assert_shares((per_customer.get(c, 0) > 0 for c in sample["customer"]["customer_id"]), {True: 0.70, False: 0.30},
                  what="customers with a card")


def test_card_purchases(sample: Sample) -> None:
    tx = sample["card_transaction"]
    assert_shares(tx["mcc_code"], {"5411": 0.25, "5812": 0.20, "5541": 0.15, "5311": 0.10, "5912": 0.10,
                                   "5814": 0.10, "4121": 0.05, "5999": 0.05}, what="MCC")
    buckets = (1 if k == 1 else 3 if k <= 3 else 6 if k <= 6 else 12 for k in tx["installments"])  # type: ignore[operator]
    assert_shares(buckets, {1: 0.60, 3: 0.20, 6: 0.15, 12: 0.05}, what="installments 1 / 2-3 / 4-6 / 7-12")
    # declines for the available limit come on top of the drawn status: stated tolerance 1.5 points
    assert_shares(tx["status"], {"APPROVED": 0.95, "DECLINED": 0.04, "PENDING": 0.01}, tolerance=0.015,
                  what="card status")


def test_card_purchase_volume_per_holder_year(sample: Sample) -> None:
    """~57 purchases per card holder per year of history (the last 365 days, from issue)."""
    cards = sample["credit_card"]
    as_of = AS_OF.timestamp()
    windows: dict[str, list[float]] = defaultdict(list)
    for holder, status, created, updated in zip(cards["customer_id"], cards["status"], cards["created_at"],
                                                cards["updated_at"], strict=True):
        start = max(datetime.fromisoformat(str(created)).timestamp(), as_of - YEAR_S)
        end = as_of if status == "ACTIVE" or updated is None else datetime.fromisoformat(str(updated)).timestamp()
        windows[str(holder)].append(max(end - start, 0) / YEAR_S)
    # a holder's yearly purchases are shared by their cards: exposure = mean window of their cards
    exposure = sum(sum(w) / len(w) for w in windows.values())
    rate = len(sample["card_transaction"]["card_id"]) / exposure
    assert abs(rate - 57) <= 0.05 * 57, f"{rate:.1f} purchases per holder-year, catalog ~57"


def lives(sample: Sample) -> dict[str, dict[str, float]]:
    """account_id -> {event type: epoch seconds} of the account's lifecycle events."""
    out: dict[str, dict[str, float]] = defaultdict(dict)
    ev = sample["account_event"]
    for aid, kind, at in zip(ev["account_id"], ev["event_type"], ev["occurred_at"], strict=True):
        out[str(aid)][str(kind)] = datetime.fromisoformat(str(at)).timestamp()
    return out


def drawn(sample: Sample) -> dict[str, list[object]]:
    """The transactions drawn at the catalog's rates: not SALARY and AUTO_DEBIT (they follow the
    payroll and recurring-payment schedules, on top), nor the first deposit that activates an
    account (checked in the banking pack's tests), nor P2P payments between customers (both
    sides share a Pix end-to-end id; they come at their own rate, on top)."""
    tx = sample["transaction"]
    life = lives(sample)
    shared = Counter(e for e in tx["pix_e2e_id"] if e is not None)
    keep = [t not in ("SALARY", "AUTO_DEBIT") and shared.get(e, 0) < 2
            and life[str(a)].get("ACTIVATED") != datetime.fromisoformat(str(ts)).timestamp()
            for t, a, ts, e in zip(tx["transaction_type"], tx["account_id"], tx["timestamp"], tx["pix_e2e_id"],
                                   strict=True)]
    return {name: [v for v, k in zip(values, keep, strict=True) if k] for name, values in tx.items()}


def test_transactions(sample: Sample) -> None:
    tx = drawn(sample)
    # DOC was discontinued in January 2024, before this history: TED has its share
    assert_shares(tx["transaction_type"], {"PIX": 0.45, "TED": 0.20, "DEPOSIT": 0.15, "WITHDRAW": 0.10,
                                           "BOLETO": 0.10}, what="transaction type")
    directions = defaultdict(set)
    for t, d in zip(tx["transaction_type"], tx["direction"], strict=True):
        directions[t].add(d)
    assert directions == {"PIX": {"CREDIT", "DEBIT"}, "TED": {"CREDIT", "DEBIT"},
                          "DEPOSIT": {"CREDIT"}, "WITHDRAW": {"DEBIT"}, "BOLETO": {"DEBIT"}}
    pix = [k for t, k in zip(tx["transaction_type"], tx["pix_key_type"], strict=True) if t == "PIX"]
    assert_shares(pix, {"CPF": 0.40, "PHONE": 0.30, "EMAIL": 0.20, "EVP": 0.10}, what="pix key type")
    assert all(k is None for t, k in zip(tx["transaction_type"], tx["pix_key_type"], strict=True) if t != "PIX")
    # debits that would overdraw fail on top of the drawn status: stated tolerance 1 point
    assert abs(Counter(tx["status"])["COMPLETED"] / len(tx["status"]) - 0.98) <= 0.01


def test_transaction_volume_per_customer_year(sample: Sample) -> None:
    """~20 transactions per customer per year of history (the last 365 days of each account's
    active life: from activation to blocking or closure).

    The banking pack spreads a customer's yearly rate over their accounts that ever moved (not
    DORMANT) by activity weight per account type; an account contributes its weight times its
    years of active history.
    """
    from datagen_plugin_banking.entities import ACCOUNT_TYPES
    from datagen_plugin_banking.transactions import ACCOUNT_ACTIVITY

    acc = sample["account"]
    as_of = AS_OF.timestamp()
    weight = dict(zip(ACCOUNT_TYPES, ACCOUNT_ACTIVITY.tolist(), strict=True))
    life = lives(sample)
    total_weight: Counter[str] = Counter()
    for aid, owner, kind in zip(acc["account_id"], acc["customer_id"], acc["account_type"], strict=True):
        total_weight[str(owner)] += weight[str(kind)] * ("ACTIVATED" in life[str(aid)])
    exposure = 0.0
    for aid, owner, kind in zip(acc["account_id"], acc["customer_id"], acc["account_type"], strict=True):
        ev = life[str(aid)]
        if "ACTIVATED" not in ev:
            continue
        start = max(ev["ACTIVATED"], as_of - YEAR_S)
        end = min(ev.get("BLOCKED", as_of), ev.get("CLOSED", as_of))
        exposure += weight[str(kind)] / total_weight[str(owner)] * max(end - start, 0) / YEAR_S
    rate = len(drawn(sample)["account_id"]) / exposure
    assert abs(rate - 20) <= 0.02 * 20, f"{rate:.2f} transactions per customer-year, catalog ~20"


def test_loans_and_properties(sample: Sample) -> None:
    loans = sample["loan"]
    borrowers = set(loans["customer_id"])
    assert_shares((c in borrowers for c in sample["customer"]["customer_id"]), {True: 0.35, False: 0.65},
                  what="customers with a loan")
    bands = {"PERSONAL": (1_000, 100_000, 6, 72, 0.015, 0.08), "HOUSING": (100_000, 2_000_000, 120, 360, 0.007, 0.012),
             "VEHICLE": (20_000, 300_000, 12, 60, 0.01, 0.035)}
    for kind, principal, term, rate, system, prop in zip(loans["loan_type"], loans["principal"], loans["term_months"],
                                                          loans["interest_rate"], loans["amortization_system"],
                                                          loans["property_id"], strict=True):
        lo, hi, tlo, thi, rlo, rhi = bands[str(kind)]
        assert lo <= float(str(principal)) <= hi and tlo <= int(str(term)) <= thi, (kind, principal, term)
        assert rlo <= float(str(rate)) <= rhi and 0 < float(str(rate)) < 0.15, (kind, rate)
        assert system == "PRICE" or kind == "HOUSING"
        assert (prop is not None) == (kind == "HOUSING")
    assert_shares(sample["property"]["property_type"], {"APARTMENT": 0.60, "HOUSE": 0.35, "LAND": 0.05},
                  what="property type")


def test_installment_payment_behaviour(sample: Sample) -> None:
    inst = sample["installment"]
    past = [s for s in inst["status"] if s != "PENDING"]
    # DEFAULT needs 90+ days unpaid, so recent installments cannot be in it yet: 3 points
    assert_shares(past, {"PAID": 0.85, "LATE": 0.10, "DEFAULT": 0.05}, tolerance=0.03, what="past installments")
    per_loan = Counter(inst["loan_id"])
    loans = sample["loan"]
    for loan, status, term in zip(loans["loan_id"], loans["status"], loans["term_months"], strict=True):
        if status in ("PENDING", "REJECTED"):
            assert per_loan[loan] == 0
        else:
            assert per_loan[loan] == term  # the full schedule


def test_trades(sample: Sample) -> None:
    trades = sample["trade"]
    # a SELL is only possible on held shares; the pack compensates: stated tolerance 1.5 points
    assert_shares(trades["trade_type"], {"BUY": 0.55, "SELL": 0.45}, tolerance=0.015, what="trade type")
    assert_shares(trades["order_type"], {"MARKET": 0.70, "LIMIT": 0.25, "STOP": 0.05}, what="order type")
    counts = Counter(trades["status"])
    n = len(trades["status"])
    assert abs(counts["EXECUTED"] / n - 0.95) <= 4 * math.sqrt(0.95 * 0.05 / n)
    assert set(counts) == {"PENDING", "EXECUTED", "CANCELLED", "PARTIALLY_FILLED"}
    # accounts trade in their active life only: per INVESTIMENTOS account ever activated
    life = lives(sample)
    accounts = sample["account"]
    investment = sum(kind == "INVESTIMENTOS" and "ACTIVATED" in life[str(a)]
                     for a, kind in zip(accounts["account_id"], accounts["account_type"], strict=True))
    assert abs(n / investment - 20) <= 1.0, f"{n / investment:.2f} trades per activated INVESTIMENTOS account, ~20"
    assert Counter(sample["stock"]["segment"]) == {"NOVO_MERCADO": 21, "N1": 9, "N2": 6, "TRADICIONAL": 6}


def test_cross_pack_events_only_on_their_kind_of_parent(sample: Sample) -> None:
    kind = dict(zip(sample["account"]["account_id"], sample["account"]["account_type"], strict=True))
    assert {kind[a] for a in sample["trade"]["account_id"]} == {"INVESTIMENTOS"}
    owner = dict(zip(sample["account"]["account_id"], sample["account"]["customer_id"], strict=True))
    for event in ("transaction", "trade"):
        cols = sample[event]
        assert all(owner[a] == c for a, c in zip(cols["account_id"], cols["customer_id"], strict=True)), event
    holder = dict(zip(sample["credit_card"]["card_id"], sample["credit_card"]["customer_id"], strict=True))
    cols = sample["card_transaction"]
    assert all(holder[k] == c for k, c in zip(cols["card_id"], cols["customer_id"], strict=True))
    borrower = dict(zip(sample["loan"]["loan_id"], sample["loan"]["customer_id"], strict=True))
    cols = sample["installment"]
    assert all(borrower[k] == c for k, c in zip(cols["loan_id"], cols["customer_id"], strict=True))
