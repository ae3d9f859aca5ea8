"""Fixtures of the trades pack tests (helpers live in ``trades_testkit``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from trades_testkit import RunTrades, read_dataset, trades_host

from datagen_kernel import Record
from datagen_kernel.cli import make_cli


@pytest.fixture
def run_trades(tmp_path: Path) -> RunTrades:
    """``run_trades(customers, *extra_args)`` runs the CLI to the json sink and reads the output."""
    counter = iter(range(1_000_000))

    def run(customers: int, *extra: str, expect_ok: bool = True) -> dict[str, list[Record]]:
        host = trades_host()
        out = tmp_path / f"run{next(counter)}"
        args: Sequence[str] = ["run", "--customers", str(customers), "--sink", "json",
                               "-o", f"json.path={out}", "--quiet", *extra]
        result = CliRunner().invoke(make_cli(lambda: host), list(args))
        if expect_ok:
            assert result.exit_code == 0, result.output
        return read_dataset(out, host)

    return run
