"""The end-of-run summary: figures per entity and sink (what ``datagen_run_end`` receives)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SummaryRow:
    entity: str
    sink: str
    generated: int
    acknowledged: int
    failed: int
    rate: float


@dataclass
class RunSummary:
    """End-of-run figures per entity and sink; ``ok`` only if everything was acknowledged."""

    seed: int
    as_of: str
    root_count: int
    workers: int
    elapsed: float = 0.0
    rows: list[SummaryRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False
    stopped_by: str | None = None
    """Stream mode: what ended the stream (duration, SIGINT, SIGTERM, exhausted); a run interrupted by a
    signal: SIGINT or SIGTERM."""
    timezone: str = "UTC"
    """The run's time zone (``RunInfo.timezone``), by name."""
    delivery: dict[str, str] = field(default_factory=dict)
    """Per sink (route label): the delivery guarantee it gave, as its ``Sink.delivery()`` says."""
    notes: list[str] = field(default_factory=list)
    """What the run wants the user to know beside the figures (e.g. what a ``--resume`` skipped)."""

    @property
    def generated(self) -> int:
        return sum(r.generated for r in self.rows)

    @property
    def acknowledged(self) -> int:
        return sum(r.acknowledged for r in self.rows)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.interrupted and all(
            r.acknowledged == r.generated and r.failed == 0 for r in self.rows
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seed": self.seed,
            "as_of": self.as_of,
            "timezone": self.timezone,
            "root_count": self.root_count,
            "workers": self.workers,
            "elapsed_s": round(self.elapsed, 3),
            "generated": self.generated,
            "acknowledged": self.acknowledged,
            "records_per_s": round(self.generated / self.elapsed, 1) if self.elapsed else 0.0,
            "rows": [r.__dict__ for r in self.rows],
            "errors": self.errors,
            "stopped_by": self.stopped_by,
            "delivery": self.delivery,
            "notes": self.notes,
        }
