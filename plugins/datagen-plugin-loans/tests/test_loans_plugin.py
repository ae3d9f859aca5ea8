"""The loans pack is discoverable through its entry point and registers what the catalog says."""

from __future__ import annotations

from importlib.metadata import entry_points

from click.testing import CliRunner

from datagen_kernel import Kind, Scope
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host


def test_entry_point_is_declared_in_group_datagen() -> None:
    found = [ep for ep in entry_points(group="datagen") if ep.name == "loans"]
    assert [ep.value for ep in found] == ["datagen_plugin_loans.plugin"]


def test_installed_pack_registers_entities_generators_rules_scenario() -> None:
    reg = make_plugin_host().registry
    for name in ("property", "loan", "installment"):
        assert reg.entities[name].owner.distribution == "datagen-plugin-loans"
    assert {"property", "loan", "installment"} <= set(reg.generators)
    ours = {r.value.name for r in reg.rules if r.owner.distribution == "datagen-plugin-loans"}
    assert ours == {"property-checks", "loan-checks", "installment-checks"}
    scenario = reg.scenarios["loan-portfolio"].value
    assert {o.name: o.default for o in scenario.options} == {"loan_penetration": 0.35, "default_rate": 0.05}
    assert list(scenario.entities or ()) == ["customer", "account", "property", "loan", "installment"]
    assert {o.name for o in reg.option_groups["loans"].options} == {"penetration", "default_rate"}


def test_datagen_scenarios_lists_loan_portfolio_with_its_parameters() -> None:
    result = CliRunner().invoke(make_cli(lambda: make_plugin_host()), ["scenarios"])
    assert result.exit_code == 0, result.output
    assert "loan-portfolio" in result.output
    assert "scenario.loan_penetration" in result.output and "scenario.default_rate" in result.output


def test_specs_follow_the_catalog() -> None:
    specs = make_plugin_host().registry.entity_specs()
    prop, loan, inst = specs["property"], specs["loan"], specs["installment"]
    assert (prop.kind, prop.scope, prop.table_name) == (Kind.REFERENCE, Scope.SUBTREE, "properties")
    assert prop.field_names == ("property_id", "property_type", "address", "appraised_value", "area_sqm",
                                "registration_number")
    assert (loan.kind, loan.table_name) == (Kind.MASTER, "loans")
    assert loan.field_names == (
        "loan_id", "customer_id", "loan_type", "principal", "interest_rate", "term_months", "amortization_system",
        "status", "disbursement_date", "property_id", "created_at", "updated_at",
    )
    assert loan.field("interest_rate").type.describe() == "decimal(10,6)"
    assert loan.field("property_id").nullable
    assert {(fk.field, fk.entity) for fk in loan.foreign_keys} == {("customer_id", "customer"),
                                                                    ("property_id", "property")}
    assert (inst.kind, inst.topic_name, inst.message_key, inst.table_name) == (
        Kind.EVENT, "banking.installments", "loan_id", "installments")
    assert inst.field_names == (
        "installment_id", "loan_id", "customer_id", "installment_number", "due_date", "principal_amount",
        "interest_amount", "total_amount", "paid_date", "paid_amount", "status", "created_at", "updated_at",
    )
    assert inst.field("status").type.symbols == ("PENDING", "PAID", "LATE", "DEFAULT")
