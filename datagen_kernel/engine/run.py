"""Executing a plan: generate blocks, validate, transform, encode, deliver, summarize.

The root range is cut into blocks (``seeding.BLOCK_SIZE`` roots each). Each block is
processed independently, in this process or in a worker process (``--workers``); the main
process writes the encoded batches to the sinks strictly in block order, so the output is
the same whatever the number of workers. Two phases: masters and references first (every
sink flushed), then events, whose generation re-derives the masters it needs.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import shutil
import tempfile
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import Any

from datagen_kernel.api.columnar import as_rows
from datagen_kernel.api.domain import timezone_name
from datagen_kernel.api.errors import DatagenError, DeliveryError, PluginError, SinkError, ValidationFailed
from datagen_kernel.api.records import Record, Records
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import EncodedBatch, PlacedPayload, Sink, SinkContext
from datagen_kernel.api.summary import RunSummary, SummaryRow
from datagen_kernel.api.transforms import TransformContext
from datagen_kernel.engine.placement import Ledger, Stream, place
from datagen_kernel.engine.plan import PHASES, SINGLE_PASS, Plan
from datagen_kernel.engine.plugins import PluginHost
from datagen_kernel.engine.validation import run_rules

BlockOutput = list[tuple[int, EncodedBatch]]
ProgressFn = Callable[[str, str, int], None]
"""Called with (phase, entity, records) as batches are delivered."""






class _Failure:
    """An error raised in a worker, carried back by value (exceptions may not pickle)."""

    def __init__(self, exc: BaseException) -> None:
        self.kind = type(exc).__name__
        self.message = str(exc)
        self.is_datagen = isinstance(exc, DatagenError)
        self.trace = traceback.format_exc()

    def raise_(self) -> None:
        cls: type[DatagenError] = {
            "ValidationFailed": ValidationFailed,
            "PluginError": PluginError,
        }.get(self.kind, DatagenError)
        if self.is_datagen:
            raise cls(self.message)
        raise PluginError(f"a generator or transform failed in a worker: {self.kind}: {self.message}\n{self.trace}")


class BlockProcessor:
    """Generates, validates, transforms and encodes one block; pure given the plan."""

    def __init__(self, plan: Plan, sinks: list[Sink], globals_: dict[str, Records]) -> None:
        self.plan = plan
        self.sinks = sinks
        self.globals = globals_

    def process(self, phase: str, block: int | None) -> BlockOutput:
        """Encoded batches of everything ``phase`` emits for ``block`` (None: global entities)."""
        out: BlockOutput = []
        for name, recs in self.prepared(phase, block):
            out.extend(self.encode(name, recs))
        return out

    def prepared(self, phase: str, block: int | None) -> list[tuple[str, Records]]:
        """Validated, transformed records of each entity ``phase`` emits for ``block``."""
        plan = self.plan
        records: dict[str, Records] = dict(self.globals)
        names = plan.global_entities() if block is None else plan.block_entities(phase)
        out: list[tuple[str, Records]] = []
        for name in names:
            if block is not None:
                recs = plan.generators[name](plan.context(name, block, records))
                records[name] = recs
            else:
                recs = records[name]
            if name in plan.emitted and phase in (plan.phase_of(name), SINGLE_PASS):
                self.validate(name, recs, records)
                out.append((name, self.transform(name, block, recs)))
        return out

    def validate(self, name: str, recs: Records, records: dict[str, Records]) -> None:
        plan = self.plan
        spec = plan.generated_specs.get(name, plan.specs[name])
        violations = run_rules(spec, recs, plan.rules[name], RecordIndex(plan.generated_specs, records),
                               sample_schema=True)
        if violations:
            shown = "; ".join(str(v) for v in violations[:5])
            more = f" (and {len(violations) - 5} more)" if len(violations) > 5 else ""
            raise ValidationFailed(
                f"generated data broke {len(violations)} rule(s): {shown}{more}",
                hint="this is a bug in the generator of the plugin providing it; run with --debug and report it",
            )

    def transform(self, name: str, block: int | None, recs: Records) -> Records:
        plan = self.plan
        spec = plan.specs[name]
        for transform, options in plan.transforms:
            if transform.entities is None or name in transform.entities:
                ctx = TransformContext(plan.run, transform.name, block, options)
                try:
                    recs = transform.apply(spec, as_rows(recs), ctx)
                except DatagenError:
                    raise
                except Exception as exc:
                    raise PluginError(
                        f"transform {transform.name!r} failed on {name!r} in block {block}: "
                        f"{type(exc).__name__}: {exc}",
                        hint="this is a bug in the plugin providing it; rerun with --debug for the traceback",
                    ) from exc
        return recs

    def encode(self, name: str, recs: Records, routes: list[int] | None = None) -> BlockOutput:
        plan = self.plan
        spec = plan.specs[name]
        out: BlockOutput = []
        size = plan.params.batch_size
        for index in plan.emitted[name] if routes is None else routes:
            sink = self.sinks[index]
            for i in range(0, len(recs), size):
                out.append((index, sink.encode(spec, recs[i : i + size])))
        return out


_WORKER: BlockProcessor | None = None
_LEDGER: Ledger | None = None
_SPILL_DIR: str | None = None
_SPILL_ABOVE = 1 << 16
"""Payloads of more bytes than this leave a worker as a file in memory (``_Spilled``).

