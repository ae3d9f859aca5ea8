"""Trades pack output, checked independently of the pack's own rules (stand-in bank)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from datagen_plugin_banking.bankcalendar import is_business_day
from datagen_plugin_banking.lifecycle import lifecycle
from datagen_plugin_trades.listing import BY_TICKER
from trades_testkit import RunTrades, read_dataset, trades_host

from datagen_kernel import Record
from datagen_kernel.cli import make_cli

BRT = timezone(timedelta(hours=-3))
AS_OF_MS = int(datetime(2026, 1, 1, tzinfo=BRT).timestamp() * 1000)
CUSTOMERS = 3000


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Record]]:
    out = tmp_path_factory.mktemp("trades")
    host = trades_host()
    result = CliRunner().invoke(make_cli(lambda: host), ["run", "--customers", str(CUSTOMERS), "--sink", "json",
                                                         "-o", f"json.path={out}", "--quiet"])
    assert result.exit_code == 0, result.output
    return read_dataset(out, host)


def _brt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, BRT)


def test_trades_only_on_investment_accounts_of_their_owner(dataset: dict[str, list[Record]]) -> None:
    accounts = {a["account_id"]: a for a in dataset["account"]}
    investment = [a for a in accounts.values() if a["account_type"] == "INVESTIMENTOS"]
    traded = set()
    for t in dataset["trade"]:
        account = accounts[t["account_id"]]
        assert account["account_type"] == "INVESTIMENTOS"
        assert t["customer_id"] == account["customer_id"]
        assert t["executed_at"] > account["created_at"]
        traded.add(t["account_id"])
    assert len(traded) > 0.9 * len(investment)


def test_ticker_stock_and_lot(dataset: dict[str, list[Record]]) -> None:
    stocks = {s["stock_id"]: s for s in dataset["stock"]}
    for t in dataset["trade"]:
        assert stocks[t["stock_id"]]["ticker"] == t["ticker"]
        assert t["quantity"] > 0 and t["quantity"] % 100 == 0


def test_amounts_follow_the_catalog_formula(dataset: dict[str, list[Record]]) -> None:
    cent = Decimal("0.01")
    for t in dataset["trade"]:
        price = Decimal(t["price_per_share"]) / 100
        total = Decimal(t["total_amount"]) / 100
        assert total == price * t["quantity"]
        fees = (total * (Decimal("0.0005") + Decimal("0.000275") + Decimal("0.0000275"))).quantize(cent, ROUND_HALF_UP)
        assert Decimal(t["fees"]) / 100 == fees
        net = total + fees if t["trade_type"] == "BUY" else total - fees
        assert Decimal(t["net_amount"]) / 100 == net


def test_sells_never_exceed_holdings(dataset: dict[str, list[Record]]) -> None:
    by_account: dict[str, list[Record]] = defaultdict(list)
    for t in dataset["trade"]:
        by_account[t["account_id"]].append(t)
    sells = 0
    for trades in by_account.values():
        held: Counter[str] = Counter()
        for t in sorted(trades, key=lambda r: r["executed_at"]):
            if t["trade_type"] == "SELL":
                sells += 1
                assert t["quantity"] <= held[t["ticker"]]
                if t["status"] in ("EXECUTED", "PARTIALLY_FILLED"):
                    held[t["ticker"]] -= t["quantity"]
            elif t["status"] in ("EXECUTED", "PARTIALLY_FILLED"):
                held[t["ticker"]] += t["quantity"]
        assert min(held.values(), default=0) >= 0
    assert sells > 1000


def test_b3_hours_business_days_and_d_plus_2(dataset: dict[str, list[Record]]) -> None:
    on_holiday = 0
    for t in dataset["trade"]:
        executed = _brt(t["executed_at"])
        assert is_business_day(executed.date())  # a weekday that is not a national bank holiday
        assert (executed.hour, executed.minute) >= (10, 0) and executed.hour < 17
        assert t["executed_at"] < AS_OF_MS
        assert t["created_at"] <= t["executed_at"]
        settle: date = executed.date()
        for _ in range(2):
            settle += timedelta(days=1)
            while not is_business_day(settle):
                settle += timedelta(days=1)
                on_holiday += settle.weekday() < 5
        assert t["settlement_date"] == settle
        if t["status"] in ("CANCELLED", "PARTIALLY_FILLED"):
            assert t["updated_at"] is not None and t["updated_at"] > t["executed_at"]
        else:
            assert t["updated_at"] is None
    assert on_holiday > 0  # some settlements skipped a holiday


def test_prices_inside_bands_and_close_within_a_day(dataset: dict[str, list[Record]]) -> None:
    per_day: dict[tuple[str, date], list[int]] = defaultdict(list)
    for t in dataset["trade"]:
        li = BY_TICKER[t["ticker"]]
        assert li.low <= t["price_per_share"] <= li.high
        per_day[(t["ticker"], _brt(t["executed_at"]).date())].append(t["price_per_share"])
    groups = [p for p in per_day.values() if len(p) > 1]
    assert len(groups) > 500
    for prices in groups:
        # one cent of rounding matters for the cheapest shares (AMER3 trades near R$ 1)
        assert max(prices) - 1 <= 1.05 * min(prices), prices
    # ... but the walk moves over time: a ticker's prices are not constant across days
    spread_days = defaultdict(set)
    for (ticker, _), prices in per_day.items():
        spread_days[ticker].update(prices)
    assert all(len(v) > 10 for v in spread_days.values() if len(v) > 1)


def test_stocks_are_the_catalog_listing(dataset: dict[str, list[Record]]) -> None:
    stocks = dataset["stock"]
    assert [s["ticker"] for s in stocks] == list(BY_TICKER)
    assert Counter(s["segment"] for s in stocks) == {"NOVO_MERCADO": 21, "N1": 9, "N2": 6, "TRADICIONAL": 6}
    first_trade = min(t["created_at"] for t in dataset["trade"])
    for s in stocks:
        li = BY_TICKER[s["ticker"]]
        assert s["company_name"] == li.company_name and s["sector"] == li.sector
        assert li.low <= s["current_price"] <= li.high
        assert (s["currency"], s["lot_size"], s["isin"]) == ("BRL", 100, li.isin)
        assert s["created_at"] < first_trade


def test_current_price_is_the_latest_trading_day_level(dataset: dict[str, list[Record]]) -> None:
    current = {s["ticker"]: s["current_price"] for s in dataset["stock"]}
    last_day = max(_brt(t["executed_at"]).date() for t in dataset["trade"])
    recent = [t for t in dataset["trade"] if _brt(t["executed_at"]).date() == last_day]
    assert recent
    for t in recent:
        assert abs(math.log(t["price_per_share"] / current[t["ticker"]])) < 0.04


def test_distributions_near_the_catalog(dataset: dict[str, list[Record]]) -> None:
    trades = dataset["trade"]
    n = len(trades)
    sides = Counter(t["trade_type"] for t in trades)
    assert abs(sides["SELL"] / n - 0.45) < 0.03
    orders = Counter(t["order_type"] for t in trades)
    for name, share in {"MARKET": 0.70, "LIMIT": 0.25, "STOP": 0.05}.items():
        assert abs(orders[name] / n - share) < 0.02, (name, orders)
    statuses = Counter(t["status"] for t in trades)
    assert abs(statuses["EXECUTED"] / n - 0.95) < 0.01
    assert set(statuses) == {"PENDING", "EXECUTED", "CANCELLED", "PARTIALLY_FILLED"}
    investment = sum(1 for a in dataset["account"] if a["account_type"] == "INVESTIMENTOS")
    assert 18.5 < n / investment < 21.0


def test_same_seed_same_bytes_whatever_workers_and_batches(tmp_path: Path) -> None:
    outputs = []
    for extra in ([], ["--workers", "2", "--batch-size", "97"], ["--batch-size", "1"]):
        out = tmp_path / f"o{len(outputs)}"
        host = trades_host()
        result = CliRunner().invoke(make_cli(lambda h=host: h), ["run", "--customers", "1100", "--sink", "json",
                                                                 "-o", f"json.path={out}", "--quiet", *extra])
        assert result.exit_code == 0, result.output
        outputs.append({p.name: p.read_bytes() for p in sorted(out.glob("*.jsonl"))})
    assert outputs[0]["trade.jsonl"]
    assert outputs[0] == outputs[1] == outputs[2]


def test_prefix_of_customers_is_stable(run_trades: RunTrades) -> None:
    small = run_trades(100)
    large = run_trades(1200)
    owners = {c["customer_id"] for c in small["customer"]}
    assert small["trade"], "expected some trades among 100 customers"
    assert [t for t in large["trade"] if t["customer_id"] in owners] == small["trade"]
    assert small["stock"] == large["stock"]


def test_other_seed_other_trades(run_trades: RunTrades) -> None:
    a = run_trades(300, "--seed", "1")
    b = run_trades(300, "--seed", "2")
    assert {t["trade_id"] for t in a["trade"]}.isdisjoint({t["trade_id"] for t in b["trade"]})


def test_per_account_option(run_trades: RunTrades) -> None:
    data = run_trades(2000, "-o", "trades.per_account=5")
    investment = sum(1 for a in data["account"] if a["account_type"] == "INVESTIMENTOS")
    assert 4.0 < len(data["trade"]) / investment < 5.5
    assert run_trades(200, "-o", "trades.per_account=0")["trade"] == []


def test_bad_option_is_one_clear_error() -> None:
    host = trades_host()
    result = CliRunner().invoke(make_cli(lambda: host), ["run", "--customers", "5", "--sink", "null",
                                                         "-o", "trades.per_account=-3"])
    assert result.exit_code != 0
    assert "trades.per_account" in result.output or "per_account" in result.output


def test_trades_on_the_opening_day_come_after_the_opening(run_trades: RunTrades) -> None:
    """An account opened during a session may trade later that day (customer-360 opens accounts late)."""
    data = run_trades(3000)
    accounts = {a["account_id"]: a for a in data["account"]}
    late = [t for t in data["trade"]
            if _brt(accounts[t["account_id"]]["created_at"]).date() == _brt(t["executed_at"]).date()]
    assert late, "expected trades on their account's opening day"
    for t in late:
        assert t["created_at"] > accounts[t["account_id"]]["created_at"]


def test_no_trade_outside_the_account_active_life(dataset: dict[str, list[Record]]) -> None:
    """No trade before the account's activation nor on or after the day it went DORMANT, BLOCKED
    or CLOSED (banking's lifecycle, derived from the account id and creation time)."""
    accounts = {a["account_id"]: a for a in dataset["account"]}
    ids = list(accounts)
    life = lifecycle(ids, np.array([accounts[i]["created_at"] for i in ids], dtype=np.int64), AS_OF_MS)
    activated = dict(zip(ids, life.activated.tolist(), strict=True))
    end = dict(zip(ids, life.active_end.tolist(), strict=True))
    ended = 0
    for t in dataset["trade"]:
        aid = t["account_id"]
        assert t["executed_at"] > activated[aid]
        if end[aid] < AS_OF_MS:
            assert _brt(t["executed_at"]).date() < _brt(end[aid]).date()
            ended += 1
    assert ended > 0  # accounts closed or blocked later traded before
    never = [i for i in ids if activated[i] > AS_OF_MS and accounts[i]["account_type"] == "INVESTIMENTOS"]
    assert never and not {t["account_id"] for t in dataset["trade"]} & set(never)
