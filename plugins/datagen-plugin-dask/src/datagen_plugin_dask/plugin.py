"""Registers the ``dask`` executor."""

from __future__ import annotations

from typing import Any

from datagen_kernel.api import hookimpl
from datagen_plugin_dask.executor import DaskExecutor


@hookimpl
def datagen_register_executors(register: Any) -> None:
    register(DaskExecutor)