A large bytes payload sent back through the pool's pipe is pickled, copied through the pipe
in 64 KiB pieces, reassembled and unpickled, while the worker waits for the main process's
result thread. Written to a file in memory it is copied once each way. (Payloads a sink's
``append_file`` takes never come back at all: see ``placement``.)
"""


class _Spilled:
    """A worker's payload left in a file of ``_SPILL_DIR``; the main process reads it back."""

    __slots__ = ("path", "size")

    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.size = size

    def read(self) -> bytes:
        with open(self.path, "rb") as fh:
            data = fh.read()
        os.unlink(self.path)
        return data


def _spill(output: BlockOutput, task: tuple[str, int]) -> BlockOutput:
    if _SPILL_DIR is None:
        return output
    for n, (_, batch) in enumerate(output):
        payload = batch.payload
        if isinstance(payload, (bytes, bytearray)) and len(payload) > _SPILL_ABOVE:
            path = os.path.join(_SPILL_DIR, f"{task[0]}-{task[1]}-{n}")
            with open(path, "wb") as fh:
                fh.write(payload)
            batch.payload = _Spilled(path, len(payload))
    return output


_Task = tuple[str, int, dict[Stream, str]]
"""Phase, block, and the files the worker writes payloads into itself (``placement``)."""


def _work(task: _Task) -> BlockOutput | _Failure:
    assert _WORKER is not None
    phase, block, targets = task
    try:
        output = _WORKER.process(phase, block)
        if targets:
            assert _LEDGER is not None
            place(output, block, targets, _LEDGER)
        return _spill(output, (phase, block))
    except BaseException as exc:  # carried back to the main process
        return _Failure(exc)


def _announce(started: Any) -> None:
    """Pool initializer: tell the main process this worker's pid."""
    started.put(os.getpid())


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: fall back to whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _unspill(output: BlockOutput) -> BlockOutput:
    for _, batch in output:
        if isinstance(batch.payload, _Spilled):
            batch.payload = batch.payload.read()
    return output


@contextlib.contextmanager
def _spill_dir(workers: bool) -> Iterator[None]:
    """A private folder in ``/dev/shm`` for the workers' large payloads (none without it)."""
    global _SPILL_DIR
    if not workers or not os.path.isdir("/dev/shm") or not os.access("/dev/shm", os.W_OK):
        yield
        return
    _SPILL_DIR = tempfile.mkdtemp(prefix="datagen-", dir="/dev/shm")
    try:
        yield
    finally:
        shutil.rmtree(_SPILL_DIR, ignore_errors=True)
        _SPILL_DIR = None


