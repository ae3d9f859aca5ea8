"""``datagen new-plugin NAME``: a ready-to-install plugin distribution in the current folder.

The templates below are the smallest complete plugin of each kind: an entity made row by row
(``rows``) or block by block (``entities``), a sink, a serializer, or fields added to another
pack's entity (``extend``), with a README and a test suite that passes right after
``pip install -e``.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template

import click

from datagen_kernel.api.errors import UsageError
from datagen_kernel.engine.plugins import kernel_version

KINDS = ("rows", "entities", "sink", "serializer", "extend", "transform")
ENTITY_KINDS = ("rows", "entities", "extend")
DEFAULT_EXTENDED = "customer"
"""The entity ``--kind extend`` adds a field to unless ``--entity`` names another."""
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_ENTITY = re.compile(r"^[a-z][a-z0-9_]*$")
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


def _names(short: str, kind: str, entity: str | None, sink: str | None) -> tuple[str, str]:
    """The entity and sink names of a new plugin: the user's, or derived from the plugin name."""
    if entity is not None and kind not in ENTITY_KINDS:
        raise UsageError(f"--entity does not apply to --kind {kind}",
                         hint=f"--entity names the entity of --kind {', '.join(ENTITY_KINDS)}")
    if sink is not None and kind != "sink":
        raise UsageError(f"--sink does not apply to --kind {kind}", hint="--sink names the sink of --kind sink")
    if entity is not None and (not _ENTITY.match(entity) or len(entity) > 40 or keyword.iskeyword(entity)):
        raise UsageError(f"entity name {entity!r} is invalid",
                         hint="use lower_snake_case letters, digits and underscores, starting with a letter "
                              "(at most 40 characters), e.g. --entity pet_policy")
    if sink is not None and (not _NAME.match(sink) or len(sink) > 40):
        raise UsageError(f"sink name {sink!r} is invalid",
                         hint="use lowercase letters, digits and single dashes, starting with a letter, "
                              "e.g. --sink audit-log")
    default_entity = DEFAULT_EXTENDED if kind == "extend" else short.replace("-", "_")
    return entity or default_entity, sink or short


def render(name: str, kind: str, *, entity: str | None = None, sink: str | None = None) -> dict[str, str]:
    """Relative path -> content of every file of a new plugin distribution.

    ``entity``: the entity of ``rows`` and ``entities``, or the one ``extend`` adds a field
    to; ``sink``: the sink's name. Both default to names derived from the plugin name
    (``extend``: ``customer``).
    """
    if kind not in KINDS:
        raise UsageError(f"--kind {kind!r} is unknown", hint=f"expected one of {', '.join(KINDS)}")
    short = check_name(name)
    snake = short.replace("-", "_")
    entity_name, sink_name = _names(short, kind, entity, sink)
    values = {
        "name": short,
        "dist": _PREFIX + short,
        "pkg": "datagen_plugin_" + snake,
        "snake": snake,
        "camel": "".join(p.capitalize() for p in short.split("-")),
        "kernel_req": kernel_requirement(),
        "kind": kind,
        "entity": entity_name,
        "field": f"{snake}_segment",
        "sink": sink_name,
        "sink_camel": "".join(p.capitalize() for p in sink_name.split("-")),
        "command": " ".join(["datagen new-plugin", short, "--kind", kind,
                             *(["--entity", entity] if entity else []), *(["--sink", sink] if sink else [])]),
    }
    pkg = values["pkg"]
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README_HEAD + _README[kind] + _README_TAIL,
        f"src/{pkg}/__init__.py": _INIT,
        f"src/{pkg}/plugin.py": _PLUGIN[kind],
        "tests/conftest.py": _CONFTEST.get(kind, _CONFTEST_PLAIN),
        f"tests/test_{snake}_plugin.py": _TEST[kind],
    }
    if kind in ("rows", "entities"):
        files[f"tests/{snake}_stand_in.py"] = _STAND_IN
    return {path: Template(text).substitute(values) for path, text in files.items()}


def create(name: str, kind: str, directory: Path, *, entity: str | None = None, sink: str | None = None) -> Path:
    """Write the distribution ``datagen-plugin-NAME`` into ``directory``; return its folder."""
    files = render(name, kind, entity=entity, sink=sink)
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
@click.option("--kind", type=click.Choice(KINDS), default="rows", show_default=True,
              help="What the plugin provides: an entity made row by row (rows) or block by block "
                   "(entities), a sink, a serializer, a field added to another pack's entity (extend), or a "
                   "transform of records and messages (transform).")
