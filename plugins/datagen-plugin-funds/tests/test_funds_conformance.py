"""The funds pack passes the kit's pack conformance suite (determinism, prefixes, keys, rules, docs)."""

from __future__ import annotations

from datagen_kernel.testing import PackConformance


class TestFundsPackConformance(PackConformance):
    pack = "funds"
    catalog_doc = "../../../docs/packs/funds.md"
