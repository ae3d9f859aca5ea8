"""The pack's data-quality rules catch corrupted records: in memory, during a run, and in
`datagen validate DIR`."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from banking_blocks import as_batch, first_block, generate_blocks
from datagen_plugin_banking.entities import ACCOUNT, CUSTOMER, PAYROLL, RECURRING_PAYMENT, TRANSACTION
from datagen_plugin_banking.validators import RULES, ascii_rows, invalid_account_numbers, invalid_e2e_ids

from datagen_kernel import Batch, BlockContext, as_rows, hookimpl
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.engine.validation import run_rules

SPECS = {"customer": CUSTOMER, "account": ACCOUNT, "payroll": PAYROLL, "recurring_payment": RECURRING_PAYMENT,
         "transaction": TRANSACTION}


def _violations(records: dict, entity: str, schema: bool = False) -> list:
    """The pack's rule violations (``schema=True``: the kernel's schema and FK rules too)."""
    rules = [r for r in RULES if r.entity == entity]
    return run_rules(SPECS[entity], records[entity], rules, RecordIndex(SPECS, records), schema=schema)


def test_generated_records_pass_every_rule() -> None:
    records = generate_blocks(600)
    for entity in SPECS:
        assert _violations(records, entity, schema=True) == [], entity


@pytest.mark.parametrize("form", ["dicts", "batch"])
def test_each_rule_catches_its_corruption(form: str) -> None:
    good = generate_blocks(50)
    pix = next(i for i, t in enumerate(good["transaction"]) if t["transaction_type"] == "PIX")
    ted = next(i for i, t in enumerate(good["transaction"]) if t["transaction_type"] != "PIX")
    other_owner = good["customer"][1]["customer_id"]
    cases = [
        ("customer", 0, "cpf", lambda c: c["cpf"][:-1] + str((int(c["cpf"][-1]) + 1) % 10), "cpf-valid"),
        ("customer", 0, "cpf", lambda c: "111.111.111-11", "cpf-valid"),
        ("customer", 0, "credit_score", lambda c: 900, "credit-score-range"),
        ("account", 0, "account_number", lambda a: a["account_number"][:-1] + str((int(a["account_number"][-1]) + 1)
                                                                                   % 10), "account-number-check-digit"),
        ("transaction", pix, "customer_id", lambda t: other_owner, "customer-is-account-owner"),
        ("transaction", pix, "amount", lambda t: 0, "amount-positive"),
        ("transaction", ted, "pix_key_type", lambda t: "CPF", "pix-fields-only-for-pix"),
        ("transaction", pix, "pix_key_type", lambda t: None, "pix-fields-only-for-pix"),
        ("transaction", pix, "pix_e2e_id", lambda t: t["pix_e2e_id"][:-1], "pix-e2e-id-format"),
        ("transaction", pix, "pix_e2e_id", lambda t: "E12345678" + t["pix_e2e_id"][9:], "pix-e2e-id-format"),
    ]
    for entity, index, field, corrupt, rule in cases:
        records = copy.deepcopy(good)
        rec = records[entity][index]
        rec[field] = corrupt(rec)
        if form == "batch":
            records[entity] = as_batch(SPECS[entity], records[entity])
        found = _violations(records, entity)
        assert [(v.rule, v.field) for v in found] == [(rule, field)], (rule, found)
        pk = SPECS[entity].primary_key
        assert found[0].key == rec[pk] and found[0].entity == entity


def test_a_negative_amount_is_caught_in_a_batch_and_in_dicts() -> None:
    block = first_block(60)
    batch = block["transaction"]
    assert isinstance(batch, Batch) and isinstance(batch.values("amount"), np.ndarray)
    assert _violations(block, "transaction", schema=True) == []
    amount = batch.values("amount").copy()
    amount[7] = -1_250
    broken = Batch({name: amount if name == "amount" else batch.values(name) for name in batch.names})
    key = batch.column("transaction_id")[7]
    for form in (broken, [dict(r) for r in broken]):
        found = _violations({**block, "transaction": form}, "transaction")
        assert [(v.rule, v.field, v.key) for v in found] == [("amount-positive", "amount", key)], type(form)
        assert "-1250" in found[0].message


def test_rules_keep_batches_columnar() -> None:
    """Checking a generated Batch never builds its rows (one dict per record is what it avoids)."""
    block = first_block(60)
    batch = block["transaction"]
    rows_built = []

    class Watched(Batch):
        __slots__ = ()

        def rows(self):  # type: ignore[no-untyped-def]
            rows_built.append(True)
            return super().rows()

    watched = Watched({name: batch.values(name) for name in batch.names})
    assert _violations({**block, "transaction": watched}, "transaction", schema=True) == []
    assert rows_built == []


class _BadCpf:
    """A plugin that corrupts the second customer's CPF (like a buggy generator)."""

    @hookimpl
    def datagen_register_generators(self, register) -> None:  # type: ignore[no-untyped-def]
        def wrapper(ctx: BlockContext, inner):  # type: ignore[no-untyped-def]
            records = as_rows(inner(ctx))  # a list of dicts or a Batch: edit rows
            if records:
                records[1] = dict(records[1], cpf="123.456.789-00")
            return records

        register.wrap("customer", wrapper)


