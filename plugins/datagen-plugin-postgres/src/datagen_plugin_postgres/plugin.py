"""Entry point of datagen-plugin-postgres."""

from __future__ import annotations

from datagen_kernel import hookimpl
from datagen_kernel.api.registry import SerializerRegister, SinkRegister
from datagen_plugin_postgres.serializer import CopyBinarySerializer, CopyTextSerializer
from datagen_plugin_postgres.sink import PostgresSink


@hookimpl
def datagen_register_serializers(register: SerializerRegister) -> None:
    register(CopyBinarySerializer)
    register(CopyTextSerializer)


@hookimpl
def datagen_register_sinks(register: SinkRegister) -> None:
    register(PostgresSink)
