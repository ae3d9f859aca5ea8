"""``PackConformance`` fails a pack that breaks what it checks (it is not a suite that cannot fail)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import datagen_plugin_banking.plugin as banking
import pytest
import rows_policy_pack

from datagen_kernel.api import hookimpl
from datagen_kernel.testing import PackConformance
from datagen_kernel.testing.packs import _PackRuns

HERE = Path(__file__).parent


class _Variant:
    """The policy pack with ``make`` or the spec replaced."""

    def __init__(self, make: Any = rows_policy_pack.make_policy, spec: Any = rows_policy_pack.POLICY,
                 count: Any = (0, 2)) -> None:
        self.make, self.spec, self.count = make, spec, count

    @hookimpl
    def datagen_register_entities(self, register: Any) -> None:
        register.rows(self.spec, self.make, per="customer", count=self.count)


def _suite(pack: Any, doc: Path = HERE / "rows_policy_pack.md") -> tuple[PackConformance, _PackRuns]:
    suite_cls = type("Suite", (PackConformance,), {"pack": pack, "requires": (banking,), "catalog_doc": doc})
    return suite_cls(), _PackRuns(suite_cls)


def test_global_random_state_fails_determinism() -> None:
    def make(customer: Any, row: Any) -> dict[str, Any]:
        out = rows_policy_pack.make_policy(customer, row)
        out["policy_number"] = "AP" + str(random.randrange(10**10)).zfill(10)
        return out

    suite, runs = _suite(_Variant(make))
    with pytest.raises(AssertionError, match="differ"):
        suite.test_same_records_whatever_the_workers_and_batch_size(runs)


def test_a_draw_depending_on_the_root_count_fails_prefix_stability() -> None:
    def count(customer: Any, row: Any) -> int:
        return row.run.root_count // 300  # 1 of 300 roots, 3 of 1,100

    suite, runs = _suite(_Variant(count=count))
    with pytest.raises(AssertionError, match="are not the first"):
        suite.test_a_prefix_of_roots_gives_a_prefix_of_records(runs)


def test_dangling_foreign_keys_and_missing_docs_fail(tmp_path: Path) -> None:
    def make(customer: Any, row: Any) -> dict[str, Any]:
        return {**rows_policy_pack.make_policy(customer, row), "customer_id": row.uuid()}

    suite, runs = _suite(_Variant(make))
    with pytest.raises(AssertionError, match="foreign-key"):  # the run itself fails its key check
        suite.test_foreign_keys_resolve(runs)
    doc = tmp_path / "README.md"
    doc.write_text("Policies.\n", encoding="utf-8")
    suite, runs = _suite(_Variant(), doc)
    with pytest.raises(AssertionError, match="does not name entity `policy`"):
        suite.test_catalog_doc_names_every_entity_and_added_field(runs)


def test_an_installed_pack_is_named_by_its_entry_point() -> None:
    _, runs = _suite("loans")
    assert set(runs.entities) == {"property", "loan", "installment"}
    with pytest.raises(AssertionError, match="no installed plugin is named 'no-such-pack'"):
        _suite("no-such-pack")
