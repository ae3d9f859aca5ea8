"""The row-at-a-time examples of docs/plugins.md make valid records with the banking pack."""

from __future__ import annotations

import re
import types
from pathlib import Path

import datagen_plugin_banking.plugin as banking

from datagen_kernel import make_plugin_host
from datagen_kernel.testing import PackConformance, generate_records

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def _snippets() -> list[types.ModuleType]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Entities one record at a time"):text.index("## Start from the scaffold")]
    modules = []
    for i, code in enumerate(re.findall(r"```python\n(.*?)```", section, re.S)):
        module = types.ModuleType(f"plugins_md_rows_{i}")
        exec(compile(code, f"{DOC}:rows snippet {i}", "exec"), module.__dict__)
        modules.append(module)
    return modules


def test_the_policy_broker_and_loyalty_examples_run() -> None:
    policy, brokers, loyalty, suite = _snippets()
    host = make_plugin_host(entrypoints=False, plugins=[banking, policy, brokers, loyalty])
    data = generate_records(host, customers=700, seed=3)
    assert 500 < len(data["policy"]) < 900 and len(data["broker"]) == 40
    policies = {p["policy_id"]: p for p in data["policy"]}
    for coverage in data["coverage"]:
        assert coverage["customer_id"] == policies[coverage["policy_id"]]["customer_id"]
    homes = sum(p["product"] == "HOME" for p in data["policy"])
    assert len(data["coverage"]) == len(data["policy"]) + 2 * homes
    gold = [c for c in data["customer"] if c["loyalty_tier"] == "GOLD"]
    assert all(c["monthly_income"] >= 1_500_000 for c in gold)
    assert issubclass(suite.TestPolicyPack, PackConformance) and suite.TestPolicyPack.pack == "policies"
