"""datagen's ``dask`` executor: blocks as Dask tasks, identical output on one laptop or a cluster."""

from __future__ import annotations

__all__: list[str] = []
