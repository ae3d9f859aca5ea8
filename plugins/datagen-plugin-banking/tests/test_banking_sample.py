"""Statistics and realism on a 20,000-customer sample (seed 42): every weighted distribution of
the catalog within a stated tolerance, documents, places, balances, Pix identifiers."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime

import numpy as np
import pytest
from banking_blocks import generate_blocks
from datagen_plugin_banking.common import (
    DAY_MS,
    MINIMUM_WAGE_CENTS,
    SAO_PAULO,
    is_valid_cpf,
    local_parts,
    state_by_uf,
)
from datagen_plugin_banking.masters import BANK_ISPB, account_number_ok
from datagen_plugin_banking.transactions import DOC_END_MS

pytestmark = pytest.mark.slow

EVP = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
AS_OF = 1_767_236_400_000  # the pack's declared as-of: 2026-01-01T00:00-03:00


def shares(values: list, keys: list) -> dict:
    c = Counter(values)
    return {k: c[k] / len(values) for k in keys}


def assert_weights(values: list, expected: dict, tolerance: float) -> None:
    got = shares(values, list(expected))
    assert sum(Counter(values).values()) == len(values)
    assert set(Counter(values)) <= set(expected), Counter(values)
    for k, w in expected.items():
        assert abs(got[k] - w) <= tolerance, (k, got[k], w)


def test_cpfs_are_valid_and_unique(sample) -> None:
    cpfs = [c["cpf"] for c in sample["customer"]]
    assert len(cpfs) == 20_000
    assert len(set(cpfs)) == len(cpfs)
    assert all(is_valid_cpf(c) for c in cpfs)
    assert len({c["customer_id"] for c in sample["customer"]}) == 20_000


def test_addresses_are_consistent(sample) -> None:
    by_uf = state_by_uf()
    for c in sample["customer"]:
        a = c["address"]
        s = by_uf[a["state"]]
        city = {x.name: x.ddd for x in s.cities}
        assert a["city"] in city, a
        assert s.cep_prefix_ok(int(a["postal_code"][:5])) and re.fullmatch(r"\d{5}-\d{3}", a["postal_code"])
        assert re.fullmatch(r"\+55 \d\d 9\d{4}-\d{4}", c["phone"])
        assert c["phone"][4:6] == city[a["city"]], (c["phone"], a)
        assert a["country"] == "BR"


def test_customer_distributions(sample) -> None:
    customers = sample["customer"]
    # tolerance: 4 standard errors of a share p over 20,000 draws is at most 0.014
    assert_weights([c["employment_status"] for c in customers],
                   {"EMPLOYED": 0.60, "SELF_EMPLOYED": 0.20, "RETIRED": 0.15, "UNEMPLOYED": 0.05}, 0.014)
    income = np.array([c["monthly_income"] for c in customers])
    assert income.min() == MINIMUM_WAGE_CENTS
    assert 270_000 <= np.median(income) <= 330_000  # median near R$ 3,000
    assert np.mean(income) > np.median(income)  # right-skewed
    for c in customers:
        formula = 300 + min(c["monthly_income"] / 100 / 50_000 * 400, 400)
        assert 300 <= c["credit_score"] <= 850
        assert max(300, formula - 50) - 1 <= c["credit_score"] <= min(850, formula + 50)
        assert AS_OF - 3 * 365 * DAY_MS <= c["created_at"] < AS_OF and c["updated_at"] is None
        assert c["email"].split("@")[1] in {"gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br",
                                            "bol.com.br", "icloud.com", "terra.com.br"}


def test_account_distributions(sample) -> None:
    accounts = sample["account"]
    per_customer = Counter(a["customer_id"] for a in accounts)
    assert len(per_customer) == 20_000
    assert_weights(list(per_customer.values()), {1: 0.50, 2: 0.35, 3: 0.15}, 0.014)
    assert_weights([a["account_type"] for a in accounts],
                   {"CONTA_CORRENTE": 0.70, "POUPANCA": 0.20, "INVESTIMENTOS": 0.10}, 0.012)
    assert {a["bank_code"] for a in accounts} == {"001", "033", "104", "237", "341", "756"}
    customers = {c["customer_id"]: c for c in sample["customer"]}
    ratio = defaultdict(list)
    for a in accounts:
        owner = customers[a["customer_id"]]
        assert a["created_at"] > owner["created_at"] and a["created_at"] < AS_OF
        assert re.fullmatch(r"\d{4}", a["branch"]) and account_number_ok(a["account_number"])
        assert (a["status"] == "ACTIVE") == (a["updated_at"] is None) and a["balance"] > 0
        ratio[a["account_type"]].append(a["balance"] / owner["monthly_income"])
    # balances scale with income: median 0.8 / 3 / 8 incomes by type
    assert 0.6 < np.median(ratio["CONTA_CORRENTE"]) < 1.0
    assert 2.4 < np.median(ratio["POUPANCA"]) < 3.6
    assert 6.4 < np.median(ratio["INVESTIMENTOS"]) < 9.6


def drawn(data: dict) -> list[dict]:
    """The transactions drawn at the catalog's rates: not SALARY and AUTO_DEBIT (they follow
    schedules), nor the first deposit that activates an account (its ACTIVATED event)."""
    first = {(e["account_id"], e["occurred_at"]) for e in data["account_event"] if e["event_type"] == "ACTIVATED"}
    p2p = p2p_ids(data)
    return [t for t in data["transaction"] if t["transaction_type"] not in ("SALARY", "AUTO_DEBIT")
            and (t["account_id"], t["timestamp"]) not in first and t["transaction_id"] not in p2p]


def p2p_ids(data: dict) -> set[str]:
    """Transactions of P2P payments between customers (drawn at their own rate): both sides of a
    pair, and the Pix debits to a customer that failed (a failed Pix has no credit)."""
    names = {c["name"] for c in data["customer"]}
    shared = Counter(t["pix_e2e_id"] for t in data["transaction"] if t["pix_e2e_id"])
    return {t["transaction_id"] for t in data["transaction"] if t["pix_e2e_id"] and (
        shared[t["pix_e2e_id"]] == 2 or (t["status"] == "FAILED" and t["counterparty_name"] in names))}


def test_transaction_distributions(sample) -> None:
    txs = drawn(sample)
    # ~20 per customer per year of history: customers whose accounts all have the full year
    # (and none closed or blocked: their life ended early)
    opened_late = {a["customer_id"] for a in sample["account"] if a["created_at"] >= AS_OF - 365 * DAY_MS
                   or a["status"] in ("CLOSED", "BLOCKED")}
    per_customer = Counter(t["customer_id"] for t in txs)
    moving = {a["customer_id"] for a in sample["account"] if a["status"] != "DORMANT"}  # dormant: no events
    full_year = [c["customer_id"] for c in sample["customer"]
                 if c["customer_id"] not in opened_late and c["customer_id"] in moving]
    assert len(full_year) > 8000
    mean = sum(per_customer[c] for c in full_year) / len(full_year)
    assert abs(mean - 20) < 0.3, mean  # 7 standard errors of a Poisson(20) mean over 8,000 customers
    assert 13 <= len(txs) / 20_000 < 20  # newer customers have less history, dormant accounts none
    # 400,000 draws: 4 standard errors <= 0.004
    assert_weights([t["transaction_type"] for t in txs],
                   {"PIX": 0.45, "TED": 0.20, "DEPOSIT": 0.15, "WITHDRAW": 0.10, "BOLETO": 0.10, "DOC": 0.0}, 0.004)
    pix = [t for t in txs if t["transaction_type"] == "PIX"]
    assert_weights([t["pix_key_type"] for t in pix],
                   {"CPF": 0.40, "CNPJ": 0.0, "PHONE": 0.30, "EMAIL": 0.20, "EVP": 0.10}, 0.006)
    status = shares([t["status"] for t in txs], ["COMPLETED", "PENDING", "FAILED"])
    assert 0.975 <= status["COMPLETED"] <= 0.985  # 98%, minus the few declined for insufficient funds
    by_type = defaultdict(Counter)
    for t in txs:
        by_type[t["transaction_type"]][t["direction"]] += 1
    assert set(by_type["DEPOSIT"]) == {"CREDIT"}
    assert set(by_type["WITHDRAW"]) == set(by_type["BOLETO"]) == {"DEBIT"}
    for both in ("PIX", "TED"):  # DOC ended in January 2024: TED took its share
        assert abs(by_type[both]["CREDIT"] / sum(by_type[both].values()) - 0.5) < 0.02


def test_transaction_amounts_and_timestamps(sample) -> None:
    txs = drawn(sample)
    accounts = {a["account_id"]: a for a in sample["account"]}
    ratio = np.array([t["amount"] / accounts[t["account_id"]]["balance"] for t in txs if t["direction"] == "CREDIT"])
    # log-normal around 5% of the balance, sigma 1.5 (credits are never capped)
    assert 0.04 < np.median(ratio) < 0.06
    assert 1.35 < np.std(np.log(ratio[ratio > 0.002])) < 1.65
    assert all(t["amount"] > 0 for t in txs)
    ts = np.array([t["timestamp"] for t in txs])
    assert (ts < AS_OF).all() and (ts >= AS_OF - 365 * DAY_MS).all()
    assert all(t["timestamp"] >= accounts[t["account_id"]]["created_at"] for t in txs)
    _, weekday, hour = local_parts(ts)
    assert np.isin(weekday, [5, 6]).mean() < 0.15
    assert ((hour >= 9) & (hour < 18)).mean() > 0.6
    assert all(t["created_at"] == t["timestamp"] for t in txs)


def test_completed_debits_never_overdraw(sample) -> None:
    balance = {a["account_id"]: a["balance"] for a in sample["account"]}
    last = {}
    capped = 0
    for t in sample["transaction"]:  # grouped by account, in time order
        acc = t["account_id"]
        assert t["timestamp"] >= last.get(acc, 0)
        last[acc] = t["timestamp"]
        if t["status"] != "COMPLETED":
            continue
        if t["direction"] == "CREDIT":
            balance[acc] += t["amount"]
        else:
            balance[acc] -= t["amount"]
            assert balance[acc] >= 0, t
            capped += balance[acc] == 0
    assert min(balance.values()) >= 0


def test_owner_and_pix_fields(sample) -> None:
    accounts = {a["account_id"]: a for a in sample["account"]}
    e2e = re.compile(r"E(\d{8})(\d{12})[A-Za-z0-9]{11}")
    seen = set()
    for t in drawn(sample):
        acc = accounts[t["account_id"]]
        assert t["customer_id"] == acc["customer_id"]
        if t["transaction_type"] == "PIX":
            m = e2e.fullmatch(t["pix_e2e_id"])
            assert m and len(t["pix_e2e_id"]) == 32
            assert m[1] == BANK_ISPB[acc["bank_code"]]
            utc = datetime.fromtimestamp(t["timestamp"] / 1000, tz=UTC)
            assert m[2] == utc.strftime("%Y%m%d%H%M")
            seen.add(t["pix_e2e_id"])
            key = t["counterparty_key"]
            kind = t["pix_key_type"]
            if kind == "CPF":
                assert is_valid_cpf(key)
            elif kind == "PHONE":
                assert re.fullmatch(r"\+55 \d\d 9\d{4}-\d{4}", key)
            elif kind == "EMAIL":
                assert re.fullmatch(r"[a-z0-9._]+@[a-z.]+", key)
            else:
                assert kind == "EVP" and re.fullmatch(EVP, key)
            assert t["counterparty_name"] and t["description"].startswith("Pix ")
        else:
            assert t["pix_e2e_id"] is None and t["pix_key_type"] is None
            if t["transaction_type"] in ("DEPOSIT", "WITHDRAW"):
                assert t["counterparty_key"] is None and t["counterparty_name"] is None
            elif t["transaction_type"] == "BOLETO":
                assert re.fullmatch(r"\d\d\.\d{3}\.\d{3}/0001-\d\d", t["counterparty_key"])
            else:
                assert re.fullmatch(r"\d{3}/\d{4}/\d{6}-\d", t["counterparty_key"])
        if t["transaction_type"] == "WITHDRAW":
            assert t["amount"] % 1000 == 0  # R$ 10 notes
    assert len(seen) > 0.999 * sum(t["transaction_type"] == "PIX" for t in drawn(sample))


def test_no_doc_after_its_discontinuation_in_january_2024() -> None:
    assert int(datetime(2024, 1, 16, tzinfo=SAO_PAULO).timestamp() * 1000) == DOC_END_MS
    txs = drawn(generate_blocks(4000, seed=3, as_of=datetime(2024, 7, 1, tzinfo=SAO_PAULO)))
    docs = [t for t in txs if t["transaction_type"] == "DOC"]
    assert docs and all(t["timestamp"] < DOC_END_MS for t in docs)  # the history before it has DOCs
    early = Counter(t["transaction_type"] for t in txs if t["timestamp"] < DOC_END_MS)
    late = Counter(t["transaction_type"] for t in txs if t["timestamp"] >= DOC_END_MS)
    assert abs(early["DOC"] / early.total() - 0.05) < 0.01 and abs(early["TED"] / early.total() - 0.15) < 0.01
    # TED took the DOCs' share (first deposits of newly activated accounts dilute both a little)
    assert late["DOC"] == 0 and late["TED"] / late.total() > early["TED"] / early.total() + 0.03


def test_customer_addresses_are_homes(sample) -> None:
    complements = Counter(c["address"]["complement"] for c in sample["customer"])
    assert not {"Loja 1", "Sala 305"} & set(complements)
    assert 0.45 <= complements[None] / len(sample["customer"]) <= 0.55
