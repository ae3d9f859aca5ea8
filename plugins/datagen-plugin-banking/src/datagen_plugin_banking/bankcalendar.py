"""Brazilian national bank holidays and business days (public: other packs use it, e.g. trades).

Bank holidays are the national holidays on which banks close and interbank settlement (STR:
TED, boletos, B3 settlement) does not run:

* fixed: New Year (01-01), Tiradentes (04-21), Labour Day (05-01), Independence (09-07), Nossa
  Senhora Aparecida (10-12), Finados (11-02), Proclamation of the Republic (11-15), Black
  Consciousness Day (11-20, national since 2024, Law 14,759/2023) and Christmas (12-25);
* moving, from Easter Sunday: Carnaval Monday and Tuesday (Easter - 48 and - 47 days), Good
  Friday (Easter - 2) and Corpus Christi (Easter + 60). Carnaval and Corpus Christi are optional
  days off for the public sector but bank holidays in the national banking calendar.

A *business day* is a weekday that is not a bank holiday. Days are ``datetime.date`` values for
the scalar helpers and epoch days (days since 1970-01-01, as ``int64`` arrays) for the
vectorized ones; the tables cover 1970..2099 and are built once per process.

Easter is computed with the anonymous Gregorian algorithm (Meeus/Jones/Butcher), vectorized
over years, so the pack needs no extra dependency for it.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np

FIRST_YEAR, LAST_YEAR = 1970, 2099
"""Years the vectorized tables cover."""
_EPOCH = dt.date(1970, 1, 1)

FIXED_HOLIDAYS: tuple[tuple[int, int, str, int], ...] = (
    (1, 1, "Confraternização Universal", FIRST_YEAR),
    (4, 21, "Tiradentes", FIRST_YEAR),
    (5, 1, "Dia do Trabalho", FIRST_YEAR),
    (9, 7, "Independência do Brasil", FIRST_YEAR),
    (10, 12, "Nossa Senhora Aparecida", 1980),
    (11, 2, "Finados", FIRST_YEAR),
    (11, 15, "Proclamação da República", FIRST_YEAR),
    (11, 20, "Dia Nacional de Zumbi e da Consciência Negra", 2024),
    (12, 25, "Natal", FIRST_YEAR),
)
"""(month, day, name, first year it is a national holiday)."""

MOVING_HOLIDAYS: tuple[tuple[int, str], ...] = (
    (-48, "Carnaval (segunda-feira)"),
    (-47, "Carnaval (terça-feira)"),
    (-2, "Sexta-feira Santa"),
    (60, "Corpus Christi"),
)
"""(days from Easter Sunday, name)."""


def easter_ordinals(years: np.ndarray) -> np.ndarray:
    """Easter Sunday of each Gregorian year, as epoch days (``int64``)."""
    y = np.asarray(years, dtype=np.int64)
    a = y % 19
    b, c = y // 100, y % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    months = (y - 1970) * 12 + month - 1
    return (months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + day - 1).astype(np.int64)


def easter(year: int) -> dt.date:
    """Easter Sunday of ``year``."""
    return _EPOCH + dt.timedelta(days=int(easter_ordinals(np.array([year]))[0]))


def national_holidays(year: int) -> dict[dt.date, str]:
    """The bank holidays of ``year``, date -> Portuguese name, in date order."""
    out = {dt.date(year, m, d): name for m, d, name, since in FIXED_HOLIDAYS if year >= since}
    sunday = easter(year)
    out.update({sunday + dt.timedelta(days=off): name for off, name in MOVING_HOLIDAYS})
    return dict(sorted(out.items()))


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(holiday epoch days sorted, business flag per epoch day, next business day on or after,
    previous business day on or before) over FIRST_YEAR..LAST_YEAR."""
    holidays = sorted(
        (day - _EPOCH).days for year in range(FIRST_YEAR, LAST_YEAR + 1) for day in national_holidays(year)
    )
    days = np.arange((dt.date(LAST_YEAR + 1, 1, 1) - _EPOCH).days, dtype=np.int64)
    business = (days + 3) % 7 < 5  # 1970-01-01 was a Thursday (weekday 3)
    hol = np.array(holidays, dtype=np.int64)
    business[hol] = False
    n = days.size
    idx = np.where(business, days, n)  # next business day on or after (n past the end)
    forward = np.minimum.accumulate(idx[::-1])[::-1]
    back = np.maximum.accumulate(np.where(business, days, -1))
    return hol, business, forward, back


