"""The executor seam: any executor that returns blocks in order gives the same bytes.

``ShuffledExecutor`` is a test executor: in-process, it processes each phase's blocks in a
shuffled order on purpose (and, with ``rebuild``, from a work rebuilt out of its pickled spec)
and hands the results back in block order. The contract is order-independent by construction,
so its files must be byte-identical to the ``local`` executor's.
"""

from __future__ import annotations

import multiprocessing
import pickle
import random
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import toy_pack
from click.testing import CliRunner
from toy_pack import read_dir

from datagen_kernel.api import (
    BlockResult,
    EncodedBatch,
    Executor,
    Option,
    Sink,
    SinkContext,
    SinkStats,
    TaskStats,
    Work,
    hookimpl,
)
from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.blocks import BlockProcessor, new_sinks, open_serializers
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import RunParams, build_plan
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host

ORDERS: list[list[int]] = []
"""The order ``ShuffledExecutor`` processed blocks in, per phase (what the tests check)."""


class ShuffledExecutor(Executor):
    """Test executor: processes blocks out of order, in this process; returns them in order."""

    name = "shuffled"
    doc = "Test executor: blocks processed in a shuffled order, in-process."
    options = (
        Option("seed", "int", 1, "Seed of the shuffle."),
        Option("rebuild", "bool", False, "Process blocks with a work rebuilt from its pickled spec."),
    )

    def start(self, work: Work) -> None:
        if self.config["rebuild"]:
            work = pickle.loads(pickle.dumps(work.spec)).rebuild()
        super().start(work)

    def run(self, phase: str, blocks: Sequence[int]) -> Iterator[BlockResult]:
        order = list(blocks)
        random.Random(self.config["seed"]).shuffle(order)
        ORDERS.append(order)
        done = {block: pickle.loads(pickle.dumps(self.work.process(phase, block))) for block in order}
        for block in blocks:
            yield done[block]


@hookimpl
def datagen_register_executors(register: Any) -> None:
    register(ShuffledExecutor)


SHUFFLED_PLUGIN = sys.modules[__name__]
"""This module is the plugin: a module can be imported again by name where a work is rebuilt."""


def _run(host: PluginHost, out: Path, *args: str) -> None:
    result = CliRunner().invoke(make_cli(lambda: host), ["run", "-q", "-o", f"json.path={out}", *args])
    assert result.exit_code == 0, result.output


@pytest.fixture
def shuffled_host(toy_host: PluginHost) -> PluginHost:
    toy_host.register(SHUFFLED_PLUGIN)
    return toy_host


def test_blocks_out_of_order_give_the_local_executors_bytes(shuffled_host: PluginHost, tmp_path: Path) -> None:
    ORDERS.clear()
    args = ["--customers", str(BLOCK_SIZE * 5 + 3), "--seed", "3", "--batch-size", "211"]
    _run(shuffled_host, tmp_path / "local", *args)
    _run(shuffled_host, tmp_path / "local2", *args, "--workers", "2")
    _run(shuffled_host, tmp_path / "shuffled", *args, "--executor", "shuffled")
    assert ORDERS and ORDERS[0] != sorted(ORDERS[0]), "the test executor did not shuffle"
    assert read_dir(tmp_path / "shuffled") == read_dir(tmp_path / "local") == read_dir(tmp_path / "local2") != {}


def test_a_work_rebuilt_from_its_pickled_spec_gives_the_same_bytes(shuffled_host: PluginHost, tmp_path: Path) -> None:
    args = ["--customers", str(BLOCK_SIZE * 2 + 1), "--seed", "8"]
    _run(shuffled_host, tmp_path / "local", *args)
    _run(shuffled_host, tmp_path / "rebuilt", *args, "--executor", "shuffled", "-o", "shuffled.rebuild=true")
    assert read_dir(tmp_path / "rebuilt") == read_dir(tmp_path / "local") != {}


def _process_in_a_fresh_interpreter(spec: Any, phase: str, block: int) -> Any:
    return spec.rebuild().process(phase, block)


