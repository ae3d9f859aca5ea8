"""Installing the insurance, funds and consorcio packs changes no record of the other packs."""

from __future__ import annotations

from pathlib import Path

import pytest
from bank_testkit import BANK_ENTITIES, PRODUCT_ENTITIES, invoke, read_lines

from datagen_kernel import make_plugin_host


def _run(out: Path) -> dict[str, list[bytes]]:
    result = invoke(["run", "--customers", "1000", "--seed", "31", "--workers", "2", "--sink", "json",
                     "-o", f"json.path={out}", "--quiet"], make_plugin_host())
    assert result.exit_code == 0, result.output
    return read_lines(out)


def test_bank_files_are_byte_identical_with_and_without_the_product_packs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_products = _run(tmp_path / "with")
    monkeypatch.setenv("DATAGEN_DISABLE_PLUGINS", "insurance,funds,consorcio")
    without = _run(tmp_path / "without")
    assert set(without) == set(BANK_ENTITIES)
    assert set(with_products) == set(BANK_ENTITIES) | set(PRODUCT_ENTITIES)
    for name in BANK_ENTITIES:
        assert with_products[name] == without[name], f"{name} changes when the product packs are installed"
