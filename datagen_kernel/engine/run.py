"""Executing a plan: blocks through an executor, batches into sinks, a summary at the end.

The root range is cut into blocks (``seeding.BLOCK_SIZE`` roots each). The executor
(``--executor``, default ``local``) processes them (``blocks.BlockProcessor``: generate,
validate, transform, serialize per route) wherever it runs them and returns their results in
block order; this process writes each batch to its route's sink, so the output is the same
whatever the executor and the number of workers. Two phases: masters and references first
(every sink flushed), then events, whose generation re-derives the masters it needs.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections import Counter
from collections.abc import Callable, Mapping

from datagen_kernel.api.domain import timezone_name
from datagen_kernel.api.errors import DatagenError, DeliveryError, SinkError
from datagen_kernel.api.executors import BlockResult, Executor, TaskStats
from datagen_kernel.api.progress import PHASE_CLOSING, PHASE_STREAMING, ProgressTracker, RunShape
from datagen_kernel.api.records import Record, Records
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import Sink
from datagen_kernel.api.summary import RunSummary, SummaryRow
from datagen_kernel.api.transforms import Label
from datagen_kernel.engine import signals
from datagen_kernel.engine.blocks import (
    BlockProcessor,
    new_sinks,
    open_serializers,
    prepare_serializers,
    sink_context,
)
from datagen_kernel.engine.local import LocalExecutor
from datagen_kernel.engine.plan import PHASES, SINGLE_PASS, Plan
from datagen_kernel.engine.plugins import PluginHost
from datagen_kernel.engine.resume import BLOCK_HOOKS, ResumePlan, resume_plan
from datagen_kernel.engine.transforms import TransformCollector

ProgressFn = Callable[[str, str, int], None]
"""Called with (phase, entity, records) as batches are delivered."""


class Engine:
    """Runs a plan against live sinks and returns the summary."""

    def __init__(self, host: PluginHost, plan: Plan, progress: ProgressFn | None = None) -> None:
        self.host = host
        self.plan = plan
        # every run keeps a tracker: the summary's rates are over the time each entity was written
        self.tracker = progress if isinstance(progress, ProgressTracker) else ProgressTracker(progress)
        self.progress: ProgressFn = self.tracker
        self.generated: list[Counter[str]] = [Counter() for _ in plan.routes]
        self.resume: ResumePlan | None = None
        self.collector = TransformCollector(plan)

    def run(self) -> RunSummary:
        plan = self.plan
        summary = RunSummary(plan.run.seed, plan.run.as_of.isoformat(), plan.run.root_count, plan.params.workers,
                             timezone=timezone_name(plan.run.timezone))
        sinks = new_sinks(plan)
        route_serializers, serializers = open_serializers(plan, sinks, prepare=False)
        executor = self._executor()
        opened: list[Sink] = []
        ok = False
        thresholds = gc.get_threshold()
        start = time.perf_counter()  # from the first request to a server (the schema registry's)
        try:
            prepare_serializers(plan, sinks, route_serializers)
            processor = BlockProcessor(plan, sinks, route_serializers, plan.generate_globals())
            self.resume = resume_plan(self.host, plan, sinks, processor, summary)
            if self.resume is not None and self.resume.complete:
                ok = True
                return summary
            phases = [p for p in self._phases(sinks) if plan.emitted_in(p)]
            encoded_globals = self._encode_globals(processor, phases)
            self._calm_collector()
            executor.start(processor)  # before the sinks open: forked workers inherit no connection
            summary.workers = executor.workers  # an executor may size itself when --workers was not given
            coordinated = set(processor.task_routes()) if executor.sink_tasks else set()
            opened = self._open_sinks(sinks, route_serializers, coordinated, processor.run_id)
            self.tracker.begin(self._shape(phases, processor.run_id),
                               {route.label: sink.stats for sink, route in zip(sinks, plan.routes, strict=True)})
            self.host.run_start(run=plan.run, entities=dict(plan.specs))
            for phase in phases:
                self.tracker.phase_started(PHASE_STREAMING if self._streams(phase) else phase)
                if self._streams(phase):
                    summary.stopped_by = self._stream(processor, sinks)
                else:
                    self._backfill(phase, executor, sinks, encoded_globals.get(phase))
                self._merge(executor.flush_tasks(), sinks)  # the barrier holds for every task
                for sink in sinks:
                    sink.flush()
            ok = True
        except KeyboardInterrupt as exc:  # signals.Interrupted: SIGINT or SIGTERM, at a safe point
            summary.interrupted = True
            summary.stopped_by = getattr(exc, "signal", "SIGINT")
            summary.errors.append("interrupted")
        finally:
            self.tracker.phase_started(PHASE_CLOSING)
            settled = True
            try:
                self._merge(executor.close_tasks(ok and not self._has_failures(sinks)), sinks)
            except DatagenError as exc:
                summary.errors.append(str(exc))
                settled = False
            executor.close()
            # a route whose sink tasks did not all settle (or fell short) closes as failed
            close_errors = self._close(opened, sinks, serializers, ok and settled)
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            summary.elapsed = time.perf_counter() - start
            summary.rows = self._rows(sinks, summary.elapsed)
            self.tracker.finish(summary.interrupted)
            summary.sinks = {label: {"acknowledged": s.acknowledged, "failed": s.failed, "rate": round(s.rate, 1),
                                     "seconds": round(s.seconds, 3)}
                             for label, s in self.tracker.snapshot().sinks.items()}
            summary.delivery = {route.label: said for sink, route in zip(sinks, plan.routes, strict=True)
                                if (said := sink.delivery())}
            for sink, route in zip(sinks, plan.routes, strict=True):
                summary.errors.extend(f"{route.label}: {e}" for e in sink.stats.errors)
            summary.errors.extend(close_errors)
            summary.transforms = self.collector.finish(ok and summary.ok, summary.errors)
            # a lifecycle plugin must not hide the run's own outcome
            with contextlib.suppress(Exception):
                self.host.run_end(run=plan.run, summary=summary)
        return summary

    # -- the steps of run ----------------------------------------------------------------------
    def _executor(self) -> Executor:
        cls, config = self.plan.executor or (LocalExecutor, {})
        executor = cls(config, self.plan.params.workers)
        executor.workers_given = self.plan.params.workers_given
        return executor

    def _encode_globals(self, processor: BlockProcessor, phases: list[str]) -> dict[str, BlockResult]:
        """The global entities, checked and encoded before any worker is forked: the workers
        inherit what that warms up (the serializers' tables) instead of each building it again.
        They are written in their phase, once the sinks are open."""
        plan = self.plan
        return {
            phase: processor.process(phase, None)
            for phase in phases
            if not self._streams(phase) and any(plan.specs[n].scope.value == "global" for n in plan.emitted_in(phase))
        }

    @staticmethod
    def _calm_collector() -> None:
        """Records are short-lived dicts made by the hundred thousand: the cyclic collector would
        keep re-scanning them (and the plugins' long-lived pools) for cycles they never form.
        Freeze what exists now and collect the young generation far less often."""
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], 100_000), thresholds[1], thresholds[2])

    def _open_sinks(self, sinks: list[Sink], serializers: list[Serializer | None], coordinated: set[int],
                    run_id: str) -> list[Sink]:
        plan = self.plan
        opened: list[Sink] = []
        try:
            for index, (sink, ser) in enumerate(zip(sinks, serializers, strict=True)):
                role = "coordinator" if index in coordinated else "single"
                resume = self.resume.context_for(index) if self.resume is not None else None
                sink.open(sink_context(plan, index, ser, role=role, run_id=run_id, resume=resume))
                opened.append(sink)
        except BaseException:
            for sink in opened:
                with contextlib.suppress(Exception):
                    sink.close(False)
            raise
        return opened

    def _backfill(self, phase: str, executor: Executor, sinks: list[Sink], globals_: BlockResult | None) -> None:
        """Every block of ``phase`` through the executor, each batch into its sink, in block order."""
        plan = self.plan
        if globals_ is not None:
            self._deliver(globals_, sinks, phase)
            self._block_done(phase, None)
        if not plan.block_entities(phase):
            return
        blocks = range(plan.blocks) if self.resume is None else self.resume.blocks_to_run(plan, phase)
        for skipped in sorted(set(range(plan.blocks)) - set(blocks)):  # committed by an earlier attempt
            start, stop = plan.block_range(skipped)
            self.tracker.blocks_skipped(phase, stop - start)
        for result in executor.run(phase, blocks):
            self._deliver(result, sinks, phase)
            if result.block is not None:
                start, stop = plan.block_range(result.block)
                self.tracker.block_done(stop - start)
            self._block_done(phase, result.block)

    @staticmethod
    def _block_done(phase: str, block: int | None) -> None:
        for hook in BLOCK_HOOKS:
            hook(phase, block)

    def _deliver(self, result: BlockResult, sinks: list[Sink], phase: str) -> None:
        signals.check()  # between blocks: a signal stops the run here, never inside a sink's write
        plan = self.plan
        if result.side:
            self.collector.collect(result.side)
        for index, entity, count, reason in result.failures:
            self.generated[index][entity] += count
            sinks[index].stats.fail(entity, count, reason)
        for index, entity, count in result.written:  # taken by a sink task of the executor
            self.generated[index][entity] += count
            self.progress(plan.phase_of(entity), entity, count)
        framed = sorted({index for index, _ in result.batches})
        for index in framed:
            sinks[index].begin_block(phase, result.block)
        for index, batch in result.batches:
            self.generated[index][batch.entity] += batch.count
            sinks[index].write(batch)
            self.progress(plan.phase_of(batch.entity), batch.entity, batch.count)
        for index in framed:
            sinks[index].end_block(phase, result.block)

    @staticmethod
    def _merge(reports: list[TaskStats], sinks: list[Sink]) -> None:
        """What the executor's sink tasks acknowledged or failed, into each route's stats."""
        for index, stats in reports:
            target = sinks[index].stats
            target.acknowledged.update(stats.acknowledged)
            for entity, n in stats.failed.items():
                target.fail(entity, n)
            for reason in stats.errors:
                if len(target.errors) < 20 and reason not in target.errors:
                    target.errors.append(reason)

    def _close(self, opened: list[Sink], sinks: list[Sink], serializers: list[Serializer], ok: bool) -> list[str]:
        errors: list[str] = []
        for sink in opened:
            try:
                sink.close(ok and not self._has_failures(sinks))
            except DatagenError as exc:
                errors.append(str(exc))
        for ser in serializers:
            ser.close()
        return errors

    def _stream(self, processor: BlockProcessor, sinks: list[Sink]) -> str:
        """Release events at ``--rate`` until ``--duration`` passes or SIGINT/SIGTERM arrives."""
        from datagen_kernel.engine.stream import (
            StopStreaming,
            TokenBucket,
            install_sigterm,
            stamp_now,
            stream_clock,
            stream_events,
        )

        plan = self.plan
        rate = plan.params.rate
        duration = plan.params.duration
        replay = plan.params.stream_clock == "replay"
        clock = stream_clock()
        bucket = TokenBucket(rate, clock=clock.monotonic)
        def prepared(block: int) -> list[tuple[str, Records, Mapping[int, Label]]]:
            blocks = processor.prepared("events", block, time_ordered=True)
            return [(name, recs, processor.labels.of(recs)) for name, recs in blocks]

        events = stream_events(plan, prepared, epochs=1 if replay else None)
        restore = install_sigterm()
        started = clock.monotonic()
        reason = "duration"
        try:
            while duration is None or clock.monotonic() - started < duration:
                signals.check()
                n = min(bucket.available(), max(1, int(rate / 20)))
                if n <= 0:
                    clock.sleep(min(0.02, bucket.wait_time()))
                    continue
                now_ms = clock.time_ms()
                groups: dict[str, list[Record]] = {}
                labelled: dict[int, tuple[Record, Label]] = {}
                taken = 0
                for name, record, label, shift in events:
                    if not replay:  # stamped now; a late record keeps its lateness
                        record = stamp_now(plan.specs[name], record, now_ms + shift)
                    groups.setdefault(name, []).append(record)
                    if label is not None:
                        labelled[id(record)] = (record, label)
                    taken += 1
                    if taken >= n:
                        break
                if taken == 0:
                    reason = "exhausted"
                    break
                bucket.take(taken)
                processor.labels.remember(labelled)  # the transforms' labels of these records
                for name, recs in groups.items():
                    result = BlockResult(None, processor.encode(name, recs))
                    side = processor.labels.take_side()
                    if side:
                        result.side["transforms"] = side
                    self._deliver(result, sinks, "events")
                processor.labels.forget(labelled)
        except (KeyboardInterrupt, StopStreaming) as exc:
            reason = "SIGTERM" if isinstance(exc, StopStreaming) else getattr(exc, "signal", "SIGINT")
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

    def _shape(self, phases: list[str], run_id: str) -> RunShape:
        """What the progress tracker needs to know of the run (``api.progress``)."""
        plan = self.plan
        entities = {name: PHASE_STREAMING if self._streams(phase) else phase
                    for phase in phases for name in plan.emitted_in(phase)}
        return RunShape(
            run_id=run_id, root_count=plan.params.root_count,
            block_phases=tuple(p for p in phases if not self._streams(p) and plan.block_entities(p)),
            entities=entities, global_entities=frozenset(plan.global_entities()),
            routes={route.label: tuple(route.entities) for route in plan.routes},
            stream_rate=plan.params.rate if plan.params.mode == "stream" else None,
            stream_duration=plan.params.duration if plan.params.mode == "stream" else None,
            seed=plan.run.seed)

    def _has_failures(self, sinks: list[Sink]) -> bool:
        for index, sink in enumerate(sinks):
            if sink.stats.failed or sink.stats.acknowledged != self.generated[index]:
                # acknowledged may legitimately lag until flush; after flush it must match
                return True
        return False

    def _streams(self, phase: str) -> bool:
        """Whether ``phase`` releases its records at a rate (``--stream``) rather than in blocks."""
        return phase == "events" and self.plan.params.mode == "stream"

    def _rows(self, sinks: list[Sink], elapsed: float) -> list[SummaryRow]:
        rows: list[SummaryRow] = []
        for index, (sink, route) in enumerate(zip(sinks, self.plan.routes, strict=True)):
            for name in self.plan.specs:
                if name not in route.entities:
                    continue
                gen = self.generated[index][name]
                ack = sink.stats.acknowledged[name]
                failed = max(sink.stats.failed[name], gen - ack)
                seconds = self.tracker.entity_seconds(name)  # the time it was being written
                rows.append(SummaryRow(name, route.label, gen, ack, failed, ack / seconds if seconds else 0.0, seconds))
        return rows


def execute(host: PluginHost, plan: Plan, progress: ProgressFn | None = None) -> RunSummary:
    """Run ``plan``; raise ``DeliveryError`` after the run if anything was not acknowledged."""
    return Engine(host, plan, progress).run()


def check_delivered(summary: RunSummary, resumable: bool = False) -> None:
    """Raise ``DeliveryError`` unless every record was acknowledged; ``resumable``: the run can
    be resumed (the hint says so)."""
    if summary.interrupted:
        return
    if summary.ok:
        return
    lost = summary.generated - summary.acknowledged
    detail = "; ".join(summary.errors[:3])
    raise DeliveryError(
        f"{lost:,} of {summary.generated:,} generated records were not acknowledged by their sink"
        + (f": {detail}" if detail else ""),
        hint="see the summary above; fix the destination, then run the same command with --resume: the blocks "
        "committed are kept, the others written" if resumable else
        "see the summary above; fix the destination and rerun with the same --seed",
    )


__all__ = ["Engine", "RunSummary", "SinkError", "SummaryRow", "check_delivered", "execute"]