def test_a_plan_is_rebuilt_in_a_process_that_did_not_fork_from_the_engine() -> None:
    import datagen_plugin_json.plugin as json_plugin

    host = make_plugin_host(entrypoints=False, plugins=[toy_pack, json_plugin])
    params = RunParams(root_count=BLOCK_SIZE + 9, seed=4, sinks=("json",))
    plan = build_plan(host, params, ConfigSources.build(environ={}))
    assert all(type(g).__name__ == "GuardedGenerator" for g in plan.generators.values())
    sinks = new_sinks(plan)
    serializers, _ = open_serializers(plan, sinks)
    work = BlockProcessor(plan, sinks, serializers, plan.generate_globals())
    here = work.process("all", 1)
    spawn = multiprocessing.get_context("spawn")  # a new interpreter: nothing inherited
    with spawn.Pool(1) as pool:
        there = pool.apply(_process_in_a_fresh_interpreter, (work.spec, "all", 1))
    def encoded(result: BlockResult) -> list[tuple[int, str, int, list[bytes]]]:
        return [(i, b.entity, b.count, b.payload.tolist()) for i, b in result.batches]

    assert encoded(there) == encoded(here)
    assert here.batches and all(b.count > 0 and b.payload.tolist() for _, b in here.batches)


def test_executors_are_listed_and_an_unknown_one_is_one_clear_error(toy_cli) -> None:  # type: ignore[no-untyped-def]
    listed = toy_cli(["executors"])
    assert listed.exit_code == 0 and listed.output.startswith("local "), listed.output
    result = toy_cli(["run", "--customers", "3", "--executor", "nope", "-q"])
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "unknown executor 'nope'" in errors[0] and "local" in errors[0], result.output


def test_a_sink_refuses_a_serializer_it_does_not_accept(toy_cli) -> None:  # type: ignore[no-untyped-def]
    result = toy_cli(["run", "--customers", "3", "-q", "--sink", "console", "-o", "console.serializer=nope"])
    assert result.exit_code != 0
    assert "needs serializer 'nope', which no installed plugin provides" in result.output, result.output


@pytest.mark.slow
def test_the_bank_at_2000_customers_is_byte_identical_under_the_test_executor(tmp_path: Path) -> None:
    host = make_plugin_host(plugins=[SHUFFLED_PLUGIN])
    if "customer" not in host.registry.entities:
        pytest.skip("the banking pack is not installed")
    args = ["--customers", "2000", "--seed", "12"]
    _run(host, tmp_path / "local", *args, "--workers", "2")
    _run(host, tmp_path / "shuffled", *args, "--executor", "shuffled", "-o", "shuffled.rebuild=true")
    local = read_dir(tmp_path / "local")
    assert set(local) >= {"customer.jsonl", "account.jsonl", "transaction.jsonl"}
    assert read_dir(tmp_path / "shuffled") == local


# -- sink tasks in an executor's processes --------------------------------------------------------
EVENTS: list[tuple[Any, ...]] = []
"""What the tasks of ``TaskSink`` and ``TaskExecutor`` did, in order (what the test checks)."""


class TaskSink(Sink):
    """Test sink whose tasks may run in an executor's processes; acknowledges on flush."""

    name = "tasks"
    doc = "Test sink: records its calls; acknowledges what it got at each flush."
    serializer_name = None
    parallel_tasks = True
    message_keys = False

    def open(self, context: SinkContext) -> None:
        self.task = (context.task, context.tasks)
        self.pending: Counter[str] = Counter()
        EVENTS.append(("open", self.task))

    def begin_block(self, phase: str, block: int | None) -> None:
        EVENTS.append(("begin", self.task, phase, block))

    def write(self, batch: EncodedBatch) -> None:
        EVENTS.append(("write", self.task, batch.entity, batch.count))
        self.pending[batch.entity] += batch.count

    def end_block(self, phase: str, block: int | None) -> None:
        EVENTS.append(("end", self.task, phase, block))

    def flush(self) -> None:
        EVENTS.append(("flush", self.task))
        for entity, n in self.pending.items():
            self.stats.ack(entity, n)
        self.pending.clear()

    def close(self, ok: bool) -> None:
        EVENTS.append(("close", self.task, ok))


