"""The ``postgres`` sink: one table per entity, loaded with COPY in one transaction.

Atomicity: the whole run is one transaction. ``open`` creates or checks the tables (and
truncates them with ``if_exists=truncate``), batches stream in through COPY from a loader
thread while the next blocks are generated, ``flush`` waits until the database has counted
every row written so far (those counts are what the run summary reports), and only
``close(ok=True)`` commits. A failed or interrupted run rolls back: the tables are exactly as
they were before it (a truncate rerun that fails keeps the previous data). If the commit
itself fails, the rows counted earlier are reported as failed, not acknowledged.

Bulk loading: tables the run creates get their keys and indexes after the load (``ddl``), and
tables it creates or truncates are loaded with ``COPY ... (FREEZE)`` (their rows are written
frozen, so PostgreSQL never rewrites those pages to set hint bits or to freeze them).

Sink tasks (``parallel_tasks``: an executor such as ``dask`` writes from its processes): the
engine's own task is the coordinator. It refuses a server without prepared transactions
(``max_prepared_transactions = 0``) and ``if_exists=upsert``, creates, checks and truncates the
tables and drops the foreign keys of the run's tables in a setup transaction it commits at
once, then writes the global entities. Each task loads its blocks over its own connection in
one transaction and ends it with ``PREPARE TRANSACTION 'datagen-RUN-ROUTE-TASK-ID-ROWS'``
(two-phase commit). The coordinator's ``close`` prepares its own transaction too and, if the
run succeeded and the prepared transactions of the run hold every row the tasks acknowledged,
commits them all (``COMMIT PREPARED``) and then adds the keys, foreign keys and indexes;
otherwise it rolls every one back (``ROLLBACK PREPARED``), drops the tables the run created
and puts the foreign keys back. A run killed between the two leaves prepared transactions:
``SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'datagen-%'`` lists them.

Resumable mode (``datagen run --resumable`` or ``--resume``, ``SinkContext.resume``): the
setup (create, truncate, a row of ``_datagen_runs`` recording the run) is committed when the
sink opens, and every block is committed in a transaction of its own together with its row of
``_datagen_blocks`` (run key, route, phase, block, rows), so a block is in the tables exactly
when its mark is. The keys, foreign keys and indexes a first load defers are recorded with
the run and added by the close that completes it, which also sets ``finished_at``. A failed
run keeps its committed blocks; ``--resume`` reads the marks (``resume_state``) and loads the
others. Sink tasks in executor processes (``--executor dask``) are not resumable.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import re
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from datagen_kernel.api import (
    EncodedBatch,
    EntitySpec,
    Option,
    ResumeContext,
    ResumeState,
    RunRecord,
    Sink,
    SinkContext,
    SinkError,
)
from datagen_plugin_postgres.connection import check_url, connect, default_url, safe_url, where
from datagen_plugin_postgres.ddl import COLUMNS_QUERY, TableDdl, qualified, quote, shape_problems, split_ddl
from datagen_plugin_postgres.encoding import BINARY_HEADER, BINARY_TRAILER, ColumnPlan, column_plans
from datagen_plugin_postgres.serializer import CopyBinarySerializer, CopyTextSerializer
from datagen_plugin_postgres.watchdog import Watchdog

if TYPE_CHECKING:
    import psycopg

MODES = ("fail", "truncate", "append", "upsert")
LOCK_TIMEOUT_S = 60
ANSWER_GRACE_S = 2.0
"""A server that has not answered ``statement_timeout_s`` + this many seconds after a request is
given up on (its own statement timeout would have answered by then, had it been running)."""
GID_PREFIX = "datagen-"
"""Prepared transactions of sink tasks are named ``datagen-RUN-ROUTE-TASK-ID-ROWS``."""
RUNS_TABLE = "_datagen_runs"
BLOCKS_TABLE = "_datagen_blocks"
"""Resumable mode: the runs recorded in a schema, and the blocks each committed (block -1: the
global entities)."""
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def _check_schema(value: str) -> str | None:
    if not _IDENT.match(value) or len(value.encode()) > 63:
        return "expected a schema name: letters, digits and underscores, at most 63 bytes"
    return None


class _Commit:
    """A loader job of resumable mode: mark ``block`` of ``phase`` committed, and commit."""

    def __init__(self, phase: str, block: int | None) -> None:
        self.phase = phase
        self.block = block


_REJECTED = "\x00rejected"
"""Suffix of a buffer name holding an entity's rejected rows (``<table>_rejected``)."""


def _copy_text(text: str) -> bytes:
    """``text`` as one field of a COPY text row."""
    escaped = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return escaped.encode("utf-8")


