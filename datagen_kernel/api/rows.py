"""Row-at-a-time entities: ``make(parent, row) -> dict`` and the kernel does the rest.

An author writes one function that returns one record; the kernel calls it for every record,
per parent (``per="customer"``), per root, or a fixed number of times for a global entity, and
takes care of what makes data consistent and reproducible: blocks, counts, primary keys,
foreign keys, and randomness that depends only on the seed. ``make`` gets the parent record
(``None`` without one) and a ``Row``: seeded random sources (``row.random``, ``row.fake``), the
run (``row.as_of``, ``row.options(ns)``) and helpers for money, dates and ids.

Determinism, by construction:

* every block of roots gets its own streams (from the seed, the entity and the block), so a
  block's records are the same whichever process makes them, with any ``--workers`` or
  ``--batch-size``;
* within a block the streams are read in parent order, one record after the other, so the
  records of the first roots do not depend on how many roots follow (a prefix of roots gives a
  prefix of records);
* the counts per parent and the primary keys have streams of their own, so changing ``make``
  (another draw, another field) changes neither how many records there are nor their ids.

One ``Faker`` per process and locale is re-seeded once per block from the block's stream
(``Faker.seed_instance``): a Faker costs milliseconds to build and microseconds to re-seed,
and its values are then a function of the seed and the block alone. Faker is imported the
first time a row asks for ``row.fake``.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as PyDecimal
from typing import TYPE_CHECKING, Any

from datagen_kernel.api.columnar import as_rows
from datagen_kernel.api.errors import PluginError
from datagen_kernel.api.generation import BlockContext, Generator, RunInfo
from datagen_kernel.api.records import Record, Records
from datagen_kernel.api.schema import Date, Decimal, EntitySpec, Scope, Timestamp, Uuid

if TYPE_CHECKING:
    from faker import Generator as Faker

__all__ = ["DEFAULT_LOCALE", "Count", "FillRow", "MakeRow", "Row", "RowFiller", "RowGenerator"]

DEFAULT_LOCALE = "pt_BR"
"""Faker's locale unless ``register.rows(..., locale=...)`` says otherwise."""

MakeRow = Callable[[Record | None, "Row"], Mapping[str, Any]]
"""``make(parent, row) -> record``: one record of the entity (``parent`` is None without ``per``)."""

Count = int | tuple[int, int] | Callable[[Record, "Row"], int]
"""Records per parent: a number, an inclusive ``(low, high)`` range drawn uniformly per
parent, or ``count(parent, row) -> int``."""

_DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = 719_163
_FAKERS: dict[str, Faker] = {}
_SEED_BITS = 63


def _faker(locale: str) -> Faker:
    """One Faker per process and locale (building one costs milliseconds; re-seeding, microseconds).

    ``Factory.create`` gives the locale's generator itself, every provider of ``Faker(locale)``
    without the multi-locale proxy in front of each call.
    """
    fake = _FAKERS.get(locale)
    if fake is None:
        from faker import Factory

        fake = _FAKERS[locale] = Factory.create(locale)
    return fake


