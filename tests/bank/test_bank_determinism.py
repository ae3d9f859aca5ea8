"""Determinism of the whole bank: same bytes whatever workers and batch size; stable prefixes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
from bank_testkit import ENTITIES, BankRun, bank_host, invoke, read_lines
from datagen_plugin_json.sinks import JsonLinesSink

from datagen_kernel import EncodedBatch, EntitySpec, Option, Record, hookimpl


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.jsonl"))}


def test_same_bytes_whatever_workers_and_batch_size(bank_run: BankRun) -> None:
    # 1,600 customers = 4 blocks of the root range, so 4 workers all get work
    runs = [
        _files(bank_run(1600, "--workers", "1")),
        _files(bank_run(1600, "--workers", "2", "--batch-size", "777")),
        _files(bank_run(1600, "--workers", "4", "--batch-size", "50000")),
        _files(bank_run(1600, "--workers", "1", "--batch-size", "13")),
    ]
    assert set(runs[0]) == {f"{e}.jsonl" for e in ENTITIES}
    assert all(runs[0].values())
    for other in runs[1:]:
        assert other.keys() == runs[0].keys()
        for name in runs[0]:
            assert other[name] == runs[0][name], f"{name} differs"
    # P2P payments cross blocks (0 and 1, 2 and 3), and still come out the same
    block = {orjson.loads(x)["customer_id"]: i // 500
             for i, x in enumerate(runs[0]["customer.jsonl"].splitlines())}
    sides: dict[str, list[int]] = {}
    for line in runs[0]["transaction.jsonl"].splitlines():
        t = orjson.loads(line)
        if t["pix_e2e_id"]:
            sides.setdefault(t["pix_e2e_id"], []).append(block[t["customer_id"]])
    crossing = {tuple(sorted(b)) for b in sides.values() if len(b) == 2 and b[0] != b[1]}
    assert crossing == {(0, 1), (2, 3)}


def test_other_seed_gives_other_data(bank_run: BankRun) -> None:
    a = read_lines(bank_run(50, "--seed", "1"))
    b = read_lines(bank_run(50, "--seed", "2"))
    for name in ("customer", "account", "transaction"):
        assert set(a[name]).isdisjoint(b[name]), name


def subtree(lines: dict[str, list[bytes]], small: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
    """Lines of ``lines`` that belong to the customers (and their records) of ``small``."""
    specs = bank_host().registry.entity_specs()
    customers = {orjson.loads(x)["customer_id"] for x in small["customer"]}
    out: dict[str, list[bytes]] = {}
    for name, entity_lines in lines.items():
        pk = specs[name].primary_key
        known = {orjson.loads(x)[pk] for x in small.get(name, [])}
        kept = []
        for line in entity_lines:
            obj = orjson.loads(line)
            if obj[pk] in known or obj.get("customer_id") in customers:
                kept.append(line)
        out[name] = kept
    return out


def test_first_100_customers_identical_in_a_run_of_1000(bank_run: BankRun) -> None:
    small = read_lines(bank_run(100))
    large = read_lines(bank_run(1000))
    assert all(small[name] for name in ENTITIES), "every entity should appear among 100 customers"
    prefix = subtree(large, small)
    for name in ENTITIES:
        assert prefix[name] == small[name], f"{name}: the first 100 customers' records differ"
    # the global stocks are the same whole set
    assert large["stock"] == small["stock"]


class SubtreeSink(JsonLinesSink):
    """The json sink, writing only the records of a known set of customers (and known keys).

    Every record is still acknowledged, so a huge run can be checked against a small one
    without writing gigabytes.
    """

    name = "bank-subtree"
    doc = "Test sink: json lines of a subset of customers."
    options: ClassVar[Sequence[Option]] = (*JsonLinesSink.options, Option("keys", "path", "", "JSON file of keys."))

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        keys = orjson.loads(Path(self.config["keys"]).read_bytes())
        self.customers = set(keys["customers"])
        self.known = {entity: set(values) for entity, values in keys["entities"].items()}

    def encode(self, entity: EntitySpec, records: Sequence[Record]) -> EncodedBatch:
        known = self.known.get(entity.name, set())
        pk = entity.primary_key
        kept = [r for r in records if r[pk] in known or r.get("customer_id") in self.customers]
        payload = super().encode(entity, kept).payload if kept else b""
        return EncodedBatch(entity.name, len(records), payload)


class SubtreeSinkPlugin:
    @hookimpl
    def datagen_register_sinks(self, register: Any) -> None:
        register(SubtreeSink)


@pytest.mark.slow
@pytest.mark.timeout(360)  # 100,000 customers: about 100 s alone, longer on a loaded machine
def test_first_100_customers_identical_in_a_run_of_100000(bank_run: BankRun, tmp_path: Path) -> None:
    small_dir = bank_run(100)
    small = read_lines(small_dir)
    specs = bank_host().registry.entity_specs()
    keys = {
        "customers": [orjson.loads(x)["customer_id"] for x in small["customer"]],
        "entities": {n: [orjson.loads(x)[specs[n].primary_key] for x in v] for n, v in small.items()},
    }
    (tmp_path / "keys.json").write_bytes(orjson.dumps(keys))
    out = tmp_path / "big"
    host = bank_host(SubtreeSinkPlugin())
    result = invoke(["run", "--customers", "100000", "--workers", "2", "--sink", "bank-subtree",
                     "-o", f"bank-subtree.path={out}", "-o", f"bank-subtree.keys={tmp_path / 'keys.json'}",
                     "--quiet"], host)
    assert result.exit_code == 0, result.output
    big = read_lines(out)
    for name in ENTITIES:
        assert big[name] == small[name], f"{name}: the first 100 customers' records differ at 100,000 customers"
