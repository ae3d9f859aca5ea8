"""PRICE and SAC schedules, due dates, payment behaviour helpers and the loan plan."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from datagen_plugin_loans.plan import loan_plan
from datagen_plugin_loans.schedule import (
    SLOPPY_SHARE,
    amortize,
    dates_of,
    due_days,
    expected_loan_status,
    late_probabilities,
)


def one(principal: int, rate_micro: int, term: int, sac: bool) -> tuple[list[int], list[int], list[int]]:
    am = amortize(np.array([principal]), np.array([rate_micro]), np.array([term]), np.array([sac]))
    return am.principal.tolist(), am.interest.tolist(), am.total.tolist()


def test_price_textbook_example() -> None:
    # R$ 100,000.00 at 1% a month over 12 months: payment R$ 8,884.88
    principal, interest, total = one(10_000_000, 10_000, 12, sac=False)
    assert set(total) == {888_488}
    assert interest[0] == 100_000 and principal[0] == 788_488
    assert sum(principal) == 10_000_000
    assert interest == sorted(interest, reverse=True)


def test_sac_textbook_example() -> None:
    # R$ 100,000.00 at 1% a month over 12 months: principal R$ 8,333.33 a month, the last absorbs 4 cents
    principal, interest, total = one(10_000_000, 10_000, 12, sac=True)
    assert principal[:11] == [833_333] * 11 and principal[11] == 833_337
    assert interest[0] == 100_000 and interest[1] == 91_667  # 1% of 91,666.67
    assert total[0] == 933_333 and total == sorted(total, reverse=True)


BANDS = {  # catalog: principal cents, term months, monthly rate in millionths
    "PERSONAL": ((100_000, 10_000_000), (6, 72), (15_000, 80_000)),
    "HOUSING": ((10_000_000, 200_000_000), (120, 360), (7_000, 12_000)),
    "VEHICLE": ((2_000_000, 30_000_000), (12, 60), (10_000, 35_000)),
}


@pytest.fixture(scope="module")
def many() -> dict[str, np.ndarray]:
    """4,000 random loans over the catalog's bands (any integer term inside the band)."""
    rng = np.random.default_rng(5)
    n = 4000
    kind = rng.integers(0, 3, n)
    cols: dict[str, list[int]] = {"principal": [], "rate": [], "term": []}
    for k in kind.tolist():
        (p_lo, p_hi), (t_lo, t_hi), (r_lo, r_hi) = list(BANDS.values())[k]
        cols["principal"].append(int(rng.integers(p_lo, p_hi + 1)))
        cols["term"].append(int(rng.integers(t_lo, t_hi + 1)))
        cols["rate"].append(int(rng.integers(r_lo, r_hi + 1)))
    out = {name: np.array(values, dtype=np.int64) for name, values in cols.items()}
    out["sac"] = (kind == 1) & (rng.random(n) < 0.5)
    return out


def test_principal_parts_sum_to_the_principal_to_the_cent(many: dict[str, np.ndarray]) -> None:
    am = amortize(many["principal"], many["rate"], many["term"], many["sac"])
    sums = np.bincount(am.loan, weights=am.principal, minlength=len(many["principal"]))
    assert np.array_equal(sums.astype(np.int64), many["principal"])
    assert np.array_equal(np.bincount(am.loan), many["term"])
    assert (am.principal > 0).all() and (am.interest >= 0).all()
    assert np.array_equal(am.total, am.principal + am.interest)


def test_interest_is_the_outstanding_balance_times_the_rate(many: dict[str, np.ndarray]) -> None:
    am = amortize(many["principal"], many["rate"], many["term"], many["sac"])
    paid_before = np.cumsum(am.principal) - am.principal
    first = np.cumsum(many["term"]) - many["term"]
    balance = many["principal"][am.loan] - (paid_before - paid_before[first][am.loan])
    exact = balance * (many["rate"][am.loan] / 1e6)
    error = np.abs(am.interest - exact)
    sac = many["sac"][am.loan]
    assert error[sac].max() <= 0.5 + 1e-6  # SAC: rounded to the cent
    rate = many["rate"][am.loan] / 1e6
    assert (error[~sac] <= 1.5 + 0.5 * rate[~sac]).all()  # PRICE: the fixed payment absorbs the rounding


