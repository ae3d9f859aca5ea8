"""Entry point of datagen-plugin-json."""

from __future__ import annotations

from datagen_kernel import hookimpl
from datagen_kernel.api.registry import SinkRegister
from datagen_plugin_json.sinks import ConsoleSink, JsonLinesSink


@hookimpl
def datagen_register_sinks(register: SinkRegister) -> None:
    register(JsonLinesSink)
    register(ConsoleSink)
