"""The per-block loan plan: which customers of a block borrow, and what kind of loan.

``property`` is generated before ``loan`` (a loan references its property), yet which
customers take a HOUSING loan is a loan decision. Both generators therefore call
``loan_plan``, a pure function of the seed, the block and the loan settings, drawn from
streams keyed on the block only: they agree without seeing each other's records.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from datagen_plugin_banking.common import cdf, pick

from datagen_kernel import RunInfo
from datagen_kernel.api.seeding import stream_for
from datagen_plugin_loans.entities import LOAN_TYPES

LOAN_TYPE_CDF = cdf([0.60, 0.15, 0.25])
"""PERSONAL, HOUSING, VEHICLE."""
HOUSING = LOAN_TYPES.index("HOUSING")

PORTFOLIO = "loan-portfolio"
FULL = "customer-360"


@dataclass(frozen=True)
class LoanSettings:
    penetration: float
    default_rate: float


def loan_settings(run: RunInfo) -> LoanSettings:
    """Penetration and default rate: scenario loan-portfolio > ``loans.*`` options; customer-360
    gives every customer a loan."""
    own = run.options_for("loans")
    penetration = float(own.get("penetration", 0.35))
    default_rate = float(own.get("default_rate", 0.05))
    if run.scenario == PORTFOLIO:
        sc = run.options_for("scenario")
        penetration = float(sc.get("loan_penetration", penetration))
        default_rate = float(sc.get("default_rate", default_rate))
    if run.scenario == FULL:
        penetration = 1.0
    return LoanSettings(penetration, default_rate)


@dataclass(frozen=True)
class LoanPlan:
    """Loans of one block in root order: the borrower's position in the block and the type."""

    borrower: np.ndarray
    loan_type: np.ndarray

    @property
    def housing(self) -> int:
        """Number of HOUSING loans (= properties) in the block."""
        return int((self.loan_type == HOUSING).sum())


@functools.lru_cache(maxsize=8)
def loan_plan(seed: int, block: int, size: int, penetration: float) -> LoanPlan:
    """The block's plan; one stream per drawn array, so a smaller block is a prefix of a larger one."""
    has = stream_for(seed, "loan-plan", block, "has").random(size) < penetration
    kind = pick(LOAN_TYPE_CDF, stream_for(seed, "loan-plan", block, "type").random(size))
    borrower = np.flatnonzero(has)
    plan = LoanPlan(borrower, kind[borrower])
    plan.borrower.setflags(write=False)
    plan.loan_type.setflags(write=False)
    return plan
