"""The cards pack is discoverable through its entry point and registers what the catalog says."""

from __future__ import annotations

from importlib.metadata import entry_points

from datagen_kernel import Kind
from datagen_kernel.engine.plugins import make_plugin_host


def test_entry_point_is_declared_in_group_datagen() -> None:
    found = [ep for ep in entry_points(group="datagen") if ep.name == "cards"]
    assert [ep.value for ep in found] == ["datagen_plugin_cards.plugin"]


def test_installed_pack_registers_entities_generators_rules_and_options() -> None:
    host = make_plugin_host()
    reg = host.registry
    assert reg.entities["credit_card"].owner.distribution == "datagen-plugin-cards"
    assert {"credit_card", "card_transaction"} <= set(reg.generators)
    rules = {(r.value.entity, r.value.name) for r in reg.rules if r.owner.distribution == "datagen-plugin-cards"}
    assert rules == {("credit_card", "card-limits"), ("card_transaction", "card-purchases")}
    assert {o.name for o in reg.option_groups["cards"].options} == {"purchases_per_year", "history_days"}


def test_specs_follow_the_catalog() -> None:
    specs = make_plugin_host().registry.entity_specs()
    card, purchase = specs["credit_card"], specs["card_transaction"]
    assert card.kind == Kind.MASTER and card.table_name == "credit_cards"
    assert card.field_names == (
        "card_id", "customer_id", "card_number_masked", "brand", "credit_limit", "available_limit", "due_day",
        "status", "created_at", "updated_at",
    )
    assert [(fk.field, fk.entity) for fk in card.foreign_keys] == [("customer_id", "customer")]
    assert purchase.kind == Kind.EVENT
    assert (purchase.topic_name, purchase.message_key, purchase.table_name) == (
        "banking.card-transactions", "card_id", "card_transactions")
    assert purchase.field_names == (
        "transaction_id", "card_id", "customer_id", "merchant_name", "merchant_category", "mcc_code", "amount",
        "installments", "timestamp", "status", "location_city", "location_country", "created_at", "updated_at",
        "channel",
    )
    assert {(fk.field, fk.entity) for fk in purchase.foreign_keys} == {
        ("card_id", "credit_card"), ("customer_id", "customer")}
    assert purchase.field("status").type.symbols == ("PENDING", "APPROVED", "DECLINED")
    assert card.field("brand").type.symbols == ("VISA", "MASTERCARD", "ELO")
