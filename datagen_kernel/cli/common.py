"""What the kernel's commands share: the plugin host of the invocation, error display, ``--as-of``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import TypeVar

import click

from datagen_kernel.api.errors import DatagenError, UsageError
from datagen_kernel.api.schema import EntitySpec, topological_order
from datagen_kernel.engine.plugins import PluginHost

T = TypeVar("T")

HostFactory = Callable[[], PluginHost]


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug")) or "--debug" in sys.argv


def _host(ctx: click.Context) -> PluginHost:
    obj = ctx.find_root().obj
    assert isinstance(obj, dict)
    host = obj["factory"]()
    assert isinstance(host, PluginHost)
    return host


def _specs(ctx: click.Context) -> dict[str, EntitySpec]:
    """The installed entities, parents first."""
    specs = _host(ctx).registry.entity_specs()
    try:
        order = topological_order(specs)
    except DatagenError:
        order = sorted(specs)
    return {n: specs[n] for n in order}


def parse_as_of(text: str, tz: tzinfo = UTC) -> datetime:
    """``--as-of`` value: a date or an ISO timestamp; naive values are in ``tz``, the run's
    time zone (``RunDefaults.timezone``: the packs' declared zone, else UTC)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date", hint="use YYYY-MM-DD or an ISO 8601 timestamp") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def registered(entries: Mapping[str, T], name: str, what: str) -> T:
    """``entries[name]``, else one clear error naming what is installed (and the closest name)."""
    from datagen_kernel.engine.config import did_you_mean

    entry = entries.get(name)
    if entry is None:
        known = ", ".join(sorted(entries)) or "none installed"
        raise UsageError(f"unknown {what} {name!r}{did_you_mean(name, entries)}; available: {known}")
    return entry
