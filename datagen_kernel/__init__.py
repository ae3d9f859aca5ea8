"""datagen kernel: hook specifications, entity model, planner and run engine.

Plugin authors import from ``datagen_kernel.api`` (or, as before kernel 2, from here: every
name this package exported then is still exported)::

    from datagen_kernel.api import hookimpl, EntitySpec, Field, Sink, Rule

What needs the engine or the codecs is exported here: ``to_text_values`` (and
``format_decimal``, ``format_timestamps``), the text rendering of values for text sinks;
``normalise`` (what the sinks receive: values rounded by the kernel's one rule) and
``check_text``;
``run_rules`` and ``RecordIndex`` (a lookup over in-memory records) to check records against
rules; ``make_plugin_host``. The testing kit is ``datagen_kernel.testing``.

The package is laid out by architecture: ``api`` (the contracts plugins implement),
``engine`` (plugins, plan, run), ``codecs`` (hot encoders), ``cli`` and ``testing``. The
modules of kernel 1 (``datagen_kernel.serializers``, ``.registry``, ``.validation``, ...)
still import, with a ``DeprecationWarning`` naming the new place (see ``_compat``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("datagen-kernel")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from datagen_kernel import _compat
from datagen_kernel.api import (
    Batch,
    BlockContext,
    Bool,
    ConfigError,
    DatagenError,
    Date,
    Decimal,
    DeliveryError,
    EncodedBatch,
    EntitySpec,
    Enum,
    Field,
    Float,
    ForeignKey,
    Generator,
    GeneratorWrapper,
    Int,
    Kind,
    Lookup,
    Option,
    PluginError,
    Raw,
    Record,
    Records,
    RecordType,
    Rule,
    RunInfo,
    Scenario,
    SchemaError,
    Scope,
    Serializer,
    Sink,
    SinkContext,
    SinkError,
    SinkStats,
    String,
    Timestamp,
    Transform,
    TransformContext,
    UsageError,
    Uuid,
    ValidationFailed,
    Violation,
    as_rows,
    column,
    hookimpl,
)
from datagen_kernel.api.columnar import TextColumn, day_array, int_array, take_text, text_matrix
from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.api.sinks import PlacedPayload
from datagen_kernel.codecs.normalise import check_text, normalise
from datagen_kernel.codecs.text import format_decimal, format_timestamps, to_text_values
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host
from datagen_kernel.engine.validation import run_rules

_compat.install()

__all__ = [
    "Batch",
    "BlockContext",
    "Bool",
    "ConfigError",
    "DatagenError",
    "Date",
    "Decimal",
    "DeliveryError",
    "EncodedBatch",
    "EntitySpec",
    "Enum",
    "Field",
    "Float",
    "ForeignKey",
    "Generator",
    "GeneratorWrapper",
    "Int",
    "Kind",
    "Lookup",
    "Option",
    "PluginError",
    "PluginHost",
    "Record",
    "RecordType",
    "RecordIndex",
    "Records",
    "Rule",
    "RunInfo",
    "Scenario",
    "SchemaError",
    "Scope",
    "Serializer",
    "Sink",
    "SinkContext",
    "SinkError",
    "PlacedPayload",
    "SinkStats",
    "String",
    "TextColumn",
    "Timestamp",
    "Transform",
    "TransformContext",
    "Raw",
    "UsageError",
    "Uuid",
    "ValidationFailed",
    "Violation",
    "__version__",
    "as_rows",
    "check_text",
    "column",
    "day_array",
    "format_decimal",
    "format_timestamps",
    "int_array",
    "take_text",
    "text_matrix",
    "hookimpl",
    "make_plugin_host",
    "normalise",
    "run_rules",
    "to_text_values",
]
