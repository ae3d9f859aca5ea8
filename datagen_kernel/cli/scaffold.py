"""``datagen new-plugin NAME``: a ready-to-install plugin distribution in the current folder.

The templates below are the smallest complete plugin of each kind: an entity pack, a sink or
a serializer, with a README and a test suite that passes right after ``pip install -e``.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template

import click

from datagen_kernel.api.errors import UsageError
from datagen_kernel.engine.plugins import kernel_version

KINDS = ("entities", "sink", "serializer")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_PREFIX = "datagen-plugin-"


def kernel_requirement(version: str | None = None) -> str:
    """``datagen-kernel>=X.Y,<NEXT``: the kernel range a new plugin declares (semver)."""
    match = re.match(r"^(\d+)\.(\d+)", kernel_version() if version is None else version)
    major, minor = (int(match.group(1)), int(match.group(2))) if match else (0, 1)
    upper = f"0.{minor + 1}" if major == 0 else f"{major + 1}"
    return f"datagen-kernel>={major}.{minor},<{upper}"


def check_name(name: str) -> str:
    """The plugin name without the ``datagen-plugin-`` prefix; raise ``UsageError`` if invalid."""
    short = name[len(_PREFIX):] if name.startswith(_PREFIX) else name
    if not _NAME.match(short) or len(short) > 40:
        raise UsageError(
            f"plugin name {name!r} is invalid",
            hint="use lowercase letters, digits and single dashes, starting with a letter "
                 "(at most 40 characters), e.g. datagen new-plugin pix-keys",
        )
    if keyword.iskeyword(short.replace("-", "_")):
        raise UsageError(f"plugin name {name!r} is a Python keyword", hint="choose another name")
    return short


def render(name: str, kind: str) -> dict[str, str]:
    """Relative path -> content of every file of a new plugin distribution."""
    if kind not in KINDS:
        raise UsageError(f"--kind {kind!r} is unknown", hint=f"expected one of {', '.join(KINDS)}")
    short = check_name(name)
    snake = short.replace("-", "_")
    values = {
        "name": short,
        "dist": _PREFIX + short,
        "pkg": "datagen_plugin_" + snake,
        "snake": snake,
        "camel": "".join(p.capitalize() for p in short.split("-")),
        "kernel_req": kernel_requirement(),
        "kind": kind,
    }
    pkg = values["pkg"]
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README_HEAD + _README[kind] + _README_TAIL,
        f"src/{pkg}/__init__.py": _INIT,
        f"src/{pkg}/plugin.py": _PLUGIN[kind],
        "tests/conftest.py": _CONFTEST[kind],
        f"tests/test_{snake}_plugin.py": _TEST[kind],
    }
    return {path: Template(text).substitute(values) for path, text in files.items()}


def create(name: str, kind: str, directory: Path) -> Path:
    """Write the distribution ``datagen-plugin-NAME`` into ``directory``; return its folder."""
    files = render(name, kind)
    target = directory / (_PREFIX + check_name(name))
    if target.exists():
        raise UsageError(f"{str(target)!r} already exists", hint="choose another name or remove that folder")
    if not directory.is_dir():
        raise UsageError(f"{str(directory)!r} is not a folder", hint="create it or pass another --directory")
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


@click.command("new-plugin")
@click.argument("name")
@click.option("--kind", type=click.Choice(KINDS), default="entities", show_default=True,
              help="What the example hook implementation provides.")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where to create the datagen-plugin-NAME folder.")
def new_plugin_command(name: str, kind: str, directory: Path) -> None:
    """Create datagen-plugin-NAME/: pyproject, package, example hook, README and tests."""
    target = create(name, kind, directory)
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e {target} && pytest {target / 'tests'}")


# --- templates (string.Template: $name, $dist, $pkg, $snake, $camel, $kernel_req, $kind) ------

_PYPROJECT = """\
[build-system]
# hatchling builds in memory: `pip install .` leaves no build/ or *.egg-info in this folder
requires = ["hatchling>=1.18"]
build-backend = "hatchling.build"

[project]
name = "$dist"
version = "0.1.0"
description = "datagen plugin: $name ($kind)"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["$kernel_req"]

[project.optional-dependencies]
test = ["pytest>=8"]

# datagen finds plugins through this entry-point group
[project.entry-points.datagen]
$name = "$pkg.plugin"

