#!/usr/bin/env python3
"""Write the SVG screenshots of docs/tui.md (docs/tui/*.svg) with Textual's export.

    python scripts/gen_tui_screenshots.py

Drives `datagen tui` headless over the installed plugins: the Configure tab with json and
kafka-avro chosen (and the poison transform's rates as sliders when it is installed), a
preview of the records, the health of the servers (as they answer where the script runs:
start them with `scripts/stack up` for green lines) and a real run of 200 customers into a temporary folder.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from datagen_plugin_tui.app import DatagenTui
from datagen_plugin_tui.model import Catalog, RunForm

from datagen_kernel.engine.plugins import make_plugin_host

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "tui"
SIZE = (100, 32)


async def _until(pilot: object, condition: object, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit("the app did not get there in time")
        await pilot.pause(0.1)  # type: ignore[attr-defined]


async def main() -> None:
    catalog = Catalog.load(make_plugin_host())
    OUT.mkdir(parents=True, exist_ok=True)
    form = RunForm(count="1000", seed="7", sinks={"json": "", "kafka-avro": "event"})
    with tempfile.TemporaryDirectory() as tmp:
        app = DatagenTui(catalog, form, save_dir=Path(tmp))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.save_screenshot("configure.svg", str(OUT))
            if "poison" in catalog.transforms:  # the poison rates as sliders
                app.query_one("#transform-poison").value = True  # type: ignore[attr-defined]
                await pilot.pause()
                slider = app.query_one("#slider-opt-poison--duplicate")
                slider.focus()
                await pilot.press("right", "right")
                await pilot.pause()
                app.query_one("#wizard-scroll").scroll_to_widget(slider, animate=False, top=True)
                await pilot.pause()
                app.save_screenshot("sliders.svg", str(OUT))
                app.query_one("#transform-poison").value = False  # type: ignore[attr-defined]
                await pilot.pause()
            app.action_show("preview")
            await pilot.pause()
            app.load_preview()
            await _until(pilot, lambda: app.preview_data is not None)
            await pilot.pause()
            app.save_screenshot("preview.svg", str(OUT))
            app.action_show("health")
            await pilot.pause()
            app.load_health()
            await _until(pilot, lambda: app.health_results)
            await pilot.pause()
            app.save_screenshot("health.svg", str(OUT))

        run_form = RunForm(count="200", seed="7", sinks={"json": ""})
        run_form.set_option("json", "path", str(Path(tmp) / "out"))
        app = DatagenTui(catalog, run_form)
        async with app.run_test(size=SIZE) as pilot:
            app.start_run()
            await _until(pilot, lambda: app.process is not None and app.process.returncode is not None)
            await pilot.pause()
            app.save_screenshot("run.svg", str(OUT))
    for name in ("configure", "sliders", "preview", "health", "run"):
        print(f"wrote {OUT / (name + '.svg')}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
