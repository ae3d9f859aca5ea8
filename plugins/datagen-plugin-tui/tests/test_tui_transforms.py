"""Transforms and executors in the wizard: what a plugin registers, with its options as a form."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from datagen_plugin_tui.app import DatagenTui, slider_bounds
from datagen_plugin_tui.model import Catalog, RunForm
from datagen_plugin_tui.slider import Slider
from textual.widgets import Input
from tuitest_support import check, choose, paste_into, run, text_of, type_into

from datagen_kernel import hookimpl
from datagen_kernel.api import Option, Transform
from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host


def _drop_some(spec: Any, records: list[dict[str, Any]], ctx: Any) -> list[dict[str, Any]]:
    share = ctx.options["share"]
    rng = ctx.rng(spec.name)
    return [r for r in records if rng.random() >= share]


class SamplePlugin:
    """A transform with a bounded rate, as a poison-pill injector declares its rates."""

    @hookimpl
    def datagen_register_transforms(self, register: Any) -> None:
        register(Transform("sample-drop", _drop_some, "Drops a share of the records (test plugin).",
                           options=(Option("share", "float", 0.0, "Share of records dropped.", minimum=0, maximum=1),)))


def test_a_transform_and_its_rate_are_offered_and_checked_as_the_cli_does(tmp_path: Path) -> None:
    catalog = Catalog.load(make_plugin_host(plugins=[SamplePlugin()]))

    async def walk() -> None:
        app = DatagenTui(catalog, RunForm(count="5", sinks={"json": ""}))
        async with app.run_test(size=(120, 50)) as pilot:
            await check(pilot, "#transform-sample-drop")
            field = "#opt-sample-drop--share"
            assert "[0..1]" in str(app.query_one(field).placeholder)  # type: ignore[attr-defined]
            await type_into(pilot, field, "1.5")
            assert "must be <= 1" in text_of(pilot, "#err-opt-sample-drop--share")
            await type_into(pilot, field, "0.5")
            assert text_of(pilot, "#err-opt-sample-drop--share") == ""
            await paste_into(pilot, "#opt-json--path", str(tmp_path / "out"))
            await choose(pilot, "#executor", "local")
            await type_into(pilot, "#workers", "2")
            line = text_of(pilot, "#command")
            assert "--transform sample-drop" in line and "-o sample-drop.share=0.5" in line and "--workers 2" in line
            assert "[transforms.sample-drop]\nshare = 0.5" in text_of(pilot, "#toml")
            assert app.last_check.ok
            result = CliRunner().invoke(make_cli(lambda: catalog.host), shlex.split(line)[1:])
            assert result.exit_code == 0, result.output

    run(walk())


def test_every_executor_is_offered_with_its_options(catalog: Catalog) -> None:
    with_options = [name for name, comp in catalog.executors.items() if comp.options]
    assert with_options, "no installed executor declares options"

    async def walk() -> None:
        app = DatagenTui(catalog, RunForm(sinks={"json": ""}))
        async with app.run_test(size=(120, 50)) as pilot:
            offered = [value for _, value in app.query_one("#executor")._options]  # type: ignore[attr-defined]
            assert offered == list(catalog.executors)
            for name in with_options:
                await choose(pilot, "#executor", name)
                comp = catalog.executors[name]
                for opt in comp.options:
                    assert app.query(f"#opt-{name}--{opt.name}"), f"{name}.{opt.name} has no field"
                assert f"--executor {name}" in text_of(pilot, "#command")

    run(walk())


def test_the_poison_rates_are_sliders_in_step_with_their_fields_and_the_command(catalog: Catalog,
                                                                               tmp_path: Path) -> None:
    """With the poison plugin installed, each bounded rate gets a slider (from the option's
    metadata): keys and the mouse move it, the field and the command line follow, the CLI
    accepts the result, and typing in the field moves the slider."""
    if "poison" not in catalog.transforms:
        pytest.skip("the poison plugin is not installed")
    rates = [o.name for o in catalog.transforms["poison"].options if slider_bounds(o) is not None]
    assert "duplicate" in rates and "orphan" in rates

    async def walk() -> None:
        app = DatagenTui(catalog, RunForm(count="3", seed="5", sinks={"json": ""}))
        async with app.run_test(size=(120, 50)) as pilot:
            await check(pilot, "#transform-poison")
            for name in rates:
                assert app.query(f"#slider-opt-poison--{name}"), f"poison.{name} has no slider"
            assert not app.query("#slider-opt-poison--entities")  # a list: no slider
            slider = app.query_one("#slider-opt-poison--duplicate", Slider)
            field = app.query_one("#opt-poison--duplicate", Input)
            slider.focus()
            await pilot.press("right", "right")
            assert slider.value == 0.02 and field.value == "0.02"
            assert "-o poison.duplicate=0.02" in text_of(pilot, "#command")
            await pilot.press("shift+right", "left")
            assert field.value == "0.11" and "-o poison.duplicate=0.11" in text_of(pilot, "#command")
            assert "duplicate = 0.11" in text_of(pilot, "#toml")

            orphan = app.query_one("#slider-opt-poison--orphan", Slider)
            orphan.focus()  # scrolls it into view
            await pilot.pause()
            await pilot.pause()
            width = orphan.content_size.width
            await pilot.mouse_down("#slider-opt-poison--orphan", offset=(width // 2, 0))
            await pilot.hover("#slider-opt-poison--orphan", offset=(width - 1, 0))
            await pilot.mouse_up("#slider-opt-poison--orphan", offset=(width - 1, 0))
            assert orphan.value == 1.0 and app.query_one("#opt-poison--orphan", Input).value == "1"
            await pilot.click("#slider-opt-poison--orphan", offset=(0, 0))
            assert orphan.value == 0.0 and "poison.orphan" not in text_of(pilot, "#command")  # the default

            await type_into(pilot, "#opt-poison--duplicate", "0.5")
            assert slider.value == 0.5
            await type_into(pilot, "#opt-poison--duplicate", "1.5")
            assert slider.value == 1.0
            assert "must be within 0..1" in text_of(pilot, "#err-opt-poison--duplicate")
            slider.focus()
            await pilot.press("shift+left", "shift+left", "right")  # back in range, from the slider
            assert field.value == "0.81" and text_of(pilot, "#err-opt-poison--duplicate") == ""

            await paste_into(pilot, "#opt-json--path", str(tmp_path / "out"))
            line = text_of(pilot, "#command")
            assert "--transform poison" in line and "-o poison.duplicate=0.81" in line and app.last_check.ok
            result = CliRunner().invoke(make_cli(lambda: catalog.host), shlex.split(line)[1:])
            assert result.exit_code == 0, result.output

    run(walk())
