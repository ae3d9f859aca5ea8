"""Data-quality rules of the banking pack (registered through the validators hook).

Schema rules (types, enums, lengths, nullability) and foreign keys are checked by the kernel;
these are the catalog's domain rules. Each returns at most one violation per record.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable, Sequence
from typing import Any

from datagen_kernel import EntitySpec, Lookup, Record, Rule, Violation
from datagen_plugin_banking.common import invalid_cpfs
from datagen_plugin_banking.masters import BANK_ISPB, account_number_ok

PIX_ONLY = ("pix_e2e_id", "pix_key_type")
E2E_ID = re.compile(r"E\d{8}\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[A-Za-z0-9]{11}")
"""E + ISPB (8 digits) + yyyyMMddHHmm + 11 alphanumerics: 32 characters."""


def _cpf_valid(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    cpfs = [r["cpf"] for r in records]
    for i in invalid_cpfs(cpfs):
        r = records[i]
        yield Violation(spec.name, r["customer_id"], "cpf", "cpf-valid",
                        f"{r['cpf']!r} is not a CPF NNN.NNN.NNN-NN with valid check digits")


def _credit_score(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    for r in records:
        s = r["credit_score"]
        if type(s) is not int or not 300 <= s <= 850:
            yield Violation(spec.name, r["customer_id"], "credit_score", "credit-score-range",
                            f"{s!r} is outside 300..850")


def _account_number(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    for r in records:
        if not account_number_ok(r["account_number"]):
            yield Violation(spec.name, r["account_id"], "account_number", "account-number-check-digit",
                            f"{r['account_number']!r} is not NNNNNN-D with a valid mod-11 check digit")


def _parents(lookup: Lookup, records: Sequence[Record], field: str) -> dict[str, Any]:
    """``account_id -> field`` of the accounts these events reference (one lookup per account)."""
    out: dict[str, Any] = {}
    for aid in {r["account_id"] for r in records}:
        acc = lookup.get("account", aid)
        if acc is not None:
            out[aid] = acc[field]
    return out


def _owner(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    if not lookup.has_entity("account"):
        return
    owners = _parents(lookup, records, "customer_id")
    for r in [r for r in records if owners.get(r["account_id"], r["customer_id"]) != r["customer_id"]]:
        yield Violation(spec.name, r["transaction_id"], "customer_id", "customer-is-account-owner",
                        f"{r['customer_id']} is not the owner of account {r['account_id']} "
                        f"({owners[r['account_id']]})")


def _positive_amount(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    for r in records:
        a = r["amount"]
        if type(a) is int and a > 0:
            continue
        if isinstance(a, decimal.Decimal) and a > 0 and a == a.quantize(decimal.Decimal("0.01")):
            continue
        yield Violation(spec.name, r["transaction_id"], "amount", "amount-positive",
                        f"{a!r} is not a positive amount with 2 decimals")


def _pix_only(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    suspects = [r for r in records if (r["transaction_type"] == "PIX") != (r["pix_e2e_id"] is not None)
                or (r["transaction_type"] == "PIX") != (r["pix_key_type"] is not None)]
    for r in suspects:
        pix = r["transaction_type"] == "PIX"
        f = next(f for f in PIX_ONLY if (r[f] is None) == pix)
        state = "missing on a PIX" if pix else f"set on a {r['transaction_type']}"
        yield Violation(spec.name, r["transaction_id"], f, "pix-fields-only-for-pix", f"{f} is {state} transaction")


def _e2e(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    match = E2E_ID.fullmatch
    pix = [r for r in records if r["pix_e2e_id"] is not None]
    for r in [r for r in pix if type(r["pix_e2e_id"]) is not str or match(r["pix_e2e_id"]) is None]:
        yield Violation(spec.name, r["transaction_id"], "pix_e2e_id", "pix-e2e-id-format",
                        f"{r['pix_e2e_id']!r} is not E + ISPB(8 digits) + yyyyMMddHHmm + 11 alphanumerics "
                        "(32 characters)")
    if not lookup.has_entity("account"):
        return
    banks = _parents(lookup, pix, "bank_code")
    ispb = {aid: BANK_ISPB[code] for aid, code in banks.items() if code in BANK_ISPB}
    for r in [r for r in pix if type(r["pix_e2e_id"]) is str
              and r["pix_e2e_id"][1:9] != ispb.get(r["account_id"], r["pix_e2e_id"][1:9])]:
        e = r["pix_e2e_id"]
        if match(e) is not None:
            yield Violation(spec.name, r["transaction_id"], "pix_e2e_id", "pix-e2e-id-format",
                            f"{e!r}: ISPB {e[1:9]} is not the ISPB of the account's bank ({ispb[r['account_id']]})")


RULES = (
    Rule("cpf-valid", "customer", _cpf_valid, "CPF has the NNN.NNN.NNN-NN format and valid mod-11 check digits."),
    Rule("credit-score-range", "customer", _credit_score, "300 <= credit_score <= 850."),
    Rule("account-number-check-digit", "account", _account_number, "account_number is NNNNNN-D, valid check digit."),
    Rule("customer-is-account-owner", "transaction", _owner, "customer_id equals the account's customer_id."),
    Rule("amount-positive", "transaction", _positive_amount, "amount > 0 with 2 decimals."),
    Rule("pix-fields-only-for-pix", "transaction", _pix_only,
         "pix_e2e_id and pix_key_type are set on PIX transactions and null on the others."),
    Rule("pix-e2e-id-format", "transaction", _e2e,
         "pix_e2e_id is E + ISPB of the account's bank + yyyyMMddHHmm + 11 alphanumerics."),
)
