"""``datagen`` with pause points for the fault tests: ``python hooked_datagen.py run ...``.

The command is the real one (``datagen_kernel.cli.main``); this file only adds places where the run
stops and waits, so that a test can put a fault in at an exact point instead of sleeping and
hoping. Set through the environment (read here only, never by datagen itself):

    FAULT_DIR                  folder of the hand-shake files (required with any pause)
    FAULT_PAUSE_AT             N: the main process pauses before it delivers its N-th block result
                               (globals count as one) to the sinks; it writes FAULT_DIR/paused
                               (JSON: its pid, the workers' spill folder, the phase) and waits for
                               FAULT_DIR/go
    FAULT_PAUSE_PHASE          PHASE: pause before the first delivery of that phase instead
                               ("events": every master was flushed to the sinks before)
    FAULT_PAUSE_IN_BLOCK       K: the worker process that starts generating block K writes
                               FAULT_DIR/busy (its pid) and waits for FAULT_DIR/go (a busy worker)
    FAULT_SIGNAL_IN            MODULE:CLASS.METHOD:N:SIGNAL: the main process sends itself SIGNAL
                               as its N-th call of that method starts (a Ctrl+C that lands inside
                               a sink's write or close)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from datagen_kernel.engine import blocks as blocks_module
from datagen_kernel.engine import local
from datagen_kernel.engine import run as run_module

MAIN_PID = os.getpid()


def _wait_for_go(folder: Path) -> None:
    while not (folder / "go").exists():
        time.sleep(0.02)


def _install() -> None:
    folder = Path(os.environ.get("FAULT_DIR", "."))
    at = int(os.environ.get("FAULT_PAUSE_AT", "0") or 0)
    at_phase = os.environ.get("FAULT_PAUSE_PHASE")
    in_block = os.environ.get("FAULT_PAUSE_IN_BLOCK")
    if at or at_phase:
        deliver = run_module.Engine._deliver
        seen = [0]

        def paused_deliver(self: Any, result: Any, sinks: Any, phase: str) -> None:
            seen[0] += 1
            if seen[0] == at or (at_phase == phase and seen[0] > 0 and not (folder / "paused").exists()):
                state = {"pid": os.getpid(), "spill_dir": local._SPILL_DIR, "phase": phase, "block": result.block}
                tmp = folder / "paused.tmp"
                tmp.write_text(json.dumps(state))
                tmp.rename(folder / "paused")
                _wait_for_go(folder)
            deliver(self, result, sinks, phase)

        run_module.Engine._deliver = paused_deliver  # type: ignore[method-assign]
    if in_block is not None:
        process = blocks_module.BlockProcessor.process
        target = int(in_block)

        def paused_process(self: Any, phase: str, block: int | None) -> Any:
            if block == target and os.getpid() != MAIN_PID:
                (folder / "busy").write_text(str(os.getpid()))
                _wait_for_go(folder)
            return process(self, phase, block)

        blocks_module.BlockProcessor.process = paused_process  # type: ignore[method-assign]


def _install_signal() -> None:
    spec = os.environ.get("FAULT_SIGNAL_IN")
    if not spec:
        return
    import importlib
    import signal

    module, qualname, nth, name = spec.split(":")
    owner_name, method_name = qualname.split(".")
    owner = getattr(importlib.import_module(module), owner_name)
    original = getattr(owner, method_name)
    calls = [0]

    def signalled(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == int(nth) and os.getpid() == MAIN_PID:
            os.kill(os.getpid(), getattr(signal, name))
        return original(self, *args, **kwargs)

    setattr(owner, method_name, signalled)


if __name__ == "__main__":
    _install_signal()
    _install()
    from datagen_kernel.cli import main

    sys.argv[0] = "datagen"
    sys.exit(main())
