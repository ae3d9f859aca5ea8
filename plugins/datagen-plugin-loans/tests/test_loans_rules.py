"""The loans pack's validators accept generated data and catch corrupted records."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from click.testing import CliRunner
from datagen_plugin_loans.rules import RULES

from datagen_kernel import hookimpl
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host
from datagen_kernel.engine.validation import run_rules
from datagen_kernel.testing import generate_records

Records = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def generated() -> Records:
    import datagen_plugin_banking.plugin as banking
    import datagen_plugin_loans.plugin as loans

    host = make_plugin_host(entrypoints=False, plugins=[banking, loans])
    out = generate_records(host, customers=400, seed=31, options={"banking.transactions_per_year": 0})
    return {name: out[name] for name in ("customer", "property", "loan", "installment")}


def clone(records: Records) -> Records:
    """A copy whose loans, properties and installments may be changed."""
    return {name: copy.deepcopy(rows) if name != "customer" else rows for name, rows in records.items()}


def broken(loans_host: Any, records: Records, entity: str) -> list[Any]:
    specs = loans_host.registry.entity_specs()
    rules = [r for r in RULES if r.entity == entity]
    return run_rules(specs[entity], records[entity], rules, RecordIndex(specs, records))


def rule_names(loans_host: Any, records: Records, entity: str) -> set[str]:
    return {v.rule for v in broken(loans_host, records, entity)}


def first(records: Records, entity: str, **match: Any) -> dict[str, Any]:
    return next(r for r in records[entity] if all(r[k] == v for k, v in match.items()))


def clean(loans_host: Any, generated: Records) -> Records:
    """A copy of the generated records, after checking the precondition of every corruption
    test: no rule fires on them, so the one that fires afterwards is the corruption's."""
    for entity in ("property", "loan", "installment"):
        assert broken(loans_host, generated, entity) == [], entity
    return clone(generated)


def test_generated_records_pass(loans_host: Any, generated: Records) -> None:
    for entity in ("property", "loan", "installment"):
        assert generated[entity], entity
        assert broken(loans_host, generated, entity) == [], entity


def test_a_rate_outside_zero_and_fifteen_percent_is_caught(loans_host: Any, generated: Records) -> None:
    records = clean(loans_host, generated)
    loan = records["loan"][0]
    loan["interest_rate"] = 150_000
    assert [(v.rule, v.key) for v in broken(loans_host, records, "loan")] == [("loan-rate", loan["loan_id"])]


def test_a_housing_loan_above_the_property_value_is_caught(loans_host: Any, generated: Records) -> None:
    records = clean(loans_host, generated)
    loan = first(records, "loan", loan_type="HOUSING")
    prop = first(records, "property", property_id=loan["property_id"])
    prop["appraised_value"] = loan["principal"] - 1
    found = broken(loans_host, records, "loan")
    assert [(v.rule, v.key, v.field) for v in found] == [("housing-collateral", loan["loan_id"], "principal")]


def test_a_personal_loan_with_a_property_is_caught(loans_host: Any, generated: Records) -> None:
    records = clean(loans_host, generated)
    personal = first(records, "loan", loan_type="PERSONAL")
    assert personal["property_id"] is None  # the precondition: a personal loan has no collateral
    personal["property_id"] = records["property"][0]["property_id"]
    assert [(v.rule, v.key) for v in broken(loans_host, records, "loan")] == [
        ("housing-collateral", personal["loan_id"])]


def test_principal_parts_that_miss_the_principal_by_a_cent_are_caught(loans_host: Any, generated: Records) -> None:
    records = clean(loans_host, generated)
    inst = first(records, "installment", installment_number=3)
    inst["principal_amount"] += 1
    inst["total_amount"] += 1
    found = broken(loans_host, records, "installment")
    assert {v.rule for v in found} == {"principal-sum"}
    assert inst["loan_id"] in found[0].message


def test_an_installment_of_someone_else_is_caught(loans_host: Any, generated: Records) -> None:
    records = clean(loans_host, generated)
    inst = records["installment"][10]
    inst["customer_id"] = next(c["customer_id"] for c in records["customer"] if c["customer_id"] != inst["customer_id"])
    assert rule_names(loans_host, records, "installment") == {"installment-owner"}


