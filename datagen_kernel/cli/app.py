"""The ``datagen`` command line (click)."""

from __future__ import annotations

import dataclasses
import gc
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from datagen_kernel.api.domain import RunDefaults
from datagen_kernel.api.errors import DatagenError, UsageError
from datagen_kernel.api.options import shown_defaults, shown_value, without_credentials
from datagen_kernel.api.schema import EntitySpec, to_avro, to_json_schema, to_sql_ddl
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.cli import run as commands_run
from datagen_kernel.cli.common import HostFactory, _debug, _host, _specs, parse_as_of, registered
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import sink_options
from datagen_kernel.engine.plugins import DISABLE_VARIABLE, PluginHost, kernel_version, make_plugin_host


class DatagenGroup(click.Group):
    """Turns ``DatagenError`` and click's usage errors into one line on stderr and their exit
    code (traceback, or click's usage text: --debug). Credentials in URLs are masked."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            _usage_error(ctx, exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DatagenError as exc:
            if _debug(ctx):
                raise
            click.echo(f"error: {without_credentials(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            _usage_error(ctx, exc)


def _usage_error(ctx: click.Context, exc: click.UsageError) -> NoReturn:
    """click's usage error as one line naming the command's help; click's own text with --debug
    (and for a bare ``datagen``, which shows the help)."""
    if _debug(ctx) or isinstance(exc, click.exceptions.NoArgsIsHelpError):
        raise exc
    where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
    click.echo(f"error: {without_credentials(exc.format_message())} (see `{where} --help`)", err=True)
    ctx.exit(exc.exit_code)


def make_cli(host_factory: HostFactory | None = None, *, load_commands: bool = True) -> click.Group:
    """Build the command group; plugins may add commands through ``datagen_register_commands``.

    The plugin host is built once, on first use, by ``host_factory`` (default: every
    installed plugin); tests pass a factory returning a host with just their plugins. With
    ``load_commands`` the host is built at once, for the plugins' commands and the count flag
    the entity packs declare (``datagen run --customers``); without, the CLI is the kernel's.
    """
    factory = host_factory or make_plugin_host
    holder: dict[str, PluginHost] = {}

    def get_host() -> PluginHost:
        if "host" not in holder:
            holder["host"] = factory()
        return holder["host"]

    @click.group(cls=DatagenGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(kernel_version(), "--version", prog_name="datagen")
    @click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
    @click.pass_context
    def cli(ctx: click.Context, debug: bool) -> None:
        """datagen: realistic, consistent, reproducible synthetic data through plugins."""
        ctx.ensure_object(dict)
        ctx.obj.setdefault("factory", get_host)

    _add_builtin_commands(cli)
    if load_commands:
        try:
            get_host().add_commands(cli)
        except DatagenError as exc:
            click.echo(f"warning: plugin commands unavailable: {exc}", err=True)
        try:
            defaults: RunDefaults | None = get_host().registry.run_defaults()
        except DatagenError:
            defaults = None  # the commands that read the plugins report it
        cli.add_command(commands_run.run_command_for(defaults))
    return cli


def _add_builtin_commands(cli: click.Group) -> None:
    from datagen_kernel.cli import scaffold
    from datagen_kernel.cli.transforms import transforms_group
    from datagen_kernel.cli.validate import validate_command

    cli.add_command(commands_run.run_command)
    cli.add_command(plugins_command)
    cli.add_command(entities_command)
    cli.add_command(sinks_group)
    cli.add_command(schemas_group)
    cli.add_command(scenarios_command)
    cli.add_command(transforms_group)
    cli.add_command(executors_command)
    cli.add_command(validate_command)
    cli.add_command(scaffold.new_plugin_command)


# --- datagen plugins -------------------------------------------------------------------------


@click.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Include the kernel's built-in plugin.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins_command(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List installed plugins: distribution, version and what each registers."""
    host = _host(ctx)
    try:
        registry = host.registry
        registry_error = None
    except DatagenError as exc:
        registry, registry_error = None, str(exc)
    rows: list[dict[str, Any]] = []
    for info in host.plugins:
        if info.builtin and not show_all:
            continue
        provides = registry.provided_by(info) if registry and not info.error and not info.disabled else {}
        rows.append({"name": info.name, "distribution": info.distribution, "version": info.version,
                     "builtin": info.builtin, "provides": provides,
                     "error": without_credentials(info.error) if info.error else info.error,
                     "disabled": info.disabled})
    if as_json:
        shown_error = without_credentials(registry_error) if registry_error else None
        click.echo(json.dumps({"plugins": rows, "error": shown_error}, indent=2))
        return
    if not rows:
        click.echo("no plugins installed: install an entity pack and a sink plugin")
    for row in rows:
        status = f"  BROKEN: {row['error']}" if row["error"] else ""
        if row["disabled"]:
            status = f"  DISABLED ({DISABLE_VARIABLE})"
        click.echo(f"{row['name']}  ({row['distribution']} {row['version']}){status}")
        for kind, names in row["provides"].items():
            click.echo(f"    {kind}: {', '.join(names)}")
    if registry_error:
        click.echo(f"error: {without_credentials(registry_error)}", err=True)
        ctx.exit(1)


