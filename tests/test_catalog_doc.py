"""docs/catalog.md is generated from the installed entity packs and must not drift."""

from __future__ import annotations

import difflib
import importlib.metadata as md
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKS = ("datagen-plugin-banking", "datagen-plugin-cards", "datagen-plugin-loans", "datagen-plugin-trades",
         "datagen-plugin-insurance", "datagen-plugin-funds", "datagen-plugin-consorcio")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_catalog_doc", ROOT / "scripts" / "gen_catalog_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_catalog_doc"] = module
    spec.loader.exec_module(module)
    return module


def _installed(dist: str) -> bool:
    try:
        md.distribution(dist)
    except md.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def generated() -> str:
    missing = [d for d in PACKS if not _installed(d)]
    if missing:
        pytest.skip(f"docs/catalog.md documents the bundled entity packs; not installed: {missing}")
    return str(_script().build())


def test_catalog_doc_is_current(generated: str) -> None:
    current = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    if current != generated:
        diff = "\n".join(list(difflib.unified_diff(current.splitlines(), generated.splitlines(),
                                                   "docs/catalog.md", "generated", lineterm="", n=1))[:40])
        pytest.fail(f"docs/catalog.md is out of date; run: python scripts/gen_catalog_doc.py\n{diff}")


def test_catalog_doc_covers_every_entity_with_an_example(generated: str) -> None:
    from datagen_kernel import make_plugin_host

    specs = make_plugin_host().registry.entity_specs()
    for name, spec in specs.items():
        section = generated.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for field in spec.fields:
            assert f"| `{field.name}` |" in section, (name, field.name)
        assert f"Example (`{name}.jsonl`" in section, f"no example record for {name}"
        if spec.topic:
            assert f"topic `{spec.topic_name}` keyed by `{spec.message_key}`" in section
        assert f"table `{spec.table_name}`" in section
