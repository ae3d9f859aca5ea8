"""The ``csv`` sink: one CSV file per entity, with a header row.

Nested records (an address) become ``<field>_<sub>`` columns, as in SQL. Decimals are exact
text (``1234.50``), timestamps ISO 8601 with offset, dates ``YYYY-MM-DD``, booleans
``true``/``false``. Files are written under a temporary name and renamed when the run
succeeds, so a failed run never leaves a file that looks complete.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from datagen_kernel import (
    EncodedBatch,
    EntitySpec,
    Option,
    Record,
    RecordType,
    Sink,
    SinkContext,
    SinkError,
    to_text_values,
)

DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


def columns(entity: EntitySpec) -> list[str]:
    """Column names of an entity: nested records flattened to ``<field>_<sub>``."""
    out: list[str] = []
    for f in entity.fields:
        if isinstance(f.type, RecordType):
            out.extend(f"{f.name}_{sub.name}" for sub in f.type.fields)
        else:
            out.append(f.name)
    return out


def _cell(value: Any, null: str) -> str:
    if value is None:
        return null
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def rows(entity: EntitySpec, records: Sequence[Record], null: str, tz: dt.tzinfo) -> list[list[str]]:
    """Records as CSV rows of text, in ``columns(entity)`` order."""
    out: list[list[str]] = []
    nested = {f.name: f.type.fields for f in entity.fields if isinstance(f.type, RecordType)}
    for record in to_text_values(entity, records, tz):
        row: list[str] = []
        for f in entity.fields:
            value = record[f.name]
            if f.name in nested:
                row.extend(_cell(None if value is None else value.get(sub.name), null) for sub in nested[f.name])
            else:
                row.append(_cell(value, null))
        out.append(row)
    return out


class CsvSink(Sink):
    """CSV files, one per entity (``<path>/<entity>.csv``)."""

    name = "csv"
    doc = "CSV files, one per entity, with a header row (no server needed)."
    serializer_name = None  # the sink renders its own text
    options = (
        Option("path", "path", "./datagen-out", "Folder the <entity>.csv files are written to."),
        Option("delimiter", "choice", "comma", "Field separator.", choices=tuple(DELIMITERS)),
        Option("header", "bool", True, "Write a header row with the column names."),
        Option("null", "str", "", "Text written for null values."),
        Option("utc", "bool", False, "Timestamps in UTC (Z) instead of the run's time zone."),
    )

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.dir = Path(self.config["path"])
        self.delimiter = DELIMITERS[self.config["delimiter"]]
        if self.delimiter in self.config["null"] or '"' in self.config["null"]:
            raise SinkError(f"csv sink: null text {self.config['null']!r} contains the delimiter or a quote",
                            hint="choose another -o csv.null")
        self._files: dict[str, IO[bytes]] = {}
        self._tmp: dict[str, Path] = {}
        self._pending: Counter[str] = Counter()

    def _render(self, table: list[list[str]]) -> bytes:
        buf = io.StringIO()
        csv.writer(buf, delimiter=self.delimiter, lineterminator="\n").writerows(table)
        return buf.getvalue().encode("utf-8")

    def encode(self, entity: EntitySpec, records: Sequence[Record]) -> EncodedBatch:
        # runs in the worker that generated the batch: all the text work happens here
        # self.run is the run, set by the engine in every process: its zone is the packs' (São Paulo
        # for the banking pack), and the text rendering is the kernel's own (to_text_values)
        tz = dt.UTC if self.config["utc"] else self.run.timezone
        payload = self._render(rows(entity, records, self.config["null"], tz))
        return EncodedBatch(entity.name, len(records), payload)

    def open(self, context: SinkContext) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SinkError(f"csv sink cannot create folder {str(self.dir)!r}: {exc.strerror}",
                            hint="choose another -o csv.path") from None
        for name, spec in context.entities.items():
            tmp = self.dir / f".{name}.csv.{os.getpid()}.partial"
            try:
                fh = open(tmp, "wb")  # noqa: SIM115 - closed in close()
            except OSError as exc:
                raise SinkError(f"csv sink cannot write {str(tmp)!r}: {exc.strerror}",
                                hint="check permissions or choose another -o csv.path") from None
            if self.config["header"]:
                fh.write(self._render([columns(spec)]))
            self._files[name] = fh
            self._tmp[name] = tmp

    def write(self, batch: EncodedBatch) -> None:
        try:
            self._files[batch.entity].write(batch.payload)
        except OSError as exc:
            self.stats.fail(batch.entity, batch.count, f"csv write failed: {exc.strerror}")
            return
        self._pending[batch.entity] += batch.count

    def flush(self) -> None:
        # a record counts as delivered once the operating system has it
        for name, fh in self._files.items():
            try:
                fh.flush()
            except OSError as exc:
                self.stats.fail(name, self._pending[name], f"csv flush failed: {exc.strerror}")
            else:
                self.stats.ack(name, self._pending[name])
            self._pending[name] = 0

    def close(self, ok: bool) -> None:
        errors: list[str] = []
        for name, fh in self._files.items():
            try:
                fh.close()
            except OSError as exc:
                errors.append(f"{self._tmp[name]}: {exc.strerror}")
        for name, tmp in self._tmp.items():
            if ok and not errors:
                os.replace(tmp, self.dir / f"{name}.csv")
            else:
                tmp.unlink(missing_ok=True)
        self._files.clear()
        self._tmp.clear()
        if errors:
            raise SinkError("csv sink could not finish its files: " + "; ".join(errors))