def test_a_loan_status_that_disagrees_with_its_installments_is_caught(loans_host: Any, generated: Records) -> None:
    records = clean(loans_host, generated)
    first(records, "loan", status="ACTIVE")["status"] = "PAID_OFF"
    assert rule_names(loans_host, records, "installment") == {"loan-status"}
    records = clean(loans_host, generated)
    paid = first(records, "installment", status="PAID")
    paid.update(status="DEFAULT", paid_date=None, paid_amount=None)
    assert rule_names(loans_host, records, "installment") == {"loan-status"}


def test_inconsistent_payment_fields_are_caught(loans_host: Any, generated: Records) -> None:
    records = clean(loans_host, generated)
    first(records, "installment", status="PENDING")["paid_amount"] = 100
    assert rule_names(loans_host, records, "installment") == {"payment-fields"}
    records = clean(loans_host, generated)
    first(records, "installment", status="PAID")["interest_amount"] += 5
    assert rule_names(loans_host, records, "installment") == {"amount-positive"}


def test_a_registration_number_of_another_state_is_caught(loans_host: Any, generated: Records) -> None:
    records = clean(loans_host, generated)
    prop = records["property"][0]
    assert prop["registration_number"].endswith(prop["address"]["state"])  # the precondition
    other = "SP" if prop["address"]["state"] != "SP" else "RJ"
    prop["registration_number"] = prop["registration_number"][:-2] + other
    assert [(v.rule, v.key) for v in broken(loans_host, records, "property")] == [
        ("registration-format", prop["property_id"])]


def test_property_complements_fit_the_property_type(loans_host: Any, generated: Records) -> None:
    props = generated["property"]
    for p in props:
        complement = p["address"]["complement"]
        if p["property_type"] == "APARTMENT":
            assert complement is not None and "Apto" in complement, p
        elif p["property_type"] == "LAND":
            assert complement is None, p
        else:
            assert complement is None or "Apto" not in complement, p
        assert complement not in ("Loja 1", "Sala 305")
    records = clone(generated)
    flat = next(p for p in records["property"] if p["property_type"] == "APARTMENT")
    flat["address"]["complement"] = "Casa 2"
    assert rule_names(loans_host, records, "property") == {"property-complement"}


def test_a_split_schedule_is_checked_without_false_alarms(loans_host: Any, generated: Records) -> None:
    """``datagen validate`` checks 10,000 records at a time: a part of a schedule must pass."""
    records = clean(loans_host, generated)
    loan = first(records, "loan", status="ACTIVE")
    part = [i for i in records["installment"] if i["loan_id"] == loan["loan_id"]][:2]
    assert broken(loans_host, dict(records, installment=part), "installment") == []
    part[0]["principal_amount"] = loan["principal"] + 1
    part[0]["total_amount"] = part[0]["principal_amount"] + part[0]["interest_amount"]
    assert rule_names(loans_host, dict(records, installment=part), "installment") == {"principal-sum"}


class _Corrupting:
    """Wraps the installment generator and adds a cent to one principal part (editing the row
    in place, which a ``Batch`` supports as well as a list of dicts)."""

    @hookimpl
    def datagen_register_generators(self, register: Any) -> None:
        def wrapper(ctx: Any, inner: Any) -> Any:
            out = inner(ctx)
            if out:
                r = out[0]
                r["principal_amount"] += 1
                r["total_amount"] += 1
            return out

        register.wrap("installment", wrapper)


def test_a_run_with_a_corrupted_schedule_fails_naming_the_rule(tmp_path: Any) -> None:
    import datagen_plugin_banking.plugin as banking
    import datagen_plugin_json.plugin as json_sink
    import datagen_plugin_loans.plugin as loans

    host = make_plugin_host(entrypoints=False, plugins=[banking, loans, json_sink, _Corrupting()])
    result = CliRunner().invoke(make_cli(lambda: host), [
        "run", "--customers", "200", "--sink", "json:loan,installment", "-o", f"json.path={tmp_path}"])
    assert result.exit_code != 0
    assert "principal-sum" in result.output and "installment" in result.output
    assert not (tmp_path / "installment.jsonl").exists()
