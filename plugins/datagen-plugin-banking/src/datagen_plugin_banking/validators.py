"""Data-quality rules of the banking pack (registered through the validators hook).

Schema rules (types, enums, lengths, nullability) and foreign keys are checked by the kernel;
these are the catalog's domain rules. Each returns at most one violation per record.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from datagen_kernel import EntitySpec, Lookup, Record, Rule, Violation
from datagen_plugin_banking.common import invalid_cpfs
from datagen_plugin_banking.masters import ACCOUNT_WEIGHTS, BANK_ISPB, account_number_ok

PIX_ONLY = ("pix_e2e_id", "pix_key_type")
E2E_ID = re.compile(
    r"E\d{8}\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[A-Za-z0-9]{11}", re.ASCII
)
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
    for i in invalid_account_numbers([r["account_number"] for r in records]):
        r = records[i]
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
    for r in [r for r in records if type(r["amount"]) is not int or r["amount"] <= 0]:
        a = r["amount"]
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
    pix = [r for r in records if r["pix_e2e_id"] is not None]
    if not pix:
        return
    expected = None
    if lookup.has_entity("account"):
        ispb = {aid: BANK_ISPB.get(code, "") for aid, code in _parents(lookup, pix, "bank_code").items()}
        expected = [ispb.get(r["account_id"], "") for r in pix]
    for i, problem in invalid_e2e_ids([r["pix_e2e_id"] for r in pix], expected):
        r = pix[i]
        yield Violation(spec.name, r["transaction_id"], "pix_e2e_id", "pix-e2e-id-format",
                        f"{r['pix_e2e_id']!r} {problem}")


_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[48:58] = True
_ALNUM = _DIGIT.copy()
_ALNUM[65:91] = _ALNUM[97:123] = True
E2E_FORMAT = "is not E + ISPB(8 digits) + yyyyMMddHHmm + 11 alphanumerics (32 characters)"


def invalid_e2e_ids(values: Sequence[Any], ispb: Sequence[str] | None = None) -> list[tuple[int, str]]:
    """(index, problem) of Pix end-to-end ids that break the format or (when ``ispb`` gives the
    expected ISPB per value, "" = unknown) carry another bank's ISPB. Vectorized."""
    n = len(values)
    if not all(type(v) is str for v in values) or set(map(len, values)) != {32} or not "".join(values).isascii():
        out = [(i, E2E_FORMAT) for i, v in enumerate(values) if not (isinstance(v, str) and E2E_ID.fullmatch(v))]
        bad = {i for i, _ in out}
        keep = [i for i in range(n) if i not in bad]
        sub = invalid_e2e_ids([values[i] for i in keep], None if ispb is None else [ispb[i] for i in keep])
        return sorted(out + [(keep[j], p) for j, p in sub])
    c = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(n, 32)
    d = c.astype(np.int64) - 48

    def two(col: int) -> np.ndarray:
        return d[:, col] * 10 + d[:, col + 1]

    ok = (c[:, 0] == ord("E")) & _DIGIT[c[:, 1:21]].all(axis=1) & _ALNUM[c[:, 21:]].all(axis=1)
    month, day, hour, minute = two(13), two(15), two(17), two(19)
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (hour < 24) & (minute < 60)
    out = [(i, E2E_FORMAT) for i in np.flatnonzero(~ok).tolist()]
    if ispb is not None:
        known = [i for i, x in enumerate(ispb) if len(x) == 8]
        if known:
            want = np.frombuffer("".join(ispb[i] for i in known).encode("ascii"), dtype=np.uint8).reshape(-1, 8)
            wrong = ok[known] & (c[known, 1:9] != want).any(axis=1)
            out += [(known[j], f"carries ISPB {values[known[j]][1:9]}, not the account's bank's ({ispb[known[j]]})")
                    for j in np.flatnonzero(wrong).tolist()]
    return sorted(out)


def invalid_account_numbers(values: Sequence[Any]) -> list[int]:
    """Indexes of values that are not ``NNNNNN-D`` with a valid mod-11 check digit. Vectorized."""
    n = len(values)
    if n == 0:
        return []
    if not all(type(v) is str for v in values) or set(map(len, values)) != {8} or not "".join(values).isascii():
        return [i for i, v in enumerate(values) if not (isinstance(v, str) and account_number_ok(v))]
    c = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(n, 8)
    d = c.astype(np.int64) - 48
    check = 11 - (d[:, :6] @ ACCOUNT_WEIGHTS) % 11
    check = np.where(check >= 10, 0, check)
    ok = _DIGIT[c[:, :6]].all(axis=1) & (c[:, 6] == ord("-")) & _DIGIT[c[:, 7]] & (d[:, 7] == check)
    return np.flatnonzero(~ok).tolist()


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
