"""The ``datagen`` command line (click): ``make_cli(host)`` builds it, ``main`` runs it."""

from __future__ import annotations

from datagen_kernel.cli.app import main, make_cli

__all__ = ["main", "make_cli"]
