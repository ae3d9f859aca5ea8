"""Running datagen under a fault, and reading back independently what each sink kept.

``start`` runs ``hooked_datagen.py run ...`` (the real command, with pause points) in its own
session against the fault stack; ``Run`` waits for its pause, lets it go, and collects its exit
status, output and summary. The readers count what a consumer of each destination finds: the
messages in the run's Kafka topics (read back with a read_committed consumer), the rows in its
PostgreSQL schema, the lines of its JSON files.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOOKED = Path(__file__).resolve().parent / "hooked_datagen.py"
SINKS = ("json", "kafka", "kafka-avro", "postgres")
DELIVERY_TIMEOUT_S = 5.0
STATEMENT_TIMEOUT_S = 2.0
CUSTOMERS = 200
"""One block: enough for every entity of the bank. Two workers need two blocks: ``CUSTOMERS_2``."""
CUSTOMERS_2 = 1000


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    summary: dict[str, Any] | None
    exited_at: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def acknowledged(self, sink: str | None = None) -> int:
        assert self.summary is not None, self.output
        return sum(r["acknowledged"] for r in self.summary["rows"] if sink is None or r["sink"] == sink)

    def generated(self, sink: str | None = None) -> int:
        assert self.summary is not None, self.output
        return sum(r["generated"] for r in self.summary["rows"] if sink is None or r["sink"] == sink)

    def per_entity(self, key: str, sink: str | None = None) -> dict[str, int]:
        assert self.summary is not None, self.output
        return {r["entity"]: r[key] for r in self.summary["rows"] if sink is None or r["sink"] == sink}


@dataclass
class Target:
    """Where one run writes: its JSON folder, Kafka topic prefix and PostgreSQL schema."""

    out: Path
    prefix: str = field(default_factory=lambda: f"f{uuid.uuid4().hex[:10]}.")
    schema: str = field(default_factory=lambda: f"f{uuid.uuid4().hex[:10]}")

    def topics(self, sink: str) -> str:
        """The topic prefix of a Kafka sink (each its own: a run may write both)."""
        return f"{self.prefix}{sink}."

    def sink_args(self, sink: str, delivery_timeout_s: float = DELIVERY_TIMEOUT_S) -> list[str]:
        if sink == "json":
            return ["--sink", "json", "-o", f"json.path={self.out}"]
        if sink in ("kafka", "kafka-avro"):
            return ["--sink", sink, "-o", f"{sink}.topic_prefix={self.topics(sink)}", "-o",
                    f"{sink}.delivery_timeout_s={delivery_timeout_s:g}", "-o", f"{sink}.partitions=1"]
        if sink == "postgres":
            return ["--sink", "postgres", "-o", f"postgres.schema={self.schema}", "-o",
                    f"postgres.statement_timeout_s={STATEMENT_TIMEOUT_S:g}"]
        raise ValueError(sink)


class Run:
    """One datagen process: its own session (Ctrl+C reaches its whole process group)."""

    def __init__(self, args: list[str], env: dict[str, str], folder: Path, file_size_limit: int | None = None,
                 **pause: Any) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.summary_path = folder / "summary.json"
        full_env = {**os.environ, **env, "FAULT_DIR": str(folder)}
        for key, value in pause.items():
            full_env[f"FAULT_{key.upper()}"] = str(value)
        self._out = open(folder / "stdout", "w+")  # noqa: SIM115 - closed in finish
        self._err = open(folder / "stderr", "w+")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, str(HOOKED), "run", "-q", "--summary-json", str(self.summary_path), *args],
            env=full_env, stdout=self._out, stderr=self._err, start_new_session=True,
            preexec_fn=None if file_size_limit is None else lambda: _limit_file_size(file_size_limit))
        self.pid = self.proc.pid

    def wait_for(self, name: str, timeout: float = 90) -> str:
        path = self.folder / name
        deadline = time.monotonic() + timeout
        while not path.exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"datagen exited ({self.proc.returncode}) before {name}:\n{self._text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {name} within {timeout} s:\n{self._text()}")
            time.sleep(0.02)
        return path.read_text()

    def wait_paused(self, timeout: float = 90) -> dict[str, Any]:
        info: dict[str, Any] = json.loads(self.wait_for("paused", timeout))
        return info

    def go(self) -> float:
        (self.folder / "go").touch()
        return time.monotonic()

    def signal(self, name: str) -> None:
        """SIGINT as a terminal's Ctrl+C sends it (the process group); SIGTERM to the main process
        only, as ``docker stop`` and ``kill`` do."""
        if name == "SIGINT":
            os.killpg(self.pid, signal.SIGINT)
        else:
            os.kill(self.pid, getattr(signal, name))

    def finish(self, timeout: float = 90) -> Result:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError(f"datagen did not exit within {timeout} s:\n{self._text()}") from None
        exited = time.monotonic()
        stdout, stderr = self._text(split=True)
        self._out.close()
        self._err.close()
        summary = json.loads(self.summary_path.read_text()) if self.summary_path.exists() else None
        return Result(rc, stdout, stderr, summary, exited)

    def _text(self, split: bool = False) -> Any:
        parts = []
        for fh in (self._out, self._err):
            fh.flush()
            fh.seek(0)
            parts.append(fh.read())
        return tuple(parts) if split else "\n".join(parts)


def _limit_file_size(size: int) -> None:
    """In the child: files larger than ``size`` bytes cannot be written (EFBIG, not SIGXFSZ)."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


