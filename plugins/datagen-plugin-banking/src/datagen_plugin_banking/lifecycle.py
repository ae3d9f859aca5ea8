"""Account lifecycle: OPENED -> ACTIVATED -> (DORMANT | BLOCKED | CLOSED), and the account's
status as of the run's as-of instant.

The lifecycle of an account is a pure function of its ``account_id`` (a UUID v4 drawn from the
seed: its random hex digits are the lifecycle's uniforms), its ``created_at`` and the as-of
instant, so the account generator (``status``, ``updated_at``), the transaction generator (the
account's active window) and the ``account_event`` generator compute the same lifecycle
without passing anything between them:

* every account is OPENED at its ``created_at``;
* 95% are ACTIVATED by a first deposit 1 minute to 7 days later (when before the as-of);
* the other 5% never move: DORMANT 90 days after opening (if that is before the as-of);
* an activated account is CLOSED at a rate of 3% a year from activation (reason
  CUSTOMER_REQUEST 80%, BANK_DECISION 15%, DECEASED 5%), or, for 1% of accounts, BLOCKED at a
  uniform instant between activation and the as-of (FRAUD_SUSPECTED 50%, COURT_ORDER 30%,
  KYC_PENDING 20%), whichever comes first;
* status as of the as-of: OPENED / ACTIVATED -> ACTIVE, DORMANT -> DORMANT, BLOCKED -> BLOCKED,
  CLOSED -> CLOSED; ``updated_at`` is the instant of that last change (null while ACTIVE).

No transaction falls before activation or at/after the end of the account's active life
(``active_end``): a dormant account has none, a blocked or closed one none after the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from datagen_plugin_banking.common import DAY_MS, MINUTE_MS

ACTIVATION_SHARE = 0.95
ACTIVATION_DAYS = 7
DORMANT_DAYS = 90
CLOSE_RATE_PER_YEAR = 0.03
BLOCK_SHARE = 0.01
YEAR_MS = 365 * DAY_MS

EVENT_TYPES = ("OPENED", "ACTIVATED", "DORMANT", "BLOCKED", "CLOSED")
OPENED, ACTIVATED, DORMANT, BLOCKED, CLOSED = range(5)
STATUS_OF = ("ACTIVE", "ACTIVE", "DORMANT", "BLOCKED", "CLOSED")
"""Account status after each event type."""
BLOCK_REASONS = (("FRAUD_SUSPECTED", 0.5), ("COURT_ORDER", 0.3), ("KYC_PENDING", 0.2))
CLOSE_REASONS = (("CUSTOMER_REQUEST", 0.8), ("BANK_DECISION", 0.15), ("DECEASED", 0.05))
REASON_OF = {OPENED: "NEW_ACCOUNT", ACTIVATED: "FIRST_DEPOSIT", DORMANT: "NO_ACTIVITY_90_DAYS"}
NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Lifecycle:
    """Per account (arrays in account order); instants in epoch ms, ``NEVER`` when not before the as-of."""

    activated: np.ndarray
    dormant: np.ndarray
    blocked: np.ndarray
    closed: np.ndarray
    reason_u: np.ndarray  # uniform for the BLOCKED / CLOSED reason
    last: np.ndarray  # event type of the last event before the as-of
    last_at: np.ndarray  # its instant

    @property
    def active_start(self) -> np.ndarray:
        """Transactions start at activation (``NEVER``: none)."""
        return self.activated

    @property
    def active_end(self) -> np.ndarray:
        """Transactions end before this instant (blocked, closed, or ``NEVER``)."""
        return np.minimum(self.blocked, self.closed)

    def status(self) -> list[str]:
        return [STATUS_OF[k] for k in self.last.tolist()]


def uniforms(account_ids: list[str] | np.ndarray) -> np.ndarray:
    """Four uniforms per account from the random hex digits of its UUID v4: ``(n, 4)``
    (``account_ids``: strings, or their ``(n, 36)`` ASCII matrix)."""
    if isinstance(account_ids, np.ndarray) and account_ids.ndim == 2:
        raw = account_ids
    else:
        ids = list(account_ids)
        if not ids:
            return np.zeros((0, 4))
        raw = np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(len(ids), 36)
    n = raw.shape[0]
    nibbles = np.where(raw >= 97, raw - 87, raw - 48).astype(np.int64)  # lower-case hex

    def bits(cols: range) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        for c in cols:
            out = out * 16 + nibbles[:, c]
        return out

    # 24 bits each from the 48-bit node field, 16 from the 3rd group (after the version nibble
    # "4"), 12 from the 4th group (after its variant bits)
    return np.stack([
        bits(range(24, 30)) / 2.0**24, bits(range(30, 36)) / 2.0**24,
        bits(range(9, 13)) / 2.0**16, bits(range(20, 23)) / 2.0**12,
    ], axis=1)


def lifecycle(account_ids: list[str] | np.ndarray, created: np.ndarray, as_of: int) -> Lifecycle:
    """The lifecycle of accounts (see the module docstring)."""
    u = uniforms(account_ids)
    created = np.asarray(created, dtype=np.int64)
    n = created.size
    active = u[:, 0] < ACTIVATION_SHARE
    act = created + MINUTE_MS + (u[:, 1] * (ACTIVATION_DAYS * DAY_MS - MINUTE_MS)).astype(np.int64)
    activated = np.where(active & (act < as_of), act, NEVER)
    dormant_at = created + DORMANT_DAYS * DAY_MS
    dormant = np.where(~active & (dormant_at < as_of), dormant_at, NEVER)
    # closure: exponential waiting time from activation (u[:, 2] in (0, 1])
    wait = -np.log1p(-np.minimum(u[:, 2], 1 - 1e-12)) / CLOSE_RATE_PER_YEAR * YEAR_MS
    close_at = np.where(activated < NEVER, activated + np.minimum(wait, 1e15).astype(np.int64), NEVER)
    block_u = u[:, 3]
    block_at = np.where((activated < NEVER) & (block_u < BLOCK_SHARE),
                        activated + ((block_u / BLOCK_SHARE) * np.maximum(as_of - activated, 0)).astype(np.int64)
                        + MINUTE_MS, NEVER)
    blocked = np.where((block_at < as_of) & (block_at < close_at), block_at, NEVER)
    closed = np.where((close_at < as_of) & (blocked == NEVER), close_at, NEVER)
    last = np.full(n, OPENED, dtype=np.int64)
    last_at = created.copy()
    for kind, at in ((ACTIVATED, activated), (DORMANT, dormant), (BLOCKED, blocked), (CLOSED, closed)):
        hit = at < NEVER
        last = np.where(hit, kind, last)
        last_at = np.where(hit, at, last_at)
    reason_u = (u[:, 1] * 997.0) % 1.0
    return Lifecycle(activated, dormant, blocked, closed, reason_u, last, last_at)


def reason(kind: int, u: float) -> str:
    """The reason of an event of type ``kind`` (``u`` picks among BLOCKED / CLOSED reasons)."""
    if kind in REASON_OF:
        return REASON_OF[kind]
    table = BLOCK_REASONS if kind == BLOCKED else CLOSE_REASONS
    acc = 0.0
    for name, w in table:
        acc += w
        if u < acc:
            return name
    return table[-1][0]


def generate_account_events(ctx: Any) -> Any:
    """The lifecycle events of the block's accounts, per account in time order (a ``Batch``)."""
    from datagen_kernel import Batch, column
    from datagen_plugin_banking.common import int_column, object_column

    accounts = ctx.records("account")
    m = len(accounts)
    if m == 0:
        return []
    ids = object_column(accounts, "account_id")
    owners = object_column(accounts, "customer_id")
    created = int_column(accounts, "created_at")
    life = lifecycle(list(column(accounts, "account_id")), created, ctx.run.as_of_ms)
    at = np.stack([created, life.activated, life.dormant, life.blocked, life.closed], axis=1)
    acc, kind = np.nonzero(at < NEVER)  # row-major: per account, events in lifecycle (= time) order
    n = acc.size
    when = at[acc, kind]
    reason_u = life.reason_u[acc].tolist()
    return Batch({
        "event_id": ctx.uuid_column(n),
        "account_id": ids[acc].tolist(),
        "customer_id": owners[acc].tolist(),
        "event_type": [EVENT_TYPES[k] for k in kind.tolist()],
        "occurred_at": when,
        "reason": [reason(k, r) for k, r in zip(kind.tolist(), reason_u, strict=True)],
    })
