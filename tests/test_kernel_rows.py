"""The row path: ``register.rows(spec, make, per=..., count=...)`` and the ``Row`` helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal as PyDecimal
from pathlib import Path
from typing import Any

import datagen_plugin_banking.plugin as banking
import pytest
import rows_policy_pack

from datagen_kernel import make_plugin_host
from datagen_kernel.api import (
    BlockContext,
    Date,
    Decimal,
    EntitySpec,
    Field,
    ForeignKey,
    Int,
    Kind,
    PluginError,
    RunInfo,
    Scope,
    String,
    Timestamp,
    Uuid,
    hookimpl,
)
from datagen_kernel.api.rows import Row
from datagen_kernel.testing import PackConformance, generate_records

HERE = Path(__file__).parent


# --- the "done when" of the row path: an insurance pack in under 40 lines passes the suite --


def test_the_policy_pack_is_under_40_lines() -> None:
    lines = (HERE / "rows_policy_pack.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 40, len(lines)


class TestRowPolicyPack(PackConformance):
    pack = rows_policy_pack
    requires = (banking,)
    catalog_doc = HERE / "rows_policy_pack.md"


def test_policies_follow_their_customers() -> None:
    host = make_plugin_host(entrypoints=False, plugins=[banking, rows_policy_pack])
    data = generate_records(host, customers=600, seed=5)
    customers = {c["customer_id"]: c for c in data["customer"]}
    per_customer: dict[str, int] = {}
    for policy in data["policy"]:
        per_customer[policy["customer_id"]] = per_customer.get(policy["customer_id"], 0) + 1
        assert policy["ends_on"] - policy["starts_on"] == timedelta(days=365)
        assert 30_000 <= policy["premium"] <= 900_000  # Decimal("300.00")..("9000.00") as cents
        assert len(policy["policy_number"]) == 12
    assert set(per_customer) <= set(customers) and max(per_customer.values()) == 2
    assert 500 < len(data["policy"]) < 700  # 0..2 per customer: about one each
    names = {c["name"] for c in customers.values()}
    own = sum(p["insured_name"] in names for p in data["policy"])
    assert 0.7 < own / len(data["policy"]) < 0.9  # 80% the customer, the rest from Faker


# --- root, global and per-parent entities --------------------------------------------------

OWNER = EntitySpec(name="owner", kind=Kind.MASTER, scope=Scope.ROOT, primary_key="owner_id", doc="Root.",
                   fields=(Field("owner_id", Uuid()), Field("number", Int()), Field("name", String(80))))
BRANCH = EntitySpec(name="branch", kind=Kind.REFERENCE, scope=Scope.GLOBAL, primary_key="code", doc="Global.",
                    fields=(Field("code", String(4)), Field("city", String(40))))
ITEM = EntitySpec(
    name="item", kind=Kind.EVENT, primary_key="item_id", doc="Per owner.",
    fields=(Field("item_id", Uuid()), Field("owner_id", Uuid()), Field("branch_code", String(4)),
            Field("amount", Decimal(10, 2)), Field("at", Timestamp()), Field("on", Date()),
            Field("note", String(20), nullable=True), Field("position", Int())),
    foreign_keys=(ForeignKey("owner_id", "owner", "owner_id"), ForeignKey("branch_code", "branch", "code")),
)
CITIES = ("Recife", "Natal", "Belém")


def _make_owner(parent: Any, row: Row) -> dict[str, Any]:
    assert parent is None
    return {"number": row.index, "name": row.fake.first_name()}


def _make_branch(parent: Any, row: Row) -> dict[str, Any]:
    return {"code": f"B{row.index:03d}", "city": row.choice(CITIES)}


def _make_item(owner: dict[str, Any], row: Row) -> dict[str, Any]:
    out = {
        "branch_code": row.pick("branch")["code"],
        "amount": 12.5 if row.index == 0 else PyDecimal("0.10"),  # float and Decimal become cents
        "at": row.as_of - timedelta(hours=row.index + 1),  # an aware datetime becomes epoch ms
        "on": row.as_of,  # a datetime for a date field becomes its date
        "position": row.index,
    }
    if row.index:
        out["note"] = "second"
    return out


def _count_items(owner: dict[str, Any], row: Row) -> int:
    return 2 if owner["number"] % 2 else 0


class RowPack:
    """Root, global and per-parent entities made row by row (``count`` as a function)."""

    @hookimpl
    def datagen_register_entities(self, register: Any) -> None:
        register.rows(OWNER, _make_owner)
        register.rows(BRANCH, _make_branch, count=4)
        register.rows(ITEM, _make_item, per="owner", count=_count_items)


def test_root_global_and_per_parent_entities() -> None:
    host = make_plugin_host(entrypoints=False, plugins=[RowPack()])
    data = generate_records(host, customers=700, seed=1)
    assert [o["number"] for o in data["owner"]] == list(range(700))  # row.index is the root's index
    assert [b["code"] for b in data["branch"]] == ["B000", "B001", "B002", "B003"]
    items = data["item"]
    assert len(items) == 700  # two per odd owner
    first, second = items[0], items[1]
    assert first["owner_id"] == data["owner"][1]["owner_id"] and first["position"] == 0
    assert (first["amount"], second["amount"]) == (1250, 10)
    as_of_ms = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)
    assert (first["at"], second["at"]) == (as_of_ms - 3_600_000, as_of_ms - 7_200_000)
    assert first["on"] == date(2026, 1, 1) and (first["note"], second["note"]) == (None, "second")
    assert {i["branch_code"] for i in items} == {"B000", "B001", "B002", "B003"}


def test_row_path_ids_and_counts_do_not_depend_on_make() -> None:
    """Counts and primary keys have streams of their own: another draw in make changes neither."""

    def greedy(owner: dict[str, Any], row: Row) -> dict[str, Any]:
        row.random.random()
        return _make_item(owner, row)

    class Greedy(RowPack):
        @hookimpl
        def datagen_register_entities(self, register: Any) -> None:
            register.rows(OWNER, _make_owner)
            register.rows(BRANCH, _make_branch, count=4)
            register.rows(ITEM, greedy, per="owner", count=(0, 3))

    class Plain(RowPack):
        @hookimpl
        def datagen_register_entities(self, register: Any) -> None:
            register.rows(OWNER, _make_owner)
            register.rows(BRANCH, _make_branch, count=4)
            register.rows(ITEM, _make_item, per="owner", count=(0, 3))

    a = generate_records(make_plugin_host(entrypoints=False, plugins=[Plain()]), customers=300, seed=2)
    b = generate_records(make_plugin_host(entrypoints=False, plugins=[Greedy()]), customers=300, seed=2)
    assert [i["item_id"] for i in a["item"]] == [i["item_id"] for i in b["item"]]
    assert [i["branch_code"] for i in a["item"]] != [i["branch_code"] for i in b["item"]]


# --- registration errors -------------------------------------------------------------------


def _register(spec: EntitySpec, **kwargs: Any) -> str:
    class Pack:
        @hookimpl
        def datagen_register_entities(self, register: Any) -> None:
            register.rows(spec, _make_branch, **kwargs)

    host = make_plugin_host(entrypoints=False, plugins=[Pack()])
    with pytest.raises(PluginError) as info:
        host.registry  # noqa: B018
    return str(info.value)


def test_registration_mistakes_are_one_clear_error() -> None:
    assert "declares no foreign key to it" in _register(ITEM, per="customer")
    assert "say per which parent" in _register(EntitySpec(
        name="loose", kind=Kind.MASTER, primary_key="x", fields=(Field("x", Uuid()),)))
    assert "needs count=N" in _register(BRANCH, count=(1, 2))
    assert "a root has no parent" in _register(OWNER, per="branch")
    assert "expected a number >= 0" in _register(ITEM, per="owner", count=(3, 1))
    assert "expected a number >= 0" in _register(ITEM, per="owner", count=-1)


def test_generator_register_rows_is_checked_when_the_run_is_planned() -> None:
    class Pack:
        @hookimpl
        def datagen_register_entities(self, register: Any) -> None:
            register(OWNER)
            register(BRANCH)
            register(ITEM)

        @hookimpl
        def datagen_register_generators(self, register: Any) -> None:
            register.rows("owner", _make_owner)
            register.rows("branch", _make_branch, count=2)
            register.rows("item", _make_item, per="customer")

    host = make_plugin_host(entrypoints=False, plugins=[Pack()])
    with pytest.raises(PluginError, match="made per 'customer' but declares no foreign key"):
        generate_records(host, customers=3)


def test_a_subtree_entity_cannot_be_made_per_a_global_one() -> None:
    per_branch = EntitySpec(name="desk", kind=Kind.MASTER, primary_key="desk_id", doc="Per branch.",
                            fields=(Field("desk_id", Uuid()), Field("code", String(4))),
                            foreign_keys=(ForeignKey("code", "branch", "code"),))

    class Pack:
        @hookimpl
        def datagen_register_entities(self, register: Any) -> None:
            register.rows(OWNER, _make_owner)
            register.rows(BRANCH, _make_branch, count=2)
            register.rows(per_branch, lambda branch, row: {}, per="branch")

    host = make_plugin_host(entrypoints=False, plugins=[Pack()])
    with pytest.raises(PluginError, match="every block of roots would repeat its records"):
        generate_records(host, customers=3)


# --- the Row helpers -----------------------------------------------------------------------


def _row(seed: int = 1, block: int = 0, tz: timezone = UTC) -> Row:
    run = RunInfo(seed=seed, root_count=500, as_of=datetime(2026, 1, 1, tzinfo=tz), timezone=tz)
    return Row(BlockContext(run, OWNER, block, 0, 500, {}), seed=seed, locale="pt_BR")


def test_helpers_return_the_record_forms() -> None:
    row = _row(tz=timezone(timedelta(hours=-3)))
    assert row.today == date(2026, 1, 1)
    for _ in range(200):
        assert 100 <= row.cents(1, 2) <= 200
        money = row.money(1, 2)
        assert isinstance(money, PyDecimal) and money.as_tuple().exponent == -2 and 1 <= money <= 2
        assert date(2025, 12, 2) <= row.recent_date(30) <= date(2026, 1, 1)
        assert date(2020, 1, 1) <= row.date_between(date(2020, 1, 1), date(2020, 1, 3)) <= date(2020, 1, 3)
        assert row.as_of_ms - 86_400_000 <= row.recent_timestamp(1) < row.as_of_ms
        assert len(row.digits(18)) == 18 and row.digits(3).isdigit()
        assert row.choice("ab", weights=(0, 1)) == "b"
    # a date is midnight in the run's time zone (-03:00)
    assert row.timestamp(date(2026, 1, 1)) == row.as_of_ms
    assert row.timestamp(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    uid = row.uuid()
    assert len(uid) == 36 and uid[14] == "4" and uid[19] in "89ab"
    with pytest.raises(ValueError, match="naive datetime"):
        row.timestamp(datetime(2026, 1, 1))


def test_a_seed_gives_the_same_faker_values() -> None:
    """Faker is pinned exactly (faker==40.63.0): these values are part of what a seed means.

    ``row.fake`` is seeded from the run seed, the entity and the block; a new Faker release
    may change them, which is why the kernel pins the version.
    """
    row = _row(seed=42, block=3)
    values = [row.fake.name(), row.fake.city(), row.fake.company(), row.fake.cpf()]
    assert values == ["Ravy Cavalcante", "Pacheco da Serra", "Costa e Filhos", "754.072.873-66"]
    again = _row(seed=42, block=3)
    assert [again.fake.name(), again.fake.city(), again.fake.company(), again.fake.cpf()] == values
    assert _row(seed=42, block=4).fake.name() != values[0]
    assert _row(seed=43, block=3).fake.name() != values[0]


def test_faker_is_imported_only_when_a_row_asks_for_it() -> None:
    import subprocess
    import sys

    code = ("import sys, datagen_kernel, datagen_kernel.cli, rows_policy_pack; datagen_kernel.cli.make_cli(); "
            "host = datagen_kernel.make_plugin_host(plugins=[rows_policy_pack]); host.registry; "
            "print('faker' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=HERE)
    assert done.stdout.strip() == "False"


# --- adding fields to another pack's entity ------------------------------------------------


def _fill_segment(customer: dict[str, Any], row: Row) -> dict[str, Any]:
    income = customer["monthly_income"]
    return {"segment": "PRIVATE" if income >= 2_000_000 else row.choice(("RETAIL", "PRIME"), (4, 1)),
            "segment_since": row.recent_date(700), "segment_limit": float(row.random.randint(1, 9) * 1000)}


class SegmentPack:
    @hookimpl
    def datagen_register_entities(self, register: Any) -> None:
        register.extend("customer", Field("segment", String(10)), Field("segment_since", Date()),
                        Field("segment_limit", Decimal(12, 2)), Field("segment_note", String(5), nullable=True),
                        fill=_fill_segment)


def test_extend_with_fill_adds_fields_without_changing_the_others() -> None:
    plain = generate_records(make_plugin_host(entrypoints=False, plugins=[banking]), customers=600, seed=8)
    host = make_plugin_host(entrypoints=False, plugins=[banking, SegmentPack()])
    data = generate_records(host, customers=600, seed=8)
    assert "segment" in host.registry.entity_specs()["customer"].field_names
    for before, after in zip(plain["customer"], data["customer"], strict=True):
        added = {k: after.pop(k) for k in ("segment", "segment_since", "segment_limit", "segment_note")}
        assert after == before  # the banking pack's own values are untouched
        assert added["segment_note"] is None and added["segment_limit"] % 100_000 == 0  # float reais -> cents
        assert (added["segment"] == "PRIVATE") == (before["monthly_income"] >= 2_000_000)
    assert data["account"] == plain["account"] and data["transaction"] == plain["transaction"]


class TestSegmentPackConformance(PackConformance):
    pack = SegmentPack()
    requires = (banking,)
    catalog_doc = HERE / "rows_policy_pack.md"
