"""Shared helpers for Brazilian banking data; other entity packs import these.

Everything here is vectorized with numpy and deterministic given its ``rng`` argument:

* time: ``SAO_PAULO`` (the pack's time zone), ``TimestampSampler`` (business hours and weekdays
  by default), ``local_parts``;
* documents: CPF and CNPJ builders (``cpfs_from_bases``, ``unique_cpfs``, ``random_cpfs``,
  ``random_cnpjs``) and checkers (``is_valid_cpf``, ``is_valid_cnpj``);
* places: ``states()`` (the 27 UFs from the shipped ``br_states.csv``), ``sample_locations``,
  ``sample_addresses``, ``phones_for_ddds``;
* people: ``sample_names``, ``emails_for``;
* money: ``to_cents``, ``format_brl``, ``MINIMUM_WAGE_CENTS``;
* records: ``int_column``, ``object_column`` (a field of a list of dicts or a ``Batch`` as an
  array, without building rows).

Timestamps are ``int`` epoch milliseconds (UTC), the kernel's record representation; local
time means America/Sao_Paulo, a fixed UTC-03:00 since Brazil dropped daylight saving in 2019.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from datagen_kernel import column, int_array
from datagen_plugin_banking import names as _names

# --- time ------------------------------------------------------------------------------------

SECOND_MS = 1_000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
SAO_PAULO = dt.timezone(dt.timedelta(hours=-3), "America/Sao_Paulo")
"""The bank's time zone, which the pack declares as the run's: Brazil has had no daylight saving
time since 2019, so a fixed -03:00 offset is exact."""
LOCAL_OFFSET_MS = -3 * HOUR_MS
"""``SAO_PAULO``'s offset from UTC in milliseconds."""

BUSINESS_HOUR_WEIGHTS: tuple[float, ...] = (
    0.15, 0.08, 0.05, 0.04, 0.05, 0.2, 0.6, 1.5, 3.0, 5.0, 6.0, 6.0,
    5.5, 5.0, 5.5, 5.5, 5.0, 4.5, 4.0, 3.5, 3.0, 2.3, 1.5, 0.7,
)
"""Relative weight of each local hour 00..23 for retail banking activity."""

BUSINESS_WEEKDAY_WEIGHTS: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.1, 0.45, 0.25)
"""Relative weight of Monday..Sunday."""


def local_parts(ms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local day number since 1970-01-01, weekday Monday=0, local hour) of epoch-ms values."""
    local = np.asarray(ms, dtype=np.int64) + LOCAL_OFFSET_MS
    day = local // DAY_MS
    return day, (day + 3) % 7, (local - day * DAY_MS) // HOUR_MS


class SortedSearch:
    """``np.searchsorted(edges, x, side="right")`` for many ``x`` at once, exactly, by table.

    ``[0, hi)`` is cut into buckets whose width is a power of two (so a bucket index is
    computed exactly); a bucket no edge splits holds its answer, the few values falling in
    a split bucket (or outside ``[0, hi)``) get a real binary search. With a few thousand
    buckets this is one table lookup per value instead of a binary search.
    """

    def __init__(self, edges: Any, hi: float = 1.0, buckets: int = 4096) -> None:
        self.edges = np.asarray(edges, dtype=np.float64)
        self.scale = float(2.0 ** max(0, math.ceil(math.log2(buckets / hi))))
        m = math.ceil(hi * self.scale)
        bounds = np.arange(m + 1, dtype=np.float64) / self.scale  # exact: a power-of-two scale
        first = np.searchsorted(self.edges, bounds[:-1], side="right")  # answer at a bucket's start
        last = np.searchsorted(self.edges, bounds[1:], side="left")  # ... just below its end
        self.table = np.append(np.where(first == last, first, -1), -1)  # last slot: out of range
        self.m = m

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Indices as ``np.searchsorted(edges, x, side="right")`` (``x`` finite floats)."""
        x = np.asarray(x, dtype=np.float64)
        if x.size < 64:
            return np.searchsorted(self.edges, x, side="right")
        slot = np.clip(np.floor(x * self.scale), -1, self.m).astype(np.intp)  # -1 and m: the sentinel
        out = self.table[slot]
        split = np.flatnonzero(out < 0)
        if split.size:
            out[split] = np.searchsorted(self.edges, x[split], side="right")
        return out


