"""Reversals of transactions (``reversal`` events, topic ``banking.reversals``).

A reversal is requested on a COMPLETED debit (not a cash withdrawal, except a fraudulent one):

* fraud-labelled debits (scenario ``fraud-detection``): 75% are reversed with reason FRAUD,
  requested 10 minutes to 3 days after the debit, for the whole amount; status COMPLETED 80%,
  APPROVED 10%, REQUESTED 5%, DENIED 5%;
* other debits: 0.5% are reversed, requested 1 hour to 30 days later, reason CUSTOMER_REQUEST
  40%, DUPLICATE 20%, ERROR 20%, CHARGEBACK 20%; DUPLICATE and CUSTOMER_REQUEST for the whole
  amount, ERROR and CHARGEBACK for 10..100% of it; status COMPLETED 60%, DENIED 20%, APPROVED
  10%, REQUESTED 10%.

``completed_at`` (COMPLETED only) is 1 hour to 5 days after ``requested_at``; a reversal whose
request or completion would fall at or after the run's as-of instant is not there yet (no
request) or still APPROVED (no completion). Reversals are events beside the transactions: the
reversed debit stays in the transaction stream and no compensating credit is added.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from datagen_kernel import Batch, BlockContext, Records, TextColumn, column
from datagen_plugin_banking.common import DAY_MS, HOUR_MS, MINUTE_MS, cdf, int_column, pick
from datagen_plugin_banking.entities import REVERSAL_REASONS, REVERSAL_STATUSES

FRAUD_REVERSED = 0.75
OTHER_REVERSED = 0.005
OTHER_REASON_CDF = cdf([0.40, 0.20, 0.20, 0.20])  # CUSTOMER_REQUEST, DUPLICATE, ERROR, CHARGEBACK
FRAUD_STATUS_CDF = cdf([0.05, 0.10, 0.05, 0.80])  # REQUESTED, APPROVED, DENIED, COMPLETED
OTHER_STATUS_CDF = cdf([0.10, 0.10, 0.20, 0.60])
FRAUD, CUSTOMER_REQUEST, DUPLICATE, ERROR, CHARGEBACK = range(5)
REQUESTED, APPROVED, DENIED, COMPLETED = range(4)
_REASONS = np.array(REVERSAL_REASONS, dtype=object)
_STATUSES = np.array(REVERSAL_STATUSES, dtype=object)


def generate_reversals(ctx: BlockContext) -> Records:
    """Reversals of the block's transactions, in transaction order (a ``Batch``)."""
    txs = ctx.records("transaction")
    n = len(txs)
    if n == 0:
        return []
    as_of = ctx.run.as_of_ms
    names = set(txs.names) if isinstance(txs, Batch) else set(txs[0])
    fraud = (np.asarray(column(txs, "is_fraud"), dtype=bool) if "is_fraud" in names
             else np.zeros(n, dtype=bool))
    u = ctx.rng("attrs").random((n, 6))  # one row per transaction: prefix-stable
    # candidates first (a few percent), then their status, direction and type
    candidates = np.flatnonzero(np.where(fraud, u[:, 0] < FRAUD_REVERSED, u[:, 0] < OTHER_REVERSED)).tolist()
    status_l, direction_l, type_l = (column(txs, f) for f in ("status", "direction", "transaction_type"))
    fraud_l = fraud.tolist()
    rows = np.array([i for i in candidates if status_l[i] == "COMPLETED" and direction_l[i] == "DEBIT"
                     and (fraud_l[i] or type_l[i] != "WITHDRAW")], dtype=np.int64)
    u = u[rows]
    is_fraud = fraud[rows]
    ts = int_column(txs, "timestamp")[rows]
    amount = int_column(txs, "amount")[rows]
    picked = rows.tolist()
    reason = np.where(is_fraud, FRAUD, 1 + pick(OTHER_REASON_CDF, u[:, 1]))
    delay = np.where(is_fraud, 10 * MINUTE_MS + u[:, 2] * (3 * DAY_MS - 10 * MINUTE_MS),
                     HOUR_MS + u[:, 2] * (30 * DAY_MS - HOUR_MS)).astype(np.int64)
    requested = ts + delay
    share = np.where((reason == ERROR) | (reason == CHARGEBACK), 0.1 + 0.9 * u[:, 3], 1.0)
    reversal_amount = np.clip(np.floor(amount * share), 1, amount).astype(np.int64)
    status = np.where(is_fraud, pick(FRAUD_STATUS_CDF, u[:, 4]), pick(OTHER_STATUS_CDF, u[:, 4]))
    completed_at = requested + (HOUR_MS + u[:, 5] * (5 * DAY_MS - HOUR_MS)).astype(np.int64)
    status = np.where((status == COMPLETED) & (completed_at >= as_of), APPROVED, status)
    keep = requested < as_of
    k = int(keep.sum())
    done = (status == COMPLETED)[keep]
    kept = [i for i, ok in zip(picked, keep.tolist(), strict=True) if ok]
    columns: dict[str, Any] = {
        "reversal_id": ctx.uuid_column(k),
        "original_transaction_id": _take(txs, "transaction_id", kept),
        "account_id": _take(txs, "account_id", kept),
        "customer_id": _take(txs, "customer_id", kept),
        "reason": _REASONS[reason[keep]].tolist(),
        "reversal_amount": reversal_amount[keep],
        "status": _STATUSES[status[keep]].tolist(),
        "requested_at": requested[keep],
        "completed_at": [t if d else None for t, d in zip(completed_at[keep].tolist(), done.tolist(), strict=True)],
    }
    return Batch(columns)


def _take(records: Records, name: str, rows: list[int]) -> list[Any]:
    """Field ``name`` of the records at ``rows`` (a UUID column is decoded only there)."""
    if isinstance(records, Batch):
        stored = records.values(name)
        if isinstance(stored, TextColumn):
            return stored.take(np.array(rows, dtype=np.int64)).tolist() if rows else []  # type: ignore[return-value]
    values = column(records, name)
    return [values[i] for i in rows]