def test_extreme_loans_still_sum_exactly() -> None:
    # 14.9% a month over 30 years: early principal parts round to zero but never go negative
    principal, interest, total = one(123_456_789, 149_000, 360, sac=False)
    assert sum(principal) == 123_456_789 and min(principal) >= 0 and min(interest) >= 0 and len(set(total)) == 1
    principal, _, total = one(100, 149_000, 360, sac=True)  # R$ 1.00 over 360 months
    assert sum(principal) == 100 and min(principal) >= 0


def test_price_payments_are_fixed_and_sac_principal_is_constant(many: dict[str, np.ndarray]) -> None:
    am = amortize(many["principal"], many["rate"], many["term"], many["sac"])
    for k in range(0, len(many["principal"]), 97):
        rows = am.loan == k
        if many["sac"][k]:
            parts = am.principal[rows]
            assert len(set(parts[:-1].tolist())) <= 1 and parts[-1] >= parts[0]
        else:
            assert len(set(am.total[rows].tolist())) == 1


def test_due_dates_are_monthly_and_clamped_to_month_ends() -> None:
    def day(text: str) -> int:
        return (dt.date.fromisoformat(text) - dt.date(1970, 1, 1)).days

    disb = np.array([day("2024-01-31"), day("2025-01-15")])
    loan = np.array([0, 0, 0, 0, 1, 1])
    number = np.array([1, 2, 3, 13, 1, 12])
    got = [str(d) for d in due_days(disb, loan, number).astype("datetime64[D]")]
    assert got == ["2024-02-29", "2024-03-31", "2024-04-30", "2025-02-28", "2025-02-15", "2026-01-15"]


def test_expected_loan_status() -> None:
    assert expected_loan_status(["PAID", "LATE", "PAID"]) == "PAID_OFF"
    assert expected_loan_status(["PAID", "PENDING"]) == "ACTIVE"
    assert expected_loan_status(["LATE", "LATE", "PAID", "PENDING"]) == "ACTIVE"
    assert expected_loan_status(["LATE", "LATE", "LATE", "PENDING"]) == "DELINQUENT"
    assert expected_loan_status(["LATE", "LATE", "LATE"]) == "PAID_OFF"
    assert expected_loan_status(["PAID", "DEFAULT", "PENDING"]) == "DEFAULT"


@pytest.mark.parametrize("default_rate", [0.0, 0.05, 0.2, 0.3])
def test_late_probabilities_average_to_the_late_share(default_rate: float) -> None:
    punctual, sloppy = late_probabilities(default_rate)
    mean = (1 - SLOPPY_SHARE) * punctual + SLOPPY_SHARE * sloppy
    assert mean == pytest.approx(0.10 / (1 - default_rate))
    assert 0 < punctual < sloppy <= 1


def test_a_small_block_plan_is_a_prefix_of_a_full_one() -> None:
    small = loan_plan(3, 0, 100, 0.35)
    full = loan_plan(3, 0, 500, 0.35)
    k = small.borrower.size
    assert k > 20
    assert full.borrower[:k].tolist() == small.borrower.tolist()
    assert full.loan_type[:k].tolist() == small.loan_type.tolist()
    assert loan_plan(3, 1, 100, 0.35).borrower.tolist() != small.borrower.tolist()


def test_dates_of_matches_numpy_inside_and_outside_the_shared_table() -> None:
    days = np.array([0, 20_454, 79_999, 80_000, -1, 123_456])
    want = [dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in days]
    assert dates_of(days[:3]) == want[:3]
    assert dates_of(days) == want
    assert dates_of(days[:3], np.array([True, False, True])) == [want[0], None, want[2]]
