"""Entity specs of the banking pack: customer, account, transaction (see docs/packs/banking.md)."""

from __future__ import annotations

from datagen_kernel import (
    Bool,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    ForeignKey,
    Int,
    Kind,
    RecordType,
    Scope,
    String,
    Timestamp,
    Uuid,
)

ADDRESS = RecordType(
    "address",
    (
        Field("street", String(255), doc="Street name with its kind (Rua, Avenida, ...)."),
        Field("number", String(10), doc="House number, or S/N."),
        Field("complement", String(100), nullable=True, doc="Apartment, block, ..."),
        Field("neighborhood", String(100), doc="Bairro."),
        Field("city", String(100), doc="A major city of the state."),
        Field("state", String(2), doc="UF, two letters."),
        Field("postal_code", String(9), doc="CEP NNNNN-NNN inside the state's CEP ranges."),
        Field("country", String(2), doc="Always BR."),
    ),
)
"""The catalog's Address type (also used by other packs, e.g. property)."""

EMPLOYMENT_STATUSES = ("EMPLOYED", "SELF_EMPLOYED", "RETIRED", "UNEMPLOYED")
ACCOUNT_TYPES = ("CONTA_CORRENTE", "POUPANCA", "INVESTIMENTOS")
ACCOUNT_STATUSES = ("ACTIVE", "BLOCKED", "CLOSED", "DORMANT")
ACCOUNT_EVENT_TYPES = ("OPENED", "ACTIVATED", "DORMANT", "BLOCKED", "CLOSED")
REVERSAL_REASONS = ("FRAUD", "CUSTOMER_REQUEST", "DUPLICATE", "ERROR", "CHARGEBACK")
REVERSAL_STATUSES = ("REQUESTED", "APPROVED", "DENIED", "COMPLETED")
TRANSACTION_TYPES = ("PIX", "TED", "DEPOSIT", "WITHDRAW", "BOLETO", "DOC", "SALARY", "AUTO_DEBIT")
PAYMENT_DAYS = (5, 10, 15, 20, 25, 30)
RECURRING_TYPES = ("SUBSCRIPTION", "UTILITY_BILL", "RENT", "INSURANCE_PREMIUM")
FREQUENCIES = ("MONTHLY", "WEEKLY", "BIWEEKLY")
RECURRING_STATUSES = ("ACTIVE", "PAUSED", "CANCELLED")
DIRECTIONS = ("CREDIT", "DEBIT")
TRANSACTION_STATUSES = ("PENDING", "COMPLETED", "FAILED")
PIX_KEY_TYPES = ("CPF", "CNPJ", "EMAIL", "PHONE", "EVP")
FRAUD_PATTERNS = (
    "VELOCITY_BURST",
    "AMOUNT_ANOMALY",
    "NIGHT_ACTIVITY",
    "NEW_PAYEE_LARGE_AMOUNT",
    "ROUND_AMOUNTS",
    "IMPOSSIBLE_GEOGRAPHY",
)

CUSTOMER = EntitySpec(
    name="customer",
    kind=Kind.MASTER,
    scope=Scope.ROOT,
    fields=(
        Field("customer_id", Uuid(), doc="UUID v4 derived from the seed."),
        Field("cpf", String(14), doc="CPF NNN.NNN.NNN-NN, valid check digits, unique in a run."),
        Field("name", String(255), doc="Brazilian full name."),
        Field("email", String(255), doc="Derived from the name."),
        Field("phone", String(20), doc="+55 DD 9NNNN-NNNN, DDD of the customer's city."),
        Field("address", ADDRESS),
        Field("monthly_income", Decimal(15, 2), doc="Log-normal, median near R$ 3,000, floor R$ 1,518.00."),
        Field("employment_status", Enum(*EMPLOYMENT_STATUSES, name="EmploymentStatus")),
        Field("credit_score", Int(minimum=300, maximum=850)),
        Field("created_at", Timestamp(), doc="Within the 3 years before the run's as-of instant."),
        Field("updated_at", Timestamp(), nullable=True, doc="Null at creation."),
    ),
    primary_key="customer_id",
    table="customers",
    topic="banking.customers",
    doc="A retail bank customer (the root entity: --customers N).",
)