[tool.hatch.build.targets.wheel]
packages = ["src/$pkg"]
"""

_INIT = '''\
"""$dist: a datagen plugin."""
'''

_README_HEAD = """\
# $dist

A datagen plugin ($kind), created with `datagen new-plugin $name --kind $kind`.

## Install and test

```bash
pip install -e .
pytest tests
datagen plugins          # lists "$name" and what it registers
```

"""

_README = {
    "entities": """\
## What it does

Registers the entity `$snake` (one to three records per customer, referencing
`customer.customer_id`) and its generator in `src/$pkg/plugin.py`. With an entity pack
that provides `customer` installed (e.g. `datagen-plugin-banking`):

```bash
datagen entities
datagen run --customers 100 --sink json -o json.path=./out   # out/$snake.jsonl
```

The tests register a stand-in `customer` (tests/conftest.py), so they pass without the pack.
""",
    "sink": """\
## What it does

Registers the sink `$name` in `src/$pkg/plugin.py`: one text file `<path>/$name.log`
with a line per record, `entity<TAB>key<TAB>json`, renamed into place only when the run
succeeds. The tests run the datagen sink conformance suite on it.

```bash
datagen sinks describe $name
datagen run --count 100 --sink $name -o $name.path=./out
```
""",
    "serializer": """\
## What it does

Registers the value serializer `$name` in `src/$pkg/plugin.py`: one `key=value` line
(logfmt) per record, decimals as exact text, timestamps ISO 8601. A sink uses it by naming it
in its `serializer_name`.
""",
}

_README_TAIL = """\
## Next steps

Read the plugin tutorial and the hook reference (`docs/plugins.md` in the datagen
repository). Hook argument names are public API; keep the declared kernel range
(`$kernel_req`) until you have tested a newer kernel.
"""

_PLUGIN = {
    "entities": '''\
"""Entity `$snake`: a few records per customer, with a deterministic generator."""

from __future__ import annotations

from datagen_kernel.api import (
    BlockContext,
    EntitySpec,
    Enum,
    Field,
    ForeignKey,
    Int,
    Kind,
    Record,
    Timestamp,
    Uuid,
    hookimpl,
)

ENTITY = EntitySpec(
    name="$snake",
    kind=Kind.MASTER,
    fields=(
        Field("${snake}_id", Uuid(), doc="Primary key."),
        Field("customer_id", Uuid(), doc="Owner."),
        Field("level", Enum("LOW", "MEDIUM", "HIGH"), doc="An example category."),
        Field("points", Int(minimum=0, maximum=1000), doc="An example number."),
        Field("created_at", Timestamp(), doc="When it was created."),
    ),
    primary_key="${snake}_id",
    foreign_keys=(ForeignKey("customer_id", "customer", "customer_id"),),
    doc="Example entity of $dist.",
)
LEVELS = ("LOW", "MEDIUM", "HIGH")


def generate(ctx: BlockContext) -> list[Record]:
    """All `$snake` records of one block: one array per stream, drawn in customer order."""
    customers = ctx.records("customer")
    counts = ctx.rng("count").integers(1, 4, len(customers)).tolist()
    total = sum(counts)
    ids = ctx.uuids(total)
    levels = ctx.rng("level").integers(0, len(LEVELS), total).tolist()
    points = ctx.rng("points").integers(0, 1001, total).tolist()
    ages = ctx.rng("age").integers(0, 86_400_000 * 365, total).tolist()
    out: list[Record] = []
    k = 0
    for customer, count in zip(customers, counts, strict=True):
        for _ in range(count):
            out.append({
                "${snake}_id": ids[k],
                "customer_id": customer["customer_id"],
                "level": LEVELS[levels[k]],
                "points": points[k],
                "created_at": ctx.run.as_of_ms - ages[k],
            })
            k += 1
    return out


@hookimpl
def datagen_register_entities(register) -> None:  # type: ignore[no-untyped-def]
    register(ENTITY)


@hookimpl
def datagen_register_generators(register) -> None:  # type: ignore[no-untyped-def]
    register("$snake", generate)
''',
    "sink": '''\
"""Sink `$name`: one text file, a line per record, renamed into place on success."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from datagen_kernel.api import EncodedBatch, Option, Sink, SinkContext, SinkError, hookimpl


