"""The end-of-run summary and progress lines: plain text off a terminal, rich on one."""

from __future__ import annotations

import io

from datagen_kernel.api.summary import RunSummary, SummaryRow
from datagen_kernel.cli.progress import ProgressReporter, print_summary


class FakeTerminal(io.StringIO):
    """A StringIO that says it is a terminal (as rich and the summary ask)."""

    def isatty(self) -> bool:
        return True


def _summary(failed: int = 0) -> RunSummary:
    summary = RunSummary(seed=7, as_of="2026-01-01T00:00:00-03:00", root_count=10, workers=2, elapsed=2.0)
    summary.rows = [SummaryRow("customer", "json", 10, 10, 0, 5.0),
                    SummaryRow("transaction", "json", 12_345, 12_345 - failed, failed, 6172.5)]
    if failed:
        summary.errors.append("json: write failed: No space left on device")
    return summary


def test_off_a_terminal_the_summary_is_an_aligned_plain_table() -> None:
    out = io.StringIO()
    print_summary(_summary(), out)
    assert out.getvalue().splitlines() == [
        "entity       sink  generated  acknowledged  failed  records/s",
        "customer     json         10            10       0          5",
        "transaction  json     12,345        12,345       0      6,172",
        "ok: 12,355 records in 2.00s (6,178 records/s), seed 7, as of 2026-01-01T00:00:00-03:00, workers 2",
    ]


def test_a_failed_run_says_so_and_lists_its_errors() -> None:
    out = io.StringIO()
    print_summary(_summary(failed=45), out)
    lines = out.getvalue().splitlines()
    assert lines[2].split() == ["transaction", "json", "12,345", "12,300", "45", "6,172"]
    assert lines[3].startswith("FAILED: 12,355 records")
    assert lines[4] == "  error: json: write failed: No space left on device"


def test_on_a_terminal_the_summary_is_a_rich_table() -> None:
    out = FakeTerminal()
    print_summary(_summary(), out)
    text = out.getvalue()
    assert "┃" in text and "━" in text, text
    assert "12,345" in text and "ok: 12,355 records" in text


def test_progress_lines_off_a_terminal_come_at_the_interval() -> None:
    out = io.StringIO()
    with ProgressReporter(out, interval=0.0) as report:
        report("events", "transaction", 1000)
        report("events", "transaction", 500)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].startswith("progress: 1,500 records delivered"), lines
    quiet = io.StringIO()
    with ProgressReporter(quiet, interval=0.0, enabled=False) as report:
        report("events", "transaction", 1000)
    assert quiet.getvalue() == ""
