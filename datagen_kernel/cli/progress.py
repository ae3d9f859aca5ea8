"""Progress display (rich bars on a terminal, a quiet line now and then elsewhere) and summary.

rich is imported only for a terminal: a run writing to a pipe or a log file (CI, scripts,
benchmarks) prints plain lines and does not pay its import (about 60 ms).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from datagen_kernel.api.summary import RunSummary

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ProgressReporter:
    """Receives ``(phase, entity, n)`` as batches are delivered."""

    def __init__(self, stream: TextIO, interval: float = 10.0, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.interactive = enabled and _is_terminal(stream)
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self.started = time.perf_counter()
        self._last = self.started
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressReporter:
        if self.interactive:
            from rich.console import Console
            from rich.progress import Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description:<20}"),
                TextColumn("{task.completed:>12,.0f} records"),
                TextColumn("{task.fields[rate]:>10,.0f}/s"),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, phase: str, entity: str, n: int) -> None:
        self.counts[entity] += n
        now = time.perf_counter()
        if self._progress is not None:
            task = self._tasks.get(entity)
            if task is None:
                task = self._progress.add_task(entity, total=None, rate=0.0)
                self._tasks[entity] = task
            elapsed = max(now - self.started, 1e-9)
            self._progress.update(task, completed=self.counts[entity], rate=self.counts[entity] / elapsed)
        elif self.enabled and now - self._last >= self.interval:
            self._last = now
            total = sum(self.counts.values())
            rate = total / max(now - self.started, 1e-9)
            print(f"progress: {total:,} records delivered ({rate:,.0f}/s), phase {phase}", file=self.stream, flush=True)


_COLUMNS = (("entity", "left"), ("sink", "left"), ("generated", "right"), ("acknowledged", "right"),
            ("failed", "right"), ("records/s", "right"))


def print_summary(summary: RunSummary, stream: TextIO | None = None) -> None:
    """The end-of-run table: per entity and sink, generated, acknowledged, failed, rate."""
    out = stream or sys.stderr
    cells = [(row.entity, row.sink, f"{row.generated:,}", f"{row.acknowledged:,}", f"{row.failed:,}",
              f"{row.rate:,.0f}") for row in summary.rows]
    rate = summary.generated / summary.elapsed if summary.elapsed else 0.0
    state = "ok" if summary.ok else ("interrupted" + (f" by {summary.stopped_by}" if summary.stopped_by else "")
                                     if summary.interrupted else "FAILED")
    footer = (f"{state}: {summary.generated:,} records in {summary.elapsed:.2f}s ({rate:,.0f} records/s), "
              f"seed {summary.seed}, as of {summary.as_of}, workers {summary.workers}")
    footer += "".join(f"\n  delivery: {label}: {said}" for label, said in summary.delivery.items())
    footer += "".join(f"\n  note: {note}" for note in summary.notes)
    errors = [f"  error: {err}" for err in summary.errors[:10]]
    if _is_terminal(out):
        _print_rich(out, cells, [row.failed > 0 for row in summary.rows], footer, errors)
        return
    widths = [max(len(name), *(len(c[i]) for c in cells)) for i, (name, _) in enumerate(_COLUMNS)]

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(v.ljust(w) if justify == "left" else v.rjust(w)
                         for v, w, (_, justify) in zip(values, widths, _COLUMNS, strict=True)).rstrip()

    text = [line(tuple(name for name, _ in _COLUMNS)), *(line(c) for c in cells), footer, *errors]
    out.write("\n".join(text) + "\n")
    out.flush()


def _print_rich(out: TextIO, cells: Sequence[tuple[str, ...]], failed: list[bool], footer: str,
                errors: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, highlight=False, width=120)
    table = Table(title=None, show_edge=False, pad_edge=False)
    for name, justify in _COLUMNS:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for values, bad in zip(cells, failed, strict=True):
        table.add_row(*values, style="red" if bad else None)
    console.print(table)
    console.print(footer)
    for err in errors:
        console.print(err, style="red")
