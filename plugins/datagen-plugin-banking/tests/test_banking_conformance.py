"""The banking pack passes the kit's pack conformance suite (determinism, prefixes, keys, rules, docs)."""

from __future__ import annotations

from pathlib import Path

import datagen_plugin_banking.plugin as banking_pack

from datagen_kernel.testing import PackConformance


class TestBankingPackConformance(PackConformance):
    pack = banking_pack
    requires = ()
    catalog_doc = Path(__file__).resolve().parents[3] / "docs" / "packs" / "banking.md"
