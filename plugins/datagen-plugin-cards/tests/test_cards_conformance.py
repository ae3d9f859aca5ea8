"""The cards pack passes the kit's pack conformance suite (determinism, prefixes, keys, rules, docs)."""

from __future__ import annotations

from pathlib import Path

import datagen_plugin_banking.plugin as banking
import datagen_plugin_cards.plugin as cards_pack

from datagen_kernel.testing import PackConformance


class TestCardsPackConformance(PackConformance):
    pack = cards_pack
    requires = (banking,)
    catalog_doc = Path(__file__).resolve().parents[3] / "docs" / "packs" / "cards.md"