def test_a_run_fails_on_a_bad_cpf_naming_the_rule(banking_cli, tmp_path: Path) -> None:
    result = banking_cli(["run", "--customers", "10", "--sink", "json", "-o", f"json.path={tmp_path}"], _BadCpf())
    assert result.exit_code != 0
    assert "cpf-valid" in result.output and "123.456.789-00" in result.output and "customer" in result.output
    assert not (tmp_path / "customer.jsonl").exists()


def test_validate_reports_a_corrupted_dataset(banking_cli, tmp_path: Path) -> None:
    out = tmp_path / "data"
    assert banking_cli(["run", "--customers", "40", "--sink", "json", "-q", "-o", f"json.path={out}"]).exit_code == 0
    lines = (out / "customer.jsonl").read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[3])
    bad["cpf"] = "000.000.001-00"
    lines[3] = json.dumps(bad, ensure_ascii=False)
    (out / "customer.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = banking_cli(["validate", str(out)])
    assert result.exit_code != 0
    assert "cpf-valid" in result.output and bad["customer_id"] in result.output


def test_batch_checkers_agree_with_the_formats() -> None:
    good = "E60701190202502181607klJFih2OHOX"
    values = [good, good[:-1], good + "x", None, 12, good.replace("E6", "X6"),
              good[:13] + "13" + good[15:],  # month 13
              good[:17] + "24" + good[19:],  # hour 24
              good[:21] + "klJFih2OHO\u0665",  # a non-ASCII digit
              good[:9] + "2025021816\u0665" + good[20:],
              good]
    found = invalid_e2e_ids(values)
    assert [i for i, _ in found] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    ispb = ["60701190"] * len(values)
    ispb[0] = "00000000"
    ispb[10] = ""  # unknown: not checked
    found = invalid_e2e_ids(values, ispb)
    assert [i for i, _ in found] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert "ISPB 60701190" in dict(found)[0]
    assert invalid_e2e_ids([good] * 3) == []
    assert [i for i, _ in invalid_e2e_ids(["E1", None])] == [0, 1]  # all malformed
    assert invalid_e2e_ids([]) == []
    # a value hiding the separator must not pass as two well-formed ones
    assert [i for i, _ in invalid_e2e_ids([good + "\n" + good[:-1], ""])] == [0, 1]
    assert ascii_rows(["ab", "cd"], 2).tolist() == [[97, 98], [99, 100]]
    for values in (["ab", "c"], ["abc", ""], ["a\n", "cd"], ["ab\ncd", ""], ["ab", None], ["á1", "cd"]):
        assert ascii_rows(values, 2) is None, values
    accounts = ["241653-0", "241653-1", "24165-30", "241653\u0660", None, "2416530", "000001-9"]
    assert invalid_account_numbers(accounts) == [1, 2, 3, 4, 5]
    assert invalid_account_numbers(["241653-0", "000001-9"]) == []


def test_payroll_recurring_and_link_rules_catch_their_corruption() -> None:
    good = generate_blocks(300)
    for entity in ("payroll", "recurring_payment", "transaction"):
        assert _violations(good, entity) == [], entity
    bad = copy.deepcopy(good)
    bad["payroll"][0]["net_salary"] += 1
    bad["payroll"][1]["employer_cnpj"] = "11.111.111/1111-11"
    bad["payroll"][2]["payment_day"] = 7
    assert sorted(v.rule for v in _violations(bad, "payroll")) == ["cnpj-valid", "net-salary", "payment-day"]
    ended = next(r for r in bad["recurring_payment"] if r["status"] == "CANCELLED")
    ended["updated_at"] = None
    assert [v.rule for v in _violations(bad, "recurring_payment")] == ["recurring-status"]
    bad = copy.deepcopy(good)
    salary = next(t for t in bad["transaction"] if t["transaction_type"] == "SALARY")
    salary["payroll_id"] = None
    cancelled = {r["recurring_id"]: r for r in bad["recurring_payment"] if r["updated_at"] is not None}
    late = next(t for t in bad["transaction"] if t["recurring_id"] in cancelled)
    late["timestamp"] = cancelled[late["recurring_id"]]["updated_at"] + 1
    found = _violations(bad, "transaction")
    assert {(v.rule, v.key) for v in found} == {("scheduled-links", salary["transaction_id"]),
                                                ("scheduled-links", late["transaction_id"])}
