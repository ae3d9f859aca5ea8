"""Entry point of datagen-plugin-csv (``[project.entry-points.datagen] csv = ...``)."""

from __future__ import annotations

from datagen_kernel.api import SinkRegister, hookimpl
from datagen_plugin_csv.sink import CsvSink


@hookimpl
def datagen_register_sinks(register: SinkRegister) -> None:
    register(CsvSink)