@click.option("--entity", default=None, metavar="NAME",
              help="rows, entities: the new entity's name (default: the plugin name); "
                   "extend: the entity to add a field to (default: customer).")
@click.option("--sink", "sink", default=None, metavar="NAME",
              help="sink: the sink's name, as in --sink NAME (default: the plugin name).")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where to create the datagen-plugin-NAME folder.")
def new_plugin_command(name: str, kind: str, entity: str | None, sink: str | None, directory: Path) -> None:
    """Create datagen-plugin-NAME/: pyproject, package, example hook, README and tests."""
    target = create(name, kind, directory, entity=entity, sink=sink)
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e {target} && pytest {target / 'tests'}")


# --- templates (string.Template: $name, $dist, $pkg, $snake, $camel, $kernel_req, $kind,
#     $entity, $field, $sink, $sink_camel, $command) -----------------------------------------

_PYPROJECT = """\
[build-system]
# hatchling builds in memory: `pip install .` leaves no build/ or *.egg-info in this folder
requires = ["hatchling>=1.27"]
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

A datagen plugin ($kind), created with `$command`.

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

Registers the entity `$entity` (one to three records per customer, referencing
`customer.customer_id`) and its generator in `src/$pkg/plugin.py`. With an entity pack
that provides `customer` installed (e.g. `datagen-plugin-banking`):

```bash
datagen entities
datagen run --customers 100 --sink json -o json.path=./out   # out/$entity.jsonl
```

The tests register a stand-in `customer` (tests/${snake}_stand_in.py), so they pass without
the pack, and run the datagen pack conformance suite on it.
""",
    "rows": """\
## What it does

Registers the entity `$entity` in `src/$pkg/plugin.py`, made one record at a time:
`make(customer, row)` returns the fields of one record, one to three per customer, and the
kernel adds the primary key `${entity}_id` and the `customer_id` of the parent. `row` gives
seeded randomness (`row.random`, and `row.fake`, a Faker for pt_BR), the run's as-of date and
helpers for money and dates, so the same seed gives the same records whatever `--workers` or
`--batch-size`. With an entity pack that provides `customer` installed (e.g.
`datagen-plugin-banking`):

```bash
datagen entities
datagen run --customers 100 --sink json -o json.path=./out   # out/$entity.jsonl
```

| field | value |
|---|---|
| `${entity}_id` | UUID v4, filled by the kernel |
| `customer_id` | the customer's id, filled by the kernel |
| `holder_name` | a name from Faker pt_BR |
| `status` | ACTIVE 80%, SUSPENDED 15%, CLOSED 5% |
| `amount` | R$$ 50.00 to R$$ 5,000.00 |
| `opened_on` | in the two years up to the run's as-of date |
| `closed_at` | CLOSED only: in the 30 days before the as-of instant |

The tests register a stand-in `customer` (tests/${snake}_stand_in.py), so they pass without
the pack, and run the datagen pack conformance suite on it.
""",
    "extend": """\
## What it does

Adds the field `$field` to the entity `$entity` another pack registers (the banking pack's
`customer` unless created with `--entity`), in `src/$pkg/plugin.py`:
`register.extend("$entity", FIELD, fill=fill)`. The pack generates its records as usual, then
`fill(record, row)` gives each one its `$field`, from a random stream of its own: every other
value stays what the pack makes. Install the pack that provides `$entity` first
(`datagen-plugin-banking` for `customer`).

```bash
datagen entities                                              # $entity lists $field
datagen run --customers 100 --sink json -o json.path=./out    # out/$entity.jsonl
```
""",
    "sink": """\
## What it does

Registers the sink `$sink` in `src/$pkg/plugin.py`: one text file `<path>/$sink.log`
with a line per record, `entity<TAB>key<TAB>json`, renamed into place only when the run
succeeds. The tests run the datagen sink conformance suite on it.

```bash
datagen sinks describe $sink
datagen run --count 100 --sink $sink -o $sink.path=./out
```
""",
    "transform": """\
## What it does

Registers the transform `$name` in `src/$pkg/plugin.py` (enable it with `--transform $name`):

- its record stage replaces the first required text field of a share of records
  (`-o $name.rate=R`, default 0.1) with `***` and labels each such record `masked`;
- its payload stage adds the header `$name=masked` to those messages, on sinks that take
  per-message headers (kafka);
- its side rows come back with each block: the run summary reports how many records it masked
  per entity (`--summary-json`, key `transforms.$name`).

A transform that writes a value of the wrong type on purpose wraps it in `Raw` (see
"Transforms" in the datagen plugin guide).

```bash
datagen transforms describe $name
datagen run --customers 100 --transform $name -o $name.rate=0.5 -o json.path=./out
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
    "rows": '''\
"""Entity `$entity`, made one record at a time: one to three per customer."""

from __future__ import annotations

from typing import Any

from datagen_kernel.api import (
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    ForeignKey,
    Kind,
    Row,
    String,
    Timestamp,
    Uuid,
    hookimpl,
)

STATUSES = ("ACTIVE", "SUSPENDED", "CLOSED")

ENTITY = EntitySpec(
    name="$entity",
    kind=Kind.MASTER,
    fields=(
        Field("${entity}_id", Uuid(), doc="Primary key (filled by the kernel)."),
        Field("customer_id", Uuid(), doc="Owner (filled by the kernel from the parent)."),
        Field("holder_name", String(120), doc="A name from Faker pt_BR."),
        Field("status", Enum(*STATUSES), doc="ACTIVE 80%, SUSPENDED 15%, CLOSED 5%."),
        Field("amount", Decimal(12, 2), doc="R$$ 50.00 to R$$ 5,000.00."),
        Field("opened_on", Date(), doc="In the two years up to the run's as-of date."),
        Field("closed_at", Timestamp(), nullable=True, doc="CLOSED only."),
    ),
    primary_key="${entity}_id",
    foreign_keys=(ForeignKey("customer_id", "customer", "customer_id"),),
    doc="Example entity of $dist: one to three per customer.",
)


def make(customer: dict[str, Any], row: Row) -> dict[str, Any]:
    """One `$entity` of `customer`; the kernel adds `${entity}_id` and `customer_id`."""
    status = row.choice(STATUSES, weights=(80, 15, 5))
    return {
        "holder_name": row.fake.name(),
        "status": status,
        "amount": row.money(50, 5000),
        "opened_on": row.recent_date(730),
        "closed_at": row.recent_timestamp(30) if status == "CLOSED" else None,
    }


@hookimpl
def datagen_register_entities(register) -> None:  # type: ignore[no-untyped-def]
    register.rows(ENTITY, make, per="customer", count=(1, 3))
''',
    "extend": '''\
"""Adds `$field` to another pack's `$entity`, filled one record at a time."""

