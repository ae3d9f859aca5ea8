"""The trades pack passes the kit's pack conformance suite (determinism, prefixes, keys, rules, docs)."""

from __future__ import annotations

from datagen_kernel.testing import PackConformance


class TestTradesPackConformance(PackConformance):
    pack = "trades"  # the installed plugin, with the installed packs it builds on
    catalog_doc = "../../../docs/packs/trades.md"
