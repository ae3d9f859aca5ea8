"""The consórcio pack passes the kit's pack conformance suite (determinism, prefixes, keys, rules, docs)."""

from __future__ import annotations

from datagen_kernel.testing import PackConformance


class TestConsorcioPackConformance(PackConformance):
    pack = "consorcio"
    catalog_doc = "../../../docs/packs/consorcio.md"
