"""Entity specs and options of the funds pack: fund, fund_position, fund_quote (docs/packs/funds.md)."""

from __future__ import annotations

from datagen_kernel import Date, Decimal, EntitySpec, Enum, Field, ForeignKey, Kind, Option, Scope, String, Uuid

FUND_TYPES = ("RENDA_FIXA", "RENDA_VARIAVEL", "MULTIMERCADO", "CAMBIAL", "IMOBILIARIO")
BENCHMARKS = ("CDI", "IBOVESPA", "IPCA", "SELIC")
INVESTMENT_ACCOUNT = "INVESTIMENTOS"
NAV_SCALE = 8
QUOTA_SCALE = 6

FUND = EntitySpec(
    name="fund",
    kind=Kind.REFERENCE,
    scope=Scope.GLOBAL,
    fields=(
        Field("fund_id", Uuid(), doc="Identifier of the fund (the same in every run of a seed)."),
        Field("fund_name", String(120), doc="Trading name: a Faker surname and the class's usual suffix."),
        Field("fund_type", Enum(*FUND_TYPES, name="FundType"), doc="CVM class of the fund."),
        Field("cnpj", String(18), doc="The fund's CNPJ, NN.NNN.NNN/0001-NN with valid check digits."),
        Field("management_fee", Decimal(5, 2), doc="Management fee, percent a year (1.50 = 1.5% a year)."),
        Field("performance_fee", Decimal(5, 2),
              doc="Performance fee, percent of the return above the benchmark (0 for RENDA_FIXA and CAMBIAL)."),
        Field("benchmark", Enum(*BENCHMARKS, name="FundBenchmark"), doc="Index the fund tracks or beats."),
        Field("nav_per_quota", Decimal(18, NAV_SCALE), doc="Quota value of the last fund_quote (the run's as-of)."),
        Field("minimum_investment", Decimal(15, 2), doc="Smallest first application, in BRL."),
    ),
    primary_key="fund_id",
    table="funds",
    topic="funds.funds",
    doc="An investment fund customers apply to (30 per run, generated once per run).",
)

FUND_POSITION = EntitySpec(
    name="fund_position",
    kind=Kind.MASTER,
    scope=Scope.SUBTREE,
    fields=(
        Field("position_id", Uuid(), doc="Identifier of the position."),
        Field("customer_id", Uuid(), doc="Owner of the account (denormalized)."),
        Field("account_id", Uuid(), doc="The customer's INVESTIMENTOS account holding the quotas."),
        Field("fund_id", Uuid(), doc="The fund."),
        Field("quotas", Decimal(20, QUOTA_SCALE), doc="Quotas held: the application divided by the NAV of its day."),
        Field("invested_amount", Decimal(15, 2), doc="Applied, in BRL (at least the fund's minimum)."),
        Field("current_value", Decimal(15, 2),
              doc="quotas x the fund's nav_per_quota (the last quote), rounded half up to the cent."),
        Field("yield_amount", Decimal(15, 2), doc="current_value - invested_amount (negative after a loss)."),
    ),
    primary_key="position_id",
    foreign_keys=(
        ForeignKey("account_id", "account", "account_id"),
        ForeignKey("customer_id", "customer", "customer_id"),
        ForeignKey("fund_id", "fund", "fund_id"),
    ),
    table="fund_positions",
    topic="funds.positions",
    doc="Quotas of a fund held on an INVESTIMENTOS account, valued at the run's as-of.",
)

FUND_QUOTE = EntitySpec(
    name="fund_quote",
    kind=Kind.EVENT,
    scope=Scope.GLOBAL,
    fields=(
        Field("quote_id", Uuid(), doc="Identifier of the quote."),
        Field("fund_id", Uuid(), doc="The fund."),
        Field("quote_date", Date(), doc="A B3 business day (national bank calendar) before the as-of date."),
        Field("nav_per_quota", Decimal(18, NAV_SCALE), doc="Quota value at the close of that day, in BRL."),
    ),
    primary_key="quote_id",
    foreign_keys=(ForeignKey("fund_id", "fund", "fund_id"),),
    table="fund_quotes",
    topic="funds.quotes",
    key_field="fund_id",
    doc="Daily NAV per quota of every fund over the quote history (funds x business days).",
)

ENTITIES = (FUND, FUND_POSITION, FUND_QUOTE)

OPTIONS = (
    Option("history_days", "int", 365, "Days of daily quotes (fund_quote) before the as-of date.",
           minimum=1, maximum=1825),
    Option("penetration", "float", 0.75, "Share of INVESTIMENTOS accounts holding fund quotas.",
           minimum=0.0, maximum=1.0),
)
