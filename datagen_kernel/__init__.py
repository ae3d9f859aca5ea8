"""datagen kernel: hook specifications, entity model, planner and run engine.

Plugin authors import from here only::

    from datagen_kernel import hookimpl, EntitySpec, Field, Sink, Rule
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("datagen-kernel")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from datagen_kernel.batch import Batch, TextColumn, as_rows, column, day_array, int_array, take_text, text_matrix
from datagen_kernel.config import Option
from datagen_kernel.errors import (
    ConfigError,
    DatagenError,
    DeliveryError,
    PluginError,
    SchemaError,
    SinkError,
    UsageError,
    ValidationFailed,
)
from datagen_kernel.generation import BlockContext, Generator, GeneratorWrapper, Record, Records, RunInfo
from datagen_kernel.plugins import PluginHost, hookimpl, make_plugin_host
from datagen_kernel.scenarios import Scenario, Transform, TransformContext
from datagen_kernel.schema import (
    Bool,
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    Float,
    ForeignKey,
    Int,
    Kind,
    Scope,
    String,
    Timestamp,
    Uuid,
)
from datagen_kernel.schema import Record as RecordType
from datagen_kernel.serializers import Serializer
from datagen_kernel.sinks import EncodedBatch, PlacedPayload, Sink, SinkContext, SinkStats
from datagen_kernel.validation import Lookup, Rule, Violation

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
    "UsageError",
    "Uuid",
    "ValidationFailed",
    "Violation",
    "__version__",
    "as_rows",
    "column",
    "day_array",
    "int_array",
    "take_text",
    "text_matrix",
    "hookimpl",
    "make_plugin_host",
]
