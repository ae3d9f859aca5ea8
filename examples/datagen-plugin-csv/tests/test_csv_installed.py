"""Installed like users install it (pip install -e), the csv sink runs through `datagen run`.

The distribution goes into the testing kit's layered environment (``datagen_venv``), so the
environment of the rest of the test suite is left as it was.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from datagen_kernel.testing import PluginVenv

DIST = Path(__file__).resolve().parents[1]


def test_installed_csv_sink_writes_the_banking_pack(datagen_venv: PluginVenv, tmp_path: Path) -> None:
    datagen_venv.install(DIST)
    listed = json.loads(datagen_venv.datagen("plugins", "--json", check=True).stdout)
    mine = [p for p in listed["plugins"] if p["distribution"] == "datagen-plugin-csv"]
    assert mine and mine[0]["provides"] == {"sinks": ["csv"]} and mine[0]["error"] is None

    out, ref = tmp_path / "csv", tmp_path / "json"
    summary = tmp_path / "summary.json"
    datagen_venv.datagen("run", "--customers", "30", "--seed", "11", "--sink", "csv:customer,account", "-q",
                         "-o", f"csv.path={out}", "--summary-json", str(summary), cwd=tmp_path, check=True)
    datagen_venv.datagen("run", "--customers", "30", "--seed", "11", "--sink", "json:customer,account", "-q",
                         "-o", f"json.path={ref}", cwd=tmp_path, check=True)

    acked = {row["entity"]: row["acknowledged"] for row in json.loads(summary.read_text())["rows"]}
    with open(out / "customer.csv", newline="", encoding="utf-8") as fh:
        customers = list(csv.DictReader(fh))
    with open(out / "account.csv", newline="", encoding="utf-8") as fh:
        accounts = list(csv.DictReader(fh))
    assert len(customers) == acked["customer"] == 30 and len(accounts) == acked["account"]
    assert {"address_city", "address_state", "monthly_income"} <= set(customers[0])
    # same seed, another sink: the very same customers
    reference = [json.loads(line) for line in (ref / "customer.jsonl").read_text().splitlines()]
    assert [c["customer_id"] for c in customers] == [r["customer_id"] for r in reference]
    assert [c["monthly_income"] for c in customers] == [r["monthly_income"] for r in reference]
    assert [c["address_city"] for c in customers] == [r["address"]["city"] for r in reference]
    # timestamps in the run's time zone (the banking pack's), rendered as the json serializer does
    assert [c["created_at"] for c in customers] == [r["created_at"] for r in reference]
    assert all(c["created_at"].endswith("-03:00") for c in customers)


def test_installed_csv_sink_refuses_a_bad_delimiter(datagen_venv: PluginVenv, tmp_path: Path) -> None:
    datagen_venv.install(DIST)
    done = datagen_venv.datagen("run", "--customers", "3", "--sink", "csv", "-o", "csv.delimiter=colon",
                                "-o", f"csv.path={tmp_path}", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: invalid configuration: option csv.delimiter='colon' (from -o csv.delimiter) is invalid: "
        "expected one of comma, semicolon, tab, pipe"]
