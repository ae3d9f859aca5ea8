"""Helpers of the cards generators: per-card time ordering and billing cycles."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from datagen_plugin_cards.generators import _enforce_limits, _pair_by_rank, _sorted_within, billing_cycles

BRT = timezone(timedelta(hours=-3))


def test_sorted_within_groups_matches_a_lexsort() -> None:
    rng = np.random.default_rng(1)
    group = np.sort(rng.integers(0, 60, 2000))
    values = rng.integers(1_600_000_000_000, 1_800_000_000_000, 2000)
    assert np.array_equal(_sorted_within(values, group), values[np.lexsort((values, group))])
    wide = rng.integers(0, 2**61, 2000)  # too wide for one key: falls back to lexsort
    assert np.array_equal(_sorted_within(wide, group), wide[np.lexsort((wide, group))])


def test_billing_cycle_starts_on_the_due_day_in_local_time() -> None:
    def ms(text: str) -> int:
        return int(datetime.fromisoformat(text).timestamp() * 1000)

    stamps = [ms("2025-03-09T23:59:00-03:00"), ms("2025-03-10T00:01:00-03:00"), ms("2025-03-10T02:30:00+00:00"),
              ms("2025-01-31T12:00:00-03:00")]
    got = billing_cycles(stamps, [10, 10, 10, 1]).tolist()
    months = [(2025 - 1970) * 12 + m for m in (1, 2, 1, 0)]  # Feb (cycle from Feb 10), Mar, Feb, Jan
    assert got == months


def test_enforce_limits_declines_only_what_overflows_a_cycle() -> None:
    card = np.array([0, 0, 0, 0, 1, 1])
    cycle = np.array([5, 5, 5, 6, 5, 5])
    amount = np.array([600, 500, 300, 900, 100, 100])
    status = np.array([1, 1, 1, 1, 2, 1])  # APPROVED except one DECLINED
    _enforce_limits(card, cycle, amount, status, np.array([1000, 150]))
    # card 0, cycle 5: 600 fits, 500 would make 1100 (declined), 300 fits (900); cycle 6 starts again
    assert status.tolist() == [1, 2, 1, 1, 2, 1]


def test_pair_by_rank_keeps_each_groups_values_and_follows_the_score() -> None:
    rng = np.random.default_rng(3)
    group = np.sort(rng.integers(0, 40, 1500))
    values = rng.integers(1, 13, 1500)
    score = rng.random(1500)
    out = _pair_by_rank(values, score, group)
    for g in np.unique(group).tolist():
        rows = group == g
        assert sorted(out[rows].tolist()) == sorted(values[rows].tolist())
        order = np.argsort(score[rows])
        assert (np.diff(out[rows][order]) >= 0).all()
