"""A horizontal slider for a bounded number (Textual has none): a bar with a knob at the value.

Left/right move it by a hundredth of the range, shift+left/right by a tenth, home/end to the
bounds; a click or a drag puts it where the pointer is. It posts ``Slider.Changed`` when the
user moves it; setting ``value`` from code (to follow a typed value) posts nothing.
"""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Slider(Widget, can_focus=True):
    """A value within ``minimum..maximum`` shown as a filled bar."""

    DEFAULT_CSS = """
    Slider { width: 22; height: 1; color: $accent; background: $boost; }
    Slider:focus { color: $text; background: $accent 30%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Less", show=False),
        Binding("right", "move(1)", "More", show=False),
        Binding("shift+left", "move(-10)", "Much less", show=False),
        Binding("shift+right", "move(10)", "Much more", show=False),
        Binding("home", "to_bound(0)", "Minimum", show=False),
        Binding("end", "to_bound(1)", "Maximum", show=False),
    ]

    value: reactive[float] = reactive(0.0)

    class Changed(Message):
        """The user moved the slider to ``value`` (already rounded to the slider's step)."""

        def __init__(self, slider: Slider, value: float) -> None:
            super().__init__()
            self.slider = slider
            self.value = value

        @property
        def control(self) -> Slider:
            return self.slider

    def __init__(self, minimum: float, maximum: float, value: float | None = None, *,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        if not maximum > minimum:
            raise ValueError(f"a slider needs minimum < maximum, got {minimum:g}..{maximum:g}")
        self.minimum = float(minimum)
        self.maximum = float(maximum)
        self.step = (self.maximum - self.minimum) / 100
        self.decimals = max(0, -math.floor(math.log10(self.step)))
        self.set_reactive(Slider.value, self.clamped(self.minimum if value is None else value))
        self._dragging = False

    def clamped(self, value: float) -> float:
        """``value`` within the bounds, rounded to the step's decimals (0.1 + 0.2 gives 0.3)."""
        if value != value:  # NaN
            value = self.minimum
        return round(min(self.maximum, max(self.minimum, value)), self.decimals)

    def text(self) -> str:
        """The value as the field shows it: ``0.02``, ``1``, ``0``."""
        return f"{self.value:.{self.decimals}f}".rstrip("0").rstrip(".") or "0"

    def render(self) -> Text:
        width = max(1, self.content_size.width)
        share = (self.value - self.minimum) / (self.maximum - self.minimum)
        knob = round(share * (width - 1))
        return Text.assemble(("━" * knob, "bold"), ("●", "bold"), ("─" * (width - knob - 1), "dim"))

    def watch_value(self) -> None:
        self.refresh()

    def _user_set(self, value: float) -> None:
        value = self.clamped(value)
        if value != self.value:
            self.value = value
            self.post_message(self.Changed(self, value))

    def action_move(self, steps: int) -> None:
        self._user_set(self.value + steps * self.step)

    def action_to_bound(self, which: int) -> None:
        self._user_set(self.maximum if which else self.minimum)

    def _at(self, x: int) -> float:
        """The value whose knob is drawn at column ``x`` (the first column: the minimum, the last: the maximum)."""
        last = max(1, self.content_size.width - 1)
        share = min(1.0, max(0.0, x / last))
        return self.minimum + share * (self.maximum - self.minimum)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.focus()
        self._dragging = True
        self.capture_mouse()
        self._user_set(self._at(event.x))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging:
            self._user_set(self._at(event.x))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()
            self._user_set(self._at(event.x))
