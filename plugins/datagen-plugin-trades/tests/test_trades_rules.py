"""Each rule of the pack catches the defect it names (and stays quiet on good data)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from trades_testkit import read_dataset, trades_host

from datagen_kernel import Record
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.validation import run_rules

HOST = trades_host()
SPECS = HOST.registry.entity_specs()
RULES = [r.value for r in HOST.registry.rules]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Record]]:
    out = tmp_path_factory.mktemp("rules")
    result = CliRunner().invoke(make_cli(lambda: HOST), ["run", "--customers", "400", "--sink", "json",
                                                         "-o", f"json.path={out}", "--quiet"])
    assert result.exit_code == 0, result.output
    return read_dataset(out, HOST)


def _violations(data: dict[str, list[Record]], entity: str, records: list[Record]) -> set[str]:
    index = RecordIndex(SPECS, {**data, entity: records})
    return {v.rule for v in run_rules(SPECS[entity], records, RULES, index)}


def test_generated_data_is_clean(data: dict[str, list[Record]]) -> None:
    assert _violations(data, "trade", data["trade"]) == set()
    assert _violations(data, "stock", data["stock"]) == set()


def _first(data: dict[str, list[Record]], pred: Callable[[Record], bool]) -> int:
    return next(i for i, t in enumerate(data["trade"]) if pred(t))


def _mutated(data: dict[str, list[Record]], index: int, **changes: Any) -> list[Record]:
    records = [dict(t) for t in data["trade"]]
    records[index].update(changes)
    return records


def test_trade_on_a_non_investment_account(data: dict[str, list[Record]]) -> None:
    other = next(a for a in data["account"] if a["account_type"] != "INVESTIMENTOS")
    records = _mutated(data, 5, account_id=other["account_id"], customer_id=other["customer_id"])
    assert "trade-investment-account" in _violations(data, "trade", records)


def test_customer_not_the_owner(data: dict[str, list[Record]]) -> None:
    stranger = data["customer"][-1]["customer_id"]
    i = _first(data, lambda t: t["customer_id"] != stranger)  # a trade the stranger does not own
    assert "trade-customer-owner" in _violations(data, "trade", _mutated(data, i, customer_id=stranger))


def test_ticker_not_the_stocks(data: dict[str, list[Record]]) -> None:
    i = _first(data, lambda t: t["ticker"] != "VALE3")
    assert "trade-ticker" in _violations(data, "trade", _mutated(data, i, ticker="VALE3"))


def test_quantity_off_lot(data: dict[str, list[Record]]) -> None:
    lots = {s["ticker"]: s["lot_size"] for s in data["stock"]}
    i = _first(data, lambda t: lots[t["ticker"]] > 1)  # one more share is off the lot only when a lot is > 1
    t = data["trade"][i]
    records = _mutated(data, i, quantity=t["quantity"] + 1, total_amount=(t["quantity"] + 1) * t["price_per_share"])
    assert "trade-lot-size" in _violations(data, "trade", records)


@pytest.mark.parametrize("field", ["total_amount", "fees", "net_amount"])
def test_amount_arithmetic(data: dict[str, list[Record]], field: str) -> None:
    records = _mutated(data, 2, **{field: data["trade"][2][field] + 1})
    assert "trade-amounts" in _violations(data, "trade", records)


def test_execution_outside_the_session(data: dict[str, list[Record]]) -> None:
    t = data["trade"][4]
    evening = t["executed_at"] + 8 * 3_600_000  # 10:00..17:00 becomes 18:00..01:00
    assert "trade-trading-hours" in _violations(data, "trade", _mutated(data, 4, executed_at=evening))
    saturday_shift = _first(data, lambda r: r["settlement_date"].weekday() == 0)  # traded on Thursday
    thursday = data["trade"][saturday_shift]
    records = _mutated(data, saturday_shift, executed_at=thursday["executed_at"] + 2 * 86_400_000)
    assert "trade-trading-hours" in _violations(data, "trade", records)


def test_settlement_not_d_plus_2(data: dict[str, list[Record]]) -> None:
    from datetime import timedelta

    t = data["trade"][1]
    records = _mutated(data, 1, settlement_date=t["settlement_date"] + timedelta(days=1))
    assert "trade-settlement" in _violations(data, "trade", records)


def test_sell_beyond_holdings(data: dict[str, list[Record]]) -> None:
    i = _first(data, lambda t: t["trade_type"] == "SELL")
    t = data["trade"][i]
    big = t["quantity"] + 1_000_000
    records = _mutated(data, i, quantity=big, total_amount=big * t["price_per_share"])
    assert "trade-holdings" in _violations(data, "trade", records)


def test_bad_isin_and_price_out_of_band(data: dict[str, list[Record]]) -> None:
    stocks = [dict(s) for s in data["stock"]]
    isin = stocks[0]["isin"]
    stocks[0]["isin"] = isin[:-1] + str((int(isin[-1]) + 1) % 10)
    stocks[1]["current_price"] = 10**9
    assert _violations(data, "stock", stocks) == {"stock-isin", "stock-price-band"}


def test_datagen_validate_reports_a_corrupted_file(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    cli = make_cli(lambda: HOST)
    # 4,000 customers give more than 10,000 trades: validate reads them in several chunks
    assert CliRunner().invoke(cli, ["run", "--customers", "4000", "--sink", "json", "-o", f"json.path={out}",
                                    "--quiet"]).exit_code == 0
    ok = CliRunner().invoke(cli, ["validate", str(out)])
    assert ok.exit_code == 0, ok.output
    lines = (out / "trade.jsonl").read_bytes().splitlines()
    assert len(lines) > 10_000
    bad = orjson.loads(lines[7])
    bad["ticker"] = "ZZZZ3"
    lines[7] = orjson.dumps(bad)
    (out / "trade.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    failed = CliRunner().invoke(cli, ["validate", str(out)])
    assert failed.exit_code == 1
    assert "trade-ticker" in failed.output and bad["trade_id"] in failed.output


def test_order_before_the_account_opened(data: dict[str, list[Record]]) -> None:
    t = data["trade"][6]
    account = next(a for a in data["account"] if a["account_id"] == t["account_id"])
    records = _mutated(data, 6, created_at=account["created_at"] - 1)
    assert "trade-after-account-opening" in _violations(data, "trade", records)
