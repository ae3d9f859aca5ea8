"""Same seed, same bytes: whatever the workers, the batch size, or how many customers follow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SINK = "json:property,loan,installment"
FILES = ("property.jsonl", "loan.jsonl", "installment.jsonl")


def read(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in FILES}


def test_workers_and_batch_sizes_do_not_change_the_output(loans_run: Any) -> None:
    base = read(loans_run("--customers", "1600", "--seed", "3", sink=SINK))
    assert base["installment.jsonl"].count(b"\n") > 10_000
    assert read(loans_run("--customers", "1600", "--seed", "3", "--workers", "2", sink=SINK)) == base
    assert read(loans_run("--customers", "1600", "--seed", "3", "--batch-size", "333", sink=SINK)) == base


def test_first_customers_are_identical_in_a_small_and_a_large_run(loans_run: Any, jsonl: Any) -> None:
    small = loans_run("--customers", "100", "--seed", "9", sink=SINK)
    large = loans_run("--customers", "2000", "--seed", "9", sink=SINK)
    for name in FILES:
        head = (small / name).read_bytes()
        assert head and (large / name).read_bytes().startswith(head), name
    borrowers = {loan["customer_id"] for loan in jsonl(small / "loan.jsonl")}
    assert [loan for loan in jsonl(large / "loan.jsonl") if loan["customer_id"] in borrowers] == \
        jsonl(small / "loan.jsonl")


def test_only_loans_or_the_whole_bank_give_the_same_loans(loans_run: Any) -> None:
    alone = read(loans_run("--customers", "700", "--seed", "4", sink=SINK))
    everything = loans_run("--customers", "700", "--seed", "4")
    assert read(everything) == alone


def test_properties_alone_are_the_properties_of_a_full_run(loans_run: Any) -> None:
    alone = loans_run("--customers", "700", "--seed", "4", sink="json:property")
    full = loans_run("--customers", "700", "--seed", "4", sink=SINK)
    assert (alone / "property.jsonl").read_bytes() == (full / "property.jsonl").read_bytes()
