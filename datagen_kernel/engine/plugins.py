"""Plugin manager: entry-point loading, failure reports, and a typed facade over the hooks."""

from __future__ import annotations

import importlib.metadata as md
import os
import traceback
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pluggy

from datagen_kernel.api import hookspecs
from datagen_kernel.api.errors import PluginError
from datagen_kernel.api.registry import (
    EntityRegister,
    ExecutorRegister,
    GeneratorRegister,
    PluginInfo,
    Registry,
    ScenarioRegister,
    SerializerRegister,
    SinkRegister,
    TransformRegister,
    ValidatorRegister,
    _Register,
)

ENTRY_POINT_GROUP = "datagen"
KERNEL_DISTRIBUTION = "datagen-kernel"
DISABLE_VARIABLE = "DATAGEN_DISABLE_PLUGINS"
"""Comma-separated plugin names to leave unloaded (``datagen plugins`` lists them as disabled)."""


_REGISTER_HOOKS: tuple[tuple[str, type[_Register]], ...] = (
    ("datagen_register_entities", EntityRegister),
    ("datagen_register_generators", GeneratorRegister),
    ("datagen_register_validators", ValidatorRegister),
    ("datagen_register_serializers", SerializerRegister),
    ("datagen_register_sinks", SinkRegister),
    ("datagen_register_scenarios", ScenarioRegister),
    ("datagen_register_transforms", TransformRegister),
    ("datagen_register_executors", ExecutorRegister),
)


class PluginHost:
    """The plugin manager and what its plugins registered; build one with ``make_plugin_host``."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("datagen")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = []
        self._info: dict[str, PluginInfo] = {}
        self._registry: Registry | None = None
        self._entrypoints: tuple[str, ...] | None = None  # blocked names, once loaded
        self._inline: list[str] = []  # modules registered in-process, by import name

    @property
    def spec(self) -> HostSpec:
        """Plain data that builds the same host in another process (``HostSpec.build``)."""
        return HostSpec(self._entrypoints, tuple(self._inline))

    # -- loading -----------------------------------------------------------------------------
    def load_entrypoints(self, group: str = ENTRY_POINT_GROUP, blocked: Iterable[str] = ()) -> None:
        """Load every plugin of the entry-point group; a broken one is recorded, not raised."""
        blocked_names = set(blocked)
        self._entrypoints = tuple(sorted(blocked_names))
        eps = sorted(md.entry_points(group=group), key=lambda ep: (ep.dist.name if ep.dist else "", ep.name))
        for ep in eps:
            dist = ep.dist.name if ep.dist else "unknown"
            version = ep.dist.version if ep.dist else "?"
            builtin = _canonical(dist) == KERNEL_DISTRIBUTION
            if self.pm.has_plugin(ep.name) or ep.name in self._info:
                continue
            if ep.name in blocked_names:
                self._record(PluginInfo(ep.name, dist, version, builtin, disabled=True))
                continue
            mismatch = None if builtin or ep.dist is None else kernel_mismatch(ep.dist)
            if mismatch is not None:
                self._record(PluginInfo(ep.name, dist, version, builtin, error=mismatch))
                continue
            try:
                plugin = ep.load()
                self.register(plugin, ep.name, PluginInfo(ep.name, dist, version, builtin))
            except Exception as exc:  # a broken plugin must not break the CLI
                error = f"{type(exc).__name__}: {exc}"
                self._record(PluginInfo(ep.name, dist, version, builtin, error=error))

    def _record(self, info: PluginInfo) -> None:
        """List a plugin that is installed but not loaded (broken or disabled)."""
        self.plugins.append(info)
        self._info[info.name] = info

    def register(self, plugin: Any, name: str | None = None, info: PluginInfo | None = None) -> str:
        """Register a plugin object or module (tests use this for plugins defined inline)."""
        registered = self.pm.register(plugin, name=name)
        if registered is None:
            raise PluginError(f"plugin {name!r} is blocked or already registered")
        if info is None:
            info = PluginInfo(registered, "(registered in-process)", "-")
        self.pm.check_pending()
        if info.distribution == "(registered in-process)" and isinstance(plugin, types.ModuleType):
            self._inline.append(plugin.__name__)
        self.plugins.append(info)
        self._info[registered] = info
        self._registry = None
        return registered

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self.plugins = [p for p in self.plugins if p.name != name]
        self._info.pop(name, None)
        self._registry = None

    def broken(self) -> list[PluginInfo]:
        return [p for p in self.plugins if p.error]

    # -- typed facade over the hooks ---------------------------------------------------------
    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = self._collect()
        return self._registry

    def _collect(self) -> Registry:
        registry = Registry()
        for hook_name, register_cls in _REGISTER_HOOKS:
            caller = getattr(self.pm.hook, hook_name)
            for impl in caller.get_hookimpls():
                owner = self._info.get(impl.plugin_name) or PluginInfo(impl.plugin_name, "?", "?")
                self._call(owner, hook_name, impl.function, register=register_cls(registry, owner))
        return registry

    def _call(self, owner: PluginInfo, hook: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except PluginError:
            raise
        except Exception as exc:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            raise PluginError(f"{owner.label} failed in {hook}: {detail}") from exc

    def add_commands(self, cli: Any) -> None:
        for impl in self.pm.hook.datagen_register_commands.get_hookimpls():
            owner = self._info.get(impl.plugin_name) or PluginInfo(impl.plugin_name, "?", "?")
            self._call(owner, "datagen_register_commands", impl.function, cli=cli)

    def run_start(self, **kwargs: Any) -> None:
        self.pm.hook.datagen_run_start(**kwargs)

    def run_end(self, **kwargs: Any) -> None:
        self.pm.hook.datagen_run_end(**kwargs)


def kernel_mismatch(dist: md.Distribution, kernel: str | None = None) -> str | None:
    """Why a plugin's distribution does not fit this kernel, or None when it does.

    A plugin declares the kernel range it supports the standard way, as a requirement of its
    distribution (``dependencies = ["datagen-kernel>=0.1,<0.2"]``): pip honours it at install
    time, and this check catches what pip could not (``--no-deps``, a kernel upgraded later,
    a plugin copied between environments). No requirement on the kernel, or a kernel that is
    not installed as a distribution (a source tree): nothing to check.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    running = kernel or kernel_version()
    try:
        current = Version(running)
    except InvalidVersion:
        return None
    if current.local == "unknown":
        return None
    for line in dist.requires or ():
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(req.name) != KERNEL_DISTRIBUTION:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an optional extra's requirement
        if not req.specifier.contains(current, prereleases=True):
            return (f"needs {KERNEL_DISTRIBUTION}{req.specifier}, but {KERNEL_DISTRIBUTION} {running} is "
                    f"installed: install a version of {dist.name} made for it, or a kernel in that range")
    return None


