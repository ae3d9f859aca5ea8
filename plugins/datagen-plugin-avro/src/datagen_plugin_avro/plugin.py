"""Entry point of datagen-plugin-avro."""

from __future__ import annotations

from datagen_kernel import hookimpl
from datagen_kernel.api.registry import SerializerRegister, SinkRegister
from datagen_plugin_avro.serializer import AvroSerializer
from datagen_plugin_avro.sink import KafkaAvroSink


@hookimpl
def datagen_register_serializers(register: SerializerRegister) -> None:
    register(AvroSerializer)


@hookimpl
def datagen_register_sinks(register: SinkRegister) -> None:
    register(KafkaAvroSink)
