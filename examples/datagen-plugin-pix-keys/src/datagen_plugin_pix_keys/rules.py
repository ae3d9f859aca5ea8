"""Data-quality rules of ``pix_key``: run on every generated block and by ``datagen validate``."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from datagen_kernel.api import EntitySpec, Lookup, Record, Rule, RunInfo, Violation
from datagen_plugin_pix_keys.keys import MAX_KEYS_PER_ACCOUNT, TRANSACTIONAL, owner_key

_EVP = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _matches_owner(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    if not lookup.has_entity("customer"):
        return
    for r in records:
        owner = lookup.get("customer", r["customer_id"])
        if owner is None:
            continue  # the foreign-key rule reports it
        kind, value = r["key_type"], r["key_value"]
        expected = owner_key(owner, kind)
        if expected is not None and value != expected:
            yield Violation(spec.name, r["pix_key_id"], "key_value", "pix-key-matches-owner",
                            f"{kind} key {value!r} is not the owner's ({expected!r})")
        elif kind == "EVP" and not _EVP.match(value):
            yield Violation(spec.name, r["pix_key_id"], "key_value", "pix-key-matches-owner",
                            f"EVP key {value!r} is not a UUID v4")


def _account_of_owner(spec: EntitySpec, records: Sequence[Record], lookup: Lookup,
                      run: RunInfo) -> Iterable[Violation]:
    # a check with a `run` parameter also receives the run: its as-of, time zone and options
    as_of = run.as_of_ms
    for r in records:
        if r["created_at"] > as_of:
            yield Violation(spec.name, r["pix_key_id"], "created_at", "pix-key-account-owner",
                            f"created after the run's as-of ({run.as_of.isoformat()})")
    if not lookup.has_entity("account"):
        return
    for r in records:
        account = lookup.get("account", r["account_id"])
        if account is None:
            continue
        if account["customer_id"] != r["customer_id"]:
            yield Violation(spec.name, r["pix_key_id"], "account_id", "pix-key-account-owner",
                            "the account belongs to another customer")
        elif account["account_type"] not in TRANSACTIONAL:
            yield Violation(spec.name, r["pix_key_id"], "account_id", "pix-key-account-owner",
                            f"{account['account_type']} accounts cannot hold Pix keys")
        elif r["created_at"] < account["created_at"]:
            yield Violation(spec.name, r["pix_key_id"], "created_at", "pix-key-account-owner",
                            "created before its account")


def _dict_limits(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    per_type = Counter((r["customer_id"], r["key_type"]) for r in records if r["key_type"] != "EVP")
    per_account = Counter(r["account_id"] for r in records)
    values = Counter(r["key_value"] for r in records)
    for r in records:
        if per_type[(r["customer_id"], r["key_type"])] > 1:
            yield Violation(spec.name, r["pix_key_id"], "key_type", "pix-dict-limits",
                            f"customer has more than one {r['key_type']} key")
        if per_account[r["account_id"]] > MAX_KEYS_PER_ACCOUNT:
            yield Violation(spec.name, r["pix_key_id"], "account_id", "pix-dict-limits",
                            f"account holds more than {MAX_KEYS_PER_ACCOUNT} keys")
        if r["key_type"] in ("CPF", "EVP") and values[r["key_value"]] > 1:
            yield Violation(spec.name, r["pix_key_id"], "key_value", "pix-dict-limits", "key value registered twice")


RULES = (
    Rule("pix-key-matches-owner", "pix_key", _matches_owner,
         "CPF/PHONE/EMAIL keys equal the owner's CPF digits, E.164 phone, lower-case email; EVP is a UUID v4."),
    Rule("pix-key-account-owner", "pix_key", _account_of_owner,
         "The key's account is a transactional account of the same customer, opened before the key; "
         "the key is created by the run's as-of."),
    Rule("pix-dict-limits", "pix_key", _dict_limits,
         "One CPF/PHONE/EMAIL key per customer, at most 5 keys per account, CPF and EVP values unique."),
)
