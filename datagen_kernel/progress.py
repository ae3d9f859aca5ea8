"""Progress display (rich bars on a terminal, a quiet line now and then elsewhere) and summary."""

from __future__ import annotations

import sys
import time
from collections import Counter
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from datagen_kernel.run import RunSummary


class ProgressReporter:
    """Receives ``(phase, entity, n)`` as batches are delivered."""

    def __init__(self, console: Console, interval: float = 10.0, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self.interactive = enabled and console.is_terminal
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self.started = time.perf_counter()
        self._last = self.started
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressReporter:
        if self.interactive:
            self._progress = Progress(
                TextColumn("[bold]{task.description:<20}"),
                TextColumn("{task.completed:>12,.0f} records"),
                TextColumn("{task.fields[rate]:>10,.0f}/s"),
                TimeElapsedColumn(),
                console=self.console,
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
            self.console.print(f"progress: {total:,} records delivered ({rate:,.0f}/s), phase {phase}", highlight=False)


def print_summary(summary: RunSummary, stream: TextIO | None = None) -> None:
    """The end-of-run table: per entity and sink, generated, acknowledged, failed, rate."""
    console = Console(file=stream or sys.stderr, highlight=False, width=120)
    table = Table(title=None, show_edge=False, pad_edge=False)
    for col, justify in (("entity", "left"), ("sink", "left"), ("generated", "right"),
                         ("acknowledged", "right"), ("failed", "right"), ("records/s", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in summary.rows:
        style = "red" if row.failed else None
        table.add_row(row.entity, row.sink, f"{row.generated:,}", f"{row.acknowledged:,}",
                      f"{row.failed:,}", f"{row.rate:,.0f}", style=style)
    console.print(table)
    rate = summary.generated / summary.elapsed if summary.elapsed else 0.0
    state = "ok" if summary.ok else ("interrupted" if summary.interrupted else "FAILED")
    console.print(
        f"{state}: {summary.generated:,} records in {summary.elapsed:.2f}s ({rate:,.0f} records/s), "
        f"seed {summary.seed}, as of {summary.as_of}, workers {summary.workers}"
    )
    for err in summary.errors[:10]:
        console.print(f"  error: {err}", style="red")