def _canonical(dist: str) -> str:
    return dist.lower().replace("_", "-").replace(".", "-")


def blocked_from_env() -> list[str]:
    """Plugin names listed in ``DATAGEN_DISABLE_PLUGINS`` (comma separated)."""
    raw = os.environ.get(DISABLE_VARIABLE, "")
    return [p.strip() for p in raw.split(",") if p.strip()]


@dataclass(frozen=True)
class HostSpec:
    """How a plugin host was built: entry points (with the names blocked) or not, and the
    plugin modules registered in-process, by import name. Picklable."""

    entrypoints: tuple[str, ...] | None
    """Blocked plugin names when entry points were loaded; None when they were not."""
    modules: tuple[str, ...] = ()

    def build(self) -> PluginHost:
        """A host with the same plugins, built here (they must be installed here too)."""
        import importlib

        host = PluginHost()
        if self.entrypoints is not None:
            host.load_entrypoints(blocked=self.entrypoints)
        _register_builtins(host)
        for module in self.modules:
            host.register(importlib.import_module(module), module)
        return host


def _register_builtins(host: PluginHost) -> None:
    if not host.pm.has_plugin("builtins"):
        from datagen_kernel.engine import builtins as builtin_module

        host.register(builtin_module, "builtins",
                      PluginInfo("builtins", KERNEL_DISTRIBUTION, kernel_version(), True))


def make_plugin_host(
    *, entrypoints: bool = True, plugins: Iterable[Any] = (), builtins: bool = True
) -> PluginHost:
    """A fresh plugin host: installed plugins (unless ``entrypoints=False``) plus ``plugins``.

    With ``entrypoints=False`` the kernel's own defaults are still registered unless
    ``builtins=False``: tests get a clean host with just the plugins they name.
    """
    host = PluginHost()
    if entrypoints:
        host.load_entrypoints(blocked=blocked_from_env())
    if builtins:
        _register_builtins(host)
    for plugin in plugins:
        host.register(plugin, getattr(plugin, "__name__", None))
    return host


def kernel_version() -> str:
    try:
        return md.version(KERNEL_DISTRIBUTION)
    except md.PackageNotFoundError:
        return "0+unknown"
