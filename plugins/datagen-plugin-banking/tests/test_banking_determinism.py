"""Same seed, same bytes: whatever --workers and --batch-size, and prefix-stable in --customers."""

from __future__ import annotations

import json
from pathlib import Path

from banking_blocks import generate_blocks

ENTITIES = ("customer", "account", "transaction")


def _run(banking_cli, out: Path, customers: int, *extra: str) -> dict[str, bytes]:
    result = banking_cli(["run", "--customers", str(customers), "--seed", "2024", "--sink", "json", "-q",
                          "-o", f"json.path={out}", *extra])
    assert result.exit_code == 0, result.output
    return {name: (out / f"{name}.jsonl").read_bytes() for name in ENTITIES}


def test_workers_and_batch_size_do_not_change_the_bytes(banking_cli, tmp_path: Path) -> None:
    one = _run(banking_cli, tmp_path / "w1", 1300, "--workers", "1", "--batch-size", "10000")
    two = _run(banking_cli, tmp_path / "w2", 1300, "--workers", "2", "--batch-size", "777")
    small = _run(banking_cli, tmp_path / "b1", 1300, "--workers", "1", "--batch-size", "1")
    assert one == two == small
    assert one["transaction"].count(b"\n") > 1300 * 12


def test_scenario_runs_are_deterministic_too(banking_cli, tmp_path: Path) -> None:
    args = ("--scenario", "fraud-detection", "--batch-size", "333")
    a = _run(banking_cli, tmp_path / "a", 1100, "--workers", "2", *args)
    b = _run(banking_cli, tmp_path / "b", 1100, "--workers", "1", *args)
    assert a == b and b'"is_fraud":true' in a["transaction"]


def test_first_customers_and_their_subtree_do_not_depend_on_the_count(banking_cli, tmp_path: Path) -> None:
    small = _run(banking_cli, tmp_path / "small", 100)
    large = _run(banking_cli, tmp_path / "large", 2000)
    small_lines = {n: small[n].splitlines() for n in ENTITIES}
    large_lines = {n: large[n].splitlines() for n in ENTITIES}
    assert len(small_lines["customer"]) == 100 and len(large_lines["customer"]) == 2000
    # the first 100 customers, their accounts and their transactions come first, byte for byte
    for name in ENTITIES:
        k = len(small_lines[name])
        assert k > 0 and large_lines[name][:k] == small_lines[name], name
    owners = {json.loads(line)["customer_id"] for line in small_lines["customer"]}
    following = json.loads(large_lines["transaction"][len(small_lines["transaction"])])
    assert following["customer_id"] not in owners  # the subtree was complete


def test_another_seed_gives_other_data(banking_cli, tmp_path: Path) -> None:
    a = _run(banking_cli, tmp_path / "a", 50)
    result = banking_cli(["run", "--customers", "50", "--seed", "2025", "--sink", "json", "-q",
                          "-o", f"json.path={tmp_path / 'b'}"])
    assert result.exit_code == 0
    b = (tmp_path / "b" / "customer.jsonl").read_bytes()
    assert a["customer"] != b
    cpf_a = {json.loads(line)["cpf"] for line in a["customer"].splitlines()}
    cpf_b = {json.loads(line)["cpf"] for line in b.splitlines()}
    assert cpf_a != cpf_b


def test_scenarios_keep_prefixes_stable() -> None:
    for scenario in ("fraud-detection", "customer-360"):
        small = generate_blocks(100, seed=5, scenario=scenario)
        large = generate_blocks(700, seed=5, scenario=scenario)
        for name in ENTITIES:
            assert large[name][: len(small[name])] == small[name], (scenario, name)
        assert small["transaction"], scenario
