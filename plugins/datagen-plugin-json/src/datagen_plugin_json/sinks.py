"""The ``json`` and ``console`` sinks."""

from __future__ import annotations

import gzip
import os
import sys
from collections import Counter
from pathlib import Path
from typing import IO, Any

import orjson

from datagen_kernel.api import EncodedBatch, Option, Sink, SinkContext, SinkError, Values


class JsonLinesSink(Sink):
    """One JSON Lines file per entity, renamed into place only when the run succeeds."""

    name = "json"
    doc = "JSON Lines files, one per entity (no server needed)."
    serializer_name = "json"
    serializers = ("json",)
    phase_barrier = False  # one file per entity, renamed into place only at the end
    message_keys = False
    append_files = True  # uncompressed: the executor may append payloads itself (file_for)
    options = (
        Option("path", "path", "./datagen-out", "Directory the <entity>.jsonl files are written to."),
        Option("gzip", "bool", False, "Compress files (<entity>.jsonl.gz)."),
        Option("compresslevel", "int", 6, "gzip compression level (1 fastest .. 9 smallest).",
               minimum=1, maximum=9),
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.dir = Path(self.config["path"])
        self._files: dict[str, IO[bytes]] = {}
        self._tmp: dict[str, Path] = {}
        self._final: dict[str, Path] = {}
        self._pending: Counter[str] = Counter()

    def open(self, context: SinkContext) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SinkError(f"json sink cannot create directory {str(self.dir)!r}: {exc.strerror}",
                            hint="choose another -o json.path") from None
        suffix = ".jsonl.gz" if self.config["gzip"] else ".jsonl"
        for name in context.entities:
            final = self.dir / f"{name}{suffix}"
            tmp = self.dir / f".{name}{suffix}.{os.getpid()}.partial"
            try:
                raw = open(tmp, "ab")  # noqa: SIM115 - closed in close(); appends: see file_for
            except OSError as exc:
                raise SinkError(f"json sink cannot write {str(tmp)!r}: {exc.strerror}",
                                hint="check permissions or choose another -o json.path") from None
            fh: IO[bytes] = raw
            if self.config["gzip"]:
                fh = gzip.GzipFile(filename=final.name[: -len(".gz")], mode="wb", fileobj=raw,
                                   compresslevel=self.config["compresslevel"], mtime=0)
            self._files[name] = fh
            self._tmp[name] = tmp
            self._final[name] = final

    def write(self, batch: EncodedBatch) -> None:
        if not batch.appended:  # else the executor appended it to file_for(entity) already
            try:
                self._files[batch.entity].write(_lines(batch.payload))
            except OSError as exc:
                self.stats.fail(batch.entity, batch.count, f"write failed: {exc.strerror}")
                return
        self._pending[batch.entity] += batch.count

    def file_for(self, entity: str) -> str | None:
        fh = self._files.get(entity)
        if fh is None or fh is not self._raw(fh):  # gzip: one stream, compressed here
            return None
        fh.flush()
        return str(self._tmp[entity])

    def flush(self) -> None:
        for name, fh in self._files.items():
            try:
                fh.flush()
            except OSError as exc:
                self.stats.fail(name, self._pending[name], f"flush failed: {exc.strerror}")
            else:
                self.stats.ack(name, self._pending[name])
            self._pending[name] = 0

    def close(self, ok: bool) -> None:
        errors: list[str] = []
        for name, fh in self._files.items():
            try:
                fh.close()
                if fh is not self._raw(fh):
                    self._raw(fh).close()
            except OSError as exc:
                errors.append(f"{self._tmp[name]}: {exc.strerror}")
        for name, tmp in self._tmp.items():
            if ok and not errors:
                os.replace(tmp, self._final[name])
            else:
                tmp.unlink(missing_ok=True)
        self._files.clear()
        if not ok or errors:  # the files are gone: nothing written is kept, so nothing stays acknowledged
            for name, n in list(self.stats.acknowledged.items()):
                if n:
                    self.stats.acknowledged[name] = 0
                    self.stats.fail(name, n)
        if errors:
            raise SinkError("json sink could not finish its files: " + "; ".join(errors))

    @staticmethod
    def _raw(fh: IO[bytes]) -> IO[bytes]:
        inner = getattr(fh, "fileobj", None)
        return inner if inner is not None else fh


def _lines(payload: Any) -> bytes:
    """JSON Lines of a payload: ``Values``, or what a kernel 1 subclass's ``encode`` made
    (the lines as ``bytes``, or a list of values)."""
    if isinstance(payload, Values):
        return payload.joined_lines()
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    return b"".join(value + b"\n" for value in payload)


class ConsoleSink(Sink):
    """Prints the first records of each entity; the rest are counted and skipped."""

    name = "console"
    doc = "Print the first records of each entity readably (previews)."
    serializer_name = "json"
    serializers = ("json",)
    message_keys = False
    options = (
        Option("limit", "int", 5, "Records printed per entity (0 = all); the rest are skipped.", minimum=0),
        Option("pretty", "bool", True, "Indent each record over several lines."),
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._shown: Counter[str] = Counter()
        self._out = sys.stdout

    def write(self, batch: EncodedBatch) -> None:
        limit = self.config["limit"]
        option = orjson.OPT_INDENT_2 if self.config["pretty"] else 0
        for value in batch.payload.tolist()[: limit or None]:
            if limit and self._shown[batch.entity] >= limit:
                break
            if self._shown[batch.entity] == 0:
                self._out.write(f"--- {batch.entity}\n")
            self._out.write(orjson.dumps(orjson.loads(value), option=option).decode("utf-8") + "\n")
            self._shown[batch.entity] += 1
        self._out.flush()
        self.stats.ack(batch.entity, batch.count)
