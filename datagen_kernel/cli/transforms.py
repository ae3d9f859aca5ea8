"""``datagen transforms`` and ``datagen transforms describe NAME``."""

from __future__ import annotations

import json
from typing import Any

import click

from datagen_kernel.api.options import shown_defaults
from datagen_kernel.cli.common import _host, registered


@click.group("transforms", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def transforms_group(ctx: click.Context, as_json: bool) -> None:
    """List transforms (--transform NAME); ``datagen transforms describe NAME`` shows one."""
    if ctx.invoked_subcommand is not None:
        return
    registry = _host(ctx).registry
    rows = [{"name": name, "doc": reg.value.doc, "distribution": reg.owner.distribution,
             "stages": _stages(reg.value)} for name, reg in sorted(registry.transforms.items())]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no transforms installed")
    for row in rows:
        click.echo(f"{row['name']:<14} {row['doc']}  ({row['distribution']}; {', '.join(row['stages'])})")


def _stages(transform: Any) -> list[str]:
    stages = ["records"]
    if transform.payload is not None:
        stages.append("payloads")
    return stages


@transforms_group.command("describe")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def transforms_describe(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show a transform: what it does, its stages, entities and options."""
    registry = _host(ctx).registry
    reg = registered(registry.transforms, name, "transform")
    t = reg.value
    scenarios = sorted(n for n, s in registry.scenarios.items() if name in s.value.transforms)
    entities = list(t.entities) if t.entities is not None else None
    defaults = shown_defaults(t.options)  # secrets and URL passwords masked, as for sinks
    if as_json:
        click.echo(json.dumps({
            "name": name, "doc": t.doc, "description": t.describe, "distribution": reg.owner.distribution,
            "stages": _stages(t), "entities": entities, "scenarios": scenarios,
            "options": [{"name": o.name, "type": o.describe_type(), "default": defaults[o.name], "doc": o.doc}
                        for o in t.options],
        }, indent=2, default=str))
        return
    click.echo(f"{name}: {t.doc}  ({reg.owner.distribution} {reg.owner.version})")
    click.echo(f"stages: {', '.join(_stages(t))}; entities: {', '.join(entities) if entities else 'every entity'}"
               + (f" (choose with -o {name}.{t.entities_option}=...)" if t.entities_option else ""))
    if scenarios:
        click.echo(f"enabled by scenario(s): {', '.join(scenarios)}")
    click.echo(f"enable with --transform {name}; options (-o {name}.KEY=VALUE, [transforms.{name}] in --config):")
    for o in t.options:
        click.echo(f"  {o.name:<22} {o.describe_type():<12} default {defaults[o.name]!r}")
        if o.doc:
            click.echo(f"      {o.doc}")
    if t.describe:
        click.echo("")
        click.echo(t.describe.rstrip())
