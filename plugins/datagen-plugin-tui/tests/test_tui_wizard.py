"""The wizard, preview and run screens driven headless (Textual's pilot), no server needed."""

from __future__ import annotations

import shlex
from pathlib import Path

from click.testing import CliRunner
from conftest import fake_launcher
from datagen_plugin_tui.app import DatagenTui
from datagen_plugin_tui.model import Catalog, RunForm
from textual.widgets import DataTable, Input, Select
from tuitest_support import check, choose, paste_into, run, text_of, type_into, wait_for

from datagen_kernel.cli import make_cli


def _files(folder: Path) -> dict[str, bytes]:
    """The files a run wrote, but the run manifest (it names the run: its id and instants)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "_datagen-run.json"}


def test_the_catalog_is_what_the_plugins_registered(catalog: Catalog) -> None:
    reg = catalog.host.registry
    assert list(catalog.sinks) == sorted(reg.sinks)
    assert list(catalog.scenarios) == sorted(reg.scenarios)
    assert list(catalog.executors) == sorted(reg.executors)
    assert set(catalog.entities) == set(reg.entity_specs())
    assert catalog.count_flag == f"--{reg.run_defaults().count_flag or 'count'}"


def test_walking_the_wizard_for_json_gives_a_command_the_cli_accepts(catalog: Catalog, tmp_path: Path) -> None:
    async def walk() -> None:
        app = DatagenTui(catalog, RunForm(sinks={}), save_dir=tmp_path)
        async with app.run_test(size=(120, 50)) as pilot:
            await check(pilot, "#sink-json")
            await type_into(pilot, "#count", "7")
            await type_into(pilot, "#seed", "9")
            await paste_into(pilot, "#opt-json--path", str(tmp_path / "out"))
            await choose(pilot, "#selector-json", "master")
            line = text_of(pilot, "#command")
            assert line == shlex.join(["datagen", "run", catalog.count_flag, "7", "--seed", "9", "--sink",
                                       "json:master", "-o", f"json.path={tmp_path / 'out'}"])
            assert app.last_check.ok, app.last_check
            assert 'sinks = ["json:master"]' in text_of(pilot, "#toml")
            # the CLI takes the command line as shown and the config file as saved
            app.save_command()
            app.save_config()
            result = CliRunner().invoke(make_cli(lambda: catalog.host), shlex.split(line)[1:])
            assert result.exit_code == 0, result.output
            first = _files(tmp_path / "out")
            for p in (tmp_path / "out").iterdir():
                p.unlink()
            config = tmp_path / "datagen-run.toml"
            assert (tmp_path / "datagen-run.sh").read_text().splitlines()[1] == line
            result = CliRunner().invoke(make_cli(lambda: catalog.host), ["run", "--config", str(config)])
            assert result.exit_code == 0, result.output
            assert _files(tmp_path / "out") == first
            assert "customer.jsonl" in first and "transaction.jsonl" not in first  # masters only

    run(walk())


def test_an_invalid_option_is_shown_beside_its_field_with_the_cli_message(catalog: Catalog) -> None:
    sink = next(n for n, c in catalog.sinks.items() if any(o.minimum is not None for o in c.options))
    opt = next(o for o in catalog.sinks[sink].options if o.minimum is not None and o.type == "int")

    async def walk() -> None:
        app = DatagenTui(catalog, RunForm(sinks={sink: ""}))
        async with app.run_test(size=(120, 50)) as pilot:
            await type_into(pilot, f"#opt-{sink}--{opt.name}", str(int(opt.minimum or 0) - 1))
            error = text_of(pilot, f"#err-opt-{sink}--{opt.name}")
            assert error.startswith(f"option {sink}.{opt.name}=") and "must be >=" in error
            assert not app.last_check.ok
            # the same text as `datagen run` prints
            result = CliRunner().invoke(make_cli(lambda: catalog.host),
                                        shlex.split(text_of(pilot, "#command"))[1:])
            assert result.exit_code != 0 and error in result.output
            await type_into(pilot, "#count", "many")
            assert text_of(pilot, "#err-count") == "expected an integer"

    run(walk())


def test_secret_options_are_masked_and_kept_off_the_command_line(catalog: Catalog) -> None:
    owner = next(c for c in [*catalog.sinks.values(), *catalog.serializers.values()]
                 if any(o.secret for o in c.options))
    opt = next(o for o in owner.options if o.secret)
    sink = owner.name if owner.kind == "sink" else next(
        s for s in catalog.sinks if owner.name in catalog.serializers_for(s))

    async def walk() -> None:
        form = RunForm(sinks={sink: ""})
        if owner.kind == "serializer":
            form.set_option(sink, "serializer", owner.name)
        app = DatagenTui(catalog, form)
        async with app.run_test(size=(120, 50)) as pilot:
            field = app.query_one(f"#opt-{owner.namespace}--{opt.name}", Input)
            assert field.password
            await paste_into(pilot, f"#opt-{owner.namespace}--{opt.name}", "hunter2")
            assert "hunter2" not in text_of(pilot, "#command") and "hunter2" not in text_of(pilot, "#toml")
            assert "hunter2" not in " ".join(app.form.argv(catalog))
            assert list(app.form.secret_env(catalog).values()) == ["hunter2"]
            assert "********" in text_of(pilot, "#command")

    run(walk())


def test_the_preview_shows_sample_records_of_the_chosen_entities(catalog: Catalog) -> None:
    async def walk() -> None:
        app = DatagenTui(catalog, RunForm(count="5", sinks={"json": "master"}))
        async with app.run_test(size=(120, 40)) as pilot:
            app.action_show("preview")
            await pilot.pause()
            await pilot.click("#preview-go")
            await wait_for(pilot, lambda: app.preview_data is not None)
            await pilot.pause()
            assert app.preview_data is not None
            kinds = {n: catalog.entities[n].kind.value for n in app.preview_data.tables}
            assert set(kinds.values()) == {"master"}
            table = app.query_one("#preview-table", DataTable)
            entity = app.query_one("#preview-entity", Select).value
            columns, rows = app.preview_data.tables[str(entity)]
            assert table.row_count == len(rows) > 0
            assert [str(c.label) for c in table.columns.values()] == columns

    run(walk())


def test_a_run_shows_its_progress_and_summary_from_the_fake_events(catalog: Catalog, tmp_path: Path) -> None:
    """The run screen against recorded events of the documented schema (a FAKE run)."""
    async def walk() -> None:
        app = DatagenTui(catalog, RunForm(count="50", sinks={"json": ""}), launcher=fake_launcher(0.05))
        async with app.run_test(size=(120, 50)) as pilot:
            app.action_show("run")
            await pilot.pause()
            await pilot.click("#run-start")
            await wait_for(pilot, lambda: app.process is not None and app.process.returncode is not None)
            await pilot.pause()
            summary = text_of(pilot, "#run-summary")
            assert summary.startswith("DONE") and "2,000 generated, 2,000 acknowledged" in summary
            assert "json: " in summary and "where the data went" in summary
            status = text_of(pilot, "#run-status")
            assert "100.0%" in status and "memory 88.0 MiB" in status and "phase: done" in status
            assert app.query_one("#run-entities", DataTable).row_count == 3
            assert app.query_one("#run-sinks", DataTable).get_row_at(0) == ["json", "2,000", "0", "1,333"]

    run(walk())


def test_stop_sends_sigint_and_shows_an_incomplete_summary(catalog: Catalog) -> None:
    async def walk() -> None:
        app = DatagenTui(catalog, RunForm(sinks={"json": ""}), launcher=fake_launcher(1.0))
        async with app.run_test(size=(120, 50)) as pilot:
            assert app.start_run()
            await wait_for(pilot, lambda: app.process is not None and app.process.state.percent is not None)
            await pilot.press("ctrl+c")  # stops the run, does not quit the app
            await wait_for(pilot, lambda: app.process is not None and app.process.returncode is not None)
            await pilot.pause()
            assert app.process is not None and app.process.returncode == 130
            assert text_of(pilot, "#run-summary").startswith("STOPPED")
            assert app.is_running

    run(walk())


def test_every_screen_fits_80x24(catalog: Catalog) -> None:
    async def walk() -> None:
        transforms = ["poison"] if "poison" in catalog.transforms else []  # its rates: sliders
        app = DatagenTui(catalog, RunForm(sinks={"json": ""}, transforms=transforms))
        async with app.run_test(size=(80, 24)) as pilot:
            for tab in ("wizard", "preview", "health", "run"):
                app.action_show(tab)
                await pilot.pause()
                pane = app.query_one(f"#{tab}")
                visible = [w for w in pane.query("*") if w.display and w.region.area]
                assert visible, f"nothing of {tab} is shown at 80x24"
                for widget in visible:
                    assert widget.region.right <= 80, f"{widget} is cut at the right edge at 80x24"
                if tab == "wizard":  # the command line stays in view while the form scrolls
                    command = app.query_one("#command")
                    assert command.region.area and command.region.bottom <= 23
                    assert not transforms or pane.query("Slider"), "the poison rates have no slider"
                    for slider in pane.query("Slider"):  # a bounded rate's row fits, slider and error
                        slider.scroll_visible(animate=False, immediate=True)
                        await pilot.pause()
                        error = app.query_one(f"#err-{(slider.id or '').removeprefix('slider-')}")
                        assert slider.region.area and slider.region.right <= 80 and error.region.width >= 10
                for button in pane.query("Button"):  # each reachable: on screen, or scrolled to
                    button.scroll_visible(animate=False, immediate=True)
                    await pilot.pause()
                    assert button.region.area and button.region.bottom <= 23 and button.region.right <= 80, button

    run(walk())


def test_a_server_that_does_not_answer_is_shown_with_its_fix(catalog: Catalog) -> None:
    async def walk() -> None:
        form = RunForm(sinks={"postgres": ""})
        form.set_option("postgres", "url", "postgresql://postgres:secret@127.0.0.1:9/datagen")
        app = DatagenTui(catalog, form)
        async with app.run_test(size=(120, 50)) as pilot:
            app.action_show("health")
            await pilot.pause()
            await pilot.click("#health-go")
            await wait_for(pilot, lambda: len(app.health_results) == 1)
            result = app.health_results[0]
            assert not result.ok and result.target.shown == "postgresql://postgres:********@127.0.0.1:9/datagen"
            fix = text_of(pilot, "#health-fix")
            assert "scripts/stack up" in fix and "DATAGEN_POSTGRES_URL=" in fix and "secret" not in fix
            table = app.query_one("#health-table", DataTable)
            assert table.get_row_at(0)[0] == "NOT ANSWERING"

    run(walk())
