"""Entry point of datagen-plugin-tui: the ``tui`` command."""

from __future__ import annotations

from pathlib import Path

import click

from datagen_kernel import hookimpl
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host


@hookimpl
def datagen_register_commands(cli: click.Group) -> None:
    cli.add_command(tui_command)


@click.command("tui")
@click.option("--save-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where 'Save command' and 'Save config' write datagen-run.sh / datagen-run.toml.  "
                   "[default: the current directory]")
@click.pass_context
def tui_command(ctx: click.Context, save_dir: Path | None) -> None:
    """Configure, preview, run and watch a generation in a terminal interface."""
    from datagen_plugin_tui.app import DatagenTui
    from datagen_plugin_tui.model import Catalog

    obj = ctx.find_root().obj
    factory = obj.get("factory") if isinstance(obj, dict) else None
    host = factory() if factory is not None else make_plugin_host()
    assert isinstance(host, PluginHost)
    app = DatagenTui(Catalog.load(host), save_dir=save_dir)
    ctx.exit(app.run() or 0)
