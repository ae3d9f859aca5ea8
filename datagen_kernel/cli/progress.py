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

from datagen_kernel.api.progress import ProgressSnapshot, ProgressTracker
from datagen_kernel.api.summary import RunSummary, SummaryRow

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ProgressReporter:
    """Renders a run's ``ProgressSnapshot``s (``api.progress``) as it goes.

    On a terminal: rich bars per entity (records, records/s over the time each is written) and a
    run bar with the percentage and ETA of a bounded run, the phase and the memory. Elsewhere:
    a line every ``interval`` seconds. Called as ``reporter(phase, entity, n)`` it feeds its own
    tracker (kernel-1 style); given ``tracker``, it follows that one.
    """

    def __init__(self, stream: TextIO, interval: float = 10.0, enabled: bool = True,
                 tracker: ProgressTracker | None = None) -> None:
        self.stream = stream
        self.enabled = enabled
        self.interactive = enabled and _is_terminal(stream)
        self.interval = interval
        self.tracker = tracker or ProgressTracker()
        self.started = time.perf_counter()
        self._last = self.started
        self._drawn = 0.0
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._run_task: TaskID | None = None
        if enabled:
            self.tracker.listeners.append(self._changed)

    @property
    def counts(self) -> Counter[str]:
        return self.tracker.generated

    def __enter__(self) -> ProgressReporter:
        if self.interactive:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description:<20}"),
                BarColumn(bar_width=20),
                TextColumn("{task.fields[done]:>12}"),
                TextColumn("{task.fields[rate]:>12}"),
                TextColumn("{task.fields[extra]}"),
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
            self._draw(self.tracker.snapshot())
            self._progress.stop()

    def __call__(self, phase: str, entity: str, n: int) -> None:
        self.tracker(phase, entity, n)

    def _changed(self, tracker: ProgressTracker) -> None:
        now = time.perf_counter()
        if self._progress is not None:
            if now - self._drawn >= 0.1:  # rich redraws ten times a second: no use computing more
                self._drawn = now
                self._draw(tracker.snapshot())
        elif now - self._last >= self.interval and tracker.generated:
            self._last = now
            print(progress_line(tracker.snapshot()), file=self.stream, flush=True)

    def _draw(self, snap: ProgressSnapshot) -> None:
        progress = self._progress
        assert progress is not None
        if self._run_task is None:
            self._run_task = progress.add_task("run", total=100.0, done="", rate="", extra="")
        progress.update(self._run_task, completed=snap.percent or 0.0, total=100.0 if snap.percent is not None
                        else None, done="" if snap.percent is None else f"{snap.percent:.1f}%",
                        rate="" if snap.eta_s is None else f"ETA {_duration(snap.eta_s)}",
                        extra=_run_extra(snap))
        for name, entity in snap.entities.items():
            task = self._tasks.get(name)
            if task is None:
                task = progress.add_task(name, total=None, done="", rate="", extra="")
                self._tasks[name] = task
            progress.update(task, completed=entity.generated, done=f"{entity.generated:,}",
                            rate=f"{entity.rate:,.0f}/s", extra="")


def _duration(seconds: float) -> str:
    whole = max(round(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _run_extra(snap: ProgressSnapshot) -> str:
    parts = [f"phase {snap.phase_label}"]
    if snap.stream is not None:
        parts.append(f"{snap.stream.actual_rate:,.0f}/{snap.stream.target_rate:,.0f} events/s")
    if snap.rss_bytes is not None:
        parts.append(f"{snap.rss_bytes / 2**20:,.0f} MiB")
    return ", ".join(parts)


def progress_line(snap: ProgressSnapshot) -> str:
    """The line printed now and then off a terminal."""
    rate = snap.generated / snap.elapsed_s if snap.elapsed_s > 0 else 0.0
    line = f"progress: {snap.generated:,} records delivered ({rate:,.0f}/s)"
    if snap.percent is not None:
        line += f", {snap.percent:.1f}%"
        if snap.eta_s is not None:
            line += f", ETA {_duration(snap.eta_s)}"
    return line + ", " + _run_extra(snap)


_COLUMNS = (("entity", "left"), ("sink", "left"), ("generated", "right"), ("acknowledged", "right"),
            ("failed", "right"), ("records/s", "right"))


def print_summary(summary: RunSummary, stream: TextIO | None = None) -> None:
    """The end-of-run table: per entity and sink, generated, acknowledged, failed, rate."""
    out = stream or sys.stderr
    cells = [(row.entity, row.sink, f"{row.generated:,}", f"{row.acknowledged:,}", f"{row.failed:,}",
              _row_rate(row)) for row in summary.rows]
    rate = summary.generated / summary.elapsed if summary.elapsed else 0.0
    state = "ok" if summary.ok else ("interrupted" if summary.interrupted else "FAILED")
    footer = (f"{state}: {summary.generated:,} records in {summary.elapsed:.2f}s ({rate:,.0f} records/s), "
              f"seed {summary.seed}, as of {summary.as_of}, workers {summary.workers}")
    footer += "".join(f"\n  sink {label}: {s['acknowledged']:,} acknowledged ({s['rate']:,.0f} records/s "
                      f"over {s['seconds']:.2f}s)" for label, s in summary.sinks.items())
    footer += "".join(f"\n  delivery: {label}: {said}" for label, said in summary.delivery.items())
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


def _row_rate(row: SummaryRow) -> str:
    """Records/s over the time the entity was written; none for what took under 10 ms (one
    small batch of records generated before the run, such as a reference table)."""
    return "-" if row.seconds is not None and row.seconds < 0.01 and row.acknowledged else f"{row.rate:,.0f}"


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
