"""A run as the TUI watches it: ``datagen run ... --progress-json -`` in a subprocess.

The subprocess writes JSON Lines on stdout (``start``, ``progress`` every half second,
``error``, ``summary``; see docs/cli.md) and its human messages on stderr. ``RunState`` folds
those events into what the run screen shows; ``RunProcess`` starts the subprocess, reads both
streams and sends SIGINT to stop it, exactly as Ctrl+C in a terminal would.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

LAUNCH = "import sys; from datagen_kernel.cli import main; sys.argv[0] = 'datagen'; sys.exit(main())"
"""How the subprocess starts ``datagen`` with this interpreter (the plugins installed here)."""

PROGRESS_FLAG = ("--progress-json", "-")


def command_for(argv: Sequence[str]) -> list[str]:
    """The subprocess command for ``datagen run ...``: this Python, progress as JSON on stdout."""
    return [sys.executable, "-c", LAUNCH, *argv[1:], *PROGRESS_FLAG]


@dataclass
class RunState:
    """What the run screen shows, folded from the subprocess's events."""

    run_id: str | None = None
    argv: list[str] = field(default_factory=list)
    total_expected: int | None = None
    phase: str = "starting"
    elapsed_s: float = 0.0
    percent: float | None = None
    eta_s: float | None = None
    rss_bytes: int | None = None
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    sinks: dict[str, dict[str, Any]] = field(default_factory=dict)
    target_rate: float | None = None
    actual_rate: float | None = None
    errors: list[str] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    exit_code: int | None = None
    total_generated: int | None = None
    unreadable: int = 0
    """Lines on stdout that were not JSON events (counted, not fatal)."""

    def feed(self, line: str | bytes) -> dict[str, Any] | None:
        """Take one line of the subprocess's stdout; the event, or None if it was not one."""
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        if not text.strip():
            return None
        try:
            event = json.loads(text)
        except ValueError:
            self.unreadable += 1
            return None
        if not isinstance(event, dict):
            self.unreadable += 1
            return None
        kind = event.get("event")
        if kind == "start":
            self.run_id = event.get("run_id")
            self.argv = list(event.get("argv") or [])
            self.total_expected = event.get("total_expected")
        elif kind == "progress":
            self._progress(event)
        elif kind == "error":
            self.errors.append(str(event.get("message", "")))
        elif kind == "summary":
            self.summary = {k: v for k, v in event.items() if k not in ("event", "exit_code")}
            self.exit_code = event.get("exit_code")
            self.phase = "done"
        return event

    def _progress(self, event: Mapping[str, Any]) -> None:
        self.phase = str(event.get("phase") or self.phase)
        self.elapsed_s = float(event.get("elapsed_s") or 0.0)
        self.percent = event.get("percent")
        self.eta_s = event.get("eta_s")
        self.rss_bytes = event.get("rss_bytes")
        if event.get("total_expected") is not None:
            self.total_expected = event["total_expected"]
        self.total_generated = event.get("generated")
        self.entities = dict(event.get("entities") or {})
        self.sinks = dict(event.get("sinks") or {})
        stream = event.get("stream")
        source = stream if isinstance(stream, Mapping) else event
        self.target_rate = source.get("target_rate")
        self.actual_rate = source.get("actual_rate")

    @property
    def finished(self) -> bool:
        return self.summary is not None

    @property
    def generated(self) -> int:
        if self.total_generated is not None:
            return self.total_generated
        return sum(int(e.get("generated") or 0) for e in self.entities.values())

    @property
    def rate(self) -> float:
        return sum(float(e.get("rate") or 0.0) for e in self.entities.values())


def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GiB"  # pragma: no cover  (the loop returns)


def human_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    s = max(0.0, float(s))
    minutes, seconds = divmod(round(s), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@dataclass
class RunProcess:
    """One ``datagen run`` subprocess: its events go to ``on_event``, its stderr to ``on_log``."""

    command: Sequence[str]
    on_event: Callable[[dict[str, Any]], Awaitable[None] | None]
    on_log: Callable[[str], Awaitable[None] | None]
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    state: RunState = field(default_factory=RunState)
    process: asyncio.subprocess.Process | None = None
    returncode: int | None = None
    stopping: bool = False

    async def run(self) -> int:
        """Start the subprocess and follow it to its end; its exit status."""
        env = dict(os.environ)
        env.update(self.env or {})
        env["PYTHONUNBUFFERED"] = "1"
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL, env=env, cwd=self.cwd,
            start_new_session=True,  # a Ctrl+C typed in the TUI's terminal reaches the TUI only
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        await asyncio.gather(self._events(self.process.stdout), self._logs(self.process.stderr))
        self.returncode = await self.process.wait()
        if self.state.exit_code is None:
            self.state.exit_code = self.returncode
        return self.returncode

    async def _events(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            event = self.state.feed(line)
            if event is not None:
                await _maybe(self.on_event(event))

    async def _logs(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            # rich progress bars redraw with carriage returns: keep the last state of each line
            text = line.decode("utf-8", "replace").rstrip("\n").split("\r")[-1]
            if text.strip():
                await _maybe(self.on_log(text))

    @property
    def running(self) -> bool:
        return self.process is not None and self.returncode is None

    def stop(self) -> bool:
        """Ask the run to end as Ctrl+C does (SIGINT): sinks close, the summary comes."""
        if not self.running or self.process is None:
            return False
        self.stopping = True
        try:
            self.process.send_signal(signal.SIGINT)
        except ProcessLookupError:
            return False
        return True


async def _maybe(result: Awaitable[None] | None) -> None:
    if result is not None:
        await result
