"""A JSON Lines dataset read in bounded memory (``datagen validate``).

``datagen validate`` checks one entity at a time, a slice of records at a time
(``DatasetFiles.chunks``). Rules that look at parents (``Lookup.get``) and the foreign-key
check (``DatasetLookup.missing``) find them through ``DatasetLookup``: per entity an index of
64-bit key hashes and line offsets in numpy arrays (16 bytes a record, whatever its size), and
the records asked for read back from the file, the recent ones cached. A gzip file that parents
are read from is unpacked once into a temporary folder, where lines can be sought.
"""

from __future__ import annotations

import decimal
import gzip
import shutil
import tempfile
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import numpy as np
import orjson

from datagen_kernel.api.errors import UsageError
from datagen_kernel.api.records import Record
from datagen_kernel.api.schema import EntitySpec
from datagen_kernel.codecs.text import from_text_values

CHUNK = 10_000
"""Records checked together: rules see slices of about this many (as blocks during a run)."""

CACHE = 4_096
"""Parent records kept decoded per entity (rules mostly look up the same few parents in a row:
a slice of events sorted by account needs a few hundred accounts)."""


def dataset_file(directory: Path, entity: str) -> Path | None:
    """``<entity>.jsonl`` or ``<entity>.jsonl.gz`` in ``directory`` (None: neither)."""
    for candidate in (directory / f"{entity}.jsonl", directory / f"{entity}.jsonl.gz"):
        if candidate.exists():
            return candidate
    return None


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


_BAD_LINE = (orjson.JSONDecodeError, ValueError, TypeError, AttributeError, decimal.InvalidOperation)
"""What decoding a line that is not a record of its entity raises (e.g. a poisoned dataset's)."""

BadLineFn = Callable[[int, Any, str], None]
"""Called with the line number, the record's key when it can be read, and what was wrong."""


def _decode(path: Path, spec: EntitySpec, line: bytes) -> Record:
    try:
        return from_text_values(spec, orjson.loads(line))
    except _BAD_LINE as exc:
        raise UsageError(f"{path} is not valid datagen JSON Lines: {exc}") from None


def _bad_line(spec: EntitySpec, line: bytes, exc: BaseException) -> tuple[Any, str]:
    """The key of a line that does not decode (None when unreadable) and what is wrong with it."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None, f"not JSON: {exc}"
    key = data.get(spec.primary_key) if isinstance(data, dict) and spec.primary_key else None
    detail = str(exc) or type(exc).__name__
    return key, f"not a valid {spec.name} record: {detail}"


def chunks(path: Path, spec: EntitySpec, size: int = CHUNK, bad: BadLineFn | None = None) -> Iterator[list[Record]]:
    """The file's records in slices of about ``size``; consecutive records sharing the entity's
    ``key_field`` stay in one slice (a rule may follow one key's records in order, as it sees
    whole blocks during a run). A line that is not a record of ``spec`` stops the reading with
    one error, or, given ``bad``, is reported to it and left out."""
    key = spec.key_field
    chunk: list[Record] = []
    with _open(path) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            if bad is None:
                record = _decode(path, spec, line)
            else:
                try:
                    record = from_text_values(spec, orjson.loads(line))
                except _BAD_LINE as exc:
                    bad(number, *_bad_line(spec, line, exc))
                    continue
            if len(chunk) >= size and (key is None or record.get(key) != chunk[-1].get(key)):
                yield chunk
                chunk = []
            chunk.append(record)
    if chunk:
        yield chunk


class _Index:
    """One entity's file: the hash of each record's value of a field, sorted, with line offsets."""

    def __init__(self, path: Path, spec: EntitySpec, field: str) -> None:
        self.path, self.spec, self.field = path, spec, field
        hashes = array("q")  # 8 bytes a record while the file is read (a list would take 36)
        offsets = array("q")
        with open(path, "rb") as fh:
            position = 0
            for line in fh:
                if line.strip():
                    try:  # a line that is no record is reported when its entity is checked
                        value = from_text_values(spec, orjson.loads(line)).get(field)
                    except _BAD_LINE:
                        value = None
                    if value is not None:
                        hashes.append(hash(value))
                        offsets.append(position)
                position += len(line)
        keys = np.frombuffer(hashes, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self.hashes = keys[order]
        self.offsets = np.frombuffer(offsets, dtype=np.int64)[order]

    def has(self, values: Iterable[Any]) -> list[Any]:
        """Those of ``values`` (non-null) that no record holds (by hash: 64 bits)."""
        given = [v for v in values if v is not None]
        if not given or not len(self.hashes):
            return given
        wanted = np.fromiter((hash(v) for v in given), dtype=np.int64, count=len(given))
        at = np.searchsorted(self.hashes, wanted)
        found = (at < len(self.hashes)) & (self.hashes[np.minimum(at, len(self.hashes) - 1)] == wanted)
        return [v for v, ok in zip(given, found.tolist(), strict=True) if not ok]

    def offsets_of(self, value: Any) -> list[int]:
        h = hash(value)
        lo = int(np.searchsorted(self.hashes, h, side="left"))
        hi = int(np.searchsorted(self.hashes, h, side="right"))
        return [int(o) for o in self.offsets[lo:hi]]


class DatasetLookup:
    """``Lookup`` over the dataset's files without holding their records (see the module doc)."""

    def __init__(self, specs: Mapping[str, EntitySpec], files: Mapping[str, Path]) -> None:
        self._specs = specs
        self._files = dict(files)
        self._indexes: dict[tuple[str, str], _Index] = {}
        self._handles: dict[str, BinaryIO] = {}
        self._cache: dict[str, OrderedDict[Any, Record | None]] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def has_entity(self, entity: str) -> bool:
        return entity in self._files

    def _seekable(self, entity: str) -> Path:
        path = self._files[entity]
        if path.suffix != ".gz":
            return path
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="datagen-validate-")
        plain = Path(self._tmp.name) / path.stem
        if not plain.exists():
            with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        self._files[entity] = plain
        return plain

    def _index(self, entity: str, field: str) -> _Index:
        index = self._indexes.get((entity, field))
        if index is None:
            index = self._indexes[(entity, field)] = _Index(self._seekable(entity), self._specs[entity], field)
        return index

    def missing(self, entity: str, field: str, values: Iterable[Any]) -> list[Any]:
        """Those of ``values`` that no record of ``entity`` holds in ``field``."""
        return self._index(entity, field).has(values)

    def get(self, entity: str, key: Any) -> Record | None:
        if entity not in self._files or key is None:
            return None
        cache = self._cache.setdefault(entity, OrderedDict())
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        spec = self._specs[entity]
        index = self._index(entity, spec.primary_key)
        found: Record | None = None
        handle = self._handles.get(entity)
        if handle is None:
            handle = self._handles[entity] = open(index.path, "rb")  # noqa: SIM115
        for offset in index.offsets_of(key):
            handle.seek(offset)
            record = _decode(index.path, spec, handle.readline())
            if record.get(spec.primary_key) == key:
                found = record
                break
        cache[key] = found
        if len(cache) > CACHE:
            cache.popitem(last=False)
        return found

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


__all__ = ["CHUNK", "DatasetLookup", "chunks", "dataset_file"]
