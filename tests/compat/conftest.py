"""Run the frozen copies of the examples in the same session as the live ones (see README.md).

A frozen copy and its live example share every name: the distribution (``datagen-plugin-csv``),
the package (``datagen_plugin_csv``) and the test modules (``test_csv_sink``). In one Python
process only one module of a name can be imported, and each example's ``tests/conftest.py``
exposes its package only if that name is not importable yet, so without help whichever side is
imported first would silently be tested twice. This conftest keeps two sets of those modules:

* while a node under ``tests/compat`` is collected or run, ``sys.modules`` holds the frozen
  copies' modules, and a finder resolves the frozen packages to ``datagen-plugin-*/src`` here;
  the live examples' modules are put aside, and put back afterwards;
* code under ``tests/compat`` that looks a package up (the frozen conftests'
  ``importlib.util.find_spec``) is always answered with the frozen copy, so those conftests never
  put a frozen package on ``sys.path`` for the live examples to find.

The frozen copies' installed tests install ``Path(__file__).parents[1]``, the frozen copy; they
get their own ``datagen_venv`` so that the live examples, installed under the same distribution
names into the session's ``datagen_venv``, never replace them (or the other way round).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pytest

from datagen_kernel.testing import PluginVenv

HERE = Path(__file__).resolve().parent
FROZEN = tuple(sorted(d for d in HERE.glob("datagen-plugin-*") if (d / "pyproject.toml").is_file()))
PACKAGES = {p.name: p.parent for d in FROZEN for p in (d / "src").iterdir() if (p / "__init__.py").is_file()}
"""Top-level package of each frozen copy -> the src/ folder it is imported from."""
TEST_MODULES = frozenset(f.stem for d in FROZEN for f in (d / "tests").glob("test_*.py"))


def _shared(name: str) -> bool:
    return name.partition(".")[0] in PACKAGES or name in TEST_MODULES


def _under_here(path: str | Path) -> bool:
    return Path(path).is_absolute() and Path(path).resolve().is_relative_to(HERE)


def _called_from_here(frame: FrameType | None) -> bool:
    """Whether the code that started the current import or lookup is a file under tests/compat."""
    while frame is not None and frame.f_globals.get("__name__", "").startswith(("importlib", "_frozen_importlib")):
        frame = frame.f_back
    return frame is not None and _under_here(frame.f_code.co_filename)


class _FrozenFinder(importlib.abc.MetaPathFinder):
    """Resolves the frozen copies' packages to their src/ folders here, when the frozen side is on."""

    def __init__(self) -> None:
        self.frozen = False

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname not in PACKAGES or not (self.frozen or _called_from_here(sys._getframe(1))):
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [str(PACKAGES[fullname])])


FINDER = _FrozenFinder()
sys.meta_path.insert(0, FINDER)
_put_aside: dict[bool, dict[str, ModuleType]] = {True: {}, False: {}}
"""The modules of the side that is not in ``sys.modules`` now (True: the frozen side)."""


def _switch(frozen: bool) -> bool:
    """Put the frozen (True) or the live side's modules in ``sys.modules``; return the side that was."""
    was = FINDER.frozen
    if was == frozen:
        return was
    leaving = _put_aside[FINDER.frozen]
    for name in [n for n in sys.modules if _shared(n)]:
        leaving[name] = sys.modules.pop(name)
    sys.modules.update(_put_aside[frozen])
    _put_aside[frozen].clear()
    FINDER.frozen = frozen
    return was


@contextlib.contextmanager
def _frozen_side(path: Path) -> Iterator[None]:
    """The frozen side's modules while a frozen copy's path is handled (nothing changes elsewhere)."""
    if not _under_here(path):
        yield
        return
    was = _switch(True)
    try:
        yield
    finally:
        _switch(was)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    # imports the frozen conftests and test modules
    with _frozen_side(collector.path):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, Any, Any]:
    # setup, call and teardown of a frozen copy's test (the engine's forked workers inherit the modules)
    with _frozen_side(item.path):
        return (yield)


@pytest.fixture(scope="session")
def datagen_venv(tmp_path_factory: pytest.TempPathFactory) -> PluginVenv:
    """The frozen copies' own layered environment (the live examples install the same names)."""
    return PluginVenv(tmp_path_factory.mktemp("compat-venv") / "venv")
