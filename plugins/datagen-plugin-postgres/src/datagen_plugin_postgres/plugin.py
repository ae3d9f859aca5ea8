"""Entry point of datagen-plugin-postgres."""

from __future__ import annotations

from datagen_kernel import hookimpl
from datagen_kernel.api.registry import SinkRegister
from datagen_plugin_postgres.sink import PostgresSink


@hookimpl
def datagen_register_sinks(register: SinkRegister) -> None:
    register(PostgresSink)