ACCOUNT = EntitySpec(
    name="account",
    kind=Kind.MASTER,
    scope=Scope.SUBTREE,
    fields=(
        Field("account_id", Uuid()),
        Field("customer_id", Uuid(), doc="Owner."),
        Field("account_type", Enum(*ACCOUNT_TYPES, name="AccountType")),
        Field("bank_code", String(10), doc="COMPE code: 001, 033, 104, 237, 341 or 756."),
        Field("branch", String(10), doc="Agência, 4 digits."),
        Field("account_number", String(20), doc="NNNNNN-D with a mod-11 check digit."),
        Field("balance", Decimal(15, 2), doc="Balance when the record was created; scaled by income."),
        Field("status", Enum(*ACCOUNT_STATUSES, name="AccountStatus"),
              doc="As of the run's as-of instant: the last account_event (OPENED/ACTIVATED -> ACTIVE)."),
        Field("created_at", Timestamp(), doc="After the owner's created_at."),
        Field("updated_at", Timestamp(), nullable=True, doc="When the status left ACTIVE (else null)."),
    ),
    primary_key="account_id",
    foreign_keys=(ForeignKey("customer_id", "customer", "customer_id"),),
    table="accounts",
    topic="banking.accounts",
    doc="A customer's bank account (1 to 3 per customer).",
)

TRANSACTION = EntitySpec(
    name="transaction",
    kind=Kind.EVENT,
    scope=Scope.SUBTREE,
    fields=(
        Field("transaction_id", Uuid()),
        Field("account_id", Uuid()),
        Field("customer_id", Uuid(), doc="Denormalized: the account's owner."),
        Field("transaction_type", Enum(*TRANSACTION_TYPES, name="TransactionType")),
        Field("amount", Decimal(15, 2), doc="Always > 0; direction gives the sign."),
        Field("direction", Enum(*DIRECTIONS, name="Direction")),
        Field("counterparty_key", String(100), nullable=True,
              doc="PIX: the key (format of pix_key_type); TED/DOC: bank/branch/account; BOLETO: CNPJ."),
        Field("counterparty_name", String(255), nullable=True),
        Field("description", String(255)),
        Field("timestamp", Timestamp()),
        Field("status", Enum(*TRANSACTION_STATUSES, name="TransactionStatus")),
        Field("pix_e2e_id", String(32), nullable=True,
              doc="PIX only: E + ISPB(8) + yyyyMMddHHmm (UTC) + 11 alphanumerics."),
        Field("pix_key_type", Enum(*PIX_KEY_TYPES, name="PixKeyType"), nullable=True, doc="PIX only."),
        Field("created_at", Timestamp()),
        Field("updated_at", Timestamp(), nullable=True),
        Field("payroll_id", Uuid(), nullable=True, doc="SALARY: the payroll this credit pays (else null)."),
        Field("recurring_id", Uuid(), nullable=True,
              doc="AUTO_DEBIT: the recurring payment this debit pays (else null)."),
    ),
    primary_key="transaction_id",
    foreign_keys=(
        ForeignKey("account_id", "account", "account_id"),
        ForeignKey("customer_id", "customer", "customer_id"),
        ForeignKey("payroll_id", "payroll", "payroll_id"),
        ForeignKey("recurring_id", "recurring_payment", "recurring_id"),
    ),
    topic="banking.transactions",
    key_field="account_id",
    table="transactions",
    doc="A movement on an account (Pix, TED, DOC, boleto, deposit, withdrawal, salary, automatic debit).",
)

FRAUD_FIELDS = (
    Field("is_fraud", Bool(), doc="fraud-detection scenario: whether the event is fraudulent."),
    Field("fraud_pattern", Enum(*FRAUD_PATTERNS, name="FraudPattern"), nullable=True,
          doc="fraud-detection scenario: the injected pattern (null when not fraudulent)."),
    Field("location_city", String(100), doc="fraud-detection scenario: where the event happened."),
    Field("location_state", String(2), doc="fraud-detection scenario: UF of location_city."),
)
"""Fields the fraud-detection scenario adds to transaction."""

PAYROLL = EntitySpec(
    name="payroll",
    kind=Kind.MASTER,
    scope=Scope.SUBTREE,
    fields=(
        Field("payroll_id", Uuid()),
        Field("account_id", Uuid(), doc="The CONTA_CORRENTE the salary is paid into."),
        Field("customer_id", Uuid(), doc="Denormalized: the account's owner (an EMPLOYED customer)."),
        Field("employer_name", String(255), doc="Company name (Faker pt_BR, seeded)."),
        Field("employer_cnpj", String(18), doc="NN.NNN.NNN/NNNN-NN, valid check digits, one per employer."),
        Field("gross_salary", Decimal(15, 2), doc="The customer's monthly_income."),
        Field("net_salary", Decimal(15, 2), doc="gross_salary - INSS - IRRF (progressive tables, computed)."),
        Field("payment_day", Int(minimum=5, maximum=30), doc="5, 10, 15, 20, 25 or 30."),
        Field("created_at", Timestamp(), doc="When the salary started being paid into the account."),
    ),
    primary_key="payroll_id",
    foreign_keys=(
        ForeignKey("account_id", "account", "account_id"),
        ForeignKey("customer_id", "customer", "customer_id"),
    ),
    table="payrolls",
    topic="banking.payrolls",
    doc="An employed customer's salary paid into their checking account (SALARY transactions).",
)

