"""Data-quality rules: plugin rules plus the schema rules every entity gets for free."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from datagen_kernel.api.columnar import Batch
from datagen_kernel.api.columnar import column as column_of
from datagen_kernel.api.generation import RunInfo
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import EntitySpec


@dataclass(frozen=True)
class Violation:
    """One broken rule: which entity, record key, field and rule, and what was wrong."""

    entity: str
    key: Any
    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.entity} {self.key}: field {self.field!r} broke rule {self.rule!r}: {self.message}"


class Lookup(Protocol):
    """Finds records by primary key, for rules that look at parents."""

    def get(self, entity: str, key: Any) -> Record | None: ...

    def has_entity(self, entity: str) -> bool: ...


class RunCheck(Protocol):
    """A check that also reads the run: ``check(spec, records, lookup, run)``."""

    def __call__(self, spec: EntitySpec, records: Sequence[Record], lookup: Lookup, run: RunInfo
                  ) -> Iterable[Violation]: ...


Check = Callable[[EntitySpec, Sequence[Record], Lookup], Iterable[Violation]] | RunCheck
"""``check(spec, records, lookup)``, or with a ``run`` parameter: ``check(spec, records, lookup, run)``."""

RUN_PARAMETER = "run"


def takes_run(check: Callable[..., Any]) -> bool:
    """Whether ``check`` has a parameter named ``run`` (or ``**kwargs``) to receive the run."""
    try:
        parameters = inspect.signature(check).parameters.values()
    except (TypeError, ValueError):  # a callable without a signature: the classic three arguments
        return False
    return any(
        (p.name == RUN_PARAMETER and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        or p.kind is p.VAR_KEYWORD
        for p in parameters
    )


@dataclass(frozen=True)
class Rule:
    """A named check over batches of one entity (``entity='*'`` for every entity).

    ``check(spec, records, lookup)`` yields ``Violation``s. A check that declares a parameter
    named ``run`` also receives the run's ``RunInfo``: ``run.as_of`` / ``run.as_of_ms`` (where
    history ends), ``run.timezone``, ``run.options_for(namespace)`` (resolved options), the
    seed and the scenario. During ``datagen run`` it is the run itself; in ``datagen validate``
    the as-of and options the dataset was generated with (``--as-of``, the run manifest).
    """

    name: str
    entity: str
    check: Check
    doc: str = ""
    wants_run: bool = field(init=False, repr=False, compare=False)
    """Whether ``check`` takes the run (a parameter named ``run``); found from its signature."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "wants_run", takes_run(self.check))

    def run_check(self, spec: EntitySpec, records: Sequence[Record], lookup: Lookup,
                  run: RunInfo | None = None) -> Iterable[Violation]:
        """Call ``check`` the way it is written (with ``run`` only if it takes it)."""
        if self.wants_run:
            return self.check(spec, records, lookup, run=NEUTRAL_RUN if run is None else run)  # type: ignore[call-arg]
        return self.check(spec, records, lookup)  # type: ignore[call-arg]


NEUTRAL_RUN = RunInfo(seed=0, root_count=0)
"""What a rule that takes the run gets when no run is given: the kernel's neutral as-of
(2026-01-01T00:00Z), UTC and no options."""


class RecordIndex:
    """``Lookup`` over in-memory record lists, indexed lazily by primary key."""

    def __init__(self, specs: Mapping[str, EntitySpec], records: Mapping[str, Sequence[Record]]) -> None:
        self._specs = specs
        self._records = records
        self._index: dict[str, dict[Any, Record]] = {}
        self._positions: dict[str, dict[Any, int]] = {}
        self._keys: dict[tuple[str, str], set[Any]] = {}
        self._where: dict[tuple[str, str], dict[Any, list[int]]] = {}

    def has_entity(self, entity: str) -> bool:
        return entity in self._records

    def get(self, entity: str, key: Any) -> Record | None:
        idx = self._index.get(entity)
        records = self._records.get(entity, ())
        columnar = isinstance(records, Batch) and not records.rows_built
        if idx is None:
            pk = self._specs[entity].primary_key
            # a columnar batch: find positions, build only the records asked for
            idx = {} if columnar else {r[pk]: r for r in records}
            self._index[entity] = idx
        found = idx.get(key)
        if found is None and isinstance(records, Batch) and (columnar or entity in self._positions):
            position = self._positions_of(entity).get(key)
            if position is not None:
                found = idx[key] = records.row(position)
        return found

    def _positions_of(self, entity: str) -> dict[Any, int]:
        """Primary key -> position of ``entity``'s records, built once."""
        positions = self._positions.get(entity)
        if positions is None:
            pk = self._specs[entity].primary_key
            positions = {k: i for i, k in enumerate(column_of(self._records.get(entity, ()), pk))}
            self._positions[entity] = positions
        return positions

    def values(self, entity: str, field: str, keys: Iterable[Any]) -> list[Any]:
        """``field`` of the ``entity`` records whose primary keys are ``keys`` (None for a key
        it does not hold), read from the columns: no record is built (a rule's parent look-ups
        for a whole column of keys at once)."""
        positions = self._positions_of(entity)
        column = column_of(self._records.get(entity, ()), field)
        return [None if p is None else column[p] for p in map(positions.get, keys)]

    def count(self, entity: str) -> int:
        """How many records of ``entity`` the index holds (during a run: the block's; in
        ``datagen validate``: the whole dataset's, while rules see it a chunk at a time)."""
        return len(self._records.get(entity, ()))

    def find(self, entity: str, field: str, value: Any) -> list[Record]:
        """Every record of ``entity`` whose ``field`` equals ``value`` (not None), in order;
        the field is indexed on first use."""
        cache_key = (entity, field)
        where = self._where.get(cache_key)
        records = self._records.get(entity, ())
        if where is None:
            where = {}
            for i, v in enumerate(column_of(records, field)):
                if v is not None:
                    where.setdefault(v, []).append(i)
            self._where[cache_key] = where
        if isinstance(records, Batch) and not records.rows_built:
            return [records.row(i) for i in where.get(value, ())]
        return [records[i] for i in where.get(value, ())]

    def keys(self, entity: str, field: str | None = None) -> set[Any]:
        """Every value of ``field`` (default: the primary key) among ``entity``'s records."""
        spec = self._specs[entity]
        name = field or spec.primary_key
        cache_key = (entity, name)
        found = self._keys.get(cache_key)
        if found is None:
            found = set(column_of(self._records.get(entity, ()), name))
            self._keys[cache_key] = found
        return found
