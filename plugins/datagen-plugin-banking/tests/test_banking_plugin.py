"""The pack as users see it: entry point, entity contract, options, scenarios, a full json run."""

from __future__ import annotations

import json
from pathlib import Path

from datagen_plugin_banking.entities import ACCOUNT, CUSTOMER, TRANSACTION

from datagen_kernel import Bool, Decimal, Enum, Int, Kind, RecordType, Scope, String, Timestamp, Uuid, make_plugin_host

# the catalog's contract: field -> (type, nullable)
CATALOG = {
    "customer": [
        ("customer_id", Uuid, False), ("cpf", String, False), ("name", String, False), ("email", String, False),
        ("phone", String, False), ("address", RecordType, False), ("monthly_income", Decimal, False),
        ("employment_status", Enum, False), ("credit_score", Int, False), ("created_at", Timestamp, False),
        ("updated_at", Timestamp, True),
    ],
    "account": [
        ("account_id", Uuid, False), ("customer_id", Uuid, False), ("account_type", Enum, False),
        ("bank_code", String, False), ("branch", String, False), ("account_number", String, False),
        ("balance", Decimal, False), ("status", Enum, False), ("created_at", Timestamp, False),
        ("updated_at", Timestamp, True),
    ],
    "transaction": [
        ("transaction_id", Uuid, False), ("account_id", Uuid, False), ("customer_id", Uuid, False),
        ("transaction_type", Enum, False), ("amount", Decimal, False), ("direction", Enum, False),
        ("counterparty_key", String, True), ("counterparty_name", String, True), ("description", String, False),
        ("timestamp", Timestamp, False), ("status", Enum, False), ("pix_e2e_id", String, True),
        ("pix_key_type", Enum, True), ("created_at", Timestamp, False), ("updated_at", Timestamp, True),
        ("payroll_id", Uuid, True), ("recurring_id", Uuid, True),
    ],
}


def test_installed_pack_is_found_through_its_entry_point() -> None:
    host = make_plugin_host()
    mine = [p for p in host.plugins if p.distribution == "datagen-plugin-banking"]
    assert [p.name for p in mine] == ["banking"] and mine[0].error is None
    provides = host.registry.provided_by(mine[0])
    assert provides["entities"] == ["account", "account_event", "customer", "payroll", "recurring_payment",
                                    "reversal", "transaction"]
    assert provides["generators"] == ["account", "account_event", "customer", "payroll", "recurring_payment",
                                      "reversal", "transaction"]
    assert provides["scenarios"] == ["customer-360", "fraud-detection"]
    assert provides["options"] == ["banking"]
    assert "customer:cpf-valid" in provides["validators"]


def test_entities_follow_the_catalog() -> None:
    for spec in (CUSTOMER, ACCOUNT, TRANSACTION):
        got = [(f.name, type(f.type), f.nullable) for f in spec.fields]
        assert got == CATALOG[spec.name], spec.name
    assert (CUSTOMER.kind, CUSTOMER.scope, CUSTOMER.table) == (Kind.MASTER, Scope.ROOT, "customers")
    assert (ACCOUNT.kind, ACCOUNT.table) == (Kind.MASTER, "accounts")
    assert (TRANSACTION.kind, TRANSACTION.topic, TRANSACTION.key_field, TRANSACTION.table) == (
        Kind.EVENT, "banking.transactions", "account_id", "transactions")
    address = CUSTOMER.field("address").type
    assert isinstance(address, RecordType) and address.name == "address"
    assert [(f.name, f.nullable) for f in address.fields] == [
        ("street", False), ("number", False), ("complement", True), ("neighborhood", False), ("city", False),
        ("state", False), ("postal_code", False), ("country", False)]
    assert CUSTOMER.field("cpf").type == String(14)
    assert CUSTOMER.field("credit_score").type == Int(300, 850)
    assert CUSTOMER.field("monthly_income").type == Decimal(15, 2)
    assert CUSTOMER.field("employment_status").type.symbols == ("EMPLOYED", "SELF_EMPLOYED", "RETIRED", "UNEMPLOYED")
    assert ACCOUNT.field("account_type").type.symbols == ("CONTA_CORRENTE", "POUPANCA", "INVESTIMENTOS")
    assert ACCOUNT.field("status").type.symbols == ("ACTIVE", "BLOCKED", "CLOSED", "DORMANT")
    assert TRANSACTION.field("transaction_type").type.symbols == (
        "PIX", "TED", "DEPOSIT", "WITHDRAW", "BOLETO", "DOC", "SALARY", "AUTO_DEBIT")
    assert TRANSACTION.field("status").type.symbols == ("PENDING", "COMPLETED", "FAILED")
    assert TRANSACTION.field("pix_key_type").type.symbols == ("CPF", "CNPJ", "EMAIL", "PHONE", "EVP")
    assert TRANSACTION.field("pix_e2e_id").type == String(32)
    assert {(fk.field, fk.entity) for fk in TRANSACTION.foreign_keys} == {
        ("account_id", "account"), ("customer_id", "customer"), ("payroll_id", "payroll"),
        ("recurring_id", "recurring_payment")}
    assert not isinstance(TRANSACTION.field("amount").type, Bool)


