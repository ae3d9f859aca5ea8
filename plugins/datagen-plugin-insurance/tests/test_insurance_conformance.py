"""The insurance pack passes the kit's pack conformance suite (determinism, prefixes, keys, rules, docs)."""

from __future__ import annotations

from datagen_kernel.testing import PackConformance


class TestInsurancePackConformance(PackConformance):
    pack = "insurance"
    catalog_doc = "../../../docs/packs/insurance.md"
