"""Transforms and executors in the wizard: what a plugin registers, with its options as a form."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from datagen_plugin_tui.app import DatagenTui
from datagen_plugin_tui.model import Catalog, RunForm
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
