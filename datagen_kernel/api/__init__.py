"""The public API of datagen: everything a plugin author imports.

    from datagen_kernel.api import hookimpl, EntitySpec, Field, Sink, Serializer, Rule

Hooks (``hookspecs``), the entity model (``schema``), what generators see (``generation``),
a pack's domain defaults (``domain``), the contracts of sinks, serializers, rules, scenarios
and transforms, option declarations and the errors users see. An entity is usually made one
record at a time: ``register.rows(spec, make, per=...)`` (``Row``, ``datagen_kernel.api.rows``).
The columnar fast path (``Batch``, ``TextColumn`` and the numpy helpers) is the opt-in module
``datagen_kernel.api.columnar``; random streams for deterministic generators are in
``datagen_kernel.api.seeding``. Nothing here depends on the engine, the codecs or the command line.
"""

from __future__ import annotations

from datagen_kernel.api.columnar import Batch, TextColumn, as_rows, column
from datagen_kernel.api.domain import DomainDefaults
from datagen_kernel.api.errors import (
    ConfigError,
    DatagenError,
    DeliveryError,
    PluginError,
    SchemaError,
    SinkError,
    UsageError,
    ValidationFailed,
)
from datagen_kernel.api.executors import BlockResult, Executor, TaskStats, Work, WorkSpec
from datagen_kernel.api.generation import BlockContext, Generator, GeneratorWrapper, RunInfo
from datagen_kernel.api.hookspecs import hookimpl
from datagen_kernel.api.options import Option
from datagen_kernel.api.records import Record, Records
from datagen_kernel.api.registry import (
    EntityRegister,
    ExecutorRegister,
    GeneratorRegister,
    ScenarioRegister,
    SerializerRegister,
    SinkRegister,
    TransformRegister,
    ValidatorRegister,
)
from datagen_kernel.api.resume import ResumeContext, ResumeState, RunRecord
from datagen_kernel.api.rows import Count, FillRow, MakeRow, Row, RowFiller, RowGenerator
from datagen_kernel.api.rules import Lookup, RecordIndex, Rule, Violation
from datagen_kernel.api.scenarios import Scenario
from datagen_kernel.api.schema import (
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
from datagen_kernel.api.schema import Record as RecordType
from datagen_kernel.api.serializers import Serializer
from datagen_kernel.api.sinks import EncodedBatch, Sink, SinkCapabilities, SinkContext, SinkStats
from datagen_kernel.api.summary import RunSummary, SummaryRow
from datagen_kernel.api.transforms import (
    Changes,
    Edited,
    Edits,
    Label,
    LabelColumn,
    PayloadBatch,
    Raw,
    Transform,
    TransformContext,
)
from datagen_kernel.api.values import Values

__all__ = [
    "BlockResult",
    "Executor",
    "ExecutorRegister",
    "SinkCapabilities",
    "Values",
    "Work",
    "WorkSpec",
    "Batch",
    "BlockContext",
    "Bool",
    "ConfigError",
    "DatagenError",
    "Date",
    "Decimal",
    "DeliveryError",
    "DomainDefaults",
    "EncodedBatch",
    "EntityRegister",
    "EntitySpec",
    "Enum",
    "Field",
    "Float",
    "ForeignKey",
    "Generator",
    "GeneratorRegister",
    "GeneratorWrapper",
    "Int",
    "Kind",
    "Lookup",
    "Option",
    "PluginError",
    "Record",
    "RecordIndex",
    "RecordType",
    "ResumeContext",
    "ResumeState",
    "RunRecord",
    "Records",
    "Count",
    "FillRow",
    "MakeRow",
    "Row",
    "RowFiller",
    "RowGenerator",
    "Rule",
    "RunInfo",
    "RunSummary",
    "Scenario",
    "ScenarioRegister",
    "SchemaError",
    "Scope",
    "Serializer",
    "SerializerRegister",
    "Sink",
    "SinkContext",
    "SinkError",
    "SinkRegister",
    "SinkStats",
    "String",
    "SummaryRow",
    "TaskStats",
    "TextColumn",
    "Timestamp",
    "Transform",
    "TransformContext",
    "TransformRegister",
    "Changes",
    "Edited",
    "Edits",
    "Label",
    "LabelColumn",
    "PayloadBatch",
    "Raw",
    "UsageError",
    "Uuid",
    "ValidationFailed",
    "ValidatorRegister",
    "Violation",
    "as_rows",
    "column",
    "hookimpl",
]