from __future__ import annotations

from typing import Any

from datagen_kernel.api import Enum, Field, Row, hookimpl

SEGMENTS = ("BASIC", "PLUS", "PREMIUM")
FIELD = Field("$field", Enum(*SEGMENTS), doc="Example field of $dist: BASIC 60%, PLUS 30%, PREMIUM 10%.")


def fill(record: dict[str, Any], row: Row) -> dict[str, Any]:
    """`$field` of one `$entity` record (the pack's own fields are there to read)."""
    return {"$field": row.choice(SEGMENTS, weights=(6, 3, 1))}


@hookimpl
def datagen_register_entities(register) -> None:  # type: ignore[no-untyped-def]
    register.extend("$entity", FIELD, fill=fill)
''',
    "entities": '''\
"""Entity `$entity`: a few records per customer, with a deterministic generator."""

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
    name="$entity",
    kind=Kind.MASTER,
    fields=(
        Field("${entity}_id", Uuid(), doc="Primary key."),
        Field("customer_id", Uuid(), doc="Owner."),
        Field("level", Enum("LOW", "MEDIUM", "HIGH"), doc="An example category."),
        Field("points", Int(minimum=0, maximum=1000), doc="An example number."),
        Field("created_at", Timestamp(), doc="When it was created."),
    ),
    primary_key="${entity}_id",
    foreign_keys=(ForeignKey("customer_id", "customer", "customer_id"),),
    doc="Example entity of $dist.",
)
LEVELS = ("LOW", "MEDIUM", "HIGH")