# --- datagen entities ------------------------------------------------------------------------


def spec_as_dict(spec: EntitySpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "kind": spec.kind.value,
        "scope": spec.scope.value,
        "primary_key": spec.primary_key,
        "table": spec.table_name,
        "topic": spec.topic_name,
        "key_field": spec.message_key,
        "foreign_keys": [{"field": fk.field, "references": f"{fk.entity}.{fk.ref_field}"} for fk in spec.foreign_keys],
        "fields": [{"name": f.name, "type": f.describe(), "nullable": f.nullable, "doc": f.doc} for f in spec.fields],
        "doc": spec.doc,
    }


@click.command("entities")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def entities_command(ctx: click.Context, as_json: bool) -> None:
    """List the entities installed packs provide, with fields and keys."""
    specs = _specs(ctx)
    owners = {n: r.owner.distribution for n, r in _host(ctx).registry.entities.items()}
    if as_json:
        click.echo(json.dumps([spec_as_dict(s) | {"distribution": owners.get(n)} for n, s in specs.items()], indent=2))
        return
    if not specs:
        click.echo(f"no entity pack installed: {_host(ctx).registry.run_defaults().install_hint}")
    for name, spec in specs.items():
        fks = ", ".join(f"{fk.field}->{fk.entity}.{fk.ref_field}" for fk in spec.foreign_keys)
        click.echo(f"{name}  [{spec.kind.value}]  table {spec.table_name}  topic {spec.topic_name}"
                   f"  key {spec.message_key}  ({owners.get(name)})")
        if fks:
            click.echo(f"    references: {fks}")
        click.echo("    fields: " + ", ".join(f"{f.name} {f.describe()}" for f in spec.fields))


# --- datagen sinks ---------------------------------------------------------------------------


@click.group("sinks", invoke_without_command=True)
@click.pass_context
def sinks_group(ctx: click.Context) -> None:
    """List sinks; ``datagen sinks describe NAME`` shows a sink's options."""
    if ctx.invoked_subcommand is None:
        registry = _host(ctx).registry
        for name, reg in sorted(registry.sinks.items()):
            click.echo(f"{name:<14} {reg.value.doc}  ({reg.owner.distribution})")


