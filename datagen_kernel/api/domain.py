"""What the installed packs say about their domain: the root count's flag, the time zone, the as-of.

The kernel knows no domain. An entity pack declares its defaults in
``datagen_register_entities`` with ``register.domain(DomainDefaults(...))``; the kernel merges
every declaration into the ``RunDefaults`` of a run, and falls back on neutral values where no
pack declares one (``--count``, UTC, 2026-01-01 at midnight).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

DEFAULT_AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
"""The as-of instant of a run whose packs declare none: 2026-01-01 at midnight (in the run's
time zone; this constant is the UTC one)."""

AS_OF_RANGE = (datetime(1900, 1, 1, tzinfo=UTC), datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC))
"""The as-of instants the kernel accepts when no pack narrows them (``DomainDefaults.as_of_range``)."""

NEUTRAL_TIMEZONE: tzinfo = UTC
"""The time zone of a run whose packs declare none."""

COUNT_FLAG = "count"
"""The kernel's own flag for the number of root records: ``--count N`` (config key ``count``)."""

INSTALL_HINT = "install an entity pack (see `datagen plugins`)"
"""What the kernel suggests when no entity pack is installed and no plugin declares a hint."""

_FLAG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class DomainDefaults:
    """A pack's domain defaults; every field is optional (``None``: the pack says nothing).

    ``count_flag``: the plural name of the root entity, accepted as ``--NAME N`` beside
    ``--count N`` and as the config-file key (``-`` becomes ``_``), e.g. ``"customers"``.
    ``timezone``: the zone of the run, a fixed offset (``datetime.timezone(timedelta(hours=-3),
    "America/Sao_Paulo")``): text renderings of timestamps (the ``json`` serializer, text
    sinks) carry its offset, and naive ``--as-of`` values are read in it.
    ``as_of``: where the generated history ends unless ``--as-of`` says otherwise (an aware
    ``datetime``); without it, 2026-01-01 at midnight in the run's time zone.
    ``install_hint``: what to suggest when no entity pack is installed (meant for plugins that
    bring sinks or scenarios for packs distributed separately).
    ``as_of_range``: the earliest and latest as-of instants (aware ``datetime`` values) the
    pack generates a history for (its calendars, the span of its history); ``--as-of``
    outside it is refused before anything is generated. Several packs' ranges intersect.

    Two plugins declaring different values for the same field is an error naming both.
    """

    count_flag: str | None = None
    timezone: tzinfo | None = None
    as_of: datetime | None = None
    install_hint: str | None = None
    as_of_range: tuple[datetime, datetime] | None = None

    def problems(self) -> list[str]:
        """What is wrong with the declaration (empty when it is usable)."""
        out: list[str] = []
        if self.count_flag is not None and (
            not isinstance(self.count_flag, str) or not _FLAG.fullmatch(self.count_flag)
        ):
            out.append(f"count_flag {self.count_flag!r} is not a flag name: expected lower-case words "
                       "joined by '-', without the leading '--' (e.g. 'customers')")
        if self.timezone is not None and not isinstance(self.timezone, tzinfo):
            out.append(f"timezone {self.timezone!r} is not a datetime.tzinfo")
        elif self.timezone is not None and self.timezone.utcoffset(None) is None:
            # text renderings apply one offset to a whole run (the vectorized encoders)
            out.append(f"timezone {self.timezone!r} has no fixed offset: declare a "
                       "datetime.timezone(timedelta(...), name)")
        if self.as_of is not None and (not isinstance(self.as_of, datetime) or self.as_of.utcoffset() is None):
            out.append(f"as_of {self.as_of!r} is not a datetime with a time zone")
        if self.as_of_range is not None and not (
            isinstance(self.as_of_range, tuple) and len(self.as_of_range) == 2
            and all(isinstance(d, datetime) and d.utcoffset() is not None for d in self.as_of_range)
            and self.as_of_range[0] <= self.as_of_range[1]
        ):
            out.append(f"as_of_range {self.as_of_range!r} is not (earliest, latest): two datetimes with a time "
                       "zone, the earliest first")
        if self.install_hint is not None and not (isinstance(self.install_hint, str) and self.install_hint.strip()):
            out.append(f"install_hint {self.install_hint!r} is not a non-empty text")
        return out


@dataclass(frozen=True)
class RunDefaults:
    """The installed packs' declarations merged, with the kernel's neutral values elsewhere."""

    timezone: tzinfo = NEUTRAL_TIMEZONE
    as_of: datetime = DEFAULT_AS_OF
    count_flag: str | None = None
    """The flag a pack declared for the root count besides ``--count`` (None: none)."""
    count_flag_owner: str | None = None
    """The distribution that declared ``count_flag`` (for ``--help``)."""
    install_hint: str = INSTALL_HINT
    as_of_range: tuple[datetime, datetime] = AS_OF_RANGE
    """The as-of instants every installed pack accepts (the kernel's where none narrows them)."""
    as_of_range_owner: str | None = None
    """The distribution whose declaration set the narrowest bound (for messages)."""

    def as_of_problem(self, as_of: datetime, given: str) -> str | None:
        """Why ``--as-of`` (shown as ``given``) cannot be used (None: it can)."""
        first, last = self.as_of_range
        if first <= as_of <= last:
            return None
        by = f"{self.as_of_range_owner} generates" if self.as_of_range_owner else "the kernel accepts"
        return (f"--as-of {given} is out of range: {by} histories ending between "
                f"{first.date().isoformat()} and {last.date().isoformat()}")

    @property
    def count_key(self) -> str | None:
        """The config-file key of ``count_flag`` (``[run] customers = 100``)."""
        return None if self.count_flag is None else self.count_flag.replace("-", "_")


def timezone_name(tz: tzinfo) -> str:
    """How a time zone is shown: its key or name (``America/Sao_Paulo``, ``UTC``) or its offset."""
    return str(getattr(tz, "key", None) or tz.tzname(None) or tz)