class PostgresSink(Sink):
    """PostgreSQL tables loaded with COPY; see the module docstring for atomicity."""

    name = "postgres"
    doc = "PostgreSQL tables (one per entity), loaded with COPY in one transaction."
    serializer_name = CopyBinarySerializer.name
    serializers = (CopyBinarySerializer.name, CopyTextSerializer.name)
    message_keys = False
    phase_barrier = False
    parallel_tasks = True
    resumable = True
    labelled_apart = True
    """Records a transform labelled (e.g. poison pills) go to ``<table>_rejected`` with their label
    as ``reason``, without trying the insert."""
    """Tasks in executor processes each load over their own connection and prepare their
    transaction; the coordinator (the engine's own task) commits them all or none."""
    """No reader sees a row before the commit, and every batch of COPY statements goes parents
    first (a block's parents are written before its events), so foreign keys hold even in
    existing tables without writing all masters first: each block is generated once."""
    options = (
        Option("url", "str", default_url,
               "PostgreSQL URL (postgresql://user:password@host:port/db); default $DATAGEN_POSTGRES_URL, "
               "else the local stack's postgresql://postgres:postgres@localhost:5432/datagen.",
               secret=True, validator=check_url),
        Option("schema", "str", "public", "Schema holding the tables (created if missing and create_tables).",
               validator=_check_schema),
        Option("if_exists", "choice", "fail",
               "When a table already holds rows: fail (refuse), truncate (replace its rows), append (add; "
               "a key already present is an error), upsert (insert or update by primary key).",
               choices=MODES),
        Option("batch_size", "int", 50_000, "Rows buffered per COPY statement (all tables together).",
               minimum=1, maximum=10_000_000),
        Option("create_tables", "bool", True, "Create missing schema, tables, keys and indexes."),
        Option("connect_timeout", "int", 10, "Seconds to wait for the server before giving up.",
               minimum=1, maximum=3600),
        Option("copy_format", "choice", "binary",
               "COPY format: binary (less work for the server) or text.", choices=("binary", "text")),
        Option("statement_timeout_s", "float", 600.0,
               "Seconds one statement (a COPY of a batch, the commit, a key or index) may take: the server "
               f"cancels it then (statement_timeout), and a server that answers nothing (frozen, hung host) "
               f"is given up on {ANSWER_GRACE_S:g} s later; the run fails and nothing is committed.",
               minimum=1, maximum=86_400),
    )

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.schema: str = self.config["schema"]
        self.mode: str = self.config["if_exists"]
        self.format: str = self.config["copy_format"]
        self._plans: dict[str, list[ColumnPlan]] = {}
        self._conn: psycopg.Connection[Any] | None = None
        self._specs: dict[str, EntitySpec] = {}
        self._deferred: dict[str, TableDdl] = {}
        self._restore: list[str] = []
        self._buffers: dict[str, list[bytes]] = {}
        self._buffered: Counter[str] = Counter()
        self._buffered_rows = 0
        self._loaded: Counter[str] = Counter()
        self._acked: Counter[str] = Counter()
        self._jobs: queue.Queue[list[tuple[str, list[bytes], int]] | _Commit | None] = queue.Queue(maxsize=4)
        self._loader: threading.Thread | None = None
        self._error: SinkError | None = None
        self._copy_sql: dict[str, str] = {}
        self._upsert_sql: dict[str, tuple[str, str]] = {}
        self._role = "single"
        self._run_id = ""
        self._task = 0
        self._route_key = ""
        self._watchdog = Watchdog(float(self.config["statement_timeout_s"]) + ANSWER_GRACE_S)
        self._route = ""
        self._resume: ResumeContext | None = None
        self._committed: Counter[str] = Counter()  # resumable mode: rows of committed blocks
        self._uncommitted: Counter[str] = Counter()
        self._finish_sql = ""
        self._rejected_ready: set[str] = set()

    @classmethod
    def default_serializer(cls, config: Mapping[str, Any]) -> str:
        """``copy_format`` names the COPY format: binary, or text."""
        return CopyTextSerializer.name if config.get("copy_format") == "text" else CopyBinarySerializer.name

    def _column_plans(self, entity: EntitySpec) -> list[ColumnPlan]:
        plans = self._plans.get(entity.name)
        if plans is None:
            plans = self._plans[entity.name] = column_plans(entity)
        return plans

    # -- open: connect, create or check tables --------------------------------------------------
    def open(self, context: SinkContext) -> None:
        import psycopg

        self._specs = dict(context.entities)
        if isinstance(context.serializer, CopyBinarySerializer):  # the route's (pgcopy-*) decides the format
            self.format = context.serializer.copy_format
        self._role = context.role
        self._run_id = context.run_id or uuid.uuid4().hex
        self._route_key = hashlib.sha256(context.route.encode()).hexdigest()[:8]  # a run may have 2 routes
        self._task = context.task
        self._route = context.route
        self._resume = context.resume
        if self._resume is not None and self._role != "single":
            raise SinkError("resumable runs (--resumable, --resume) cannot be loaded by sink tasks in executor "
                            "processes (--executor dask)", hint="use --executor local (its --workers are fine)")
        if self._role != "single" and self.mode == "upsert":
            raise SinkError("if_exists=upsert cannot be loaded by sink tasks in executor processes (its staging "
                            "tables are temporary, which a prepared transaction cannot hold)",
                            hint="use --executor local for upserts, or if_exists=truncate or append")
        self._conn = connect(self.config["url"], self.config["connect_timeout"])
        try:
            with self._watchdog.guard(self._conn, "preparing the tables"):
                if self._role == "task":
                    self._prepare_task()
                elif self._resume is not None and self._resume.started:
                    self._prepare_resumed(self._resume)
                    self._conn.commit()
                else:
                    if self._role == "coordinator":
                        self._check_two_phase()
                    self._prepare()
                    if self._resume is not None:
                        self._record_run(self._resume)
                    if self._role == "coordinator" or self._resume is not None:
                        self._conn.commit()  # the tasks' connections must see the tables, unlocked
        except psycopg.Error as exc:
            self._abandon()
            raise self._db_error(exc, "preparing the tables") from None
        except SinkError:
            self._abandon()
            raise
        self._loader = threading.Thread(target=self._load_loop, name="datagen-postgres-loader", daemon=True)
        self._loader.start()

    def _prepare(self) -> None:
        conn = self._conn
        assert conn is not None
        schema = self.schema
        create = self.config["create_tables"]
        conn.execute("SET client_min_messages = warning")
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")  # a table locked elsewhere: an error, not a hang
        conn.execute(f"SET statement_timeout = '{int(self.config['statement_timeout_s'] * 1000)}ms'")
        columns: dict[str, list[tuple[Any, ...]]] = {}
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is None:
            if not create:
                raise SinkError(f"schema {schema!r} does not exist in {self._where()}",
                                hint="create it, or drop -o postgres.create_tables=false to let the sink create it")
            conn.execute(f"CREATE SCHEMA {quote(schema)}")  # a new schema holds no tables yet
        else:
            wanted = [spec.table_name for spec in self._specs.values()]
            for row in conn.execute(COLUMNS_QUERY, (schema, wanted)).fetchall():
                columns.setdefault(row[0], []).append(row[1:])
        existing: list[str] = []
        problems: list[str] = []
        for name, spec in self._specs.items():
            table = spec.table_name
            rows = columns.get(table, [])
            if rows:
                existing.append(name)
                found = shape_problems(spec, rows)
                if found:
                    problems.append(f"{schema}.{table} (entity {name}): " + "; ".join(found))
            elif not create:
                problems.append(f"{schema}.{table} (entity {name}) does not exist")
        if problems:
            missing_only = all(p.endswith("does not exist") for p in problems)
            raise SinkError(
                "existing tables do not match the entities: " + " | ".join(problems),
                hint=("create them (datagen schemas export --format sql DIR prints the DDL) or drop "
                      "-o postgres.create_tables=false") if missing_only else
                ("the expected DDL is what `datagen schemas export --format sql DIR` prints; drop or migrate "
                 "these tables, or load into another -o postgres.schema"),
            )
        for name in existing:
            self._check_mode(name)
        if self.mode == "truncate" and existing:
            tables = ", ".join(qualified(schema, self._specs[n].table_name) for n in existing)
            conn.execute(f"TRUNCATE {tables} CASCADE")
        if self.mode == "truncate":  # rejected rows of an earlier run (labelled_apart)
            rejected = [s.table_name + "_rejected" for s in self._specs.values()]
            found = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                                 "AND table_name = ANY(%s)", (schema, rejected)).fetchall()
            if found:
                conn.execute(f"TRUNCATE {', '.join(qualified(schema, row[0]) for row in found)}")
        if existing and (self.mode == "truncate" or self._role == "coordinator"):
            # tasks: a parent row may sit in another task's transaction until the common commit
            self._suspend_foreign_keys([self._specs[n].table_name for n in existing])
        for name, spec in self._specs.items():
            if name not in existing:
                self._deferred[name] = split_ddl(spec, self._specs, schema)
        if self._deferred:  # one round trip, parents first
            conn.execute("\n".join(d.create for d in self._deferred.values()))
        self._copy_statements(set(existing))

    def _copy_statements(self, existing: set[str]) -> None:
        """The COPY statement of each table (and the staging of upserts into existing ones)."""
        conn = self._conn
        assert conn is not None
        schema = self.schema
        for name, spec in self._specs.items():
            plans = self._column_plans(spec)
            cols = ", ".join(quote(p.name) for p in plans)
            target = qualified(schema, spec.table_name)
            # FREEZE: rows of a table created or truncated in this transaction are written
            # frozen (no later hint-bit writes or freezing vacuum); no one else can see them first
            fresh = ((name not in existing or self.mode == "truncate") and self._role == "single"
                     and self._resume is None)  # FREEZE: only in the transaction that created or truncated
            options = (["FORMAT BINARY"] if self.format == "binary" else []) + (["FREEZE"] if fresh else [])
            fmt = f" ({', '.join(options)})" if options else ""
            if self.mode == "upsert" and name in existing:
                stage = quote(f"datagen_stage_{spec.table_name}")
                on_commit = "DROP" if self._resume is None else "DELETE ROWS"  # resumable: a commit per block
                conn.execute(f"CREATE TEMP TABLE {stage} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT {on_commit}")
                updates = ", ".join(f"{quote(p.name)} = EXCLUDED.{quote(p.name)}" for p in plans
                                    if p.name != spec.primary_key)
                action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
                self._copy_sql[name] = f"COPY {stage} ({cols}) FROM STDIN{fmt}"
                self._upsert_sql[name] = (
                    f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} "
                    f"ON CONFLICT ({quote(spec.primary_key)}) {action}",
                    f"TRUNCATE {stage}",
                )
            else:
                self._copy_sql[name] = f"COPY {target} ({cols}) FROM STDIN{fmt}"
            self._buffers[name] = []

    # -- resumable mode ---------------------------------------------------------------------------
    def resume_state(self, context: SinkContext) -> ResumeState:
        """The runs ``_datagen_runs`` of the schema records for this route, and the blocks of
        ``context.resume``'s run in ``_datagen_blocks``."""
        import psycopg

        assert context.resume is not None
        where = f"table {self.schema}.{RUNS_TABLE} of {self._where()}"
        conn = connect(self.config["url"], self.config["connect_timeout"])
        try:
            runs = qualified(self.schema, RUNS_TABLE)
            if conn.execute("SELECT to_regclass(%s)", (runs,)).fetchone() in (None, (None,)):
                return ResumeState(where=where)
            records = [
                RunRecord(key, params, finished is not None, str(started), "" if finished is None else str(finished))
                for key, params, started, finished in conn.execute(
                    f"SELECT run_key, params, started_at, finished_at FROM {runs} WHERE route = %s "
                    "ORDER BY started_at DESC", (context.route,)).fetchall()
            ]
            run = next((r for r in records if r.key == context.resume.key), None)
            committed: set[tuple[str, int | None]] = set()
            if run is not None:
                for phase, block in conn.execute(
                        f"SELECT phase, block FROM {qualified(self.schema, BLOCKS_TABLE)} "
                        "WHERE run_key = %s AND route = %s", (run.key, context.route)).fetchall():
                    committed.add((phase, None if block < 0 else block))
            latest = next((r for r in records if not r.complete), None)
            return ResumeState(run, committed, latest, where)
        except psycopg.Error as exc:
            raise self._db_error(exc, "reading the state of resumable runs") from None
        finally:
            conn.close()

    def _record_run(self, resume: ResumeContext) -> None:
        """A new resumable run: its row of ``_datagen_runs`` (and no block yet), in the setup."""
        from psycopg.types.json import Jsonb

        conn = self._conn
        assert conn is not None
        self._create_state_tables()
        self._finish_sql = "\n".join(self._after_load())
        runs, blocks = qualified(self.schema, RUNS_TABLE), qualified(self.schema, BLOCKS_TABLE)
        conn.execute(f"DELETE FROM {blocks} WHERE run_key = %s AND route = %s", (resume.key, self._route))
        conn.execute(
            f"INSERT INTO {runs} (run_key, route, params, finish_sql) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (run_key, route) DO UPDATE SET params = EXCLUDED.params, finish_sql = EXCLUDED.finish_sql, "
            "started_at = now(), finished_at = NULL",
            (resume.key, self._route, Jsonb(dict(resume.params)), self._finish_sql))

    def _create_state_tables(self) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {qualified(self.schema, RUNS_TABLE)} (run_key text NOT NULL, "
            "route text NOT NULL, params jsonb NOT NULL, finish_sql text NOT NULL DEFAULT '', "
            "started_at timestamptz NOT NULL DEFAULT clock_timestamp(), finished_at timestamptz, "
            "PRIMARY KEY (run_key, route));\n"
            f"CREATE TABLE IF NOT EXISTS {qualified(self.schema, BLOCKS_TABLE)} (run_key text NOT NULL, "
            "route text NOT NULL, phase text NOT NULL, block integer NOT NULL, rows bigint NOT NULL, "
            "committed_at timestamptz NOT NULL DEFAULT clock_timestamp(), "
            "PRIMARY KEY (run_key, route, phase, block))")

    def _prepare_resumed(self, resume: ResumeContext) -> None:
        """``--resume`` of a run an earlier attempt began: its tables are there, keep their rows."""
        conn = self._conn
        assert conn is not None
        conn.execute("SET client_min_messages = warning")
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")
        conn.execute(f"SET statement_timeout = '{int(self.config['statement_timeout_s'] * 1000)}ms'")
        row = conn.execute(f"SELECT finish_sql FROM {qualified(self.schema, RUNS_TABLE)} "
                           "WHERE run_key = %s AND route = %s", (resume.key, self._route)).fetchone()
        if row is None:
            raise SinkError(f"the record of run {resume.key} in {self.schema}.{RUNS_TABLE} vanished while resuming")
        self._finish_sql = str(row[0])
        self._copy_statements(set(self._specs))

    def _commit_block(self, mark: _Commit) -> None:
        """Loader thread, resumable mode: the block's mark, then commit the block's rows with it."""
        conn = self._conn
        assert conn is not None and self._resume is not None
        rows = sum(self._uncommitted.values())
        conn.execute(f"INSERT INTO {qualified(self.schema, BLOCKS_TABLE)} (run_key, route, phase, block, rows) "
                     "VALUES (%s, %s, %s, %s, %s)",
                     (self._resume.key, self._route, mark.phase, -1 if mark.block is None else mark.block, rows))
        conn.commit()
        self._committed.update(self._uncommitted)
        self._uncommitted.clear()

    def end_block(self, phase: str, block: int | None) -> None:
        """Resumable mode: the block's rows and its mark are committed together (by the loader)."""
        if self._resume is None or self._conn is None:
            return
        self._raise_loader_error()
        self._dispatch()
        self._put(_Commit(phase, block))

    def _check_two_phase(self) -> None:
        conn = self._conn
        assert conn is not None
        row = conn.execute("SELECT current_setting('max_prepared_transactions')::int").fetchone()
        if row is None or row[0] < 1:
            raise SinkError(
                f"the PostgreSQL server of {self._where()} has max_prepared_transactions = 0: sink tasks in "
                "executor processes need prepared transactions (two-phase commit) to commit all or nothing",
                hint="set max_prepared_transactions (e.g. 64, at least the executor's worker threads + 1) in "
                "postgresql.conf and restart the server, or use --executor local",
            )

    def _prepare_task(self) -> None:
        """A sink task: the coordinator created and checked the tables; COPY statements only."""
        conn = self._conn
        assert conn is not None
        conn.execute("SET client_min_messages = warning")
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")
        conn.execute(f"SET statement_timeout = '{int(self.config['statement_timeout_s'] * 1000)}ms'")
        for name, spec in self._specs.items():
            cols = ", ".join(quote(p.name) for p in self._column_plans(spec))
            fmt = " (FORMAT BINARY)" if self.format == "binary" else ""
            self._copy_sql[name] = f"COPY {qualified(self.schema, spec.table_name)} ({cols}) FROM STDIN{fmt}"
            self._buffers[name] = []

    def _suspend_foreign_keys(self, tables: list[str]) -> None:
        """Drop the foreign keys of tables just truncated; ``close`` adds them back as they were.

        Bulk-load practice for tables that are empty in this transaction: one join per key
        after the load instead of a lookup (and a lock on the parent row) per loaded row. Each
        key is re-added with its own name and ``pg_get_constraintdef`` (actions, deferrability,
        NOT VALID kept), before the commit: a failed run rolls the drop back with the rest.
        """
        conn = self._conn
        assert conn is not None
        found = conn.execute(
            "SELECT format('ALTER TABLE %%I.%%I DROP CONSTRAINT %%I', n.nspname, t.relname, c.conname), "
            "format('ALTER TABLE %%I.%%I ADD CONSTRAINT %%I %%s;', n.nspname, t.relname, c.conname, "
            "pg_get_constraintdef(c.oid)), "
            "CASE WHEN obj_description(c.oid, 'pg_constraint') IS NOT NULL THEN "
            "format('COMMENT ON CONSTRAINT %%I ON %%I.%%I IS %%L;', c.conname, n.nspname, t.relname, "
            "obj_description(c.oid, 'pg_constraint')) END "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE c.contype = 'f' AND n.nspname = %s AND t.relname = ANY(%s) ORDER BY t.relname, c.conname",
            (self.schema, tables),
        ).fetchall()
        for drop, add, comment in found:
            conn.execute(drop)
            self._restore.append(add)
            if comment is not None:
                self._restore.append(comment)

    def _check_mode(self, name: str) -> None:
        conn = self._conn
        assert conn is not None
        spec = self._specs[name]
        target = qualified(self.schema, spec.table_name)
        if self.mode == "fail":
            if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {target})").fetchone() == (True,):
                raise SinkError(
                    f"table {self.schema}.{spec.table_name} already holds rows and if_exists=fail",
                    hint="choose -o postgres.if_exists=truncate (replace), upsert (insert or update by key) or "
                    "append, or load into another -o postgres.schema",
                )
        elif self.mode == "upsert":
            unique = conn.execute(
                "SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                "WHERE i.indrelid = %s::regclass AND i.indisunique AND i.indnkeyatts = 1 AND a.attname = %s",
                (target, spec.primary_key),
            ).fetchone()
            if unique is None:
                raise SinkError(
                    f"table {self.schema}.{spec.table_name} has no primary key or unique index on "
                    f"{spec.primary_key}, which if_exists=upsert needs",
                    hint=f"ALTER TABLE {target} ADD PRIMARY KEY ({quote(spec.primary_key)}); or use if_exists=truncate",
                )

    # -- write: buffer, hand batches to the loader thread -------------------------------------
    def write(self, batch: EncodedBatch) -> None:
        self._raise_loader_error()
        if not batch.count:
            return
        if batch.labelled:
            self._reject(batch)
            return
        self._buffers[batch.entity].append(batch.payload.data)
        self._buffered[batch.entity] += batch.count
        self._buffered_rows += batch.count
        if self._buffered_rows >= self.config["batch_size"]:
            self._dispatch()

    def _reject(self, batch: EncodedBatch) -> None:
        """Labelled records (``Sink.labelled_apart``): COPY text rows ``reason, record`` for
        ``<table>_rejected``, loaded with the entity's next job."""
        labels = batch.labels or {}
        rows = []
        for i, value in enumerate(batch.payload.tolist()):
            reason = labels.get(i, "labelled")
            rows.append(_copy_text(reason) + b"\t" + _copy_text(value.decode("utf-8")) + b"\n")
        name = batch.entity + _REJECTED
        self._buffers.setdefault(name, []).append(b"".join(rows))
        self._buffered[name] += batch.count
        self._buffered_rows += batch.count
        if self._buffered_rows >= self.config["batch_size"]:
            self._dispatch()

    def _dispatch(self) -> None:
        """Queue every buffered table, parents first (so existing foreign keys always hold), then
        the rejected rows."""
        names = [*self._specs, *(n + _REJECTED for n in self._specs)]
        job = [(name, self._buffers[name], self._buffered[name]) for name in names if self._buffered[name]]
        for name, _, _ in job:
            self._buffers[name] = []
            self._buffered[name] = 0
        self._buffered_rows = 0
        if job:
            self._put(job)

    def _put(self, job: list[tuple[str, list[bytes], int]] | _Commit | None) -> None:
        while True:
            if self._error is not None and job is not None:
                self._raise_loader_error()
            try:
                self._jobs.put(job, timeout=0.5)
                return
            except queue.Full:
                if self._loader is None or not self._loader.is_alive():
                    self._raise_loader_error()
                    raise SinkError("the PostgreSQL loader thread stopped unexpectedly") from None

    def flush(self) -> None:
        """Wait until the database has counted every row written so far; acknowledge them."""
        self._dispatch()
        self._jobs.join()
        self._raise_loader_error()
        loaded = self._loaded if self._resume is None else self._committed  # resumable: once committed
        for name in self._specs:  # the coordinator's stats also hold what its tasks acknowledged
            counted = loaded[name] - self._acked[name]
            if counted:
                self._acked[name] += counted
                self.stats.ack(name, counted)

    # -- loader thread ----------------------------------------------------------------------------
    def _load_loop(self) -> None:
        import psycopg

        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    with self._watchdog.guard(self._conn, "loading"):
                        if isinstance(job, _Commit):
                            self._commit_block(job)
                        else:
                            self._load(job)
            except psycopg.Error as exc:
                self._error = self._db_error(exc, "loading")
            except SinkError as exc:
                self._error = exc
            except BaseException as exc:  # reported to the main thread, never lost
                self._error = SinkError(f"PostgreSQL load failed: {type(exc).__name__}: {exc}")
            finally:
                self._jobs.task_done()

    def _load(self, job: list[tuple[str, list[bytes], int]]) -> None:
        conn = self._conn
        assert conn is not None
        binary = self.format == "binary"
        with conn.cursor() as cur:
            for name, payloads, count in job:
                if name.endswith(_REJECTED):
                    self._load_rejected(cur, name[: -len(_REJECTED)], payloads, count)
                    continue
                with cur.copy(self._copy_sql[name]) as copy:
                    if binary:
                        copy.write(BINARY_HEADER)
                    for payload in payloads:
                        copy.write(payload)
                    if binary:
                        copy.write(BINARY_TRAILER)
                copied = cur.rowcount
                if name in self._upsert_sql:
                    merge, clear = self._upsert_sql[name]
                    cur.execute(merge)
                    copied = cur.rowcount
                    cur.execute(clear)
                if copied != count:
                    raise SinkError(
                        f"PostgreSQL counted {copied} rows for {self._table(name)} where {count} were sent"
                    )
                self._loaded[name] += copied
                if self._resume is not None:
                    self._uncommitted[name] += copied

    def _load_rejected(self, cur: Any, name: str, payloads: list[bytes], count: int) -> None:
        table = qualified(self.schema, self._specs[name].table_name + "_rejected")
        if name not in self._rejected_ready:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {table} (reason text NOT NULL, record jsonb NOT NULL)")
            self._rejected_ready.add(name)
        with cur.copy(f"COPY {table} (reason, record) FROM STDIN") as copy:
            for payload in payloads:
                copy.write(payload)
        if cur.rowcount != count:
            raise SinkError(f"PostgreSQL counted {cur.rowcount} rows for {table} where {count} were sent")
        self._loaded[name] += count

    # -- close: finish the tables and commit, or roll back -------------------------------------
    def close(self, ok: bool) -> None:
        import psycopg

        if self._loader is not None:
            if not ok and self._resume is None:  # resumable: the blocks queued whole still commit
                self._error = self._error or SinkError("run failed")
            if self._loader.is_alive():
                self._put(None)
            self._loader.join()
            self._loader = None
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        if self._role == "task":
            self._close_task(conn, ok)
            return
        if self._role == "coordinator":
            self._close_coordinator(conn, ok)
            return
        if self._resume is not None:
            self._close_resumable(conn, ok)
            return
        try:
            if not ok or self._error is not None:
                with contextlib.suppress(psycopg.Error), self._watchdog.guard(conn, "rolling back"):
                    conn.rollback()  # a lost connection has rolled back already
                if ok and self._error is not None:
                    self._unacknowledge(str(self._error))
                    raise self._error
                self._unacknowledge(None)  # rolled back: what earlier flushes counted is not kept
                return
            try:
                deferred = list(self._deferred.values())
                statements = [d.primary_key for d in deferred] + [s for d in deferred for s in d.foreign_keys] \
                    + [s for d in deferred for s in d.indexes] + self._restore
                for statement in statements:  # keys first (foreign keys need their parent's key)
                    with self._watchdog.guard(conn, "adding keys and indexes"):
                        conn.execute(statement)
                with self._watchdog.guard(conn, "committing"):
                    conn.commit()
            except psycopg.Error as exc:
                error = self._db_error(exc, "committing")
                self._unacknowledge(str(error))
                raise error from None
        finally:
            conn.close()

    # -- sink tasks: two-phase commit -----------------------------------------------------------
    def _gid(self, task: str, rows: int) -> str:
        return f"{self._gid_prefix()}{task}-{uuid.uuid4().hex[:8]}-{rows}"

    def _gid_prefix(self) -> str:
        return f"{GID_PREFIX}{self._run_id}-{self._route_key}-"

    def _close_task(self, conn: psycopg.Connection[Any], ok: bool) -> None:
        """Prepare this task's transaction (the coordinator commits it), or roll it back."""
        import psycopg
        from psycopg import sql

        try:
            rows = sum(self._loaded.values())
            if not ok or self._error is not None or not rows:
                with contextlib.suppress(psycopg.Error):
                    conn.rollback()
                if ok and self._error is not None:
                    self._unacknowledge(str(self._error))
                    raise self._error
                return
            gid = self._gid(f"{self._task}", rows)
            try:
                conn.execute(sql.SQL("PREPARE TRANSACTION {}").format(sql.Literal(gid)))
            except psycopg.Error as exc:
                error = self._db_error(exc, "preparing a sink task's transaction")
                self._unacknowledge(str(error))
                raise error from None
        finally:
            conn.close()

    def _prepared(self, conn: psycopg.Connection[Any]) -> list[str]:
        found = conn.execute(
            "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND starts_with(gid, %s) "
            "ORDER BY gid", (self._gid_prefix(),)).fetchall()
        return [str(row[0]) for row in found]

    def _close_coordinator(self, conn: psycopg.Connection[Any], ok: bool) -> None:
        """Commit every prepared transaction of the run and add the keys, or roll all back."""
        import psycopg
        from psycopg import sql

        failure: SinkError | None = self._error
        if ok and failure is None and any(self.stats.failed.values()):
            failure = SinkError("a sink task failed; nothing was committed")
        try:
            own = sum(self._loaded.values())
            if ok and failure is None and own:
                try:
                    conn.execute(sql.SQL("PREPARE TRANSACTION {}").format(sql.Literal(self._gid("c", own))))
                except psycopg.Error as exc:
                    failure = self._db_error(exc, "preparing the run's own transaction")
            else:
                with contextlib.suppress(psycopg.Error):
                    conn.rollback()
            conn.autocommit = True
            gids = self._prepared(conn)
            prepared_rows = sum(int(gid.rsplit("-", 1)[1]) for gid in gids)
            acknowledged = sum(self.stats.acknowledged.values())
            if ok and failure is None and prepared_rows != acknowledged:
                failure = SinkError(
                    f"the prepared transactions of the run hold {prepared_rows} rows where the sink tasks "
                    f"acknowledged {acknowledged} (a task's transaction was lost with its process); "
                    "nothing was committed", hint="rerun with the same --seed")
            if not ok or failure is not None:
                for gid in gids:
                    with contextlib.suppress(psycopg.Error):
                        conn.execute(sql.SQL("ROLLBACK PREPARED {}").format(sql.Literal(gid)))
                self._undo_setup(conn)
                if ok and failure is not None:
                    self._unacknowledge(str(failure))
                    raise failure
                self._unacknowledge(None)
                return
            try:
                for gid in gids:
                    conn.execute(sql.SQL("COMMIT PREPARED {}").format(sql.Literal(gid)))
            except psycopg.Error as exc:
                error = self._db_error(exc, "committing the prepared transactions")
                self._unacknowledge(str(error))
                raise SinkError(f"{error.message.removesuffix('; nothing was committed')}; the prepared "
                                f"transactions not committed yet are still there: {gids}",
                                hint="SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'datagen-%'; then "
                                "COMMIT PREPARED or ROLLBACK PREPARED each") from None
            statements = self._after_load()
            if statements:
                try:
                    with conn.transaction():
                        conn.execute("\n".join(statements))
                except psycopg.Error as exc:
                    raise SinkError(f"the rows are committed, but adding the keys, foreign keys and indexes "
                                    f"failed: {self._db_error(exc, 'adding keys').message}") from None
        finally:
            conn.close()

    def _close_resumable(self, conn: psycopg.Connection[Any], ok: bool) -> None:
        """Resumable mode: the committed blocks stay; a successful run adds what the first load
        deferred (keys, foreign keys, indexes) and is marked complete, in one transaction."""
        import psycopg

        try:
            with contextlib.suppress(psycopg.Error), self._watchdog.guard(conn, "rolling back"):
                conn.rollback()  # what the last, unfinished block sent
            self.flush_committed()
            if not ok or self._error is not None:
                if ok and self._error is not None:
                    raise self._error
                return
            try:
                with self._watchdog.guard(conn, "completing the run"):
                    if self._finish_sql:
                        conn.execute(self._finish_sql)
                    assert self._resume is not None
                    conn.execute(f"UPDATE {qualified(self.schema, RUNS_TABLE)} SET finished_at = clock_timestamp(), "
                                 "finish_sql = '' WHERE run_key = %s AND route = %s", (self._resume.key, self._route))
                    conn.commit()
            except psycopg.Error as exc:
                raise SinkError(f"every block is committed, but completing the run (keys, foreign keys, indexes) "
                                f"failed: {self._db_error(exc, 'completing the run').message}",
                                hint="fix the cause and run the same command with --resume to complete it") from None
        finally:
            conn.close()

    def flush_committed(self) -> None:
        """Acknowledge the rows of every block committed so far (resumable mode)."""
        for name in self._specs:
            counted = self._committed[name] - self._acked[name]
            if counted > 0:
                self._acked[name] += counted
                self.stats.ack(name, counted)

    def _after_load(self) -> list[str]:
        deferred = list(self._deferred.values())
        return [d.primary_key for d in deferred] + [s for d in deferred for s in d.foreign_keys] \
            + [s for d in deferred for s in d.indexes] + self._restore

    def _undo_setup(self, conn: psycopg.Connection[Any]) -> None:
        """After a failed run with sink tasks: drop the tables it created, restore its foreign keys."""
        import psycopg

        created = [qualified(self.schema, self._specs[name].table_name) for name in self._deferred]
        for statements in ([f"DROP TABLE IF EXISTS {', '.join(created)} CASCADE"] if created else [], self._restore):
            if statements:
                with contextlib.suppress(psycopg.Error), conn.transaction():
                    conn.execute("\n".join(statements))

    def _unacknowledge(self, reason: str | None) -> None:
        for name, n in list(self.stats.acknowledged.items()):
            if n:
                self.stats.acknowledged[name] = 0
                self.stats.fail(name, n, reason)

    def _abandon(self) -> None:
        import psycopg

        if self._conn is not None:
            try:
                with contextlib.suppress(psycopg.Error):
                    self._conn.rollback()
            finally:
                self._conn.close()
                self._conn = None

    # -- errors ---------------------------------------------------------------------------------
    def _raise_loader_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _where(self) -> str:
        from datagen_plugin_postgres.connection import conninfo

        params = conninfo(self.config["url"])
        return f"database {params.get('dbname') or params.get('user') or 'postgres'!r} at {where(params)}"

    def _table(self, name: str) -> str:
        return f"{self.schema}.{self._specs[name].table_name}"

    def _db_error(self, exc: Exception, doing: str) -> SinkError:
        """One line for a database error, with what to do about the common ones."""
        from psycopg import errors

        limit = self.config["statement_timeout_s"]
        kept = "nothing was committed" if self._resume is None else (
            f"the blocks committed before stay committed ({self.schema}.{BLOCKS_TABLE}): "
            "run the same command with --resume to load the others")
        if self._watchdog.fired is not None:
            return SinkError(
                f"PostgreSQL at {self._where()} answered nothing for {self._watchdog.limit:g} s while "
                f"{self._watchdog.fired} (a frozen or hung server?); the run stops and {kept}",
                hint=f"check the server; a statement may take up to -o postgres.statement_timeout_s={limit:g} s")
        if isinstance(exc, errors.QueryCanceled) and "statement timeout" in str(exc):
            return SinkError(
                f"a statement ran longer than {limit:g} s while {doing} (statement_timeout); {kept}",
                hint="raise -o postgres.statement_timeout_s for very large loads, or check the server's load")

        diag = getattr(exc, "diag", None)
        primary = (getattr(diag, "message_primary", None) or str(exc)).strip().splitlines()[0]
        detail = getattr(diag, "message_detail", None)
        table = getattr(diag, "table_name", None)
        text = primary + (f" ({detail})" if detail else "")
        user = self._user()
        if self._resume is not None:
            return self._resumable_error(exc, doing, text)
        if isinstance(exc, errors.InsufficientPrivilege):
            return SinkError(
                f"PostgreSQL user {user!r} lacks a privilege while {doing} in schema {self.schema!r}: {text}",
                hint=f"grant it, e.g. GRANT USAGE, CREATE ON SCHEMA {quote(self.schema)} TO {quote(user)}; "
                f"GRANT SELECT, INSERT, UPDATE, TRUNCATE ON ALL TABLES IN SCHEMA {quote(self.schema)} TO "
                f"{quote(user)}; or connect as another user",
            )
        if isinstance(exc, errors.UniqueViolation) and self.mode == "append":
            where_ = f"{self.schema}.{table}" if table else f"schema {self.schema}"
            return SinkError(
                f"if_exists=append: {where_} already holds a row with the same key: {text}; nothing was committed",
                hint="use -o postgres.if_exists=upsert (insert or update by key) or truncate (replace the rows)",
            )
        if isinstance(exc, errors.ForeignKeyViolation):
            return SinkError(
                f"a foreign key does not hold while {doing}: {text}; nothing was committed",
                hint="load parents and children in the same run (e.g. --sink postgres), or truncate the tables",
            )
        if isinstance(exc, errors.LockNotAvailable | errors.QueryCanceled):
            return SinkError(
                f"PostgreSQL gave up while {doing}: {text}; nothing was committed",
                hint=f"another session has held the tables for over {LOCK_TIMEOUT_S}s (see pg_stat_activity); "
                "finish or cancel it and rerun",
            )
        lost = isinstance(exc, errors.AdminShutdown | errors.CrashShutdown | errors.CannotConnectNow) or (
            isinstance(exc, errors.OperationalError | errors.InterfaceError) and not getattr(exc, "sqlstate", None))
        if lost:
            return SinkError(f"lost the connection to PostgreSQL while {doing}: {text}; nothing was committed",
                             hint="check the server, then rerun with the same --seed")
        return SinkError(f"PostgreSQL error while {doing}: {text}; nothing was committed")

    def _resumable_error(self, exc: Exception, doing: str, text: str) -> SinkError:
        """Resumable mode: the blocks committed so far stay; say so, and how to go on."""
        from psycopg import errors

        lost = isinstance(exc, errors.AdminShutdown | errors.CrashShutdown | errors.CannotConnectNow) or (
            isinstance(exc, errors.OperationalError | errors.InterfaceError) and not getattr(exc, "sqlstate", None))
        what = "lost the connection to PostgreSQL" if lost else "PostgreSQL error"
        return SinkError(f"{what} while {doing}: {text}; the blocks committed before stay committed "
                         f"({self.schema}.{BLOCKS_TABLE})",
                         hint="fix the cause, then run the same command with --resume to load the other blocks")

    def _user(self) -> str:
        from datagen_plugin_postgres.connection import conninfo

        return str(conninfo(self.config["url"]).get("user") or "postgres")


__all__ = ["MODES", "PostgresSink", "safe_url"]
