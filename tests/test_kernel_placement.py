"""The local executor's workers appending payloads to the sinks' files themselves (``Sink.append_files``)."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest
from toy_pack import read_dir

import datagen_kernel.engine.placement as placement
from datagen_kernel.api.executors import BlockResult
from datagen_kernel.api.seeding import BLOCK_SIZE
from datagen_kernel.api.sinks import EncodedBatch
from datagen_kernel.api.values import Values
from datagen_kernel.engine.placement import Ledger, place

ARGS = ["run", "-q", "--customers", str(BLOCK_SIZE * 4 + 3), "--seed", "11"]


def test_a_block_waits_for_the_one_before_it_and_starts_where_it_ends() -> None:
    ledger = Ledger([(0, "a"), (0, "b")], slots=4)
    ledger.start({(0, "a"): 100})
    second: dict[tuple[int, str], int] = {}
    waiting = threading.Thread(target=lambda: second.update(ledger.claim(1, {(0, "a"): 7, (0, "b"): 2})))
    waiting.start()
    waiting.join(0.05)
    assert waiting.is_alive(), "block 1 went on before block 0 said where it ends"
    assert ledger.claim(0, {(0, "a"): 5}) == {(0, "a"): 100, (0, "b"): 0}
    waiting.join(5)
    assert second == {(0, "a"): 105, (0, "b"): 0}
    assert ledger.claim(2, {}) == {(0, "a"): 112, (0, "b"): 2}


def test_place_writes_payloads_at_their_offsets_and_leaves_markers(tmp_path: Path) -> None:
    target = tmp_path / "a.jsonl"
    target.write_bytes(b"head\n")
    ledger = Ledger([(0, "a")], slots=4)
    ledger.start({(0, "a"): 5})
    later = BlockResult(1, [(0, EncodedBatch("a", 1, Values.lines(b"three\n"))),
                            (1, EncodedBatch("a", 1, Values.lines(b"elsewhere\n")))])
    first = BlockResult(0, [(0, EncodedBatch("a", 2, Values.lines(b"one\n"))),
                            (0, EncodedBatch("a", 1, Values.lines(b"two\n")))])
    targets = {(0, "a"): str(target)}
    place(first, targets, ledger)
    place(later, targets, ledger)
    assert target.read_bytes() == b"head\none\ntwo\nthree\n"
    assert [(b.appended, b.payload) for _, b in first.batches] == [(True, None), (True, None)]
    assert (later.batches[0][1].appended, later.batches[0][1].payload) == (True, None)
    assert later.batches[1][1].payload == [b"elsewhere"], "route 1 has no file: its payload stays"
    assert not later.batches[1][1].appended


def test_placed_files_are_the_bytes_one_process_writes(toy_cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from datagen_plugin_json.sinks import JsonLinesSink

    kinds: set[str] = set()
    write = JsonLinesSink.write
    monkeypatch.setattr(JsonLinesSink, "write", lambda self, batch: kinds.add(
        "appended" if batch.appended else type(batch.payload).__name__) or write(self, batch))
    for workers in ("1", "2", "3"):
        result = toy_cli([*ARGS, "--workers", workers, "--batch-size", "97", "-o", f"json.path={tmp_path / workers}"])
        assert result.exit_code == 0, result.output
    assert "appended" in kinds, "no worker wrote into the files"
    assert read_dir(tmp_path / "2") == read_dir(tmp_path / "1") == read_dir(tmp_path / "3")


def test_a_failed_write_in_a_worker_fails_the_run_and_leaves_no_file(toy_cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int, data: bytes, offset: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(placement, "_pwrite", full)
    result = toy_cli([*ARGS, "--workers", "2", "-o", f"json.path={tmp_path}"])
    assert result.exit_code != 0
    assert "write failed: No space left on device" in result.output
    assert "were not acknowledged" in result.output
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".jsonl")]


def test_a_worker_killed_from_outside_fails_the_run_instead_of_hanging(toy_host, tmp_path: Path) -> None:
    import signal

    from click.testing import CliRunner

    from datagen_kernel import hookimpl
    from datagen_kernel.cli import make_cli

    main = os.getpid()

    class Killer:
        @hookimpl
        def datagen_register_generators(self, register):  # type: ignore[no-untyped-def]
            def wrapper(ctx, inner):  # type: ignore[no-untyped-def]
                if ctx.block == 2 and os.getpid() != main:
                    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
                return inner(ctx)

            register.wrap("member", wrapper)

    toy_host.register(Killer(), "killer")
    result = CliRunner().invoke(make_cli(lambda: toy_host), [*ARGS, "--workers", "2", "-o", f"json.path={tmp_path}"])
    assert result.exit_code != 0
    assert "ended while the run was going" in result.output, result.output
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".jsonl")]
