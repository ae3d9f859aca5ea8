"""The module paths of kernel 1, kept importable: each now resolves to its new place.

``import datagen_kernel.serializers`` (or ``from datagen_kernel.validation import run_rules``)
keeps working for plugins written against kernel 1, with a ``DeprecationWarning`` that names
where to import from now. A path that moved whole is the new module itself; one that was
split resolves each name in the modules it was split into.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from collections.abc import Sequence
from typing import Any

MOVED: dict[str, tuple[str, ...]] = {
    "batch": ("api.columnar",),
    "builtins": ("engine.builtins",),
    "commands_run": ("cli.run",),
    "config": ("api.options", "engine.config"),
    "errors": ("api.errors",),
    "generation": ("api.generation", "api.records"),
    "hookspecs": ("api.hookspecs",),
    "jsonlines": ("codecs.jsonlines", "codecs.columns"),
    "placement": ("engine.placement",),
    "plan": ("engine.plan",),
    "plugins": ("engine.plugins", "api.hookspecs"),
    "progress": ("cli.progress",),
    "registry": ("api.registry",),
    "run": ("engine.run", "api.summary"),
    "scaffold": ("cli.scaffold",),
    "scenarios": ("api.scenarios", "api.transforms"),
    "schema": ("api.schema",),
    "seeding": ("api.seeding",),
    "serializers": ("api.serializers", "codecs.text", "codecs.json"),
    "sinks": ("api.sinks",),
    "stream": ("engine.stream",),
    "validation": ("api.rules", "engine.validation"),
}
"""Kernel 1 module (under ``datagen_kernel``) -> the modules its names live in now."""

_PACKAGE = "datagen_kernel"


class _SplitModule(types.ModuleType):
    """A kernel 1 module whose names now live in several modules."""

    def __init__(self, name: str, targets: Sequence[types.ModuleType]) -> None:
        super().__init__(name)
        self._targets = tuple(targets)

    def __getattr__(self, attr: str) -> Any:
        for module in self._targets:
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")

    def __dir__(self) -> list[str]:
        return sorted({n for m in self._targets for n in dir(m) if not n.startswith("__")})


class _Loader(importlib.abc.Loader):
    def __init__(self, old: str) -> None:
        self.old = old

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None  # the default module; exec_module puts the real one in its place

    def exec_module(self, module: types.ModuleType) -> None:
        targets = [importlib.import_module(f"{_PACKAGE}.{t}") for t in MOVED[self.old]]
        new = " or ".join(f"{_PACKAGE}.{t}" for t in MOVED[self.old])
        warnings.warn(
            f"{_PACKAGE}.{self.old} is a kernel 1 module path, deprecated: import from {_PACKAGE}.api "
            f"(the public API) or, for what it does not export, {new}",
            DeprecationWarning,
            stacklevel=2,  # the importing line: warnings skips the import system's frames
        )
        replacement = targets[0] if len(targets) == 1 else _SplitModule(module.__name__, targets)
        # the import system returns what sys.modules holds once exec_module is done
        sys.modules[module.__name__] = replacement
        setattr(sys.modules[_PACKAGE], self.old, replacement)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, old = fullname.partition(".")
        if package != _PACKAGE or old not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, _Loader(old))


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