class ${camel}Sink(Sink):
    """Writes `entity<TAB>key<TAB>json` lines to `<path>/$name.log`."""

    name = "$name"
    doc = "One text file, a line per record (entity, key, JSON value)."
    serializer_name = "json"  # the default; a route may choose another: -o $name.serializer=NAME
    message_keys = True  # batches carry each record's key (batch.keys)
    options = (
        Option("path", "path", "./datagen-out", "Folder of the $name.log file."),
        Option("buffer_kb", "int", 256, "Write buffer size in KiB.", minimum=1, maximum=65536),
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.final = Path(self.config["path"]) / "$name.log"
        self.tmp = self.final.with_name(f".$name.log.{os.getpid()}.partial")
        self.file: IO[bytes] | None = None
        self.pending: dict[str, int] = {}

    def open(self, context: SinkContext) -> None:
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.tmp, "wb", buffering=self.config["buffer_kb"] * 1024)  # noqa: SIM115
        except OSError as exc:
            raise SinkError(f"$name sink cannot write in {str(self.final.parent)!r}: {exc.strerror}",
                            hint="choose another -o $name.path") from None

    def write(self, batch: EncodedBatch) -> None:
        # batch.payload: the values the route's serializer made (in the process that generated them)
        assert self.file is not None
        prefix = f"{batch.entity}\\t".encode()
        lines = [prefix + key + b"\\t" + value + b"\\n"
                 for key, value in zip(batch.keys.tolist(), batch.payload.tolist(), strict=True)]
        self.file.write(b"".join(lines))
        self.pending[batch.entity] = self.pending.get(batch.entity, 0) + batch.count

    def flush(self) -> None:
        # acknowledge only what reached the operating system
        assert self.file is not None
        self.file.flush()
        for entity, count in self.pending.items():
            self.stats.ack(entity, count)
        self.pending.clear()

    def close(self, ok: bool) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        if ok:
            os.replace(self.tmp, self.final)
        else:
            self.tmp.unlink(missing_ok=True)


@hookimpl
def datagen_register_sinks(register) -> None:  # type: ignore[no-untyped-def]
    register(${camel}Sink)
''',
    "serializer": '''\
"""Serializer `$name`: one logfmt line (`key=value ...`) per record."""

from __future__ import annotations

from collections.abc import Sequence

from datagen_kernel.api import EntitySpec, Option, Record, Serializer, hookimpl
from datagen_kernel.codecs.text import to_text_values


class ${camel}Serializer(Serializer):
    """`field=value` pairs separated by spaces; values with spaces or quotes are quoted."""

    name = "$name"
    doc = "logfmt text: field=value pairs, one line per record."
    content_type = "text/plain"
    options = (Option("nulls", "bool", False, "Write null fields as field= (default: leave them out)."),)

    def serialize(self, entity: EntitySpec, records: Sequence[Record], *, topic: str | None = None) -> list[bytes]:
        out: list[bytes] = []
        for record in to_text_values(entity, records, self.timezone):  # the run's time zone
            pairs = []
            for field, value in record.items():
                if value is None and not self.config.get("nulls"):
                    continue
                pairs.append(f"{field}={_text(value)}")
            out.append(" ".join(pairs).encode("utf-8"))
        return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        value = ",".join(f"{k}:{v}" for k, v in value.items())
    text = str(value)
    if not text or any(c in text for c in ' "=\\n\\t'):
        text = '"' + text.replace("\\\\", "\\\\\\\\").replace('"', '\\\\"').replace("\\n", "\\\\n") + '"'
    return text


@hookimpl
def datagen_register_serializers(register) -> None:  # type: ignore[no-untyped-def]
    register(${camel}Serializer)
''',
}

_CONFTEST = {
    "entities": '''\
"""A stand-in `customer` so the tests run without an entity pack installed."""

from __future__ import annotations

import pytest
from datagen_kernel.api import BlockContext, EntitySpec, Field, Kind, Record, Scope, Uuid, hookimpl

CUSTOMER = EntitySpec(name="customer", kind=Kind.MASTER, scope=Scope.ROOT,
                      fields=(Field("customer_id", Uuid()),), primary_key="customer_id")


class StandInCustomers:
    @hookimpl
    def datagen_register_entities(self, register) -> None:  # type: ignore[no-untyped-def]
        register(CUSTOMER)

    @hookimpl
    def datagen_register_generators(self, register) -> None:  # type: ignore[no-untyped-def]
        register("customer", self.generate)

    @staticmethod
    def generate(ctx: BlockContext) -> list[Record]:
        return [{"customer_id": i} for i in ctx.uuids(ctx.size)]