class TimestampSampler:
    """Draws instants inside per-element windows with weekday and hour-of-day weights.

    ``sample(rng, start_ms, end_ms, n)`` returns ``n`` epoch-ms values, value ``i`` in
    ``[start_ms[i], end_ms[i])`` (scalars broadcast). Days are drawn by exact inverse CDF over
    the window's local calendar days weighted by weekday, then an hour by ``hour_weights``,
    then a uniform instant inside that hour. Values falling in a partial first or last day
    outside the window are clipped into it. One ``rng.random((n, 3))`` draw: element ``i``
    uses row ``i`` only, so prefixes are stable.
    """

    def __init__(
        self,
        hour_weights: Sequence[float] = BUSINESS_HOUR_WEIGHTS,
        weekday_weights: Sequence[float] = BUSINESS_WEEKDAY_WEIGHTS,
    ) -> None:
        hw = np.asarray(hour_weights, dtype=np.float64)
        wd = np.asarray(weekday_weights, dtype=np.float64)
        if hw.shape != (24,) or wd.shape != (7,) or hw.min() < 0 or wd.min() < 0 or not hw.sum() or not wd.sum():
            raise ValueError("expected 24 hour weights and 7 weekday weights, non-negative, not all zero")
        self.hour_cdf = np.cumsum(hw / hw.sum())
        self.hour_cdf[-1] = 1.0
        self.week_sum = float(wd.sum())
        # cum[w, k]: weight of the k days starting on weekday w (k = 0..7)
        self.cum = np.zeros((7, 8))
        for w in range(7):
            self.cum[w, 1:] = np.cumsum(np.roll(wd, -w))
        self.row_gap = 2.0 * self.week_sum + 1.0
        self.flat_cum = (self.cum[:, 1:] + np.arange(7)[:, None] * self.row_gap).ravel()
        self._day_search = SortedSearch(self.flat_cum, hi=7 * self.row_gap)
        self._hour_search = SortedSearch(self.hour_cdf)

    def sample(
        self, rng: np.random.Generator, start_ms: Any, end_ms: Any, n: int | None = None, group: Any = None,
    ) -> np.ndarray:
        """``n`` instants; with ``group``, windows are given per group and value ``i`` falls in
        window ``group[i]`` (the same values as passing ``start_ms[group]``, ``end_ms[group]``,
        with the window arithmetic done once per group)."""
        start = np.asarray(start_ms, dtype=np.int64)
        end = np.asarray(end_ms, dtype=np.int64)
        if n is None:
            n = len(group) if group is not None else int(np.broadcast(start, end).size)
        return self.from_uniform(rng.random((n, 3)), start, end, group)

    def from_uniform(self, u: np.ndarray, start_ms: Any, end_ms: Any, group: Any = None) -> np.ndarray:
        """Like ``sample`` with the ``(n, 3)`` uniforms given (to share one draw with others)."""
        n = u.shape[0]
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        if group is None:
            start = np.broadcast_to(np.asarray(start_ms, dtype=np.int64), (n,))
            end = np.broadcast_to(np.asarray(end_ms, dtype=np.int64), (n,))
            d0, d1, total, key_base, k_base, lo, hi = self._windows(start, end)
        else:
            g = np.asarray(group, dtype=np.intp)
            starts, ends = np.broadcast_arrays(np.atleast_1d(np.asarray(start_ms, dtype=np.int64)),
                                               np.atleast_1d(np.asarray(end_ms, dtype=np.int64)))
            d0, d1, total, key_base, k_base, lo, hi = (a[g] for a in self._windows(starts, ends))
        t = u[:, 0] * total
        weeks = np.floor(t / self.week_sum)
        rem = t - weeks * self.week_sum
        # day in the week: rows of cum, shifted apart, searched at once
        k = self._day_search(key_base + rem) - k_base
        day = np.minimum(d0 + weeks.astype(np.int64) * 7 + np.minimum(k, 6), d1)
        hour = self._hour_search(u[:, 1])
        within = (u[:, 2] * HOUR_MS).astype(np.int64)
        out = day * DAY_MS + hour * HOUR_MS + within - LOCAL_OFFSET_MS
        clipped: np.ndarray = np.clip(out, lo, hi)
        return clipped

    def _windows(self, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per window: first and last local day, total weekday weight, search offsets, clip bounds."""
        d0 = (start + LOCAL_OFFSET_MS) // DAY_MS
        d1 = (np.maximum(end, start + 1) - 1 + LOCAL_OFFSET_MS) // DAY_MS
        length = d1 - d0 + 1
        wd0 = (d0 + 3) % 7
        total = (length // 7) * self.week_sum + self.cum[wd0, length % 7]
        return d0, d1, total, wd0 * self.row_gap, wd0 * 7, start, np.maximum(end - 1, start)


BUSINESS_HOURS = TimestampSampler()
"""The shared sampler: retail banking activity, busiest 09:00-17:00 on weekdays."""


# --- character helpers -----------------------------------------------------------------------

_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
ALPHANUMERIC = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """``(n, width)`` int64 decimal digits of non-negative integers, most significant first."""
    v = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (v[:, None] // powers) % 10


_CHUNKS = ((np.arange(10_000)[:, None] // np.array([1000, 100, 10, 1])) % 10 + 48).astype(np.uint8)
"""ASCII digits of 0000..9999."""


def ascii_digits(values: np.ndarray, width: int) -> np.ndarray:
    """``(n, width)`` ASCII codes of zero-padded decimal integers (the last ``width`` digits)."""
    v = np.asarray(values, dtype=np.int64)
    chunks = -(-width // 4)
    out = np.empty((v.size, chunks * 4), dtype=np.uint8)
    for c in range(chunks):
        lo = (chunks - 1 - c) * 4
        out[:, lo : lo + 4] = _CHUNKS[v // 10**(4 * c) % 10_000]
    return out[:, chunks * 4 - width :]


def strings_from_bytes(chars: np.ndarray) -> list[str]:
    """Rows of an ASCII ``uint8`` matrix as Python strings."""
    chars = np.ascontiguousarray(chars, dtype=np.uint8)
    n, width = chars.shape
    if n == 0:
        return []
    return [b.decode("ascii") for b in chars.view(f"S{width}").ravel().tolist()]


def zero_padded(values: np.ndarray, width: int) -> list[str]:
    """Zero-padded decimal strings of integers (vectorized ``f"{v:0{width}d}"``)."""
    return strings_from_bytes(ascii_digits(values, width))


def ascii_fold(text: str) -> str:
    """``"João Conceição"`` -> ``"Joao Conceicao"`` (drop accents)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


# --- CPF and CNPJ ----------------------------------------------------------------------------

CPF_SPACE = 10**9
_CPF_W1 = np.arange(10, 1, -1, dtype=np.int64)  # 10..2
_CPF_W2 = np.arange(11, 1, -1, dtype=np.int64)  # 11..2
_CPF_BAD = np.arange(10, dtype=np.int64) * 111_111_111  # 000000000, 111111111, ...


def _mod11(total: np.ndarray) -> np.ndarray:
    r = total % 11
    return np.where(r < 2, 0, 11 - r)


_CPF_WF1 = _CPF_W1.astype(np.float64)
_CPF_WF2 = _CPF_W2[:9].astype(np.float64)


def cpf_digits(bases: np.ndarray) -> np.ndarray:
    """``(n, 11)`` digits of the CPFs whose first nine digits are ``bases`` (0..10**9-1)."""
    d = ascii_digits(bases, 9).astype(np.int64) - 48
    f = d.astype(np.float64)  # weighted sums are small integers: exact in float, and BLAS-fast
    c1 = _mod11((f @ _CPF_WF1).astype(np.int64))
    c2 = _mod11((f @ _CPF_WF2).astype(np.int64) + c1 * 2)
    return np.concatenate([d, c1[:, None], c2[:, None]], axis=1)


_CPF_LAYOUT = np.array([0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -2, 9, 10])


def cpfs_from_bases(bases: np.ndarray) -> list[str]:
    """Formatted ``NNN.NNN.NNN-NN`` CPFs with valid check digits for nine-digit bases."""
    bases = np.asarray(bases, dtype=np.int64)
    if bases.size == 0:
        return []
    digits = _DIGITS[cpf_digits(bases)]
    out = np.empty((bases.size, 14), dtype=np.uint8)
    out[:, 0:3], out[:, 4:7] = digits[:, 0:3], digits[:, 3:6]
    out[:, 8:11], out[:, 12:14] = digits[:, 6:9], digits[:, 9:]
    out[:, 3] = out[:, 7] = ord(".")
    out[:, 11] = ord("-")
    return strings_from_bytes(out)


def is_valid_cpf(text: Any) -> bool:
    """Whether ``text`` is a formatted CPF (``NNN.NNN.NNN-NN``) with valid check digits."""
    if not isinstance(text, str) or len(text) != 14 or text[3] != "." or text[7] != "." or text[11] != "-":
        return False
    digits = text[0:3] + text[4:7] + text[8:11] + text[12:14]
    if not digits.isdigit() or not digits.isascii() or digits == digits[0] * 11:
        return False
    d = [ord(c) - 48 for c in digits]
    s1 = sum(v * w for v, w in zip(d[:9], range(10, 1, -1), strict=True)) % 11
    c1 = 0 if s1 < 2 else 11 - s1
    s2 = sum(v * w for v, w in zip(d[:10], range(11, 1, -1), strict=True)) % 11
    c2 = 0 if s2 < 2 else 11 - s2
    return d[9] == c1 and d[10] == c2


def invalid_cpfs(values: Sequence[Any]) -> list[int]:
    """Indexes of the values that are not formatted CPFs with valid check digits (vectorized
    ``is_valid_cpf`` over a batch)."""
    n = len(values)
    if n == 0:
        return []
    shaped = [i for i, v in enumerate(values) if not (isinstance(v, str) and len(v) == 14 and v.isascii())]
    if shaped:
        bad = set(shaped)
        rest = [i for i in range(n) if i not in bad]
        return sorted(bad | {rest[j] for j in invalid_cpfs([values[i] for i in rest])})
    chars = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(n, 14)
    layout = _CPF_LAYOUT
    digit_cols = np.flatnonzero(layout >= 0)
    d = chars[:, digit_cols].astype(np.int64) - 48
    ok = (chars[:, 3] == ord(".")) & (chars[:, 7] == ord(".")) & (chars[:, 11] == ord("-"))
    ok &= ((d >= 0) & (d <= 9)).all(axis=1)
    ok &= ~(d == d[:, :1]).all(axis=1)
    c1 = _mod11(d[:, :9] @ _CPF_W1)
    c2 = _mod11(d[:, :9] @ _CPF_W2[:9] + c1 * 2)
    ok &= (d[:, 9] == c1) & (d[:, 10] == c2)
    return np.flatnonzero(~ok).tolist()


@functools.lru_cache(maxsize=64)
def _cpf_permutation(seed: int, namespace: str) -> tuple[int, int]:
    from datagen_kernel.api.seeding import stream_for

    rng = stream_for(seed, "banking-cpf-permutation", namespace)
    a, b = (int(x) for x in rng.integers(10**8, CPF_SPACE, size=2))
    while math.gcd(a, CPF_SPACE) != 1:
        a += 1
    return a, b


def unique_cpf_bases(seed: int, indices: np.ndarray, namespace: str = "customer") -> np.ndarray:
    """Nine-digit CPF bases, distinct for distinct ``indices`` (0 .. 10**9-11).

    A bijection: the index is first ranked among the 10**9 - 10 bases that are not all one
    repeated digit (those are invalid CPFs), then mapped by an affine permutation
    ``x -> (a*x + b) mod 10**9`` (``a`` coprime with 10**9, ``a`` and ``b`` drawn from the
    seed), cycle-walking past the repeated-digit bases. Different ``namespace`` values give
    different permutations (unique within one namespace only).
    """
    idx = np.asarray(indices, dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= CPF_SPACE - 10):
        raise ValueError(f"CPF index out of range 0..{CPF_SPACE - 11}")
    a, b = _cpf_permutation(seed, namespace)
    x = idx + 1  # rank among valid bases: skip 000000000 ...
    for bad in _CPF_BAD[1:]:
        x = x + (x >= bad)  # ... and each later repeated-digit base
    x = (x * a + b) % CPF_SPACE
    bad_mask = x % 111_111_111 == 0  # exactly the ten repeated-digit bases below 10**9
    while bad_mask.any():  # cycle-walk: stays a bijection on the valid bases
        x[bad_mask] = (x[bad_mask] * a + b) % CPF_SPACE
        bad_mask = x % 111_111_111 == 0
    return x


def unique_cpfs(seed: int, indices: np.ndarray, namespace: str = "customer") -> list[str]:
    """Formatted valid CPFs, unique per index within ``namespace`` for a seed."""
    return cpfs_from_bases(unique_cpf_bases(seed, indices, namespace))


def random_cpfs(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` random valid CPFs (third parties; not guaranteed distinct from customers')."""
    bases = rng.integers(1, CPF_SPACE - 1, size=n)
    bases = np.where(bases % 111_111_111 == 0, bases + 1, bases)
    return cpfs_from_bases(bases)


_CNPJ_W1 = np.array([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)
_CNPJ_W2 = np.array([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)
_CNPJ_LAYOUT = np.array([0, 1, -1, 2, 3, 4, -1, 5, 6, 7, -2, 8, 9, 10, 11, -3, 12, 13])


def cnpjs_from_roots(roots: np.ndarray, branches: np.ndarray | int = 1) -> list[str]:
    """Formatted ``NN.NNN.NNN/NNNN-NN`` CNPJs from eight-digit roots and four-digit branches."""
    roots = np.asarray(roots, dtype=np.int64)
    n = roots.size
    if n == 0:
        return []
    branch = np.broadcast_to(np.asarray(branches, dtype=np.int64), (n,))
    d = np.concatenate([digit_matrix(roots, 8), digit_matrix(branch, 4)], axis=1)
    c1 = _mod11(d @ _CNPJ_W1)
    c2 = _mod11(d @ _CNPJ_W2[:12] + c1 * 2)
    digits = _DIGITS[np.concatenate([d, c1[:, None], c2[:, None]], axis=1)]
    seps = {-1: ord("."), -2: ord("/"), -3: ord("-")}
    out = np.empty((n, 18), dtype=np.uint8)
    for col, src in enumerate(_CNPJ_LAYOUT):
        out[:, col] = digits[:, src] if src >= 0 else seps[int(src)]
    return strings_from_bytes(out)


def random_cnpjs(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` random valid CNPJs (head office branch 0001)."""
    return cnpjs_from_roots(rng.integers(1_000_000, 99_999_999, size=n), 1)


def is_valid_cnpj(text: Any) -> bool:
    """Whether ``text`` is a formatted CNPJ (``NN.NNN.NNN/NNNN-NN``) with valid check digits."""
    if not isinstance(text, str) or len(text) != 18:
        return False
    if text[2] != "." or text[6] != "." or text[10] != "/" or text[15] != "-":
        return False
    digits = text[0:2] + text[3:6] + text[7:10] + text[11:15] + text[16:18]
    if not digits.isdigit() or not digits.isascii() or digits == digits[0] * 14:
        return False
    d = [ord(c) - 48 for c in digits]
    s1 = sum(v * int(w) for v, w in zip(d[:12], _CNPJ_W1, strict=True)) % 11
    c1 = 0 if s1 < 2 else 11 - s1
    s2 = sum(v * int(w) for v, w in zip(d[:13], _CNPJ_W2, strict=True)) % 11
    c2 = 0 if s2 < 2 else 11 - s2
    return d[12] == c1 and d[13] == c2


# --- places ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    ddd: str


@dataclass(frozen=True)
class State:
    """One UF of ``br_states.csv``: CEP prefix ranges (5 digits, inclusive), DDDs, cities."""

    uf: str
    name: str
    population_millions: float
    cep_ranges: tuple[tuple[int, int], ...]
    ddds: tuple[str, ...]
    cities: tuple[City, ...]

    def cep_prefix_ok(self, prefix: int) -> bool:
        return any(lo <= prefix <= hi for lo, hi in self.cep_ranges)


@functools.lru_cache(maxsize=1)
def states() -> tuple[State, ...]:
    """The 27 UFs, read once from the packaged ``data/br_states.csv``."""
    from importlib import resources  # deferred: importing it costs more than the rest of this module

    text = resources.files("datagen_plugin_banking").joinpath("data/br_states.csv").read_text("utf-8")
    out: list[State] = []
    for row in csv.DictReader(text.splitlines()):
        ranges = tuple(
            (int(lo), int(hi)) for lo, hi in (part.split("-") for part in row["cep_ranges"].split())
        )
        cities = tuple(City(name, ddd) for name, ddd in (c.rsplit(":", 1) for c in row["cities"].split(";")))
        out.append(State(row["uf"], row["state"], float(row["population_millions_2022"]), ranges,
                         tuple(row["ddds"].split()), cities))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def state_by_uf() -> dict[str, State]:
    return {s.uf: s for s in states()}


class _LocationTables:
    """Flat arrays over all (state, city) pairs for vectorized sampling."""

    def __init__(self) -> None:
        sts = states()
        pop = np.array([s.population_millions for s in sts])
        self.state_cdf = np.cumsum(pop / pop.sum())
        self.state_cdf[-1] = 1.0
        # cities: the first listed (the capital) weighs 2, the others 1/rank
        self.city_offset = np.zeros(len(sts) + 1, dtype=np.int64)
        city_cdfs: list[float] = []
        names: list[str] = []
        ddds: list[str] = []
        ufs: list[str] = []
        for i, s in enumerate(sts):
            w = np.array([2.0 if r == 0 else 1.0 / (r + 1) for r in range(len(s.cities))])
            c = np.cumsum(w / w.sum())
            c[-1] = 1.0
            city_cdfs.extend(c.tolist())
            self.city_offset[i + 1] = self.city_offset[i] + len(s.cities)
            names.extend(c.name for c in s.cities)
            ddds.extend(c.ddd for c in s.cities)
            ufs.extend(s.uf for _ in s.cities)
        self.city_cdf = np.array(city_cdfs)
        self.city_key = np.repeat(np.arange(len(sts)) * 2.0, np.diff(self.city_offset)) + self.city_cdf
        self.city_name = np.array(names, dtype=object)
        self.city_ddd = np.array(ddds, dtype=object)
        self.city_ddd_code = np.array([int(d) for d in ddds], dtype=np.int64)
        self.city_uf = np.array(ufs, dtype=object)
        self.max_cities = int(np.diff(self.city_offset).max())
        # CEP ranges per state, padded: first 8-digit CEP and count of CEPs of each range
        width = max(len(s.cep_ranges) for s in sts)
        self.cep_first = np.zeros((len(sts), width), dtype=np.int64)
        self.cep_count = np.zeros((len(sts), width), dtype=np.int64)
        for i, s in enumerate(sts):
            for j, (lo, hi) in enumerate(s.cep_ranges):
                self.cep_first[i, j] = lo * 1000
                self.cep_count[i, j] = (hi - lo + 1) * 1000
        self.cep_total = self.cep_count.sum(axis=1)


@functools.lru_cache(maxsize=1)
def _tables() -> _LocationTables:
    return _LocationTables()


@dataclass
class Locations:
    """Sampled places, one entry per element: UF, city, the city's DDD, a CEP inside the UF."""

    uf: list[str]
    city: list[str]
    ddd: list[str]
    cep: list[str]
    city_index: np.ndarray
    ddd_code: np.ndarray


def sample_locations(rng: np.random.Generator, n: int) -> Locations:
    """``n`` places: UF weighted by population, a major city of that UF, its DDD, a CEP in range.

    One ``rng.random((n, 3))`` draw (prefix-stable).
    """
    return locations_from_uniform(rng.random((n, 3)))


def locations_from_uniform(u: np.ndarray) -> Locations:
    """``sample_locations`` with the ``(n, 3)`` uniforms given."""
    t = _tables()
    n = u.shape[0]
    st = np.minimum(np.searchsorted(t.state_cdf, u[:, 0], side="right"), len(t.cep_total) - 1)
    # the state's own city CDF: states' CDFs shifted apart (by 2) and searched at once
    city = np.minimum(np.searchsorted(t.city_key, st * 2.0 + u[:, 1], side="right"), t.city_offset[st + 1] - 1)
    # CEP: uniform over all 8-digit CEPs of the state's ranges
    pos = (u[:, 2] * t.cep_total[st]).astype(np.int64)
    cep = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    for j in range(t.cep_count.shape[1]):
        count, first = t.cep_count[st, j], t.cep_first[st, j]
        here = ~done & (pos < count)
        cep = np.where(here, first + pos, cep)
        done |= here
        pos = pos - count
    cep_chars = ascii_digits(cep, 8)
    cep_text = np.empty((n, 9), dtype=np.uint8)
    cep_text[:, :5] = cep_chars[:, :5]
    cep_text[:, 5] = ord("-")
    cep_text[:, 6:] = cep_chars[:, 5:]
    return Locations(
        uf=t.city_uf[city].tolist(),
        city=t.city_name[city].tolist(),
        ddd=t.city_ddd[city].tolist(),
        cep=strings_from_bytes(cep_text),
        city_index=city,
        ddd_code=t.city_ddd_code[city],
    )


def phones_for_ddds(rng: np.random.Generator, ddds: Sequence[str] | np.ndarray) -> list[str]:
    """Mobile numbers ``+55 DD 9NNNN-NNNN`` with the given area codes (one ``rng.random(n)``)."""
    return phones_from_uniform(rng.random(len(ddds)), ddds)


def phones_from_uniform(u: np.ndarray, ddds: Sequence[str] | np.ndarray) -> list[str]:
    """``phones_for_ddds`` with the ``(n,)`` uniforms given; ``ddds`` as strings or ints."""
    n = u.shape[0]
    codes = np.asarray([int(d) for d in ddds] if not isinstance(ddds, np.ndarray) else ddds, dtype=np.int64)
    chars = ascii_digits(codes * 10**8 + (u * 1e8).astype(np.int64), 10)
    text = np.empty((n, 17), dtype=np.uint8)
    text[:, 0:4] = np.frombuffer(b"+55 ", dtype=np.uint8)
    text[:, 4:6] = chars[:, :2]
    text[:, 6:8] = np.frombuffer(b" 9", dtype=np.uint8)
    text[:, 8:12] = chars[:, 2:6]
    text[:, 12] = ord("-")
    text[:, 13:] = chars[:, 6:]
    return strings_from_bytes(text)


def _cdf(weights: Sequence[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    c = np.cumsum(w / w.sum())
    c[-1] = 1.0
    return c


_SEARCHES: dict[bytes, SortedSearch] = {}


def pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Indices drawn by inverse CDF from uniforms ``u`` (``cdf`` from normalized weights)."""
    if np.size(u) < 64:
        return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)
    key = np.asarray(cdf, dtype=np.float64).tobytes()
    search = _SEARCHES.get(key)
    if search is None:
        if len(_SEARCHES) >= 256:
            _SEARCHES.clear()
        search = _SEARCHES[key] = SortedSearch(cdf)
    return np.minimum(search(u), len(cdf) - 1)


def cdf(weights: Sequence[float]) -> np.ndarray:
    """Cumulative distribution of weights (normalized, last value exactly 1)."""
    return _cdf(weights)


_STREET_KIND_CDF = _cdf([w for _, w in _names.STREET_KINDS])
_DOMAIN_CDF = _cdf([w for _, w in _names.EMAIL_DOMAINS])


def sample_addresses(
    rng: np.random.Generator, n: int, locations: Locations | None = None, dwellings: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """``n`` Address records (street, number, complement?, neighborhood, city, state, postal_code,
    country) consistent with ``locations`` (sampled from ``rng`` first when not given).

    ``dwellings`` (one per address: ``APARTMENT``, ``HOUSE`` or ``LAND``) makes the complement
    fit the place: an apartment always names its flat (``Apto 101``, ``Bloco B Apto 13``), a
    house has none or one of a shared lot (``Casa 2``, ``Fundos``; 30%), land has none. Without
    it, a home address: half have a complement, of either kind.
    """
    if locations is None:
        locations = sample_locations(rng, n)
    return addresses_from_uniform(rng.random((n, 5)), locations, dwellings)


@functools.lru_cache(maxsize=1)
def _address_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    kinds = [k for k, _ in _names.STREET_KINDS]
    streets = np.array([f"{k} {s}" for k in kinds for s in _names.STREET_NAMES], dtype=object)
    numbers = np.array([str(i) for i in range(5000)] + ["S/N"], dtype=object)
    complements = np.array(list(_names.COMPLEMENTS) + [None] * len(_names.COMPLEMENTS), dtype=object)
    hoods = np.array(_names.NEIGHBORHOODS, dtype=object)
    return streets, numbers, complements, hoods


DWELLINGS = ("APARTMENT", "HOUSE", "LAND")
"""Kinds of place ``sample_addresses`` can fit a complement to (the loans pack's property types)."""


def addresses_from_uniform(
    u: np.ndarray, locations: Locations, dwellings: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """``sample_addresses`` with the ``(n, 5)`` uniforms given."""
    streets, numbers, complements, hoods = _address_tables()
    kind = pick(_STREET_KIND_CDF, u[:, 0])
    street = kind * len(_names.STREET_NAMES) + (u[:, 1] * len(_names.STREET_NAMES)).astype(np.int64)
    # house numbers: right-skewed 1..4999, 2% without number ("S/N")
    number = np.where(u[:, 2] > 0.98, 5000, np.clip(np.exp(u[:, 2] * math.log(5000)).astype(np.int64), 1, 4999))
    comp = (u[:, 3] * len(complements)).astype(np.int64)  # half have none
    if dwellings is not None:
        apartments, houses = len(_names.APARTMENT_COMPLEMENTS), len(_names.HOUSE_COMPLEMENTS)
        none = len(complements) - 1  # the table ends with None entries
        code = np.array([DWELLINGS.index(d) for d in dwellings], dtype=np.int64).reshape(-1)
        house = np.where(u[:, 3] < 0.3, apartments + (u[:, 3] / 0.3 * houses).astype(np.int64), none)
        comp = np.select([code == 0, code == 1], [(u[:, 3] * apartments).astype(np.int64), house], none)
    hood = (u[:, 4] * len(hoods)).astype(np.int64)
    return [
        {
            "street": st,
            "number": nu,
            "complement": co,
            "neighborhood": ho,
            "city": city,
            "state": uf,
            "postal_code": cep,
            "country": "BR",
        }
        for st, nu, co, ho, city, uf, cep in zip(
            streets[street].tolist(), numbers[number].tolist(), complements[comp].tolist(), hoods[hood].tolist(),
            locations.city, locations.uf, locations.cep, strict=True,
        )
    ]


# --- people ----------------------------------------------------------------------------------


@dataclass
class Names:
    """Sampled Brazilian full names with their ASCII-folded first and last parts (for emails).

    ``first_index``/``last_index`` index the given-name and surname pools (``emails_for``
    uses them to pick precomputed email local parts).
    """

    full: list[str]
    first_ascii: list[str]
    last_ascii: list[str]
    first_index: np.ndarray | None = None
    last_index: np.ndarray | None = None


@functools.lru_cache(maxsize=1)
def _name_pools() -> tuple[tuple[str, ...], int, list[str], list[str]]:
    """Given names (female first), their count of female names, ASCII forms for emails."""
    first = _names.FEMALE_FIRST_NAMES + _names.MALE_FIRST_NAMES
    first_ascii = [ascii_fold(f).lower() for f in first]
    last_ascii = [ascii_fold(s.split()[-1]).lower() for s in _names.SURNAMES]
    return first, len(_names.FEMALE_FIRST_NAMES), first_ascii, last_ascii


@functools.lru_cache(maxsize=1)
def _name_tables() -> tuple[np.ndarray, np.ndarray]:
    """``given[g, g2]`` = "G " or "G G2 " (g2 = len(pool): none); ``surnames[s1, s2]`` = "S2" or
    "S1 S2" (s1 = len(pool): none). Built once per process (object-array broadcasting)."""
    first, _, _, _ = _name_pools()
    f = np.array(first, dtype=object)
    sur = np.array(_names.SURNAMES, dtype=object)
    given = np.concatenate([f[:, None] + " " + f[None, :] + " ", (f + " ")[:, None]], axis=1)
    surnames = np.concatenate([sur[:, None] + " " + sur[None, :], sur[None, :]], axis=0)
    return given, surnames


def sample_names(rng: np.random.Generator, n: int) -> Names:
    """``n`` full names: given name (+ a second one for 25%) and one or two surnames.

    One ``rng.random((n, 5))`` draw.
    """
    return names_from_uniform(rng.random((n, 5)))


def names_from_uniform(u: np.ndarray) -> Names:
    """``sample_names`` with the ``(n, 5)`` uniforms given."""
    first, female, first_ascii, last_ascii = _name_pools()
    given_table, surname_table = _name_tables()
    ns = len(_names.SURNAMES)
    nm = len(first) - female
    is_female = u[:, 0] < 0.51
    given = np.where(is_female, (u[:, 1] * female).astype(np.int64), female + (u[:, 1] * nm).astype(np.int64))
    # second given name of the same gender for 25%: reuse the fractional part of u1
    frac = (u[:, 1] * 97.0) % 1.0
    second = np.where(is_female, (frac * female).astype(np.int64), female + (frac * nm).astype(np.int64))
    has_second = (u[:, 2] < 0.25) & (second != given)
    s1 = (u[:, 3] * ns).astype(np.int64)
    s2 = (u[:, 4] * ns).astype(np.int64)
    two = ((u[:, 2] * 7.0) % 1.0 < 0.7) & (s1 != s2)
    full = given_table[given, np.where(has_second, second, len(first))] + surname_table[np.where(two, s1, ns), s2]
    fa, la = np.asarray(first_ascii, dtype=object), np.asarray(last_ascii, dtype=object)
    return Names(full.tolist(), fa[given].tolist(), la[s2].tolist(), given, s2)


EMAIL_STYLES = 4
"""first.last, first_last, firstlast, flast."""


@functools.lru_cache(maxsize=1)
def _email_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local parts ``[first, last, style]``, number suffixes (0 = none), ``@domain`` strings."""
    _, _, first_ascii, last_ascii = _name_pools()
    f = np.array(first_ascii, dtype=object)[:, None]
    initial = np.array([x[0] for x in first_ascii], dtype=object)[:, None]
    la = np.array(last_ascii, dtype=object)[None, :]
    local = np.stack([f + "." + la, f + "_" + la, f + la, initial + la], axis=2)
    numbers = np.array([""] + [str(i) for i in range(1, 10_000)], dtype=object)
    domains = np.array(["@" + d for d, _ in _names.EMAIL_DOMAINS], dtype=object)
    return local, numbers, domains


def emails_for(rng: np.random.Generator, names: Names) -> list[str]:
    """Emails derived from names: ``first.last``, ``first_last``, ``firstlast`` or ``flast``,
    a number for 60% (people rarely get the bare name), and a common Brazilian domain."""
    return emails_from_uniform(rng.random((len(names.full), 3)), names)


def emails_from_uniform(u: np.ndarray, names: Names) -> list[str]:
    """``emails_for`` with the ``(n, 3)`` uniforms given."""
    local, numbers, domains = _email_tables()
    if names.first_index is None or names.last_index is None:
        _, _, first_ascii, last_ascii = _name_pools()
        fi = np.array([first_ascii.index(f) for f in names.first_ascii], dtype=np.int64)
        li = np.array([last_ascii.index(x) for x in names.last_ascii], dtype=np.int64)
    else:
        fi, li = names.first_index, names.last_index
    style = np.minimum((u[:, 0] * EMAIL_STYLES).astype(np.int64), EMAIL_STYLES - 1)
    number = np.where(u[:, 1] < 0.6, (u[:, 1] / 0.6 * 9999).astype(np.int64) + 1, 0)
    dom = pick(_DOMAIN_CDF, u[:, 2])
    return (local[fi, li, style] + numbers[number] + domains[dom]).tolist()  # type: ignore[no-any-return]


# --- money -----------------------------------------------------------------------------------

MINIMUM_WAGE_CENTS = 151_800
"""Brazil's national minimum wage in 2025: R$ 1,518.00 a month (Decree 12,342/2024)."""


def to_cents(reais: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Amounts in reais (float) rounded to int64 cents, at least ``minimum`` cents."""
    return np.maximum(np.rint(np.asarray(reais, dtype=np.float64) * 100.0), minimum).astype(np.int64)


def format_brl(cents: int) -> str:
    """``123456`` -> ``"R$ 1.234,56"`` (Brazilian notation)."""
    sign = "-" if cents < 0 else ""
    q, r = divmod(abs(int(cents)), 100)
    return f"{sign}R$ {q:,}".replace(",", ".") + f",{r:02d}"


# --- records ---------------------------------------------------------------------------------


int_column = int_array
"""Field ``name`` of a list of dicts or a ``Batch`` as an ``int64`` array (``datagen_kernel.int_array``)."""


def object_column(records: Sequence[Any], name: str) -> np.ndarray:
    """Field ``name`` of ``records`` (a list of dicts or a ``Batch``) as an object array."""
    values = column(records, name)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


__all__ = [
    "ALPHANUMERIC",
    "BUSINESS_HOURS",
    "BUSINESS_HOUR_WEIGHTS",
    "BUSINESS_WEEKDAY_WEIGHTS",
    "DAY_MS",
    "HOUR_MS",
    "LOCAL_OFFSET_MS",
    "MINIMUM_WAGE_CENTS",
    "MINUTE_MS",
    "SAO_PAULO",
    "SECOND_MS",
    "City",
    "Locations",
    "Names",
    "SortedSearch",
    "State",
    "TimestampSampler",
    "addresses_from_uniform",
    "ascii_digits",
    "ascii_fold",
    "cdf",
    "cnpjs_from_roots",
    "cpf_digits",
    "cpfs_from_bases",
    "digit_matrix",
    "emails_for",
    "emails_from_uniform",
    "format_brl",
    "int_column",
    "is_valid_cnpj",
    "invalid_cpfs",
    "is_valid_cpf",
    "local_parts",
    "locations_from_uniform",
    "names_from_uniform",
    "object_column",
    "phones_for_ddds",
    "phones_from_uniform",
    "pick",
    "random_cnpjs",
    "random_cpfs",
    "sample_addresses",
    "sample_locations",
    "sample_names",
    "state_by_uf",
    "states",
    "strings_from_bytes",
    "to_cents",
    "unique_cpf_bases",
    "unique_cpfs",
    "zero_padded",
]