def generate(ctx: BlockContext) -> list[Record]:
    """All `$entity` records of one block: one array per stream, drawn in customer order."""
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
                "${entity}_id": ids[k],
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
    register("$entity", generate)
''',
    "sink": '''\
"""Sink `$sink`: one text file, a line per record, renamed into place on success."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from datagen_kernel.api import EncodedBatch, Option, Sink, SinkContext, SinkError, hookimpl


class ${sink_camel}Sink(Sink):
    """Writes `entity<TAB>key<TAB>json` lines to `<path>/$sink.log`."""

    name = "$sink"
    doc = "One text file, a line per record (entity, key, JSON value)."
    serializer_name = "json"  # the default; a route may choose another: -o $sink.serializer=NAME
    message_keys = True  # batches carry each record's key (batch.keys)
    options = (
        Option("path", "path", "./datagen-out", "Folder of the $sink.log file."),
        Option("buffer_kb", "int", 256, "Write buffer size in KiB.", minimum=1, maximum=65536),
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.final = Path(self.config["path"]) / "$sink.log"
        self.tmp = self.final.with_name(f".$sink.log.{os.getpid()}.partial")
        self.file: IO[bytes] | None = None
        self.pending: dict[str, int] = {}

    def open(self, context: SinkContext) -> None:
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.tmp, "wb", buffering=self.config["buffer_kb"] * 1024)  # noqa: SIM115
        except OSError as exc:
            raise SinkError(f"$sink sink cannot write in {str(self.final.parent)!r}: {exc.strerror}",
                            hint="choose another -o $sink.path") from None

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
    register(${sink_camel}Sink)
''',
    "transform": '''\
"""Transform `$name`: masks a text field of a share of records, labels them, counts them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from datagen_kernel.api import EntitySpec, Option, PayloadBatch, Record, String, Transform, TransformContext, hookimpl


def _rate(value: float | None) -> str | None:
    return None if value is None or 0.0 <= value <= 1.0 else "must be within 0..1"


def masked_field(spec: EntitySpec) -> str | None:
    """The first required text field that is not a key (None: the entity has none)."""
    keys = {spec.primary_key, spec.message_key, *(fk.field for fk in spec.foreign_keys)}
    return next((f.name for f in spec.fields
                 if isinstance(f.type, String) and not f.nullable and f.name not in keys), None)


def mask(spec: EntitySpec, records: list[Record], ctx: TransformContext) -> list[Record]:
    """Record stage: one entity's records of one block, after validation."""
    field = masked_field(spec)
    if field is None or not records:
        return records
    picked = ctx.rng(spec.name).random(len(records)) < ctx.options["rate"]  # seeded per block
    out = []
    for record, chosen in zip(records, picked.tolist(), strict=True):
        if chosen:
            record = {**record, field: "***"}  # a new dict: the others stay as generated
            ctx.label(record, "masked")
            ctx.emit({"entity": spec.name})
        out.append(record)
    return out


def add_headers(batch: PayloadBatch, ctx: TransformContext) -> None:
    """Payload stage: one sink batch, encoded."""
    if not batch.record_headers:  # this sink takes no per-message headers
        return
    for i, label in batch.labels.items():
        if label.transform == ctx.transform:
            batch.add_header(i, "$name", label.label.encode())


def count(rows: list[Any], ctx: TransformContext) -> None:
    """Each block's side rows, in block order, in the process that runs the sinks."""
    ctx.state.setdefault("masked", Counter()).update(row["entity"] for row in rows)


def report(ctx: TransformContext, ok: bool) -> dict[str, Any]:
    """The end of the run: what goes into the run summary."""
    return {"masked": dict(sorted(ctx.state.get("masked", Counter()).items()))}


TRANSFORM = Transform(
    "$name",
    mask,
    "Masks a text field of a share of records and labels them.",
    options=(Option("rate", "float", 0.1, "Share of records to mask (0..1).", validator=_rate),),
    payload=add_headers,
    collect=count,
    finish=report,
)


@hookimpl
def datagen_register_transforms(register) -> None:  # type: ignore[no-untyped-def]
    register(TRANSFORM)
''',
    "serializer": '''\
"""Serializer `$name`: one logfmt line (`key=value ...`) per record."""

from __future__ import annotations

from collections.abc import Sequence

from datagen_kernel.api import EntitySpec, Option, Record, Serializer, hookimpl
from datagen_kernel import to_text_values


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

