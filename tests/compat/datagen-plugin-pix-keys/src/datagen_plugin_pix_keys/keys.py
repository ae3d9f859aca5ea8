"""The ``pix_key`` entity: the Pix keys each customer registered, consistent with the customer.

A Pix key points to one of its owner's transactional accounts (CONTA_CORRENTE or POUPANCA,
not CLOSED). Key values follow the DICT formats: CPF as its 11 digits, PHONE in E.164
(``+5511912345678``), EMAIL in lower case, EVP a random UUID v4. A customer has at most one
key of each of CPF, PHONE and EMAIL (the DICT allows each value once) and at most two EVP
keys; customers with no transactional account have no keys.
"""

from __future__ import annotations

import re

import numpy as np

from datagen_kernel import BlockContext, EntitySpec, Enum, Field, ForeignKey, Kind, Record, String, Timestamp, Uuid

KEY_TYPES = ("CPF", "PHONE", "EMAIL", "EVP")
TRANSACTIONAL = frozenset({"CONTA_CORRENTE", "POUPANCA"})
MAX_KEYS_PER_ACCOUNT = 5
"""The DICT limit for an account of a natural person."""

PIX_KEY = EntitySpec(
    name="pix_key",
    kind=Kind.MASTER,
    fields=(
        Field("pix_key_id", Uuid(), doc="Primary key."),
        Field("customer_id", Uuid(), doc="Owner; the key's value comes from this customer."),
        Field("account_id", Uuid(), doc="Transactional account the key points to (owned by the customer)."),
        Field("key_type", Enum(*KEY_TYPES, name="PixKeyType")),
        Field("key_value", String(77), doc="CPF digits, +55DD9NNNNNNNN, lower-case email, or a UUID (EVP)."),
        Field("created_at", Timestamp(), doc="After the account's created_at, before the run's as-of."),
    ),
    primary_key="pix_key_id",
    foreign_keys=(
        ForeignKey("customer_id", "customer", "customer_id"),
        ForeignKey("account_id", "account", "account_id"),
    ),
    table="pix_keys",
    doc="Pix keys registered by customers in the DICT.",
)

_NON_DIGITS = re.compile(r"\D")


def cpf_key(cpf: str) -> str:
    """``123.456.789-09`` -> ``12345678909``."""
    return _NON_DIGITS.sub("", cpf)


def phone_key(phone: str) -> str:
    """``+55 11 91234-5678`` -> ``+5511912345678`` (E.164)."""
    return "+" + _NON_DIGITS.sub("", phone)


def email_key(email: str) -> str:
    return email.strip().lower()


def owner_key(customer: Record, key_type: str) -> str | None:
    """The value a key of ``key_type`` must have for ``customer`` (``None`` for EVP: random)."""
    if key_type == "CPF":
        return cpf_key(customer["cpf"])
    if key_type == "PHONE":
        return phone_key(customer["phone"])
    if key_type == "EMAIL":
        return email_key(customer["email"])
    return None


def generate_pix_keys(ctx: BlockContext) -> list[Record]:
    """All keys of one block. Each array is drawn once, in customer order (stable prefixes)."""
    options = ctx.options("pix")
    shares = np.array([options.get("cpf_share", 0.70), options.get("phone_share", 0.60),
                       options.get("email_share", 0.45)])
    evp_max = int(options.get("evp_max", 2))
    customers = ctx.records("customer")
    eligible: dict[str, list[Record]] = {}
    for account in ctx.records("account"):
        if account["account_type"] in TRANSACTIONAL and account["status"] != "CLOSED":
            eligible.setdefault(account["customer_id"], []).append(account)

    n = len(customers)
    u = ctx.rng("choices").random((n, 5))
    has = u[:, :3] < shares
    evps = np.minimum((u[:, 3] * 10).astype(np.int64) // 6 + (u[:, 3] > 0.9), evp_max)  # 0: 60%, 1: 30%, 2: 10%
    plans: list[tuple[Record, list[Record], list[str]]] = []
    for i, customer in enumerate(customers):
        accounts = eligible.get(customer["customer_id"])
        if not accounts:
            continue
        types = [t for t, present in zip(KEY_TYPES[:3], has[i].tolist(), strict=True) if present]
        types += ["EVP"] * int(evps[i])
        start = int(u[i, 4] * len(accounts))
        plans.append((customer, [accounts[(start + j) % len(accounts)] for j in range(len(types))], types))

    total = sum(len(types) for _, _, types in plans)
    ids = ctx.uuids(total, "id")
    evp_values = ctx.uuids(sum(types.count("EVP") for _, _, types in plans), "evp")
    age = ctx.rng("created").random(total).tolist()
    as_of = ctx.run.as_of_ms
    out: list[Record] = []
    k = e = 0
    for customer, accounts, types in plans:
        for account, key_type in zip(accounts, types, strict=True):
            value = owner_key(customer, key_type)
            if value is None:
                value, e = evp_values[e], e + 1
            opened = account["created_at"]
            out.append({
                "pix_key_id": ids[k],
                "customer_id": customer["customer_id"],
                "account_id": account["account_id"],
                "key_type": key_type,
                "key_value": value,
                "created_at": opened + int(age[k] * max(as_of - opened, 1)),
            })
            k += 1
    return out
