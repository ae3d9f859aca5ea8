"""Real runs from the TUI: ``datagen run ... --progress-json -`` in a subprocess (json sink, no server)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from datagen_plugin_tui.app import DatagenTui
from datagen_plugin_tui.model import Catalog, RunForm
from datagen_plugin_tui.progress import command_for
from textual.widgets import DataTable
from tuitest_support import paste_into, run, text_of, type_into, wait_for

MANIFEST = "_datagen-run.json"
"""The run manifest: it names the run (id, start and end instants), so two runs differ there."""


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != MANIFEST}


def test_a_run_from_the_tui_writes_what_the_same_cli_run_writes(catalog: Catalog, tmp_path: Path) -> None:
    tui_out, cli_out = tmp_path / "tui", tmp_path / "cli"

    async def walk() -> None:
        app = DatagenTui(catalog, RunForm(count="40", seed="7", sinks={"json": ""}))
        async with app.run_test(size=(120, 50)) as pilot:
            await paste_into(pilot, "#opt-json--path", str(tui_out))
            await type_into(pilot, "#workers", "2")
            app.action_show("run")
            await pilot.pause()
            await pilot.click("#run-start")
            await wait_for(pilot, lambda: app.process is not None and app.process.returncode is not None, 60)
            await pilot.pause()
            process = app.process
            assert process is not None and process.returncode == 0, text_of(pilot, "#run-log")
            assert process.state.run_id and process.state.summary is not None
            summary = text_of(pilot, "#run-summary")
            assert summary.startswith("DONE"), summary
            assert f"path={tui_out}" in summary
            generated = process.state.summary["generated"]
            assert f"{generated:,} generated, {generated:,} acknowledged" in summary
            assert "100.0%" in text_of(pilot, "#run-status")
            rows = app.query_one("#run-rows", DataTable)
            assert rows.display and rows.row_count == len(process.state.summary["rows"]) > 0
            shown = text_of(pilot, "#command")

        # the command line the TUI shows, typed into a shell, to another folder
        argv = shlex.split(shown.replace(str(tui_out), str(cli_out)))
        done = subprocess.run(command_for(argv)[:-2], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert _files(tui_out) == _files(cli_out)
        assert len(_files(tui_out)) > 5

    run(walk())


def test_stop_interrupts_a_bounded_run_and_says_the_data_is_incomplete(catalog: Catalog, tmp_path: Path) -> None:
    async def walk() -> None:
        form = RunForm(count="1000000", sinks={"json": ""})
        form.set_option("json", "path", str(tmp_path / "out"))
        app = DatagenTui(catalog, form)
        async with app.run_test(size=(120, 50)) as pilot:
            assert app.start_run()
            await wait_for(pilot, lambda: app.process is not None and app.process.state.generated > 0, 60)
            await pilot.click("#run-stop")
            await wait_for(pilot, lambda: app.process is not None and app.process.returncode is not None, 60)
            await pilot.pause()
            state = app.process.state
            assert app.process.returncode == 130 and state.exit_code == 130
            assert state.summary is not None and state.summary["ok"] is False
            assert state.summary["generated"] < 1_000_000 * 10
            summary = text_of(pilot, "#run-summary")
            assert summary.startswith("STOPPED") and "NOT complete" in summary

    run(walk())


def test_a_stream_shows_its_target_and_actual_rate_and_stops_on_request(catalog: Catalog, tmp_path: Path) -> None:
    async def walk() -> None:
        form = RunForm(count="20", sinks={"json": ""}, stream=True, rate="200")
        form.set_option("json", "path", str(tmp_path / "out"))
        app = DatagenTui(catalog, form)
        async with app.run_test(size=(120, 50)) as pilot:
            assert app.start_run()
            await wait_for(pilot, lambda: "stream: target 200/s" in text_of(pilot, "#run-status")
                           and app.process is not None and (app.process.state.actual_rate or 0) > 0, 60)
            await pilot.press("ctrl+c")  # stops the run, not the app
            await wait_for(pilot, lambda: app.process is not None and app.process.returncode is not None, 60)
            await pilot.pause()
            assert app.is_running
            state = app.process.state
            assert state.summary is not None and state.summary["stopped_by"] == "SIGINT"
            assert text_of(pilot, "#run-summary").startswith("DONE: the stream ended")

    run(walk())
