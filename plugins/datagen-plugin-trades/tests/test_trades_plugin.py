"""The installed distribution is discovered through its entry point."""

from __future__ import annotations

import importlib.metadata as md

from datagen_kernel import Kind, Scope, make_plugin_host


def test_entry_point_is_installed() -> None:
    eps = [ep for ep in md.entry_points(group="datagen") if ep.name == "trades"]
    assert len(eps) == 1
    assert eps[0].value == "datagen_plugin_trades.plugin"
    assert eps[0].dist is not None and eps[0].dist.name == "datagen-plugin-trades"
    requires = md.requires("datagen-plugin-trades") or []
    assert any(r.startswith("datagen-plugin-banking") for r in requires)


def test_installed_host_loads_the_pack() -> None:
    host = make_plugin_host()
    info = next(p for p in host.plugins if p.name == "trades")
    assert info.error is None
    reg = host.registry
    assert reg.entities["trade"].owner.distribution == "datagen-plugin-trades"
    specs = reg.entity_specs()
    stock, trade = specs["stock"], specs["trade"]
    assert (stock.kind, stock.scope, stock.table_name) == (Kind.REFERENCE, Scope.GLOBAL, "stocks")
    assert (trade.kind, trade.topic_name, trade.message_key, trade.table_name) == (
        Kind.EVENT, "banking.trades", "account_id", "trades")
    assert {fk.entity for fk in trade.foreign_keys} == {"account", "customer", "stock"}
    assert "trades" in reg.option_groups
    assert {r.value.name for r in reg.rules if r.owner.distribution == "datagen-plugin-trades"} >= {
        "trade-parents", "trade-amounts", "trade-trading-hours", "trade-holdings", "stock-isin", "stock-terms"}