def test_scenarios_and_options_are_listed(banking_cli) -> None:
    result = banking_cli(["scenarios", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert set(rows) == {"fraud-detection", "customer-360"}
    assert rows["fraud-detection"]["entities"] == ["customer", "account", "payroll", "recurring_payment",
                                                   "transaction", "account_event", "reversal"]
    assert rows["fraud-detection"]["options"][0]["name"] == "share"
    assert rows["fraud-detection"]["options"][0]["default"] == 0.05
    text = banking_cli(["scenarios"]).output
    assert "fraud-detection" in text and "-o scenario.share=<float>  default 0.05" in text


def test_full_run_with_the_json_sink_validates(banking_cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = tmp_path / "summary.json"
    result = banking_cli(["run", "--customers", "700", "--seed", "7", "--sink", "json", "-q",
                          "-o", f"json.path={out}", "--summary-json", str(summary)])
    assert result.exit_code == 0, result.output
    rows = {r["entity"]: r for r in json.loads(summary.read_text())["rows"]}
    counts = {}
    for name in ("customer", "account", "payroll", "recurring_payment", "transaction"):
        lines = (out / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        counts[name] = len(lines)
        assert rows[name]["generated"] == rows[name]["acknowledged"] == len(lines)
    assert counts["customer"] == 700
    assert 700 <= counts["account"] <= 2100
    types = [json.loads(line)["transaction_type"] for line in
             (out / "transaction.jsonl").read_text(encoding="utf-8").splitlines()]
    drawn = sum(t not in ("SALARY", "AUTO_DEBIT") for t in types)
    assert 700 * 12 <= drawn <= 700 * 20  # SALARY and AUTO_DEBIT follow their schedules, on top
    assert 0.6 * 0.7 * 700 <= counts["payroll"] <= 0.6 * 0.9 * 700  # employed customers with a checking account
    first = json.loads((out / "transaction.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["amount"].count(".") == 1 and first["timestamp"].endswith("-03:00")
    checked = banking_cli(["validate", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "no violations" in checked.output


def test_pack_options_change_the_volume(banking_cli, tmp_path: Path) -> None:
    def count(*options: str) -> int:
        out = tmp_path / "-".join(options)
        result = banking_cli(["run", "--customers", "400", "--sink", "json:transaction", "-q",
                              "-o", f"json.path={out}",
                              *[x for o in ("banking.p2p_per_year=0", *options) for x in ("-o", o)]])
        assert result.exit_code == 0, result.output
        lines = (out / "transaction.jsonl").read_text(encoding="utf-8").splitlines()
        return sum(json.loads(line)["transaction_type"] not in ("SALARY", "AUTO_DEBIT") for line in lines)

    base = count("banking.transactions_per_year=10")
    assert 1.8 <= count("banking.transactions_per_year=20") / base <= 2.2
    # twice the history: more events, but customers created in the last two years have less
    assert 1.2 <= count("banking.transactions_per_year=10", "banking.history_days=730") / base <= 2.0


def test_a_bad_pack_option_is_one_clear_error(banking_cli, tmp_path: Path) -> None:
    result = banking_cli(["run", "--customers", "3", "--sink", "json", "-o", f"json.path={tmp_path}",
                          "-o", "banking.history_days=0"])
    assert result.exit_code != 0
    assert "banking.history_days" in result.output and "must be >= 1" in result.output


def test_pack_declares_its_domain_defaults(banking_cli, tmp_path: Path) -> None:
    import datetime as dt

    from datagen_plugin_banking.common import LOCAL_OFFSET_MS, SAO_PAULO
    from datagen_plugin_banking.plugin import DOMAIN

    # Brazil has had no daylight saving time since 2019: the fixed offset is the zone
    assert SAO_PAULO.utcoffset(None) == dt.timedelta(hours=-3) == dt.timedelta(milliseconds=LOCAL_OFFSET_MS)
    assert SAO_PAULO.tzname(None) == "America/Sao_Paulo"
    assert (DOMAIN.count_flag, DOMAIN.timezone) == ("customers", SAO_PAULO)
    assert DOMAIN.as_of == dt.datetime.fromisoformat("2026-01-01T00:00:00-03:00")
    outputs = {}
    for flag in ("--customers", "--count"):
        out = tmp_path / flag.strip("-")
        summary = tmp_path / f"{flag.strip('-')}.json"
        result = banking_cli(["run", flag, "40", "--sink", "json", "-q", "-o", f"json.path={out}",
                              "--summary-json", str(summary)])
        assert result.exit_code == 0, result.output
        ran = json.loads(summary.read_text())
        assert (ran["as_of"], ran["timezone"]) == ("2026-01-01T00:00:00-03:00", "America/Sao_Paulo")
        outputs[flag] = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "_datagen-run.json"}
    assert outputs["--customers"] == outputs["--count"]
    # a date without an offset is a date in Sao Paulo, as it always was for the bank
    summary = tmp_path / "naive.json"
    result = banking_cli(["run", "--customers", "1", "--as-of", "2025-06-30", "--sink", "null", "-q",
                          "--summary-json", str(summary)])
    assert result.exit_code == 0, result.output
    assert json.loads(summary.read_text())["as_of"] == "2025-06-30T00:00:00-03:00"