@contextlib.contextmanager
def small_disk(path: Path, size: str, read_only: bool = False) -> Iterator[bool]:
    """A tmpfs of ``size`` mounted on ``path`` (True), or nothing (False) where mounting is not
    allowed (not root, no CAP_SYS_ADMIN): the caller then limits the file size instead."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True,
                          check=False) if os.geteuid() == 0 else None
    if done is None or done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def children(pid: int) -> list[int]:
    """Child processes of ``pid`` (the pool's workers of a datagen process)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def state_of(pid: int) -> tuple[str, str]:
    """(state letter, kernel wait channel) of a process; ("", "") when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        wchan = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return "", ""
    return stat.rsplit(")", 1)[1].split()[0], wchan


def session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes of session ``sid``: what a run left behind."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            left.append(int(entry.name))
    return left


# ----------------------------------------------------------------------------- independent readers


def kafka_counts(bootstrap: str, prefix: str, timeout: float = 30) -> dict[str, int]:
    """Messages in every topic named ``prefix*``, read back by a read_committed consumer."""
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = {name: md for name, md in admin.list_topics(timeout=timeout).topics.items() if name.startswith(prefix)}
    if not topics:
        return {}
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"faults-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "auto.offset.reset": "earliest"})
    try:
        parts = [TopicPartition(t, p, 0) for t, md in topics.items() for p in md.partitions]
        ends = {(tp.topic, tp.partition): _high_watermark(consumer, tp, timeout) for tp in parts}
        counts = dict.fromkeys(topics, 0)
        todo = {k for k, end in ends.items() if end > 0}
        consumer.assign([tp for tp in parts if (tp.topic, tp.partition) in todo])
        deadline = time.monotonic() + timeout
        while todo and time.monotonic() < deadline:
            for msg in consumer.consume(10_000, timeout=1.0):
                if msg.error() is not None:
                    continue
                key = (msg.topic(), msg.partition())
                counts[msg.topic()] += 1
                if msg.offset() + 1 >= ends[key]:
                    todo.discard(key)
            for key in list(todo):  # a transaction marker can end a partition: its position tells
                position = consumer.position([TopicPartition(*key)])[0].offset
                if position >= ends[key]:
                    todo.discard(key)
        assert not todo, f"could not read {sorted(todo)} to their end within {timeout} s"
        return counts
    finally:
        consumer.close()


def _high_watermark(consumer: Any, tp: Any, timeout: float) -> int:
    """The partition's end offset, asked again while its leader is still being elected (a new topic)."""
    from confluent_kafka import KafkaException

    deadline = time.monotonic() + timeout
    while True:
        try:
            return int(consumer.get_watermark_offsets(tp, timeout=timeout)[1])
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def pg_counts(url: str, schema: str) -> dict[str, int]:
    """Rows of every table of ``schema`` ({} when the schema does not exist)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, connect_timeout=10, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))]
        counts = {}
        for table in tables:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table))).fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts


def drop_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with contextlib.suppress(psycopg.Error), psycopg.connect(url, connect_timeout=10, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def json_counts(folder: Path) -> dict[str, int]:
    """Lines of every ``<entity>.jsonl`` in ``folder``, by entity."""
    if not folder.is_dir():
        return {}
    counts = {}
    for path in folder.glob("*.jsonl"):
        with open(path, "rb") as fh:
            counts[path.name.removesuffix(".jsonl")] = sum(1 for _ in fh)
    return counts


def partial_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.partial")) if folder.is_dir() else []


def found(sink: str, target: Target, env: dict[str, str]) -> int:
    """What an independent reader finds of a run in one sink, in total."""
    if sink == "json":
        return sum(json_counts(target.out).values())
    if sink in ("kafka", "kafka-avro"):
        return sum(kafka_counts(env["DATAGEN_KAFKA_BOOTSTRAP"], target.topics(sink)).values())
    if sink == "postgres":
        return sum(pg_counts(env["DATAGEN_POSTGRES_URL"], target.schema).values())
    raise ValueError(sink)