class Row:
    """What ``make(parent, row)`` gets besides its parent: randomness, the run and helpers.

    ``random`` (a ``random.Random``) and ``fake`` (a ``Faker``, ``pt_BR`` unless the entity
    says otherwise) are seeded from the run seed, the entity and the block: use them, never
    the ``random`` module, ``uuid.uuid4()`` or the clock. ``index`` is the record's position
    among its parent's records (for a root entity, the root's index; for a global one, its
    position in the set). Money helpers return ``Decimal`` (``money``) or integer cents
    (``cents``); date helpers return ``datetime.date`` and timestamps integer epoch
    milliseconds, the forms records hold (``make`` may also return ``Decimal``, ``float`` for
    decimal fields and aware ``datetime`` for timestamps: the kernel converts them).
    """

    __slots__ = ("_cumulative", "_fake", "_locale", "_offset_ms", "_picks", "_today", "_today_ordinal",
                 "as_of_ms", "context", "index", "random")

    def __init__(self, context: BlockContext, seed: int, locale: str) -> None:
        self.context = context
        self.random = random.Random(seed)
        self.index = 0
        run = context.run
        self.as_of_ms = run.as_of_ms
        self._today = run.as_of.astimezone(run.timezone).date()
        self._today_ordinal = self._today.toordinal()
        offset = run.timezone.utcoffset(None)
        self._offset_ms = None if offset is None else offset // timedelta(milliseconds=1)
        self._locale = locale
        self._fake: Faker | None = None
        self._picks: dict[str, list[Record]] = {}
        self._cumulative: dict[int, tuple[Sequence[float], list[float], float]] = {}

    # -- the run ------------------------------------------------------------------------------
    @property
    def run(self) -> RunInfo:
        return self.context.run

    @property
    def as_of(self) -> datetime:
        """Where the run's history ends (an aware ``datetime``): "now" for generated data."""
        return self.context.run.as_of

    @property
    def today(self) -> date:
        """The as-of date in the run's time zone."""
        return self._today

    def options(self, namespace: str) -> Mapping[str, Any]:
        """Resolved options of a namespace (``register.options(namespace, ...)``; ``-o ns.key=value``)."""
        return self.context.run.options_for(namespace)

    # -- seeded sources -----------------------------------------------------------------------
    @property
    def fake(self) -> Faker:
        """A ``Faker`` seeded for this block (``row.fake.name()``); one call costs microseconds."""
        if self._fake is None:
            fake = _faker(self._locale)
            fake.seed_instance(int(self.context.rng("rows", "faker").integers(1 << _SEED_BITS)))
            self._fake = fake
        return self._fake

    def choice(self, values: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
        """One of ``values``, uniformly or with relative ``weights``."""
        if weights is None:
            return values[int(self.random.random() * len(values))]
        # cumulative weights once per block and weights object (held, so its id stays its own)
        known = self._cumulative.get(id(weights))
        if known is None or known[0] is not weights:
            cumulative = list(itertools.accumulate(weights))
            known = self._cumulative[id(weights)] = (weights, cumulative, cumulative[-1])
        return values[bisect.bisect(known[1], self.random.random() * known[2])]

    def chance(self, probability: float) -> bool:
        """True with ``probability``."""
        return self.random.random() < probability

    def pick(self, entity: str) -> Record:
        """A record of ``entity`` drawn uniformly: a global reference entity (declare a foreign
        key to it) or one generated in this block before this one."""
        records = self._picks.get(entity)
        if records is None:
            records = self._picks[entity] = as_rows(self.context.records(entity))
            if not records:
                raise PluginError(f"{self.context.entity.name!r} picks a {entity!r} record, but there is none")
        return records[int(self.random.random() * len(records))]

    # -- ids ----------------------------------------------------------------------------------
    def uuid(self) -> str:
        """A UUID v4 string drawn from ``random`` (primary keys are filled by the kernel)."""
        h = "%032x" % ((self.random.getrandbits(128) & ~(0xF << 76) & ~(0x3 << 62)) | (0x4 << 76) | (0x2 << 62))
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def digits(self, n: int) -> str:
        """``n`` decimal digits (leading zeros kept), e.g. a contract or policy number."""
        if n <= 15:  # a double holds 15 decimal digits exactly
            return str(int(self.random.random() * 10**n)).zfill(n)
        return str(self.random.randrange(10**n)).zfill(n)

    # -- money --------------------------------------------------------------------------------
    def cents(self, low: float, high: float) -> int:
        """An amount uniformly in [low, high] (in currency units) as integer cents."""
        low_cents = round(low * 100)
        return low_cents + int(self.random.random() * (round(high * 100) - low_cents + 1))

    def money(self, low: float, high: float, scale: int = 2) -> PyDecimal:
        """An amount uniformly in [low, high] as a ``Decimal`` with ``scale`` places."""
        unit = 10**scale
        low_units = round(low * unit)
        units = low_units + int(self.random.random() * (round(high * unit) - low_units + 1))
        return PyDecimal(units).scaleb(-scale)

    # -- dates and instants -------------------------------------------------------------------
    def date_between(self, start: date, end: date) -> date:
        """A date uniformly in [start, end]."""
        return date.fromordinal(start.toordinal() + int(self.random.random() * ((end - start).days + 1)))

    def recent_date(self, days: int) -> date:
        """A date in the ``days`` days up to the as-of date (inclusive)."""
        return date.fromordinal(self._today_ordinal - int(self.random.random() * (days + 1)))

    def timestamp_between(self, start: datetime | date | int, end: datetime | date | int) -> int:
        """An instant uniformly in [start, end), as epoch milliseconds (dates: midnight, run's zone)."""
        lo, hi = self.timestamp(start), self.timestamp(end)
        return lo + int(self.random.random() * (hi - lo))

    def recent_timestamp(self, days: float) -> int:
        """An instant in the ``days`` days before the as-of instant, as epoch milliseconds."""
        return self.as_of_ms - 1 - int(self.random.random() * days * _DAY_MS)

    def timestamp(self, value: datetime | date | int) -> int:
        """``value`` as epoch milliseconds: an aware ``datetime``, a date (midnight in the run's
        time zone) or milliseconds already."""
        if isinstance(value, int):
            return value
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone (e.g. row.as_of.tzinfo)")
            return (value - _EPOCH) // timedelta(milliseconds=1)
        if self._offset_ms is not None:
            return (value.toordinal() - _EPOCH_ORDINAL) * _DAY_MS - self._offset_ms
        midnight = datetime(value.year, value.month, value.day, tzinfo=self.context.run.timezone)
        return (midnight - _EPOCH) // timedelta(milliseconds=1)


class _Layout:
    """What the kernel fills and converts in every record of one entity (computed once)."""

    def __init__(self, spec: EntitySpec, per: str | None, only: Sequence[str] | None = None) -> None:
        """``only``: just these fields (added by a plugin), keys left alone."""
        self.names = spec.field_names
        pk = spec.field(spec.primary_key)
        self.uuid_key = spec.primary_key if isinstance(pk.type, Uuid) and only is None else None
        # foreign keys to the parent come from it; other keys the parent carries too (a loan's
        # customer_id for its installments) are copied from the parent's field of that name
        self.from_parent: list[tuple[str, str]] = []
        for fk in spec.foreign_keys:
            if per is not None and fk.entity == per:
                self.from_parent.append((fk.field, fk.ref_field))
        for fk in spec.foreign_keys:
            if per is not None and fk.entity != per and all(fk.field != f for f, _ in self.from_parent):
                self.from_parent.append((fk.field, fk.field))
        fields = [f for f in spec.fields if only is None or f.name in only]
        self.nullable = [f.name for f in fields if f.nullable]
        self.decimals = [(f.name, f.type.scale) for f in fields if isinstance(f.type, Decimal)]
        self.timestamps = [f.name for f in fields if isinstance(f.type, Timestamp)]
        self.dates = [f.name for f in fields if isinstance(f.type, Date)]


class RowGenerator:
    """The generator ``register.rows`` registers: calls ``make`` once per record (picklable)."""

    __slots__ = ("count", "locale", "make", "per")

    def __init__(self, make: MakeRow, *, per: str | None = None, count: Count = 1,
                 locale: str = DEFAULT_LOCALE) -> None:
        self.make = make
        self.per = per
        self.count = count
        self.locale = locale

    def check(self, spec: EntitySpec, parent: EntitySpec | None = None) -> list[str]:
        """What is wrong with making ``spec`` this way (empty: nothing); ``parent``: the spec
        of ``per`` once the run's entities are known."""
        problems: list[str] = []
        name = spec.name
        count = self.count
        if not callable(self.make):
            problems.append(f"make for {name!r} is {self.make!r}, not a function make(parent, row) -> dict")
        if isinstance(count, bool) or not (
            (isinstance(count, int) and count >= 0)
            or (isinstance(count, tuple) and len(count) == 2 and all(isinstance(c, int) for c in count)
                and 0 <= count[0] <= count[1])
            or callable(count)
        ):
            problems.append(f"count for {name!r} is {count!r}: expected a number >= 0, (low, high) "
                            "with 0 <= low <= high, or a function count(parent, row) -> int")
        if self.per is None:
            if spec.scope == Scope.SUBTREE:
                problems.append(f"{name!r} is generated per block of roots: say per which parent "
                                "(per='customer'), or declare it scope='root' or scope='global'")
            if spec.scope == Scope.GLOBAL and not isinstance(count, int):
                problems.append(f"global entity {name!r} needs count=N, the number of its records")
        else:
            if spec.scope == Scope.ROOT:
                problems.append(f"root entity {name!r} cannot be made per {self.per!r}: a root has no parent")
            if not any(fk.entity == self.per for fk in spec.foreign_keys):
                problems.append(f"{name!r} is made per {self.per!r} but declares no foreign key to it: "
                                f"add ForeignKey('{self.per}_id', '{self.per}', '{self.per}_id') (or its key)")
            if parent is not None and (parent.scope == Scope.GLOBAL) != (spec.scope == Scope.GLOBAL):
                if spec.scope == Scope.GLOBAL:
                    problems.append(f"global entity {name!r} cannot be made per {self.per!r}, which is not "
                                    "global: make it per another global entity, or give it scope='subtree'")
                else:
                    problems.append(f"{name!r} is made per {self.per!r}, a global entity, so every block of "
                                    f"roots would repeat its records: make it global too, or reference a "
                                    f"{self.per!r} record with row.pick({self.per!r})")
        return problems

    def __call__(self, ctx: BlockContext) -> list[Record]:
        spec = ctx.entity
        layout = _Layout(spec, self.per)
        parents: Sequence[Record | None]
        if self.per is not None:
            parents = as_rows(ctx.records(self.per))
        elif spec.scope == Scope.GLOBAL:
            parents = [None]
        else:
            parents = [None] * ctx.size
        counts = self._counts(ctx, parents)
        total = sum(counts)
        if total == 0:
            return []
        seed = int(ctx.rng("rows", "random").integers(1 << _SEED_BITS))
        row = Row(ctx, seed, self.locale)
        ids = ctx.uuids(total, "id") if layout.uuid_key is not None else None
        make = self.make
        out: list[Record] = []
        base = ctx.start if self.per is None and spec.scope == Scope.ROOT else None
        for j, (parent, n) in enumerate(zip(parents, counts, strict=True)):
            for i in range(n):
                row.index = i if base is None else base + j
                made = make(parent, row)
                if type(made) is not dict:
                    if not isinstance(made, Mapping):
                        raise TypeError(f"make returned {type(made).__name__}, expected a dict of field values")
                    made = dict(made)
                out.append(made)
        self._complete(out, parents, counts, ids, layout)
        return out

    def _counts(self, ctx: BlockContext, parents: Sequence[Record | None]) -> list[int]:
        count = self.count
        if self.per is None:
            if ctx.entity.scope == Scope.GLOBAL:
                assert isinstance(count, int)
                return [count]
            return [1] * len(parents)
        if isinstance(count, int):
            return [count] * len(parents)
        if isinstance(count, tuple):
            low, high = count
            return ctx.rng("rows", "count").integers(low, high + 1, len(parents)).tolist()  # type: ignore[no-any-return]
        row = Row(ctx, int(ctx.rng("rows", "count").integers(1 << _SEED_BITS)), self.locale)
        out = []
        for i, parent in enumerate(parents):
            row.index = i
            n = count(parent, row)  # type: ignore[arg-type]
            if not isinstance(n, int) or n < 0:
                raise ValueError(f"count returned {n!r} for parent {i} of the block: expected an int >= 0")
            out.append(n)
        return out

    @staticmethod
    def _complete(out: list[Record], parents: Sequence[Record | None], counts: Sequence[int],
                  ids: list[str] | None, layout: _Layout) -> None:
        """Fill keys and nulls left out, convert Decimal, float and datetime values (in place)."""
        key = layout.uuid_key
        if key is not None and ids is not None:
            for rec, uid in zip(out, ids, strict=True):
                if key not in rec:
                    rec[key] = uid
        if layout.from_parent:
            owners = itertools.chain.from_iterable(itertools.repeat(p, n) for p, n in zip(parents, counts, strict=True))
            for rec, parent in zip(out, owners, strict=True):
                assert parent is not None
                for field, source in layout.from_parent:
                    if field not in rec and source in parent:
                        rec[field] = parent[source]
        n_fields = len(layout.names)
        for name in layout.nullable:
            for rec in out:
                if len(rec) < n_fields and name not in rec:
                    rec[name] = None
        for name, scale in layout.decimals:
            unit = 10**scale
            for rec in out:
                v = rec.get(name)
                if v is not None and type(v) is not int:
                    rec[name] = _scaled(v, unit, name)
        for name in layout.timestamps:
            for rec in out:
                v = rec.get(name)
                if isinstance(v, datetime):
                    rec[name] = _epoch_ms(v, name)
        for name in layout.dates:
            for rec in out:
                v = rec.get(name)
                if isinstance(v, datetime):
                    rec[name] = v.date()


def _scaled(value: Any, unit: int, name: str) -> Any:
    if isinstance(value, PyDecimal):
        return int((value * unit).to_integral_value())
    if isinstance(value, float):
        return round(value * unit)
    return value  # the schema check names the field and the wrong type


def _epoch_ms(value: datetime, name: str) -> int:
    if value.tzinfo is None:
        raise ValueError(f"field {name!r}: naive datetime {value.isoformat()}; give it a time zone")
    return (value - _EPOCH) // timedelta(milliseconds=1)



FillRow = Callable[[Record, "Row"], Mapping[str, Any]]
"""``fill(record, row) -> {field: value}``: the values of the fields a plugin adds to a record."""


class RowFiller:
    """The wrapper ``register.extend(entity, *fields, fill=...)`` registers: the entity's own
    generator runs, then ``fill`` gives each record the added fields (picklable)."""

    __slots__ = ("fields", "fill", "locale")

    def __init__(self, fill: FillRow, fields: Sequence[str], locale: str = DEFAULT_LOCALE) -> None:
        self.fill = fill
        self.fields = tuple(fields)
        self.locale = locale

    def __call__(self, ctx: BlockContext, inner: Generator) -> Records:
        records = inner(ctx)
        rows = as_rows(records)  # a Batch builds its rows; they are the truth from then on
        if not rows:
            return records
        # a stream of its own: the entity's other draws, and other plugins' fields, stay as they are
        row = Row(ctx, int(ctx.rng("rows", "extend", *self.fields).integers(1 << _SEED_BITS)), self.locale)
        fill = self.fill
        for i, record in enumerate(rows):
            row.index = i
            record.update(fill(record, row))
        RowGenerator._complete(rows, (), (), None, _Layout(ctx.entity, None, only=self.fields))
        return records
