"""Consórcio groups: their terms, their quotas and who is contemplated at each monthly assembly.

A group of ``term_months`` months has ``2 x term_months`` quotas and holds one assembly a month
that contemplates one quota by DRAW (sorteio) and one by BID (lance), so every quota is
contemplated by the last assembly. Which quota is contemplated at which assembly is a seeded
permutation of the group's quotas (slot ``s``: assembly ``s // 2``, DRAW if ``s`` is even).

The bank's customers hold a few quotas of each group (``MEMBERS_PER_GROUP``, the rest belong
to other people). Groups are opened per block of customers: the ``k``-th member of a type in
the block joins group ``k // MEMBERS_PER_GROUP`` of the block and gets that group's ``k %
MEMBERS_PER_GROUP``-th quota of a seeded permutation, so quota numbers are unique in a group by
construction, and the first customers' quotas do not depend on how many customers follow.
Every draw comes from a stream named after the seed, block, type and group.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
from datagen_plugin_banking.bankcalendar import roll_forward

from datagen_kernel.api.seeding import stream_for
from datagen_plugin_consorcio.entities import CONSORTIUM_TYPES

MEMBERS_PER_GROUP = 25
QUOTAS_PER_MONTH = 2
"""Contemplations per assembly: one DRAW and one BID (group size = 2 x term)."""
TERMS = {"AUTO": (36, 48, 60, 72, 80), "IMOBILIARIO": (120, 150, 180, 200, 220), "SERVICOS": (24, 30, 36, 40)}
ADMIN_FEE_BP = {"AUTO": (1200, 1800), "IMOBILIARIO": (1500, 2500), "SERVICOS": (1800, 2500)}
"""Administration fee over the whole term, in hundredths of a percent (steps of 0.5%)."""
CREDIT_BRL = {"AUTO": (30_000, 250_000), "IMOBILIARIO": (150_000, 800_000), "SERVICOS": (10_000, 40_000)}
CLOSED_MONTHS = 24
"""Groups closed up to this many months before the as-of still hold members' quotas."""


@dataclass(frozen=True)
class Group:
    number: int
    term: int
    fee_bp: int
    first_assembly: dt.date
    """Month (day 1) of the first assembly."""
    assembly_day: int
    quotas: np.ndarray
    """Seeded permutation of 1..size: the quota of the group's k-th member is quotas[k]."""
    slot_of: np.ndarray
    """slot_of[q]: the contemplation slot of quota q (index 0 unused)."""

    @property
    def size(self) -> int:
        return QUOTAS_PER_MONTH * self.term

    def assembly_date(self, index: int) -> dt.date:
        """Date of the ``index``-th assembly (0-based): its day of the month, on a business day."""
        month = self.first_assembly.month - 1 + index
        day = dt.date(self.first_assembly.year + month // 12, month % 12 + 1, self.assembly_day)
        return roll_forward(day)

    def held(self, today: dt.date) -> int:
        """Assemblies held before ``today`` (at most the term)."""
        months = (today.year - self.first_assembly.year) * 12 + today.month - self.first_assembly.month
        n = max(0, min(months + 1, self.term))
        while n > 0 and self.assembly_date(n - 1) >= today:
            n -= 1
        return n


def group_number(block: int, kind: str, index: int) -> int:
    """Unique in a run: block, type and the group's position among the block's groups of the type."""
    return (block + 1) * 1000 + CONSORTIUM_TYPES.index(kind) * 100 + index + 1


@functools.lru_cache(maxsize=256)
def group(seed: int, block: int, kind: str, index: int, as_of_month: dt.date) -> Group:
    rng = stream_for(seed, "consorcio", "group", block, kind, index)
    terms = TERMS[kind]
    term = int(terms[int(rng.integers(len(terms)))])
    low, high = ADMIN_FEE_BP[kind]
    fee = low + 50 * int(rng.integers((high - low) // 50 + 1))
    elapsed = int(rng.integers(0, term + CLOSED_MONTHS))  # months since the first assembly
    month = as_of_month.month - 1 - elapsed
    first = dt.date(as_of_month.year + month // 12, month % 12 + 1, 1)
    size = QUOTAS_PER_MONTH * term
    quotas = rng.permutation(np.arange(1, size + 1))
    order = rng.permutation(np.arange(1, size + 1))  # order[s]: the quota contemplated at slot s
    slot_of = np.zeros(size + 1, dtype=np.int64)
    slot_of[order] = np.arange(size)
    return Group(group_number(block, kind, index), term, fee, first, int(rng.integers(5, 26)), quotas, slot_of)


def monthly_payment(total_cents: int, fee_units: int, term: int) -> int:
    """total x (1 + fee) / term in cents, half up (``fee_units``: the rate x 10,000)."""
    denominator = term * 10_000
    return (total_cents * (10_000 + fee_units) + denominator // 2) // denominator