@pytest.fixture
def customers() -> StandInCustomers:
    return StandInCustomers()
''',
    "sink": '''\
"""Fixtures of the $dist tests (the datagen testing kit is a pytest plugin, always loaded)."""
''',
    "serializer": '''\
"""Fixtures of the $dist tests (the datagen testing kit is a pytest plugin, always loaded)."""
''',
}

_ENTRY_POINT_TEST = '''\


def test_installed_plugin_is_discoverable() -> None:
    """After `pip install -e .` datagen finds the plugin through its entry point."""
    from datagen_kernel import make_plugin_host

    host = make_plugin_host()
    info = {p.name: p for p in host.plugins}
    assert "$name" in info, "install the distribution first: pip install -e ."
    assert info["$name"].error is None, info["$name"].error
    assert info["$name"].distribution == "$dist"
'''

_TEST = {
    "entities": '''\
"""Tests of the `$snake` entity: valid, linked to customers, deterministic."""

from __future__ import annotations

from datagen_kernel.testing import generate_records
from $pkg import plugin


def test_every_customer_gets_records(datagen_host, datagen_register, customers) -> None:
    datagen_register(customers)
    datagen_register(plugin)
    data = generate_records(datagen_host, customers=50, seed=1)
    owners = {c["customer_id"] for c in data["customer"]}
    items = data["$snake"]
    assert {r["customer_id"] for r in items} == owners
    assert all(1 <= sum(r["customer_id"] == c for r in items) <= 3 for c in owners)


def test_same_seed_same_records_and_stable_prefix(datagen_host, datagen_register, customers) -> None:
    datagen_register(customers)
    datagen_register(plugin)
    small = generate_records(datagen_host, customers=10, seed=3)
    large = generate_records(datagen_host, customers=600, seed=3)
    assert generate_records(datagen_host, customers=10, seed=3) == small
    assert large["$snake"][: len(small["$snake"])] == small["$snake"]
    assert generate_records(datagen_host, customers=10, seed=4) != small


def test_cli_run(datagen_register, datagen_cli, customers) -> None:
    datagen_register(customers)
    datagen_register(plugin)
    result = datagen_cli(["run", "--count", "20", "--sink", "null", "-q"])
    assert result.exit_code == 0, result.output
''' + _ENTRY_POINT_TEST,
    "sink": '''\
"""The `$name` sink runs the datagen sink conformance suite."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from datagen_kernel.testing import SinkConformance
from $pkg import plugin


class Test${camel}Conformance(SinkConformance):
    sink_name = "$name"
    options: ClassVar[dict[str, str]] = {"path": "{tmp_path}/{run}"}
    plugins = (plugin,)

    def read_back(self, config: Mapping[str, Any], entities: Any) -> dict[str, list[bytes]]:
        path = Path(config["path"]) / "$name.log"
        held: dict[str, list[bytes]] = {}
        if path.exists():
            for line in path.read_bytes().splitlines():
                entity = line.split(b"\\t", 1)[0].decode()
                held.setdefault(entity, []).append(line)
        return held
''' + _ENTRY_POINT_TEST,
    "serializer": '''\
"""Tests of the `$name` serializer on the conformance suite's sample entities."""

from __future__ import annotations

from datagen_kernel.testing import ConformancePack, generate_records
from $pkg import plugin
from $pkg.plugin import ${camel}Serializer


def test_registered(datagen_host, datagen_register) -> None:
    datagen_register(plugin)
    assert datagen_host.registry.serializers["$name"].value is ${camel}Serializer


def test_one_line_per_record_exact_and_deterministic(datagen_host, datagen_register) -> None:
    datagen_register(ConformancePack())
    data = generate_records(datagen_host, customers=20, seed=5)
    spec = datagen_host.registry.entity_specs()["conformance_owner"]
    records = data["conformance_owner"]
    serializer = ${camel}Serializer({"nulls": False})
    values = serializer.serialize(spec, records)
    assert len(values) == len(records)
    assert all(isinstance(v, bytes) and b"\\n" not in v for v in values)
    first = values[0].decode()
    cents = records[0]["balance"]
    sign = "-" if cents < 0 else ""
    assert f"balance={sign}{abs(cents) // 100}.{abs(cents) % 100:02d}" in first
    assert serializer.serialize(spec, records) == values
''' + _ENTRY_POINT_TEST,
}
