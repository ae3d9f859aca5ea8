"""``datagen run --progress-json PATH|-``: the run's progress as JSON Lines, for programs.

One JSON object per line, each flushed as written (docs/progress.md):

- ``{"event": "start", "run_id", "argv", "total_expected", "root_count", "seed", "mode",
  "entities", "sinks"}`` once the sinks are open;
- ``{"event": "progress", ...ProgressSnapshot.as_dict()}`` every ``interval`` seconds (0.5) from
  a thread of its own, so it goes on while the engine waits on a slow sink, and once more as
  the run ends;
- ``{"event": "error", "message"}`` when the run fails with an error;
- ``{"event": "summary", ...the --summary-json content..., "exit_code"}`` last, always (only
  ``ok`` and ``exit_code`` when the run failed before it started).
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import IO, Any

from datagen_kernel.api.errors import UsageError
from datagen_kernel.api.progress import ProgressTracker
from datagen_kernel.api.summary import RunSummary

STDOUT = "-"


class ProgressJsonWriter:
    """Writes the events of one run to a file or (``-``) to standard output."""

    def __init__(self, target: str, tracker: ProgressTracker, argv: list[str], *, interval: float = 0.5) -> None:
        self.target = target
        self.tracker = tracker
        self.argv = argv
        self.interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._out: IO[str] | None = None
        if target == STDOUT:
            self._out = sys.stdout
        else:
            path = Path(target)
            try:
                self._out = path.open("w", encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"--progress-json {target!r}: cannot write it: {exc.strerror}",
                                 hint="give a file in an existing, writable folder, or - for standard output") from None
        tracker.begin_listeners.append(self._started)

    def emit(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, **fields}, separators=(",", ":"), default=str)
        with self._lock:
            if self._out is None:
                return
            try:
                self._out.write(line + "\n")
                self._out.flush()
            except (OSError, ValueError):  # a reader that went away must not fail the run
                self._out = None

    def _started(self, tracker: ProgressTracker) -> None:
        shape = tracker.shape
        assert shape is not None
        self.emit("start", run_id=shape.run_id, argv=self.argv, total_expected=tracker.snapshot().total_expected,
                  root_count=shape.root_count, seed=shape.seed,
                  mode="backfill" if shape.stream_rate is None else "stream", entities=list(shape.entities),
                  sinks=list(shape.routes))
        self._thread = threading.Thread(target=self._tick, name="datagen-progress-json", daemon=True)
        self._thread.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self.emit("progress", **self.tracker.snapshot().as_dict())

    def stop(self) -> None:
        """Stop the periodic events; one last progress event if the run had started."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self.emit("progress", **self.tracker.snapshot().as_dict())

    def error(self, message: str) -> None:
        self.emit("error", message=message)

    def summary(self, summary: RunSummary | None, exit_code: int) -> None:
        content = summary.as_dict() if summary is not None else {"ok": False}
        self.emit("summary", **content, exit_code=exit_code)

    def close(self) -> None:
        self.stop()
        with self._lock:
            if self._out is not None and self._out is not sys.stdout:
                self._out.close()
            self._out = None


__all__ = ["STDOUT", "ProgressJsonWriter"]