class Engine:
    """Runs a plan against live sinks and returns the summary."""

    def __init__(self, host: PluginHost, plan: Plan, progress: ProgressFn | None = None) -> None:
        self.host = host
        self.plan = plan
        self.progress = progress or (lambda phase, entity, n: None)
        self.generated: list[Counter[str]] = [Counter() for _ in plan.routes]
        self._started: Any = None  # workers put their pid here as they start
        self._worker_pids: set[int] = set()

    def run(self) -> RunSummary:
        plan = self.plan
        summary = RunSummary(plan.run.seed, plan.run.as_of.isoformat(), plan.run.root_count, plan.params.workers,
                             timezone=timezone_name(plan.run.timezone))
        serializers = self._serializers()
        sinks = [r.sink_cls(r.config) for r in plan.routes]
        for sink, route in zip(sinks, plan.routes, strict=True):
            if route.sink_cls.serializer_name is not None:
                sink.serializer = serializers[route.sink_cls.serializer_name]
        start = time.perf_counter()
        globals_ = plan.generate_globals()
        processor = BlockProcessor(plan, sinks, globals_)
        phases = [p for p in self._phases(sinks) if plan.emitted_in(p)]
        # The global entities are checked and encoded here, before any worker is forked: the
        # workers inherit what that warms up (the serializers' tables) instead of each
        # building it again. They are written in their phase, once the sinks are open.
        encoded_globals = {
            phase: processor.process(phase, None)
            for phase in phases
            if not self._streams(phase) and any(plan.specs[n].scope.value == "global" for n in plan.emitted_in(phase))
        }
        # records are short-lived dicts made by the hundred thousand: the cyclic collector would
        # keep re-scanning them (and the plugins' long-lived pools) for cycles they never form.
        # Freeze what exists now and collect the young generation far less often.
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], 100_000), thresholds[1], thresholds[2])
        spill = contextlib.ExitStack()
        spill.enter_context(_spill_dir(plan.params.workers > 1 and plan.blocks > 1))
        pool = self._pool(processor)
        opened: list[Sink] = []
        ok = False
        try:
            for sink, route in zip(sinks, plan.routes, strict=True):
                entities = {n: plan.specs[n] for n in plan.specs if n in route.entities}
                sink.open(SinkContext(plan.run, entities, plan.specs, route.label))
                opened.append(sink)
            self.host.run_start(run=plan.run, entities=dict(plan.specs))
            for phase in phases:
                if self._streams(phase):
                    summary.stopped_by = self._stream(processor, sinks)
                    for sink in sinks:
                        sink.flush()
                    continue
                for output in self._outputs(phase, processor, pool, sinks, encoded_globals.get(phase)):
                    for index, batch in _unspill(output):
                        self.generated[index][batch.entity] += batch.count
                        payload = batch.payload
                        if isinstance(payload, PlacedPayload) and payload.error is not None:
                            sinks[index].stats.fail(batch.entity, batch.count, payload.error)
                        else:
                            sinks[index].write(batch)
                        self.progress(plan.phase_of(batch.entity), batch.entity, batch.count)
                for sink in sinks:
                    sink.flush()
            ok = True
        except KeyboardInterrupt:
            summary.interrupted = True
            summary.errors.append("interrupted")
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
            spill.close()
            close_errors: list[str] = []
            for sink in opened:
                try:
                    sink.close(ok and not self._has_failures(sinks))
                except DatagenError as exc:
                    close_errors.append(str(exc))
            for ser in serializers.values():
                ser.close()
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            summary.elapsed = time.perf_counter() - start
            summary.rows = self._rows(sinks, summary.elapsed)
            for sink, route in zip(sinks, plan.routes, strict=True):
                summary.errors.extend(f"{route.label}: {e}" for e in sink.stats.errors)
            summary.errors.extend(close_errors)
            # a lifecycle plugin must not hide the run's own outcome
            with contextlib.suppress(Exception):
                self.host.run_end(run=plan.run, summary=summary)
        return summary

    def _stream(self, processor: BlockProcessor, sinks: list[Sink]) -> str:
        """Release events at ``--rate`` until ``--duration`` passes or SIGINT/SIGTERM arrives."""
        from datagen_kernel.engine.stream import StopStreaming, TokenBucket, install_sigterm, stamp_now, stream_events

        plan = self.plan
        rate = plan.params.rate
        duration = plan.params.duration
        bucket = TokenBucket(rate)
        events = stream_events(plan, lambda block: processor.prepared("events", block))
        restore = install_sigterm()
        started = time.monotonic()
        reason = "duration"
        try:
            while duration is None or time.monotonic() - started < duration:
                n = min(bucket.available(), max(1, int(rate / 20)))
                if n <= 0:
                    time.sleep(min(0.02, bucket.wait_time()))
                    continue
                now_ms = int(time.time() * 1000)
                groups: dict[str, list[Record]] = {}
                taken = 0
                for name, record in events:
                    groups.setdefault(name, []).append(stamp_now(plan.specs[name], record, now_ms))
                    taken += 1
                    if taken >= n:
                        break
                if taken == 0:
                    reason = "exhausted"
                    break
                bucket.take(taken)
                for name, recs in groups.items():
                    for index, batch in processor.encode(name, recs):
                        self.generated[index][batch.entity] += batch.count
                        sinks[index].write(batch)
                        self.progress("events", batch.entity, batch.count)
        except (KeyboardInterrupt, StopStreaming) as exc:
            reason = "SIGTERM" if isinstance(exc, StopStreaming) else "SIGINT"
        finally:
            restore()
        return reason

    def _phases(self, sinks: list[Sink]) -> tuple[str, ...]:
        """The two phases, or one pass when no sink needs masters written before events.

        One pass generates each block once (the events phase would generate its masters
        again); the content of every destination is the same either way.
        """
        if self.plan.params.mode == "backfill" and not any(s.phase_barrier for s in sinks):
            return (SINGLE_PASS,)
        return PHASES

    def _has_failures(self, sinks: list[Sink]) -> bool:
        for index, sink in enumerate(sinks):
            if sink.stats.failed or sink.stats.acknowledged != self.generated[index]:
                # acknowledged may legitimately lag until flush; after flush it must match
                return True
        return False

    def _serializers(self) -> dict[str, Serializer]:
        out: dict[str, Serializer] = {}
        for name, (cls, config) in self.plan.serializers.items():
            ser = cls(config)
            ser.timezone = self.plan.run.timezone
            entities = [self.plan.specs[n] for n in self.plan.specs if n in self.plan.emitted]
            ser.open(entities)
            out[name] = ser
        return out

    def _pool(self, processor: BlockProcessor) -> Any:
        global _WORKER, _LEDGER
        _WORKER = processor
        _LEDGER = None
        if self.plan.params.workers <= 1 or self.plan.blocks <= 1:
            return None
        # shared with the workers, so made before they are forked
        _LEDGER = Ledger(self._block_streams(None), slots=self._window() + 2)
        ctx = multiprocessing.get_context("fork")
        self._started = ctx.SimpleQueue()
        return ctx.Pool(self.plan.params.workers, initializer=_announce, initargs=(self._started,))

    def _result(self, pending: Any) -> BlockOutput | _Failure:
        """Wait for a block's result, failing if a worker process ends under the run.

        A worker killed from outside (out of memory, a signal) takes its block with it: the
        pool would wait for that result forever, and so would the next block's worker in the
        ``Ledger``. Every second the wait checks that the workers are still there.
        """
        while True:
            try:
                result: BlockOutput | _Failure = pending.get(timeout=1.0)
                return result
            except multiprocessing.TimeoutError:
                pass
            while not self._started.empty():
                self._worker_pids.add(self._started.get())
            for pid in sorted(self._worker_pids):
                if not _alive(pid):
                    raise DatagenError(
                        f"worker process {pid} ended while the run was going (killed by a signal, "
                        "or out of memory?); its block is lost, so the run stops",
                        hint="the system log (dmesg) says why; if memory is short, rerun with fewer --workers",
                    )

    def _window(self) -> int:
        """Blocks in flight at most: when a destination is slower than generation, workers
        wait instead of piling finished blocks up in memory."""
        return 2 * self.plan.params.workers

    def _block_streams(self, phase: str | None) -> list[Stream]:
        """(route, entity) of what workers encode in ``phase`` (None: in any phase)."""
        plan = self.plan
        names = set(plan.emitted if phase is None else plan.emitted_in(phase))
        return [
            (index, name)
            for name in plan.specs
            if name in names and plan.specs[name].scope.value != "global"
            for index in plan.emitted[name]
        ]

    def _placement(self, phase: str, sinks: list[Sink]) -> dict[Stream, str]:
        """The files workers write ``phase``'s payloads into (``Sink.append_file``)."""
        targets: dict[Stream, str] = {}
        base: dict[Stream, int] = {}
        for index, name in self._block_streams(phase):
            where = sinks[index].append_file(name)
            if where is not None:
                targets[(index, name)], base[(index, name)] = where
        if targets:
            assert _LEDGER is not None
            _LEDGER.start(base)
        return targets

    def _streams(self, phase: str) -> bool:
        """Whether ``phase`` releases its records at a rate (``--stream``) rather than in blocks."""
        return phase == "events" and self.plan.params.mode == "stream"

    def _outputs(self, phase: str, processor: BlockProcessor, pool: Any, sinks: list[Sink],
                 encoded_globals: BlockOutput | None) -> Iterator[BlockOutput]:
        plan = self.plan
        if encoded_globals is not None:
            yield encoded_globals
        if not plan.block_entities(phase):
            return
        if pool is None:
            for block in range(plan.blocks):
                yield processor.process(phase, block)
            return
        targets = self._placement(phase, sinks)  # after the global entities are written
        tasks: list[_Task] = [(phase, b, targets) for b in range(plan.blocks)]
        window = self._window()
        pending: deque[Any] = deque()
        next_task = 0
        while pending or next_task < len(tasks):
            while next_task < len(tasks) and len(pending) < window:
                pending.append(pool.apply_async(_work, (tasks[next_task],)))
                next_task += 1
            result = self._result(pending.popleft())
            if isinstance(result, _Failure):
                result.raise_()
            else:
                yield result

    def _rows(self, sinks: list[Sink], elapsed: float) -> list[SummaryRow]:
        rows: list[SummaryRow] = []
        for index, (sink, route) in enumerate(zip(sinks, self.plan.routes, strict=True)):
            for name in self.plan.specs:
                if name not in route.entities:
                    continue
                gen = self.generated[index][name]
                ack = sink.stats.acknowledged[name]
                failed = max(sink.stats.failed[name], gen - ack)
                rows.append(SummaryRow(name, route.label, gen, ack, failed, ack / elapsed if elapsed else 0.0))
        return rows


def execute(host: PluginHost, plan: Plan, progress: ProgressFn | None = None) -> RunSummary:
    """Run ``plan``; raise ``DeliveryError`` after the run if anything was not acknowledged."""
    return Engine(host, plan, progress).run()


def check_delivered(summary: RunSummary) -> None:
    if summary.interrupted:
        return
    if summary.ok:
        return
    lost = summary.generated - summary.acknowledged
    detail = "; ".join(summary.errors[:3])
    raise DeliveryError(
        f"{lost:,} of {summary.generated:,} generated records were not acknowledged by their sink"
        + (f": {detail}" if detail else ""),
        hint="see the summary above; fix the destination and rerun with the same --seed",
    )


__all__ = ["Engine", "RunSummary", "SinkError", "SummaryRow", "check_delivered", "execute"]