@sinks_group.command("describe")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def sinks_describe(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show a sink's declared options (type, default, doc)."""
    registry = _host(ctx).registry
    reg = registered(registry.sinks, name, "sink")
    cls = reg.value
    opts = sink_options(cls)
    caps = cls.capabilities()
    ser = cls.serializer_name
    ser_opts = list(registry.serializers[ser].value.options) if ser and ser in registry.serializers else []
    defaults = shown_defaults(opts)
    ser_defaults = shown_defaults(ser_opts)
    accepted = ("any per-record serializer" if caps.serializers is None
                else ", ".join(caps.serializers) or "none")
    if as_json:
        click.echo(json.dumps({
            "name": name, "doc": cls.doc, "serializer": ser, "distribution": reg.owner.distribution,
            "capabilities": dataclasses.asdict(caps),
            "options": [{"name": o.name, "type": o.describe_type(), "default": defaults[o.name],
                         "doc": o.doc, "secret": o.secret} for o in opts],
            "serializer_options": [{"name": o.name, "type": o.describe_type(), "default": ser_defaults[o.name],
                                    "doc": o.doc, "secret": o.secret} for o in ser_opts],
        }, indent=2, default=str))
        return
    click.echo(f"{name}: {cls.doc}  ({reg.owner.distribution} {reg.owner.version})")
    if ser:
        click.echo(f"serializer: {ser} (accepts {accepted}; choose with -o {name}.serializer=NAME)")
    click.echo(f"masters before events: {'yes' if caps.phase_barrier else 'no'}; "
               f"tasks in parallel: {'yes' if caps.parallel_tasks else 'no'}; "
               f"append-only files: {'yes' if caps.append_files else 'no'}")
    click.echo("options (-o {0}.KEY=VALUE, env DATAGEN_{1}_KEY, [sinks.{0}] in --config):".format(
        name, name.upper().replace("-", "_")))
    for o in opts:
        secret = " (secret)" if o.secret else ""
        click.echo(f"  {o.name:<22} {o.describe_type():<12} default {defaults[o.name]!r}{secret}")
        if o.doc:
            click.echo(f"      {o.doc}")
    for o in ser_opts:
        secret = " (secret)" if o.secret else ""
        click.echo(f"  {ser}.{o.name:<17} {o.describe_type():<12} default {ser_defaults[o.name]!r}{secret}"
                   "  [serializer]")
        if o.doc:
            click.echo(f"      {o.doc}")


# --- datagen schemas -------------------------------------------------------------------------


@click.group("schemas")
def schemas_group() -> None:
    """Export entity schemas."""


BUILTIN_SCHEMA_FORMATS = ("avro", "sql", "jsonschema")


@schemas_group.command("export")
@click.option("--format", "fmt", required=True, metavar="FORMAT",
              help="avro, sql, jsonschema, or the name of an installed serializer that exports schemas.")
@click.option("--schema", "sql_schema", default="public", show_default=True, help="SQL schema name.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def schemas_export(ctx: click.Context, fmt: str, sql_schema: str, directory: Path) -> None:
    """Write one schema file per entity into DIRECTORY (sql: one file, in foreign-key order)."""
    specs = _specs(ctx)
    serializer = _schema_serializer(ctx, fmt)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if serializer is not None:
        serializer.open(list(specs.values()))
        for name, spec in specs.items():
            text = serializer.schema(spec)
            if text is None:
                continue
            path = directory / f"{name}{serializer.schema_suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
        serializer.close()
    elif fmt == "sql":
        path = directory / "schema.sql"
        path.write_text("".join(to_sql_ddl(s, specs, sql_schema) + "\n" for s in specs.values()), encoding="utf-8")
        written.append(path)
    else:
        for name, spec in specs.items():
            if fmt == "avro":
                path = directory / f"{name}.avsc"
                doc = to_avro(spec)
            else:
                path = directory / f"{name}.schema.json"
                doc = to_json_schema(spec)
            path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
            written.append(path)
    for p in written:
        click.echo(str(p))


def _schema_serializer(ctx: click.Context, fmt: str) -> Serializer | None:
    """The serializer ``--format`` names when it is not a built-in format; UsageError if neither."""
    if fmt in BUILTIN_SCHEMA_FORMATS:
        return None
    registry = _host(ctx).registry
    exporting = {n: r.value for n, r in registry.serializers.items() if r.value.schema_suffix}
    if fmt not in exporting:
        known = ", ".join([*BUILTIN_SCHEMA_FORMATS, *sorted(set(exporting) - set(BUILTIN_SCHEMA_FORMATS))])
        raise UsageError(f"--format {fmt!r} is unknown: expected one of {known}",
                         hint="a serializer plugin that exports schemas adds its name here (datagen plugins)")
    cls = exporting[fmt]
    return cls({o.name: o.default_value() for o in cls.options})


# --- datagen executors -----------------------------------------------------------------------


@click.command("executors")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def executors_command(ctx: click.Context, as_json: bool) -> None:
    """List executors (--executor NAME) and their options (-o NAME.KEY=VALUE)."""
    registry = _host(ctx).registry
    rows: list[dict[str, Any]] = [{
        "name": name, "doc": reg.value.doc, "distribution": reg.owner.distribution,
        "options": [{"name": o.name, "type": o.describe_type(), "default": shown_value(o.default_value()),
                     "doc": o.doc} for o in reg.value.options],
    } for name, reg in sorted(registry.executors.items())]
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        click.echo(f"{row['name']:<14} {row['doc']}  ({row['distribution']})")
        for o in row["options"]:
            click.echo(f"    {row['name']}.{o['name']:<18} {o['type']:<10} default {o['default']!r}  {o['doc']}")


# --- datagen scenarios -----------------------------------------------------------------------


@click.command("scenarios")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def scenarios_command(ctx: click.Context, as_json: bool) -> None:
    """List scenarios (named presets) and their parameters (-o scenario.KEY=VALUE)."""
    registry = _host(ctx).registry
    rows: list[dict[str, Any]] = []
    for name, reg in sorted(registry.scenarios.items()):
        s = reg.value
        rows.append({
            "name": name, "doc": s.doc, "distribution": reg.owner.distribution,
            "entities": list(s.entities) if s.entities is not None else None,
            "transforms": list(s.transforms),
            "options": [{"name": o.name, "type": o.describe_type(), "default": shown_value(o.default_value()),
                         "doc": o.doc} for o in s.options],
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("no scenarios installed")
    for row in rows:
        click.echo(f"{row['name']}: {row['doc']}  ({row['distribution']})")
        if row["transforms"]:
            click.echo(f"    transforms: {', '.join(row['transforms'])}")
        for o in row["options"]:
            click.echo(f"    -o scenario.{o['name']}=<{o['type']}>  default {o['default']!r}  {o['doc']}")


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli = make_cli()
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="datagen")
    finally:
        # The command is over and its output written. Interpreter shutdown would collect
        # garbage across the whole heap (numpy tables, plugin pools): about 50 ms after a
        # run, for nothing. Frozen objects are skipped; memory goes back when the process ends.
        gc.freeze()


__all__ = ["ConfigSources", "main", "make_cli", "parse_as_of"]