def _check(days: np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    _, business, _, _ = _tables()
    if days.size and (days.min() < 0 or days.max() >= business.size):
        raise ValueError(f"days must fall in {FIRST_YEAR}..{LAST_YEAR}")
    return days


def holiday_days(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> np.ndarray:
    """Epoch days of the bank holidays of ``first_year..last_year`` (sorted ``int64``)."""
    hol = _tables()[0]
    lo = (dt.date(first_year, 1, 1) - _EPOCH).days
    hi = (dt.date(last_year + 1, 1, 1) - _EPOCH).days
    return hol[(hol >= lo) & (hol < hi)]


def is_holiday_days(days: np.ndarray) -> np.ndarray:
    """Whether each epoch day is a bank holiday (whatever its weekday)."""
    days = _check(days)
    return np.isin(days, _tables()[0])


def is_business_days(days: np.ndarray) -> np.ndarray:
    """Whether each epoch day is a business day (a weekday, not a bank holiday)."""
    return _tables()[1][_check(days)]


def roll_forward_days(days: np.ndarray) -> np.ndarray:
    """Each epoch day if it is a business day, else the next business day."""
    out = _tables()[2][_check(days)]
    if out.size and out.max() >= _tables()[1].size:
        raise ValueError(f"no business day after the end of {LAST_YEAR} in the table")
    return out


def roll_back_days(days: np.ndarray) -> np.ndarray:
    """Each epoch day if it is a business day, else the previous business day."""
    out = _tables()[3][_check(days)]
    if out.size and out.min() < 0:
        raise ValueError(f"no business day before {FIRST_YEAR} in the table")
    return out


def add_business_days_array(days: np.ndarray, n: int) -> np.ndarray:
    """The ``n``-th business day after each epoch day (``n >= 0``; 0 rolls forward; a day that is
    not a business day counts from the next business day)."""
    _, business, _, _ = _tables()
    counts = np.cumsum(business)  # business days on or before each day
    ordinal = np.flatnonzero(business)
    days = _check(days)
    start = counts[days] - business[days]  # business days strictly before the day
    target = start + n
    if n < 0:
        raise ValueError("n must be >= 0")
    if target.size and target.max() >= ordinal.size:
        raise ValueError(f"past the end of {LAST_YEAR}")
    return ordinal[target]


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _date(day: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(day))


def is_holiday(day: dt.date) -> bool:
    """Whether ``day`` is a Brazilian national bank holiday."""
    return day in national_holidays(day.year)


def is_business_day(day: dt.date) -> bool:
    """Whether ``day`` is a weekday and not a bank holiday."""
    return day.weekday() < 5 and not is_holiday(day)


def next_business_day(day: dt.date) -> dt.date:
    """The first business day strictly after ``day``."""
    return _date(roll_forward_days(np.array([_day(day) + 1]))[0])


def previous_business_day(day: dt.date) -> dt.date:
    """The last business day strictly before ``day``."""
    return _date(roll_back_days(np.array([_day(day) - 1]))[0])


def roll_forward(day: dt.date) -> dt.date:
    """``day`` if it is a business day, else the next one (where a payment due then settles)."""
    return _date(roll_forward_days(np.array([_day(day)]))[0])


def roll_back(day: dt.date) -> dt.date:
    """``day`` if it is a business day, else the previous one (e.g. a salary paid in advance)."""
    return _date(roll_back_days(np.array([_day(day)]))[0])


def add_business_days(day: dt.date, n: int) -> dt.date:
    """The ``n``-th business day after ``day`` (D+n settlement; ``n >= 0``)."""
    return _date(add_business_days_array(np.array([_day(day)]), n)[0])
