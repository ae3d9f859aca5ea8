"""Entry point of datagen-plugin-csv (``[project.entry-points.datagen] csv = ...``)."""

from __future__ import annotations

from datagen_kernel import hookimpl
from datagen_kernel.registry import SinkRegister
from datagen_plugin_csv.sink import CsvSink


@hookimpl
def datagen_register_sinks(register: SinkRegister) -> None:
    register(CsvSink)