_STAND_IN = '''\
"""A stand-in `customer` so the tests run without an entity pack installed."""

from __future__ import annotations

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
'''

_CONFTEST_PLAIN = '''\
"""Fixtures of the $dist tests (the datagen testing kit is a pytest plugin, always loaded)."""
'''

_CONFTEST_ENTITY = '''\
"""Fixtures of the $dist tests (the datagen testing kit is a pytest plugin, always loaded)."""

from __future__ import annotations

import pytest
from ${snake}_stand_in import StandInCustomers


@pytest.fixture
def customers() -> StandInCustomers:
    return StandInCustomers()
'''

_CONFTEST = {"entities": _CONFTEST_ENTITY, "rows": _CONFTEST_ENTITY}

_PACK_CONFORMANCE_TEST = '''\


class Test${camel}PackConformance(PackConformance):
    """Same records whatever --workers and --batch-size, stable prefixes, keys, rules, README."""

    pack = plugin
    requires = (StandInCustomers(),)
    catalog_doc = Path(__file__).resolve().parents[1] / "README.md"
'''

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
"""Tests of the `$entity` entity: valid, linked to customers, deterministic."""

from __future__ import annotations

from pathlib import Path

from ${snake}_stand_in import StandInCustomers

from datagen_kernel.testing import PackConformance, generate_records
from $pkg import plugin


def test_every_customer_gets_records(datagen_host, datagen_register, customers) -> None:
    datagen_register(customers)
    datagen_register(plugin)
    data = generate_records(datagen_host, customers=50, seed=1)
    owners = {c["customer_id"] for c in data["customer"]}
    items = data["$entity"]
    assert {r["customer_id"] for r in items} == owners
    assert all(1 <= sum(r["customer_id"] == c for r in items) <= 3 for c in owners)


def test_same_seed_same_records_and_stable_prefix(datagen_host, datagen_register, customers) -> None:
    datagen_register(customers)
    datagen_register(plugin)
    small = generate_records(datagen_host, customers=10, seed=3)
    large = generate_records(datagen_host, customers=600, seed=3)
    assert generate_records(datagen_host, customers=10, seed=3) == small
    assert large["$entity"][: len(small["$entity"])] == small["$entity"]
    assert generate_records(datagen_host, customers=10, seed=4) != small


def test_cli_run(datagen_register, datagen_cli, customers) -> None:
    datagen_register(customers)
    datagen_register(plugin)
    result = datagen_cli(["run", "--count", "20", "--sink", "null", "-q"])
    assert result.exit_code == 0, result.output
''' + _PACK_CONFORMANCE_TEST + _ENTRY_POINT_TEST,
    "rows": '''\
"""Tests of the `$entity` entity, made row by row: linked to customers, consistent, deterministic."""

from __future__ import annotations

from pathlib import Path

from ${snake}_stand_in import StandInCustomers

from datagen_kernel.testing import PackConformance, generate_records
from $pkg import plugin


def test_one_to_three_per_customer_and_consistent(datagen_host, datagen_register, customers) -> None:
    datagen_register(customers)
    datagen_register(plugin)
    data = generate_records(datagen_host, customers=200, seed=1)
    owners = [c["customer_id"] for c in data["customer"]]
    items = data["$entity"]
    per_owner = {o: sum(r["customer_id"] == o for r in items) for o in owners}
    assert set(per_owner.values()) == {1, 2, 3}
    assert len({r["${entity}_id"] for r in items}) == len(items)
    for r in items:
        assert 5_000 <= r["amount"] <= 500_000  # in cents
        assert (r["closed_at"] is not None) == (r["status"] == "CLOSED")
        assert r["holder_name"].strip()


def test_cli_run(datagen_register, datagen_cli, customers) -> None:
    datagen_register(customers)
    datagen_register(plugin)
    result = datagen_cli(["run", "--count", "20", "--sink", "null", "-q"])
    assert result.exit_code == 0, result.output
''' + _PACK_CONFORMANCE_TEST + _ENTRY_POINT_TEST,
    "extend": '''\
"""Tests of the `$field` field added to `$entity`: filled, and nothing else changed."""

from __future__ import annotations

import pytest

from datagen_kernel import make_plugin_host
from datagen_kernel.testing import generate_records
from $pkg.plugin import FIELD, SEGMENTS


