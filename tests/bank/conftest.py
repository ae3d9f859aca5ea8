"""Fixtures of the bank-wide tests (helpers live in ``bank_testkit``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bank_testkit import BankRun, invoke, missing_packs


@pytest.fixture(autouse=True, scope="session")
def _bank_installed() -> None:
    missing = missing_packs()
    if missing:
        pytest.skip(f"bank-wide tests need the bundled entity packs; not installed: {missing}")


@pytest.fixture
def bank_run(tmp_path: Path) -> BankRun:
    """``bank_run(customers, *args)``: a json-sink run into a fresh directory; returns it."""
    runs = iter(range(1000))

    def run(customers: int, *args: str) -> Path:
        out = tmp_path / f"run{next(runs)}"
        result = invoke(["run", "--customers", str(customers), "--sink", "json", "-o", f"json.path={out}",
                         "--quiet", *args])
        assert result.exit_code == 0, result.output
        return out

    return run
