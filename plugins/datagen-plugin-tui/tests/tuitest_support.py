"""Helpers of the TUI tests: driving the app with Textual's pilot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static


async def wait_for(pilot: Pilot[object], condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the app run until ``condition`` holds (fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for the app")
        await pilot.pause(0.05)


async def type_into(pilot: Pilot[object], selector: str, text: str) -> None:
    """Clear the input and type ``text`` into it, key by key, as a user would."""
    field = pilot.app.query_one(selector, Input)
    field.value = ""
    field.focus()
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause()


async def paste_into(pilot: Pilot[object], selector: str, text: str) -> None:
    """Replace the input's text at once, as a paste does (for long values such as paths)."""
    field = pilot.app.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.pause()


async def check(pilot: Pilot[object], selector: str, value: bool = True) -> None:
    box = pilot.app.query_one(selector, Checkbox)
    if box.value != value:
        box.focus()
        await pilot.press("space")
    await pilot.pause()


async def choose(pilot: Pilot[object], selector: str, value: object) -> None:
    pilot.app.query_one(selector, Select).value = value
    await pilot.pause()


def text_of(pilot: Pilot[object], selector: str) -> str:
    return str(pilot.app.query_one(selector, Static).render())


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]