def _records(monkeypatch: pytest.MonkeyPatch, *, with_plugin: bool) -> dict[str, list[dict]]:
    """The installed packs' records, with or without this plugin (installed: pip install -e .)."""
    monkeypatch.setenv("DATAGEN_DISABLE_PLUGINS", "" if with_plugin else "$name")
    return generate_records(make_plugin_host(), customers=700, seed=9)


def test_every_record_gets_the_field_and_keeps_its_other_values(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _records(monkeypatch, with_plugin=False)
    after = _records(monkeypatch, with_plugin=True)
    assert len(after["$entity"]) == len(before["$entity"]) > 0
    for old, new in zip(before["$entity"], after["$entity"], strict=True):
        assert new.pop(FIELD.name) in SEGMENTS
        assert new == old
    shares = [sum(r[FIELD.name] == s for r in _records(monkeypatch, with_plugin=True)["$entity"]) for s in SEGMENTS]
    assert shares[0] > shares[1] > shares[2] > 0  # 6:3:1


def test_same_seed_same_values(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _records(monkeypatch, with_plugin=True) == _records(monkeypatch, with_plugin=True)


def test_the_entity_lists_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATAGEN_DISABLE_PLUGINS", raising=False)
    spec = make_plugin_host().registry.entity_specs()["$entity"]
    assert spec.field(FIELD.name) == FIELD
''' + _ENTRY_POINT_TEST,
    "sink": '''\
"""The `$sink` sink runs the datagen sink conformance suite."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from datagen_kernel.testing import SinkConformance
from $pkg import plugin


class Test${sink_camel}Conformance(SinkConformance):
    sink_name = "$sink"
    options: ClassVar[dict[str, str]] = {"path": "{tmp_path}/{run}"}
    plugins = (plugin,)

    def read_back(self, config: Mapping[str, Any], entities: Any) -> dict[str, list[bytes]]:
        path = Path(config["path"]) / "$sink.log"
        held: dict[str, list[bytes]] = {}
        if path.exists():
            for line in path.read_bytes().splitlines():
                entity = line.split(b"\\t", 1)[0].decode()
                held.setdefault(entity, []).append(line)
        return held
''' + _ENTRY_POINT_TEST,
    "transform": '''\
"""Tests of the `$name` transform on the conformance suite's sample entities."""

from __future__ import annotations

import json

from click.testing import CliRunner

from datagen_kernel.cli import make_cli
from datagen_kernel.testing import ConformancePack, generate_records
from $pkg import plugin


def test_masks_the_share_asked_for_and_leaves_the_rest(datagen_host, datagen_register) -> None:
    datagen_register(ConformancePack())
    datagen_register(plugin)
    clean = generate_records(datagen_host, customers=40, seed=3)
    every = generate_records(datagen_host, customers=40, seed=3, transforms=["$name"],
                             options={"$name.rate": 1.0})
    assert every["conformance_owner"] and all(r["name"] == "***" for r in every["conformance_owner"])
    assert every["conformance_event"] == clean["conformance_event"]  # no required text field there
    none = generate_records(datagen_host, customers=40, seed=3, transforms=["$name"], options={"$name.rate": 0.0})
    assert none == clean


def test_same_seed_same_records(datagen_host, datagen_register) -> None:
    datagen_register(ConformancePack())
    datagen_register(plugin)
    runs = [generate_records(datagen_host, customers=60, seed=9, transforms=["$name"], options={"$name.rate": 0.3})
            for _ in range(2)]
    assert runs[0] == runs[1]
    masked = sum(r["name"] == "***" for r in runs[0]["conformance_owner"])
    assert 0 < masked < len(runs[0]["conformance_owner"])


def test_the_summary_counts_what_was_masked(datagen_host, datagen_register, tmp_path) -> None:
    datagen_register(ConformancePack())
    datagen_register(plugin)
    summary = tmp_path / "summary.json"
    result = CliRunner().invoke(make_cli(lambda: datagen_host), [
        "run", "-q", "--count", "30", "--sink", "null", "--transform", "$name", "-o", "$name.rate=1",
        "--summary-json", str(summary)])
    assert result.exit_code == 0, result.output
    assert json.loads(summary.read_text())["transforms"]["$name"] == {"masked": {"conformance_owner": 30}}
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
