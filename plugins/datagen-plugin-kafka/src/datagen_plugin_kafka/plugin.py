"""Entry point of datagen-plugin-kafka."""

from __future__ import annotations

from datagen_kernel import hookimpl
from datagen_kernel.api.registry import SinkRegister
from datagen_plugin_kafka.sink import KafkaSink


@hookimpl
def datagen_register_sinks(register: SinkRegister) -> None:
    register(KafkaSink)
