"""Data-quality rules of the banking pack (registered through the validators hook).

Schema rules (types, enums, lengths, nullability) and foreign keys are checked by the kernel;
these are the catalog's domain rules. Each returns at most one violation per record.
"""

from __future__ import annotations

import decimal
import functools
import operator
import re
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from typing import Any

import numpy as np

from datagen_kernel import Batch, EntitySpec, Lookup, Record, Rule, TextColumn, Violation, column
from datagen_plugin_banking.common import invalid_cpfs, is_valid_cnpj
from datagen_plugin_banking.entities import PAYMENT_DAYS
from datagen_plugin_banking.masters import ACCOUNT_WEIGHTS, BANK_ISPB, account_number_ok

PIX_ONLY = ("pix_e2e_id", "pix_key_type")
_KNOWN_ISPB = frozenset(BANK_ISPB.values())
EVP = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", re.ASCII)
E2E_ID = re.compile(
    r"E\d{8}\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[A-Za-z0-9]{11}", re.ASCII
)
"""E + ISPB (8 digits) + yyyyMMddHHmm + 11 alphanumerics: 32 characters."""


def _cpf_valid(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    cpfs = column(records, "cpf")
    bad = invalid_cpfs(cpfs)
    keys = column(records, "customer_id") if bad else []
    for i in bad:
        yield Violation(spec.name, keys[i], "cpf", "cpf-valid",
                        f"{cpfs[i]!r} is not a CPF NNN.NNN.NNN-NN with valid check digits")


def _credit_score(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    scores = column(records, "credit_score")
    if set(map(type, scores)) <= {int} and (not scores or (min(scores) >= 300 and max(scores) <= 850)):
        return
    keys = column(records, "customer_id")
    for key, s in zip(keys, scores, strict=True):
        if type(s) is not int or not 300 <= s <= 850:
            yield Violation(spec.name, key, "credit_score", "credit-score-range", f"{s!r} is outside 300..850")


def _account_number(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    numbers = column(records, "account_number")
    bad = invalid_account_numbers(numbers)
    keys = column(records, "account_id") if bad else []
    for i in bad:
        yield Violation(spec.name, keys[i], "account_number", "account-number-check-digit",
                        f"{numbers[i]!r} is not NNNNNN-D with a valid mod-11 check digit")


def _fields(lookup: Lookup, entity: str, keys: Sequence[Any], *fields: str) -> list[list[Any]]:
    """For each of ``fields``, its value on each ``entity`` record named by ``keys`` (None for
    an unknown key): from the lookup's columns when it reads them (``RecordIndex.values``, no
    record built), else one ``get`` per key."""
    values = getattr(lookup, "values", None)
    if values is not None:
        return [values(entity, f, keys) for f in fields]
    found = [lookup.get(entity, k) for k in keys]
    return [[None if r is None else r[f] for r in found] for f in fields]


def _parents(lookup: Lookup, account_ids: Iterable[str], field: str) -> dict[str, Any]:
    """``account_id -> field`` of the accounts these events reference (one look-up per account)."""
    unique = list(set(account_ids))
    found = getattr(lookup, "values", None)
    if found is not None:
        known = set(lookup.keys("account")) if hasattr(lookup, "keys") else None  # type: ignore[attr-defined]
        keys = unique if known is None else [a for a in unique if a in known]
        return dict(zip(keys, found("account", field, keys), strict=True))
    out: dict[str, Any] = {}
    for aid in unique:
        acc = lookup.get("account", aid)
        if acc is not None:
            out[aid] = acc[field]
    return out


def _is_set(values: list[Any]) -> list[bool]:
    """``value is not None`` for every value (a C-level loop)."""
    return list(map(operator.is_not, values, repeat(None)))


# Transaction rules read whole columns (``column``: a list of dicts or a ``Batch``, no rows
# built) and visit single records only to name a violation.


def _owner(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    if not lookup.has_entity("account"):
        return
    account_ids = column(records, "account_id")
    customer_ids = column(records, "customer_id")
    owners = _parents(lookup, account_ids, "customer_id")
    expected = list(map(owners.get, account_ids, customer_ids))  # unknown accounts: not compared here
    if expected == customer_ids:
        return
    keys = column(records, "transaction_id")
    for i, (want, got) in enumerate(zip(expected, customer_ids, strict=True)):
        if want != got:
            yield Violation(spec.name, keys[i], "customer_id", "customer-is-account-owner",
                            f"{got} is not the owner of account {account_ids[i]} ({want})")


def _amount_ok(a: Any) -> bool:
    """A positive amount: int cents, or a ``Decimal`` with at most 2 decimals."""
    if type(a) is int:
        return a > 0
    return isinstance(a, decimal.Decimal) and a > 0 and a == a.quantize(decimal.Decimal("0.01"))


def non_positive_amounts(records: Sequence[Record], name: str = "amount") -> list[int]:
    """Indexes of records whose ``name`` is not a positive amount (int cents or a 2-decimal
    ``Decimal``). An integer array column is checked with numpy, a list at C level when all
    its values are ints."""
    stored = records.values(name) if isinstance(records, Batch) else None
    if isinstance(stored, np.ndarray) and stored.dtype.kind in "iu":
        return np.flatnonzero(stored <= 0).tolist()
    amounts = column(records, name)
    if not amounts or (set(map(type, amounts)) == {int} and min(amounts) > 0):
        return []
    return [i for i, a in enumerate(amounts) if not _amount_ok(a)]


def _positive_amount(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    bad = non_positive_amounts(records)
    if not bad:
        return
    keys, amounts = column(records, "transaction_id"), column(records, "amount")
    for i in bad:
        yield Violation(spec.name, keys[i], "amount", "amount-positive",
                        f"{amounts[i]!r} is not a positive amount with 2 decimals")


def _set_rows(values: list[Any]) -> list[int] | None:
    """Positions of the values that are not None, when every such value is truthy (C-level
    loops: a count and a compress); None otherwise (e.g. an empty string)."""
    rows = list(compress(range(len(values)), values))
    return rows if len(rows) + values.count(None) == len(values) else None


def _set_positions(records: Sequence[Record], name: str) -> list[int]:
    """Positions of the records whose ``name`` is not None (a ``TextColumn``'s from its null
    flags, without decoding it)."""
    stored = records.values(name) if isinstance(records, Batch) else None
    if isinstance(stored, TextColumn):
        return list(range(len(stored))) if stored.nulls is None else np.flatnonzero(~stored.nulls).tolist()
    values = column(records, name)
    rows = _set_rows(values)
    return rows if rows is not None else list(compress(range(len(values)), _is_set(values)))


def _pix_only(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    types = column(records, "transaction_type")
    pix = np.fromiter(map(operator.eq, types, repeat("PIX")), dtype=bool, count=len(types))
    present = {f: _sparse(records, f)[0] for f in PIX_ONLY}
    if all(np.array_equal(flags, pix) for flags in present.values()):
        return
    keys = column(records, "transaction_id")
    for i, is_pix in enumerate(pix.tolist()):
        f = next((f for f in PIX_ONLY if bool(present[f][i]) != is_pix), None)
        if f is not None:
            state = "missing on a PIX" if is_pix else f"set on a {types[i]}"
            yield Violation(spec.name, keys[i], f, "pix-fields-only-for-pix", f"{f} is {state} transaction")


def _e2e(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    rows = _set_positions(records, "pix_e2e_id")
    if not rows:
        return
    lines = _e2e_lines(records, rows)  # a TextColumn of well-formed ids: read as bytes
    values: Sequence[Any] = _Lines(lines) if lines is not None else _at(records, "pix_e2e_id", rows)
    expected = None
    if lookup.has_entity("account"):
        accounts = _gather(column(records, "account_id"), rows)
        ispb = {aid: BANK_ISPB.get(code, "") for aid, code in _parents(lookup, accounts, "bank_code").items()}
        expected = list(map(ispb.get, accounts, repeat("")))
        # a credit's id carries the payer's bank: any known bank (e.g. a P2P payment from another customer)
        directions = _gather(column(records, "direction"), rows)
        credits = list(compress(range(len(rows)), map(operator.eq, directions, repeat("CREDIT"))))
        if lines is not None:
            heads = np.frombuffer(lines, dtype=_E2E_LINE)["head"][credits].tolist()  # E + ISPB + ...
            for j, head in zip(credits, heads, strict=True):
                if head[1:9] in _KNOWN_ISPB_BYTES:
                    expected[j] = head[1:9].decode("ascii")
        else:
            for j in credits:
                v = values[j]
                if isinstance(v, str) and v[1:9] in _KNOWN_ISPB:
                    expected[j] = v[1:9]
    found = invalid_e2e_ids(values, expected, lines)
    if not found:
        return
    keys = _gather(column(records, "transaction_id"), rows)
    for j, problem in found:
        yield Violation(spec.name, keys[j], "pix_e2e_id", "pix-e2e-id-format", f"{values[j]!r} {problem}")


_KNOWN_ISPB_BYTES = frozenset(i.encode("ascii") for i in _KNOWN_ISPB)


def _e2e_lines(records: Sequence[Record], rows: list[int]) -> bytes | None:
    """The end-to-end ids at ``rows`` as ``_ascii_lines`` gives them (each 32 ASCII bytes and a
    newline), straight from a ``TextColumn`` where each is 32 ASCII bytes; else None."""
    stored = records.values("pix_e2e_id") if isinstance(records, Batch) else None
    if not isinstance(stored, TextColumn) or stored.width != 32:
        return None
    matrix = np.take(stored.matrix, np.array(rows, dtype=np.intp), axis=0)
    if matrix.size and (int(matrix.min()) == 0 or int(matrix.max()) > 127 or (matrix == 10).any()):
        return None  # shorter, beyond ASCII or holding a newline: compared as text
    lines = np.empty((len(rows), 33), dtype=np.uint8)
    lines[:, :32] = matrix
    lines[:, 32] = 10
    return lines.tobytes()


class _Lines(Sequence[str]):
    """The ids of ``_e2e_lines`` as strings, each decoded only when asked for (a violation)."""

    def __init__(self, lines: bytes) -> None:
        self._lines = lines

    def __len__(self) -> int:
        return len(self._lines) // 33

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(len(self))[i]]
        return self._lines[i * 33 : i * 33 + 32].decode("ascii")


_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[48:58] = True
_ALNUM = _DIGIT.copy()
_ALNUM[65:91] = _ALNUM[97:123] = True
E2E_FORMAT = "is not E + ISPB(8 digits) + yyyyMMddHHmm + 11 alphanumerics (32 characters)"
_HEAD = bytes(b if b == ord("E") else (48 if _DIGIT[b] else 35) for b in range(256))
"""``bytes.translate`` table: E stays, digits become 0, anything else # (a valid id starts E0{20})."""
_TAIL = bytes(120 if _ALNUM[b] else 35 for b in range(256))
"""Alphanumerics become x, anything else # (a valid id ends x{11})."""
_E2E_LINE = np.dtype([("head", "S21"), ("tail", "S11"), ("end", "S1")])


def _ascii_lines(values: Sequence[Any], width: int) -> bytes | None:
    """The values joined, each followed by a newline, when every one is a ``width``-character
    ASCII string without a newline; else None. C-level checks: one join, one count."""
    n = len(values)
    try:
        text = "\n".join(values)
    except TypeError:
        return None
    if len(text) != n * (width + 1) - 1 or text.count("\n") != n - 1 or not text.isascii():
        return None
    raw = (text + "\n").encode("ascii")
    # n - 1 newlines, none inside a value, each where a width-character value ends: all fit
    ends = np.frombuffer(raw, dtype=np.uint8)[width :: width + 1]
    return raw if (ends == 10).all() else None


def ascii_rows(values: Sequence[Any], width: int) -> np.ndarray | None:
    """``values`` as an ``(n, width)`` byte matrix when every one is a ``width``-character ASCII
    string without a newline, else None."""
    raw = _ascii_lines(values, width)
    if raw is None:
        return None
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(values), width + 1)[:, :width]


def invalid_e2e_ids(values: Sequence[Any], ispb: Sequence[str] | None = None, raw: bytes | None = None
                    ) -> list[tuple[int, str]]:
    """(index, problem) of Pix end-to-end ids that break the format or (when ``ispb`` gives the
    expected ISPB per value, "" = unknown) carry another bank's ISPB. Vectorized. ``raw``: the
    values as ``_ascii_lines(values, 32)`` gives them, when the caller has them."""
    n = len(values)
    if n == 0:
        return []
    if raw is None:
        raw = _ascii_lines(values, 32)
    if raw is None:
        out = [(i, E2E_FORMAT) for i, v in enumerate(values) if not (isinstance(v, str) and E2E_ID.fullmatch(v))]
        bad = {i for i, _ in out}
        keep = [i for i in range(n) if i not in bad]
        sub = invalid_e2e_ids([values[i] for i in keep], None if ispb is None else [ispb[i] for i in keep])
        return sorted(out + [(keep[j], p) for j, p in sub])
    c = np.frombuffer(raw, dtype=np.uint8).reshape(n, 33)[:, :32]
    ok = np.frombuffer(raw.translate(_HEAD), dtype=_E2E_LINE)["head"] == b"E" + b"0" * 20
    ok &= np.frombuffer(raw.translate(_TAIL), dtype=_E2E_LINE)["tail"] == b"x" * 11
    d = c[:, 13:21].astype(np.int16) - 48  # MMddHHmm

    def two(col: int) -> np.ndarray:
        return d[:, col] * 10 + d[:, col + 1]

    month, day, hour, minute = two(0), two(2), two(4), two(6)
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (hour < 24) & (minute < 60)
    out = [(i, E2E_FORMAT) for i in np.flatnonzero(~ok).tolist()]
    if ispb is not None:
        want = ascii_rows(ispb, 8)
        if want is not None:  # every value's ISPB known: compare 8 bytes as one word
            have = np.ascontiguousarray(c[:, 1:9]).view("<u8").ravel()
            wrong = ok & (have != np.ascontiguousarray(want).view("<u8").ravel())
            known: Sequence[int] = range(n)
        else:
            known = [i for i, x in enumerate(ispb) if len(x) == 8]
            if not known:
                return sorted(out)
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


@functools.lru_cache(maxsize=4096)
def _valid_cnpj(value: Any) -> bool:
    """``is_valid_cnpj``, remembered: a run's employers are one table, seen in every block."""
    return is_valid_cnpj(value)


def _payroll(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    """Valid employer CNPJ; net = gross - INSS - IRRF; payment day. Reads columns; CNPJs are
    checked once per distinct value. (That only EMPLOYED customers have one is the generator's
    promise, tested with it: a per-record customer lookup here would cost more than the rule.)"""
    from datagen_plugin_banking.payroll import net_salary_cents

    n = len(records)
    if n == 0:
        return
    cnpjs = column(records, "employer_cnpj")
    bad_cnpj = {c for c in set(cnpjs) if not _valid_cnpj(c)}
    gross = np.array(column(records, "gross_salary"), dtype=np.int64)
    net = np.array(column(records, "net_salary"), dtype=np.int64)
    wrong_net = net != net_salary_cents(gross)
    days = column(records, "payment_day")
    bad_day = [d not in PAYMENT_DAYS for d in days]
    keys = column(records, "payroll_id")
    for i in np.flatnonzero(wrong_net | np.array(bad_day) | np.array([c in bad_cnpj for c in cnpjs])).tolist():
        key = keys[i]
        if cnpjs[i] in bad_cnpj:
            yield Violation(spec.name, key, "employer_cnpj", "cnpj-valid",
                            f"{cnpjs[i]!r} is not a CNPJ NN.NNN.NNN/NNNN-NN with valid check digits")
        elif wrong_net[i]:
            yield Violation(spec.name, key, "net_salary", "net-salary",
                            f"{net[i]} is not gross {gross[i]} - INSS - IRRF = {net_salary_cents(gross[i:i + 1])[0]}")
        elif bad_day[i]:
            yield Violation(spec.name, key, "payment_day", "payment-day",
                            f"{days[i]} is not one of {', '.join(map(str, PAYMENT_DAYS))}")


def _recurring(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    """Positive amount; updated_at (after created_at) exactly when PAUSED or CANCELLED."""
    amounts = column(records, "amount")
    status = column(records, "status")
    created = column(records, "created_at")
    updated = column(records, "updated_at")
    keys = column(records, "recurring_id")
    for i, (amount, st, c, u) in enumerate(zip(amounts, status, created, updated, strict=True)):
        if amount <= 0:
            yield Violation(spec.name, keys[i], "amount", "amount-positive", f"{amount} is not > 0")
        elif (st == "ACTIVE") != (u is None) or (u is not None and u < c):
            yield Violation(spec.name, keys[i], "updated_at", "recurring-status",
                            f"status {st} with updated_at {u!r}")


_LINK_CODES = {"SALARY": 1, "AUTO_DEBIT": 2}


class _Present:
    """The values of a mostly-null column at the rows asked for (a ``TextColumn``'s rows are
    decoded only then)."""

    def __init__(self, values: Any, present: np.ndarray) -> None:
        self._values, self._present = values, present

    def __getitem__(self, i: int) -> Any:
        return self._values[i]

    def at(self, rows: list[int]) -> list[Any]:
        if isinstance(self._values, TextColumn):
            return self._values.take(np.array(rows, dtype=np.intp)).tolist() if rows else []
        return _gather(self._values, rows)

    def distinct(self) -> set[Any]:
        return set(self.at(np.flatnonzero(self._present).tolist()))


def _sparse(records: Sequence[Record], name: str) -> tuple[np.ndarray, _Present]:
    """Whether each record's ``name`` is set, and its values (read from the null mask of a
    ``TextColumn``, without a Python string per record)."""
    stored = records.values(name) if isinstance(records, Batch) else None
    if isinstance(stored, TextColumn):
        present = np.ones(len(stored), dtype=bool) if stored.nulls is None else ~stored.nulls
        return present, _Present(stored, present)
    values = column(records, name)
    present = np.fromiter(map(operator.is_not, values, repeat(None)), dtype=bool, count=len(values))
    return present, _Present(values, present)


def _links(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    """payroll_id exactly on SALARY credits, recurring_id exactly on AUTO_DEBIT debits (of the
    recurring payment's account, not after it was paused or cancelled). Reads columns."""
    names = set(records.names) if isinstance(records, Batch) else set(records[0]) if records else set()
    if not {"payroll_id", "recurring_id"} <= names:
        return  # an extension without the fields: nothing to check
    types = column(records, "transaction_type")
    n = len(types)
    has_payroll, payroll = _sparse(records, "payroll_id")
    has_recurring, recurring = _sparse(records, "recurring_id")
    # the common case is checked on the linked records alone: a link exactly on each SALARY
    # (a CREDIT) and each AUTO_DEBIT (a DEBIT)
    paid, debited = np.flatnonzero(has_payroll).tolist(), np.flatnonzero(has_recurring).tolist()
    linked = (types.count("SALARY") == len(paid) and types.count("AUTO_DEBIT") == len(debited)
              and _gather(types, paid).count("SALARY") == len(paid)
              and _gather(types, debited).count("AUTO_DEBIT") == len(debited))
    if linked and not (paid or debited):
        return
    direction = column(records, "direction")
    if linked and (_gather(direction, paid).count("CREDIT") == len(paid)
                   and _gather(direction, debited).count("DEBIT") == len(debited)):
        debit, bad = has_recurring, np.zeros(n, dtype=bool)
    else:
        code = np.fromiter(map(_LINK_CODES.get, types, repeat(0)), dtype=np.int8, count=n)  # 1 SALARY, 2 AUTO_DEBIT
        salary, debit = code == 1, code == 2
        if not (salary.any() or debit.any() or has_payroll.any() or has_recurring.any()):
            return
        credit = np.fromiter(map(operator.eq, direction, repeat("CREDIT")), dtype=bool, count=n)
        bad = (salary != has_payroll) | (debit != has_recurring) | (salary & ~credit) | (debit & credit)
    keys: Sequence[Any] = column(records, "transaction_id") if bad.any() else ()
    for i in np.flatnonzero(bad).tolist():
        yield Violation(spec.name, keys[i], "payroll_id", "scheduled-links",
                        f"{types[i]} {direction[i]} with payroll_id {payroll[i]!r} and recurring_id {recurring[i]!r}")
    if not lookup.has_entity("recurring_payment") or not debit.any():
        return
    links = list(recurring.distinct() - {None})  # recurring payments paused or cancelled: one look-up each
    m_account, m_updated, m_status = _fields(lookup, "recurring_payment", links, "account_id", "updated_at", "status")
    ended: dict[Any, tuple[Any, Any, str]] = {
        link: (a, u, st) for link, a, u, st in zip(links, m_account, m_updated, m_status, strict=True) if u is not None
    }
    if not ended:
        return
    candidates = np.flatnonzero(debit & ~bad).tolist()
    link_of = dict(zip(candidates, recurring.at(candidates), strict=True))
    rows = [i for i in candidates if link_of[i] in ended]
    if not rows:
        return
    accounts = column(records, "account_id")
    stamps = records.values("timestamp") if isinstance(records, Batch) else column(records, "timestamp")
    for i in rows:
        found = ended[link_of[i]]
        key = column(records, "transaction_id")[i] if found[0] != accounts[i] or stamps[i] > found[1] else None
        if found[0] != accounts[i]:
            yield Violation(spec.name, key, "account_id", "scheduled-links",
                            "the recurring payment debits another account")
        elif stamps[i] > found[1]:
            yield Violation(spec.name, key, "timestamp", "scheduled-links",
                            f"debited after the recurring payment was {found[2]}")


_KEY_FIELDS = {"CPF": "cpf", "EMAIL": "email", "PHONE": "phone"}
_P2P_FIELDS = ("customer_id", "amount", "timestamp", "status", "pix_key_type", "counterparty_key",
               "counterparty_name")


def p2p_pair_problem(debit: Record, credit: Record, payer: Record | None, payee: Record | None) -> str | None:
    """What is wrong with a P2P pair (the debit and credit sharing a Pix end-to-end id), given
    the payer's and payee's customer records (None: outside the data seen)."""
    if (debit["amount"], debit["timestamp"]) != (credit["amount"], credit["timestamp"]):
        return "the two sides differ in amount or instant"
    if debit["status"] != "COMPLETED" or credit["status"] != "COMPLETED":
        return "a P2P pair is COMPLETED on both sides (a failed Pix has no credit)"
    if debit["customer_id"] == credit["customer_id"]:
        return "a customer paid themselves"
    for row, other in ((debit, payee), (credit, payer)):
        if other is None:
            continue
        key_type, key = row["pix_key_type"], row["counterparty_key"]
        field = _KEY_FIELDS.get(key_type)
        good_key = other.get(field) == key if field else key_type == "EVP" and bool(EVP.fullmatch(str(key)))
        if row["counterparty_name"] != other["name"] or not good_key:
            return f"counterparty {row['counterparty_name']!r} / {key!r} is not the other customer's name and key"
    return None


def _gather(values: Sequence[Any], rows: list[int]) -> list[Any]:
    """``values`` at ``rows`` (a C-level gather)."""
    if len(rows) < 2:
        return [values[k] for k in rows]
    return list(operator.itemgetter(*rows)(values))


def _at(records: Sequence[Record], name: str, rows: list[int]) -> list[Any]:
    """Field ``name`` of the records at ``rows``: gathered from an array or a ``TextColumn``
    (no Python object for the other records), else from the column's list."""
    stored = records.values(name) if isinstance(records, Batch) else None
    if isinstance(stored, np.ndarray) and stored.dtype != object:
        return stored[np.array(rows, dtype=np.intp)].tolist()
    if isinstance(stored, TextColumn):
        return stored.take(np.array(rows, dtype=np.intp)).tolist() if rows else []
    return _gather(column(records, name), rows)


def _keys_at(records: Sequence[Record], name: str, rows: list[int]) -> list[Any]:
    """Field ``name`` of the records at ``rows`` as keys to compare: a ``TextColumn``'s rows as
    bytes (equal exactly when their texts are; nothing decoded), else the values."""
    stored = records.values(name) if isinstance(records, Batch) else None
    if isinstance(stored, TextColumn) and stored.width:
        matrix = np.take(stored.matrix, np.array(rows, dtype=np.intp), axis=0)
        return matrix.view(f"S{stored.width}").ravel().tolist()
    return _at(records, name, rows)


def _p2p(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    """Transactions sharing a Pix end-to-end id: a P2P pair between two customers (both sides seen).
    Shared ids are found with two dicts (first and last row of each id; sorting the ids as
    fixed-width bytes when an id is shared by more than two); the pairs' sides are compared
    column by column, and each customer in a pair is looked up once."""
    rows = _set_positions(records, "pix_e2e_id")
    if not rows:
        return
    present = np.array(rows, dtype=np.int64)
    values = _keys_at(records, "pix_e2e_id", rows)
    first_row = dict(zip(reversed(values), reversed(rows), strict=True))
    if len(first_row) == len(values):  # no id shared inside these records
        yield from _p2p_across(spec, records, lookup, present)
        return
    last_row = dict(zip(values, rows, strict=True))
    shared = [(f, last_row[v]) for v, f in first_row.items() if last_row[v] != f]
    if len(values) - len(first_row) == len(shared):  # every shared id has two rows
        first = np.array([f for f, _ in shared], dtype=np.int64)
        second = np.array([s for _, s in shared], dtype=np.int64)
    else:
        sorted_ids = np.array(values, dtype=object).astype("S40")
        order = np.argsort(sorted_ids, kind="stable")
        same = np.flatnonzero(sorted_ids[order[1:]] == sorted_ids[order[:-1]])
        first, second = present[order[same]], present[order[same + 1]]
    alone = np.zeros(len(records), dtype=bool)
    alone[present] = True
    alone[first] = alone[second] = False
    yield from _p2p_across(spec, records, lookup, np.flatnonzero(alone))
    dir_a = np.array(_gather(column(records, "direction"), first.tolist()), dtype=object)
    dir_b = np.array(_gather(column(records, "direction"), second.tolist()), dtype=object)
    one_each = ((dir_a == "DEBIT") & (dir_b == "CREDIT")) | ((dir_a == "CREDIT") & (dir_b == "DEBIT"))
    debit = np.where(dir_a == "DEBIT", first, second)
    credit = np.where(dir_a == "DEBIT", second, first)
    for k in np.flatnonzero(~one_each).tolist():
        yield Violation(spec.name, column(records, "transaction_id")[int(second[k])], "pix_e2e_id", "p2p-pairs",
                        "the id is shared by transactions that are not one debit and one credit")
    d, c = debit[one_each].tolist(), credit[one_each].tolist()
    if not d:
        return
    fields = {name: (_at(records, name, d), _at(records, name, c)) for name in _P2P_FIELDS}
    problem: list[str | None] = [None] * len(d)
    for name in ("amount", "timestamp"):
        for k in np.flatnonzero(np.array(fields[name][0]) != np.array(fields[name][1])).tolist():
            problem[k] = problem[k] or "the two sides differ in amount or instant"
    status = np.array(fields["status"][0] + fields["status"][1], dtype=object).reshape(2, -1)
    for k in np.flatnonzero((status != "COMPLETED").any(axis=0)).tolist():
        problem[k] = problem[k] or "a P2P pair is COMPLETED on both sides (a failed Pix has no credit)"
    payer_ids, payee_ids = fields["customer_id"]
    people: dict[Any, Record | None] = {}
    if lookup.has_entity("customer"):
        ids = list(set(payer_ids) | set(payee_ids))
        found = _fields(lookup, "customer", ids, "name", *_KEY_FIELDS.values())
        people = {cid: None if row[0] is None else dict(zip(("name", *_KEY_FIELDS.values()), row, strict=True))
                  for cid, row in zip(ids, zip(*found, strict=True), strict=True)}
    for k, (payer, payee) in enumerate(zip(payer_ids, payee_ids, strict=True)):
        if problem[k] is None and payer == payee:
            problem[k] = "a customer paid themselves"
        for side, other in ((0, people.get(payee)), (1, people.get(payer))):
            if problem[k] is not None or other is None:
                continue
            key_type, key = fields["pix_key_type"][side][k], fields["counterparty_key"][side][k]
            field = _KEY_FIELDS.get(key_type)
            good_key = other.get(field) == key if field else key_type == "EVP" and bool(EVP.fullmatch(str(key)))
            name = fields["counterparty_name"][side][k]
            if name != other["name"] or not good_key:
                problem[k] = f"counterparty {name!r} / {key!r} is not the other customer's name and key"
        if problem[k] is not None:
            yield Violation(spec.name, column(records, "transaction_id")[c[k]], "pix_e2e_id", "p2p-pairs", problem[k])


def _p2p_across(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, alone: np.ndarray
                ) -> Iterable[Violation]:
    """Pairs whose other side is outside ``records``: in ``datagen validate``, which checks a
    dataset in chunks, the other side is found in the whole dataset (``lookup.find``); each such
    pair is checked once, from its credit's chunk. During a run the lookup holds the block's
    records only, the rule's own: a block's pair with another block is checked by validate."""
    count, find = getattr(lookup, "count", None), getattr(lookup, "find", None)
    if alone.size == 0 or count is None or find is None or count(spec.name) <= len(records):
        return
    rows = alone.tolist()
    ids = _gather(column(records, "pix_e2e_id"), rows)
    keys = _gather(column(records, "transaction_id"), rows)
    people = lookup.has_entity("customer")
    for k, e2e, key in zip(rows, ids, keys, strict=True):
        others = [t for t in find(spec.name, "pix_e2e_id", e2e) if t["transaction_id"] != key]
        if not others:
            continue
        row = records[k] if not isinstance(records, Batch) else records.row(k)
        if len(others) > 1:
            if key < min(t["transaction_id"] for t in others):
                yield Violation(spec.name, key, "pix_e2e_id", "p2p-pairs",
                                "the id is shared by more than two transactions")
            continue
        other = others[0]
        if row["direction"] == other["direction"] or {row["direction"], other["direction"]} != {"DEBIT", "CREDIT"}:
            if key < other["transaction_id"]:
                yield Violation(spec.name, key, "pix_e2e_id", "p2p-pairs",
                                "the id is shared by transactions that are not one debit and one credit")
            continue
        if row["direction"] != "CREDIT":
            continue  # checked from the credit's chunk
        debit, credit = other, row
        payer = lookup.get("customer", debit["customer_id"]) if people else None
        payee = lookup.get("customer", credit["customer_id"]) if people else None
        problem = p2p_pair_problem(debit, credit, payer, payee)
        if problem is not None:
            yield Violation(spec.name, key, "pix_e2e_id", "p2p-pairs", problem)


def _account_status(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    """updated_at is set (after created_at) exactly when the status is not ACTIVE."""
    status = column(records, "status")
    created = column(records, "created_at")
    updated = column(records, "updated_at")
    keys = column(records, "account_id")
    for i, (st, c, u) in enumerate(zip(status, created, updated, strict=True)):
        if (st == "ACTIVE") != (u is None) or (u is not None and u < c):
            yield Violation(spec.name, keys[i], "updated_at", "account-status",
                            f"status {st} with updated_at {u!r}")


def _after_account_end(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    """No transaction of a DORMANT, BLOCKED or CLOSED account at or after its status change."""
    if not lookup.has_entity("account"):
        return
    account_ids = column(records, "account_id")
    unique = list(set(account_ids))
    statuses, since_at = _fields(lookup, "account", unique, "status", "updated_at")
    ended: dict[Any, tuple[str, Any]] = {
        aid: (st, at) for aid, st, at in zip(unique, statuses, since_at, strict=True)
        if st is not None and st != "ACTIVE" and at is not None
    }
    if not ended:
        return
    stamps = records.values("timestamp") if isinstance(records, Batch) else column(records, "timestamp")
    for i in [i for i, a in enumerate(account_ids) if a in ended]:
        status, since = ended[account_ids[i]]
        if stamps[i] >= since:
            yield Violation(spec.name, column(records, "transaction_id")[i], "timestamp", "account-lifecycle",
                            f"the account is {status} since {since}")


def _account_event(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    """OPENED at the account's created_at, nothing before it; the account's current status
    follows its latest event (checked on the account's last event seen)."""
    if not lookup.has_entity("account"):
        return
    rows = list(zip(column(records, "event_id"), column(records, "account_id"), column(records, "event_type"),
                    column(records, "occurred_at"), strict=True))
    latest: dict[Any, tuple[Any, str, Any]] = {}
    for key, aid, kind, at in rows:
        if aid not in latest or at >= latest[aid][2]:
            latest[aid] = (key, kind, at)
    status_of = {"OPENED": "ACTIVE", "ACTIVATED": "ACTIVE", "DORMANT": "DORMANT", "BLOCKED": "BLOCKED",
                 "CLOSED": "CLOSED"}
    ids = list(latest)  # one look-up per account
    created_at, statuses, updated_at = _fields(lookup, "account", ids, "created_at", "status", "updated_at")
    accounts: dict[Any, tuple[Any, str, Any] | None] = {
        aid: None if st is None else (c, st, u)
        for aid, c, st, u in zip(ids, created_at, statuses, updated_at, strict=True)
    }
    for key, aid, kind, at in rows:
        acc = accounts[aid]
        if acc is None:
            continue
        created, status, updated = acc
        if at < created or (kind == "OPENED" and at != created):
            yield Violation(spec.name, key, "occurred_at", "account-event-order",
                            f"{kind} at {at}, the account was created at {created}")
        elif latest[aid][0] == key and kind != "OPENED" and status_of[kind] != status and (
                updated is None or updated <= at):
            yield Violation(spec.name, key, "event_type", "account-status",
                            f"the account's status is {status} after {kind}")


def _reversal(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> Iterable[Violation]:
    """completed_at (after requested_at) exactly when COMPLETED; amount > 0 and at most the
    original's; requested after the original, on the original's account."""
    originals = column(records, "original_transaction_id")
    if lookup.has_entity("transaction"):
        o_amount, o_stamp, o_account = _fields(lookup, "transaction", originals, "amount", "timestamp", "account_id")
    else:
        o_amount = o_stamp = o_account = [None] * len(originals)
    rows = zip(column(records, "reversal_id"), column(records, "account_id"), column(records, "reversal_amount"),
               column(records, "status"), column(records, "requested_at"), column(records, "completed_at"),
               o_amount, o_stamp, o_account, strict=True)
    for key, aid, amount, status, requested, completed, original_amount, original_at, original_account in rows:
        if (status == "COMPLETED") != (completed is not None) or (completed is not None and completed <= requested):
            yield Violation(spec.name, key, "completed_at", "reversal-times",
                            f"status {status} with completed_at {completed!r} (requested {requested})")
            continue
        if amount <= 0:
            yield Violation(spec.name, key, "reversal_amount", "amount-positive", f"{amount} is not > 0")
            continue
        if original_account is None:
            continue
        if amount > original_amount:
            yield Violation(spec.name, key, "reversal_amount", "reversal-amount",
                            f"{amount} is more than the original's {original_amount}")
        elif requested <= original_at or aid != original_account:
            yield Violation(spec.name, key, "requested_at", "reversal-original",
                            "requested before the original transaction, or on another account")


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
    Rule("account-status", "account", _account_status,
         "updated_at is set (after created_at) exactly when the status is not ACTIVE."),
    Rule("account-lifecycle", "transaction", _after_account_end,
         "no transaction of a DORMANT, BLOCKED or CLOSED account at or after its status change."),
    Rule("account-event-checks", "account_event", _account_event,
         "OPENED at the account's created_at, nothing before; the status follows the latest event."),
    Rule("reversal-checks", "reversal", _reversal,
         "completed_at after requested_at exactly when COMPLETED; 0 < amount <= the original's; "
         "requested after the original, on its account."),
    Rule("payroll-checks", "payroll", _payroll,
         "employer_cnpj valid; net_salary = gross - INSS - IRRF; payment_day 5..30 by 5."),
    Rule("recurring-checks", "recurring_payment", _recurring,
         "amount > 0; updated_at set (after created_at) exactly when PAUSED or CANCELLED."),
    Rule("p2p-pairs", "transaction", _p2p,
         "two transactions sharing a Pix end-to-end id are one debit and one credit of two customers, same "
         "amount and instant, both COMPLETED, each naming the other customer with one of their keys."),
    Rule("scheduled-links", "transaction", _links,
         "payroll_id exactly on SALARY credits and recurring_id on AUTO_DEBIT debits of the master's "
         "account, none after a recurring payment was paused or cancelled."),
)