RECURRING_PAYMENT = EntitySpec(
    name="recurring_payment",
    kind=Kind.MASTER,
    scope=Scope.SUBTREE,
    fields=(
        Field("recurring_id", Uuid()),
        Field("account_id", Uuid(), doc="The CONTA_CORRENTE debited."),
        Field("customer_id", Uuid(), doc="Denormalized: the account's owner."),
        Field("payment_type", Enum(*RECURRING_TYPES, name="RecurringPaymentType")),
        Field("payee_name", String(255), doc="From curated tables of Brazilian payees per type."),
        Field("amount", Decimal(15, 2), doc="Per debit; utility bills vary month to month around it."),
        Field("frequency", Enum(*FREQUENCIES, name="RecurringFrequency")),
        Field("day_of_month", Int(minimum=1, maximum=28), doc="Day of the (first) debit."),
        Field("status", Enum(*RECURRING_STATUSES, name="RecurringStatus")),
        Field("created_at", Timestamp()),
        Field("updated_at", Timestamp(), nullable=True, doc="When it was PAUSED or CANCELLED (null if ACTIVE)."),
    ),
    primary_key="recurring_id",
    foreign_keys=(
        ForeignKey("account_id", "account", "account_id"),
        ForeignKey("customer_id", "customer", "customer_id"),
    ),
    table="recurring_payments",
    topic="banking.recurring-payments",
    doc="A standing automatic debit on a checking account (AUTO_DEBIT transactions).",
)

ACCOUNT_EVENT = EntitySpec(
    name="account_event",
    kind=Kind.EVENT,
    scope=Scope.SUBTREE,
    fields=(
        Field("event_id", Uuid()),
        Field("account_id", Uuid()),
        Field("customer_id", Uuid(), doc="Denormalized: the account's owner."),
        Field("event_type", Enum(*ACCOUNT_EVENT_TYPES, name="AccountEventType")),
        Field("occurred_at", Timestamp()),
        Field("reason", String(50), nullable=True,
              doc="NEW_ACCOUNT, FIRST_DEPOSIT, NO_ACTIVITY_90_DAYS, FRAUD_SUSPECTED, COURT_ORDER, ..."),
    ),
    primary_key="event_id",
    foreign_keys=(
        ForeignKey("account_id", "account", "account_id"),
        ForeignKey("customer_id", "customer", "customer_id"),
    ),
    topic="banking.account-events",
    key_field="account_id",
    table="account_events",
    doc="A step of an account's lifecycle: OPENED, ACTIVATED, DORMANT, BLOCKED, CLOSED.",
)

REVERSAL = EntitySpec(
    name="reversal",
    kind=Kind.EVENT,
    scope=Scope.SUBTREE,
    fields=(
        Field("reversal_id", Uuid()),
        Field("original_transaction_id", Uuid(), doc="The reversed transaction (a COMPLETED debit)."),
        Field("account_id", Uuid(), doc="Denormalized: the original transaction's account."),
        Field("customer_id", Uuid(), doc="Denormalized: the account's owner."),
        Field("reason", Enum(*REVERSAL_REASONS, name="ReversalReason")),
        Field("reversal_amount", Decimal(15, 2), doc="At most the original amount (total or partial)."),
        Field("status", Enum(*REVERSAL_STATUSES, name="ReversalStatus")),
        Field("requested_at", Timestamp(), doc="After the original transaction."),
        Field("completed_at", Timestamp(), nullable=True, doc="After requested_at; null unless COMPLETED."),
    ),
    primary_key="reversal_id",
    foreign_keys=(
        ForeignKey("original_transaction_id", "transaction", "transaction_id"),
        ForeignKey("account_id", "account", "account_id"),
        ForeignKey("customer_id", "customer", "customer_id"),
    ),
    topic="banking.reversals",
    key_field="account_id",
    table="reversals",
    doc="A request to reverse a debit: fraud, customer request, duplicate, error or chargeback.",
)

ENTITIES = (CUSTOMER, ACCOUNT, PAYROLL, RECURRING_PAYMENT, TRANSACTION, ACCOUNT_EVENT, REVERSAL)
