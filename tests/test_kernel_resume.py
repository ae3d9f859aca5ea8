"""Resumable runs in the engine: marks committed with their blocks, skipped on --resume.

The sink here keeps its "destination" in memory, as a database would: a block's records and
its mark are committed together at ``end_block``; a failure between blocks loses only the
block in progress. The real sinks (postgres, kafka) are tested against servers in
tests/faults/test_resume.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from datagen_kernel.api import (
    EncodedBatch,
    ResumeContext,
    ResumeState,
    RunRecord,
    Sink,
    SinkContext,
    SinkError,
    hookimpl,
)
from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.cli import make_cli
from datagen_kernel.engine import resume
from datagen_kernel.engine.plugins import PluginHost


class Destination:
    """What a resumable "server" keeps: committed rows, runs and marks."""

    def __init__(self) -> None:
        self.rows: Counter[tuple[str, bytes]] = Counter()
        self.runs: dict[str, RunRecord] = {}
        self.order: list[str] = []
        self.marks: dict[str, set[tuple[str, int | None]]] = {}


class MemorySink(Sink):
    """A resumable sink over ``Destination``: one transaction per block, with its mark."""

    name = "memory"
    doc = "Test sink: a resumable destination in memory."
    resumable = True
    phase_barrier = True
    destination_: ClassVar[Destination] = Destination()
    gone: ClassVar[bool] = False
    """The destination went away: the next write fails (its block is never committed)."""

    def open(self, context: SinkContext) -> None:
        self.resume = context.resume
        self.pending: list[tuple[str, bytes]] = []
        self.counts: Counter[str] = Counter()
        dest = self.destination_
        if self.resume is not None and not self.resume.started:
            dest.runs[self.resume.key] = RunRecord(self.resume.key, dict(self.resume.params))
            dest.order.append(self.resume.key)
            dest.marks[self.resume.key] = set()

    def resume_state(self, context: SinkContext) -> ResumeState:
        assert context.resume is not None
        dest = self.destination_
        run = dest.runs.get(context.resume.key)
        latest = next((dest.runs[k] for k in reversed(dest.order) if not dest.runs[k].complete), None)
        return ResumeState(run, set(dest.marks.get(context.resume.key, ())), latest, "memory")

    def write(self, batch: EncodedBatch) -> None:
        if MemorySink.gone:
            raise SinkError("the destination went away")
        self.pending.extend((batch.entity, line) for line in batch.payload)
        self.counts[batch.entity] += batch.count

    def end_block(self, phase: str, block: int | None) -> None:
        dest = self.destination_
        dest.rows.update(self.pending)  # the block and its mark: one commit
        if self.resume is not None:
            dest.marks[self.resume.key].add((phase, block))
        for entity, n in self.counts.items():
            self.stats.ack(entity, n)
        self.pending.clear()
        self.counts.clear()

    def close(self, ok: bool) -> None:
        if ok and self.resume is not None:
            record = self.destination_.runs[self.resume.key]
            self.destination_.runs[self.resume.key] = RunRecord(record.key, record.params, True)


class _Plugin:
    @hookimpl
    def datagen_register_sinks(self, register: Any) -> None:
        register(MemorySink)


@pytest.fixture
def memory(toy_host: PluginHost) -> Iterator[tuple[Any, Destination]]:
    toy_host.register(_Plugin())
    MemorySink.destination_ = Destination()
    MemorySink.gone = False

    def run(*args: str) -> Any:
        return CliRunner().invoke(make_cli(lambda: toy_host), ["run", "--sink", "memory", *args])

    yield run, MemorySink.destination_
    resume.BLOCK_HOOKS.clear()
    MemorySink.gone = False


def fail_after(blocks: int) -> None:
    """Stop the run (as a lost server would) once ``blocks`` blocks were handed to the sinks."""
    seen: list[tuple[str, int | None]] = []

    def hook(phase: str, block: int | None) -> None:
        seen.append((phase, block))
        if len(seen) == blocks:
            MemorySink.gone = True

    resume.BLOCK_HOOKS.append(hook)


COUNT = str(BLOCK_SIZE * 3 + 7)  # 4 blocks, the last one partial


@pytest.mark.parametrize(("workers", "failing_block"), [("1", 2), ("2", 6), ("1", 7)])
def test_a_resumed_run_holds_each_record_of_an_uninterrupted_run_once(memory, workers: str,
                                                                      failing_block: int) -> None:
    run, dest = memory
    assert run("--count", COUNT, "--seed", "3", "--resumable").exit_code == 0
    whole = Counter(dest.rows)
    assert len(whole) > 3 * BLOCK_SIZE and all(n == 1 for n in whole.values())
    dest.rows.clear()
    dest.runs.clear()

    fail_after(failing_block)  # masters: the globals (none here) and 4 blocks, then the events' blocks
    failed = run("--count", COUNT, "--seed", "3", "--resumable", "--workers", workers)
    assert failed.exit_code == 1 and "the destination went away" in failed.output
    assert 0 < sum(dest.rows.values()) < sum(whole.values())
    resume.BLOCK_HOOKS.clear()
    MemorySink.gone = False

    resumed = run("--count", COUNT, "--seed", "3", "--resume", "--workers", workers, "--batch-size", "100")
    assert resumed.exit_code == 0, resumed.output
    assert "note: resumed run" in resumed.output and "block(s) committed by an earlier attempt" in resumed.output
    assert dest.rows == whole  # every record, each once


def test_resuming_a_complete_run_does_nothing_and_says_so(memory) -> None:
    run, dest = memory
    assert run("--count", "10", "--resumable").exit_code == 0
    before = Counter(dest.rows)
    again = run("--count", "10", "--resume")
    assert again.exit_code == 0, again.output
    assert "nothing to resume: this run is complete (memory); nothing was written" in again.output
    assert dest.rows == before


def test_resuming_with_other_parameters_is_refused(memory) -> None:
    run, _ = memory
    fail_after(1)
    assert run("--count", "10", "--seed", "1", "--resumable").exit_code == 1
    resume.BLOCK_HOOKS.clear()
    MemorySink.gone = False
    refused = run("--count", "12", "--seed", "2", "--resume")
    assert refused.exit_code == 2
    message = refused.output.strip()
    assert message.startswith("error: --resume: sink memory (memory) holds an unfinished run"), message
    assert "count: 10 -> 12; seed: 1 -> 2" in message and "refusing to mix" in message
    assert len(message.splitlines()) == 1


def test_resuming_a_run_never_started_runs_it_from_the_start(memory) -> None:
    run, dest = memory
    result = run("--count", "10", "--resume")
    assert result.exit_code == 0, result.output
    assert "nothing to resume: no earlier attempt of this run is recorded (memory)" in result.output
    assert sum(dest.rows.values()) > 10


@pytest.mark.parametrize(("args", "expected"), [
    (["--sink", "json", "--resume"], "--resume: --sink json: sink 'json' keeps no record of the blocks it committed"),
    (["--sink", "json", "--resumable"], "--resumable: --sink json: sink 'json' keeps no record"),
    (["--sink", "memory", "--resume", "--stream"], "--resume cannot be used with --stream"),
])
def test_resumable_mode_needs_resumable_sinks_and_blocks(memory, toy_host: PluginHost, args: list[str],
                                                         expected: str) -> None:
    result = CliRunner().invoke(make_cli(lambda: toy_host), ["run", *args])
    assert result.exit_code == 2 and expected in result.output, result.output


def test_the_run_key_follows_the_data_not_how_it_is_made(toy_host: PluginHost) -> None:
    from datagen_kernel.engine.config import ConfigSources
    from datagen_kernel.engine.plan import RunParams, build_plan

    def key(*options: str, **params: Any) -> str:
        plan = build_plan(toy_host, RunParams(**{"root_count": 10, "sinks": ("json",), **params}),
                          ConfigSources.build(options, None))
        assert "json" not in resume.run_params(plan)["options"]
        return resume.run_key(plan, {"datagen-kernel": "1"})

    base = key()
    assert base == key(workers=2) == key(batch_size=7) == key("json.path=/elsewhere")
    assert len({base, key(seed=1), key(root_count=11), key("toy.members_per_team=4")}) == 4


def test_a_block_some_routes_committed_goes_only_to_the_others(toy_host: PluginHost) -> None:
    from datagen_kernel.engine.blocks import BlockProcessor, new_sinks, open_serializers
    from datagen_kernel.engine.config import ConfigSources
    from datagen_kernel.engine.plan import RunParams, build_plan

    plan = build_plan(toy_host, RunParams(root_count=10, sinks=("json", "null")), ConfigSources.build((), None))
    sinks = new_sinks(plan)
    processor = BlockProcessor(plan, sinks, open_serializers(plan, sinks)[0], plan.generate_globals())
    assert {i for i, _ in processor.process("masters", 0).batches} == {0, 1}
    processor.done = {("masters", 0): frozenset({1})}
    assert {i for i, _ in processor.process("masters", 0).batches} == {0}
    plan_resume = resume.ResumePlan(ResumeContext("k", {}), [ResumeState(), ResumeState()],
                                    [{("masters", 0)}, {("masters", 0)}])
    assert plan_resume.blocks_to_run(plan, "masters") == []
    plan_resume.committed[0].clear()
    assert plan_resume.blocks_to_run(plan, "masters") == [0]


def test_the_difference_names_each_parameter_that_changed() -> None:
    assert resume.difference({"seed": 1, "count": 5, "sinks": ["postgres"]},
                             {"seed": 2, "count": 5, "sinks": ["postgres"], "scenario": "x"}) == \
        "scenario: null -> x; seed: 1 -> 2"


def test_a_resumed_runs_progress_counts_only_the_blocks_it_runs(memory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Blocks an earlier attempt committed are not work left: the resumed run still ends at 100%."""
    import json

    run, _ = memory
    fail_after(3)
    assert run("--count", COUNT, "--seed", "3", "--resumable").exit_code == 1
    resume.BLOCK_HOOKS.clear()
    MemorySink.gone = False
    events = tmp_path / "progress.jsonl"
    resumed = run("--count", COUNT, "--seed", "3", "--resume", "--progress-json", str(events))
    assert resumed.exit_code == 0, resumed.output
    progress = [e for e in map(json.loads, events.read_text().splitlines()) if e["event"] == "progress"]
    assert progress[-1]["percent"] == 100.0
    assert progress[-1]["total_expected"] == progress[-1]["generated"]
