"""Payroll and recurring payments: the masters, the tax tables and their SALARY / AUTO_DEBIT events."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import numpy as np
import pytest
from banking_blocks import generate_blocks
from datagen_plugin_banking import names
from datagen_plugin_banking.bankcalendar import is_business_day, roll_back
from datagen_plugin_banking.common import SAO_PAULO, is_valid_cnpj
from datagen_plugin_banking.payroll import employers, inss_cents, irrf_cents, net_salary_cents


def local_date(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, SAO_PAULO).date()


@pytest.fixture(scope="module")
def bank() -> dict:
    return generate_blocks(3000, seed=21)


def test_inss_and_irrf_follow_the_2025_tables() -> None:
    gross = np.array([151_800, 300_000, 500_000, 1_000_000])
    inss = inss_cents(gross)
    # 7.5% up to 1,518.00, 9% to 2,793.88, 12% to 4,190.83, 14% to the 8,157.41 ceiling
    assert inss.tolist() == [11_385, 25_341, 50_960, 95_163]
    # base = gross - max(INSS, 607.20): 2,392.80 is exempt; 4,392.80 x 22.5% - 675.49; 27.5% - 908.73 above 4,664.68
    assert irrf_cents(gross, inss).tolist() == [0, 0, 31_289, 157_957]
    assert net_salary_cents(gross).tolist() == [140_415, 274_659, 417_751, 746_880]
    many = np.arange(151_800, 5_000_000, 997)
    net = net_salary_cents(many)
    assert (net < many).all() and (np.diff(net) >= 0).all()  # progressive: a raise never lowers the net


def test_payroll_masters(bank) -> None:
    customers = {c["customer_id"]: c for c in bank["customer"]}
    accounts = {a["account_id"]: a for a in bank["account"]}
    payroll = bank["payroll"]
    employed = sum(c["employment_status"] == "EMPLOYED" for c in bank["customer"])
    assert 0.75 * employed <= len(payroll) <= 0.9 * employed  # those with a checking account
    assert len({p["customer_id"] for p in payroll}) == len(payroll)
    by_employer = defaultdict(set)
    for p in payroll:
        c, a = customers[p["customer_id"]], accounts[p["account_id"]]
        assert c["employment_status"] == "EMPLOYED" and a["account_type"] == "CONTA_CORRENTE"
        assert a["customer_id"] == p["customer_id"] and p["gross_salary"] == c["monthly_income"]
        assert p["net_salary"] == int(net_salary_cents(np.array([p["gross_salary"]]))[0])
        assert p["payment_day"] in (5, 10, 15, 20, 25, 30) and is_valid_cnpj(p["employer_cnpj"])
        by_employer[p["employer_cnpj"]].add(p["employer_name"])
    assert all(len(n) == 1 for n in by_employer.values())  # one name per CNPJ
    assert len({next(iter(n)) for n in by_employer.values()}) == len(by_employer)  # and one CNPJ per name
    assert Counter(p["payment_day"] for p in payroll).most_common(1)[0][0] == 5


def test_employers_come_from_a_seeded_faker() -> None:
    a, b = employers(5), employers(6)
    assert a == employers(5) and a.names != b.names
    assert len(set(a.names)) == len(a.names) == len(set(a.cnpjs))
    assert all(" " in n for n in a.names)


def test_employer_names_are_those_of_a_full_pt_br_faker() -> None:
    """The two providers loaded give the values ``Faker("pt_BR")`` gives for the same seed."""
    from faker import Faker

    from datagen_kernel.api.seeding import stream_for

    fake = Faker("pt_BR")
    fake.seed_instance(int(stream_for(5, "banking-employers", "faker").integers(0, 2**62)))
    first = []
    while len(first) < 20:
        name = fake.company()
        if not name[0].isupper():
            name = f"{fake.last_name()} {name}"
        if " " not in name:
            name = f"{name} {fake.company_suffix()}"
        if name not in first:
            first.append(name)
    assert employers(5).names[:20] == first


def test_salaries_are_paid_monthly_on_the_payment_day_or_before(bank) -> None:
    payroll = {p["payroll_id"]: p for p in bank["payroll"]}
    credits = defaultdict(list)
    for t in bank["transaction"]:
        if t["transaction_type"] == "SALARY":
            assert t["direction"] == "CREDIT" and t["status"] == "COMPLETED" and t["recurring_id"] is None
            credits[t["payroll_id"]].append(t)
        else:
            assert t["payroll_id"] is None
    assert set(credits) <= set(payroll) and len(credits) > 0.9 * len(payroll)
    for pid, txs in credits.items():
        p = payroll[pid]
        assert all(t["account_id"] == p["account_id"] and t["timestamp"] >= p["created_at"] for t in txs)
        monthly = [t for t in txs if t["description"].startswith("Salário")]
        assert all(t["amount"] == p["net_salary"] and t["counterparty_name"] == p["employer_name"]
                   and t["counterparty_key"] == p["employer_cnpj"] for t in monthly)
        months = Counter((local_date(t["timestamp"]).year, local_date(t["timestamp"]).month) for t in monthly)
        assert max(months.values(), default=1) == 1  # one salary a month
        for t in monthly:
            day = local_date(t["timestamp"])
            last = (dt.date(day.year + day.month // 12, day.month % 12 + 1, 1) - dt.timedelta(days=1)).day
            due = dt.date(day.year, day.month, min(p["payment_day"], last))
            assert day == roll_back(due) and is_business_day(day)
        thirteenth = [t for t in txs if t["description"].startswith("13º")]
        for year in {local_date(t["timestamp"]).year for t in thirteenth}:
            parts = sorted((t for t in thirteenth if local_date(t["timestamp"]).year == year),
                           key=lambda t: t["timestamp"])
            if len(parts) == 2:
                assert [local_date(t["timestamp"]).month for t in parts] == [11, 12]
                gross = np.array([p["gross_salary"]])
                inss = inss_cents(gross)
                assert parts[0]["amount"] == (p["gross_salary"] + 1) // 2
                assert sum(t["amount"] for t in parts) == int((gross - inss - irrf_cents(gross, inss))[0])


def test_recurring_payments_and_their_debits(bank) -> None:
    accounts = {a["account_id"]: a for a in bank["account"]}
    rec = {r["recurring_id"]: r for r in bank["recurring_payment"]}
    assert 0.5 <= len(rec) / sum(a["account_type"] == "CONTA_CORRENTE" for a in bank["account"]) <= 1.3
    tables = {t: {n for n, _ in rows} for t, rows in names.RECURRING_PAYEES.items()}
    for r in rec.values():
        assert accounts[r["account_id"]]["account_type"] == "CONTA_CORRENTE"
        assert r["payee_name"] in tables[r["payment_type"]] and 1 <= r["day_of_month"] <= 28
        assert (r["status"] == "ACTIVE") == (r["updated_at"] is None)
        if r["payment_type"] != "SUBSCRIPTION":
            assert r["frequency"] == "MONTHLY"
    assert set(Counter(r["status"] for r in rec.values())) == {"ACTIVE", "PAUSED", "CANCELLED"}
    debits = defaultdict(list)
    for t in bank["transaction"]:
        if t["transaction_type"] == "AUTO_DEBIT":
            assert t["direction"] == "DEBIT" and t["recurring_id"] in rec
            debits[t["recurring_id"]].append(t)
        else:
            assert t["recurring_id"] is None
    for rid, txs in debits.items():
        r = rec[rid]
        assert all(t["account_id"] == r["account_id"] and t["timestamp"] >= r["created_at"] for t in txs)
        if r["updated_at"] is not None:
            assert all(t["timestamp"] < r["updated_at"] for t in txs)  # none after pause/cancellation
        days = sorted(local_date(t["timestamp"]) for t in txs)
        assert all(is_business_day(d) for d in days)
        if r["frequency"] == "MONTHLY":
            assert len({(d.year, d.month) for d in days}) >= len(days) - 1  # about one a month
        amounts = {t["amount"] for t in txs}
        if r["payment_type"] == "UTILITY_BILL":
            assert all(0.85 * r["amount"] - 1 <= a <= 1.15 * r["amount"] + 1 for a in amounts)
            if len(txs) >= 4:
                assert len(amounts) > 1  # bills vary month to month
        else:
            assert amounts == {r["amount"]}  # fixed: subscriptions, rent, insurance
    failed = sum(t["status"] == "FAILED" for ts in debits.values() for t in ts)
    assert failed / sum(map(len, debits.values())) < 0.2  # refused for want of funds, never capped
