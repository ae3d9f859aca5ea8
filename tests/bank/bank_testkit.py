"""Test kit of the bank-wide tests: every bundled entity pack installed, run through the CLI.

Every test here needs datagen-plugin-banking, -cards, -loans, -trades, -insurance, -funds and
-consorcio installed (as ``make setup`` does) and skips with the reason otherwise.
"""

from __future__ import annotations

import importlib.metadata as md
from collections.abc import Callable, Sequence
from pathlib import Path

import orjson
from click.testing import CliRunner, Result

from datagen_kernel import PluginHost, make_plugin_host
from datagen_kernel.cli import make_cli

PACKS = ("datagen-plugin-banking", "datagen-plugin-cards", "datagen-plugin-loans", "datagen-plugin-trades",
         "datagen-plugin-insurance", "datagen-plugin-funds", "datagen-plugin-consorcio")
BANK_ENTITIES = ("stock", "customer", "property", "account", "credit_card", "loan", "payroll", "recurring_payment",
                 "transaction", "account_event", "reversal", "card_transaction", "installment", "trade")
"""The banking, cards, loans and trades packs' entities."""
PRODUCT_ENTITIES = ("insurance_policy", "insurance_claim", "insurance_premium", "fund", "fund_position",
                    "fund_quote", "consortium")
"""The insurance, funds and consorcio packs' entities."""
ENTITIES = BANK_ENTITIES + PRODUCT_ENTITIES
STATS_CUSTOMERS = 20_000


def missing_packs() -> list[str]:
    missing = []
    for dist in PACKS:
        try:
            md.distribution(dist)
        except md.PackageNotFoundError:
            missing.append(dist)
    return missing


def bank_host(*extra: object) -> PluginHost:
    """Everything installed (the entity packs, the sinks), plus ``extra`` plugins."""
    return make_plugin_host(plugins=extra)


def invoke(args: Sequence[str], host: PluginHost | None = None) -> Result:
    host = host or bank_host()
    return CliRunner().invoke(make_cli(lambda: host), list(args))


BankRun = Callable[..., Path]
"""The ``bank_run`` fixture: ``bank_run(customers, *args)`` -> output directory."""


def read_lines(directory: Path) -> dict[str, list[bytes]]:
    """The raw JSON lines of each entity file."""
    return {p.name.removesuffix(".jsonl"): p.read_bytes().splitlines() for p in sorted(directory.glob("*.jsonl"))}


def read_columns(directory: Path, columns: dict[str, Sequence[str]]) -> dict[str, dict[str, list[object]]]:
    """Only the named fields of each entity, column-wise (keeps big samples small in memory)."""
    out: dict[str, dict[str, list[object]]] = {}
    for entity, fields in columns.items():
        cols: dict[str, list[object]] = {f: [] for f in fields}
        appenders = [(f, cols[f].append) for f in fields]
        with (directory / f"{entity}.jsonl").open("rb") as fh:
            for line in fh:
                obj = orjson.loads(line)
                for f, append in appenders:
                    append(obj[f])
        out[entity] = cols
    return out