class TaskExecutor(Executor):
    """Test executor: writes the task routes' batches with a task of its own (task 1 of 2)."""

    name = "with-tasks"
    doc = "Test executor: a sink task of its own for sinks declaring parallel_tasks."

    def start(self, work: Work) -> None:
        super().start(work)
        self.tasks: dict[int, Sink] = {}
        self.reported: dict[int, Counter[str]] = {}

    def run(self, phase: str, blocks: Sequence[int]) -> Iterator[BlockResult]:
        routes = set(self.work.task_routes())
        for block in blocks:
            result = self.work.process(phase, block)
            mine = [(i, b) for i, b in result.batches if i in routes]
            result.batches = [(i, b) for i, b in result.batches if i not in routes]
            for index in sorted({i for i, _ in mine}):
                task = self.tasks.get(index) or self.tasks.setdefault(index, self.work.open_task(index, 1, 2))
                task.begin_block(phase, block)
                for i, batch in mine:
                    if i == index:
                        task.write(batch)
                        result.written.append((i, batch.entity, batch.count))
                task.end_block(phase, block)
            yield result

    def _report(self) -> list[TaskStats]:
        out = []
        for index, task in self.tasks.items():
            seen = self.reported.setdefault(index, Counter())
            stats = SinkStats(acknowledged=task.stats.acknowledged - seen)
            seen.update(stats.acknowledged)
            out.append((index, stats))
        return out

    def flush_tasks(self) -> list[TaskStats]:
        EVENTS.append(("flush_tasks",))
        for task in self.tasks.values():
            task.flush()
        return self._report()

    def close_tasks(self, ok: bool) -> list[TaskStats]:
        for task in self.tasks.values():
            task.close(ok)
        return self._report()


class _TaskPlugin:
    @hookimpl
    def datagen_register_executors(self, register: Any) -> None:
        register(TaskExecutor)

    @hookimpl
    def datagen_register_sinks(self, register: Any) -> None:
        register(TaskSink)


def test_an_executors_sink_tasks_are_accounted_for_and_the_barrier_holds(toy_host: PluginHost) -> None:
    toy_host.register(_TaskPlugin())
    EVENTS.clear()
    result = CliRunner().invoke(make_cli(lambda: toy_host), [
        "run", "--count", str(BLOCK_SIZE * 2 + 5), "--sink", "tasks", "--executor", "with-tasks"])
    assert result.exit_code == 0, result.output
    engine_task, executor_task = (0, 1), (1, 2)
    # the engine's own task opens first; it writes no block (at most the global entities)
    assert EVENTS[0] == ("open", engine_task)
    assert all(e[3] is None for e in EVENTS if e[0] == "begin" and e[1] == engine_task)
    assert sum(e[3] for e in EVENTS if e[0] == "write" and e[1] == executor_task) > BLOCK_SIZE * 2
    # every batch of the executor's task is framed by begin_block / end_block of its block
    open_block = None
    for event in EVENTS:
        if event[0] == "begin" and event[1] == executor_task:
            assert open_block is None
            open_block = event[2:]
        elif event[0] == "end" and event[1] == executor_task:
            assert open_block == event[2:]
            open_block = None
        elif event[0] == "write" and event[1] == executor_task:
            assert open_block is not None
    # masters phase: its blocks, then flush_tasks, then the events phase
    flushes = [i for i, e in enumerate(EVENTS) if e == ("flush_tasks",)]
    phases = [(i, e[2]) for i, e in enumerate(EVENTS) if e[0] == "begin" and e[1] == executor_task]
    assert len(flushes) == 2 and phases
    assert all(i < flushes[0] for i, phase in phases if phase == "masters")
    assert all(flushes[0] < i < flushes[1] for i, phase in phases if phase == "events")
    assert ("close", executor_task, True) in EVENTS
    # the summary counts what the executor's task acknowledged
    assert "FAILED" not in result.output and "ok:" in result.output, result.output
