"""The kernel's layout: five subpackages, layered, and no import cycle between its modules.

Every import statement counts, wherever it is (module level, inside a function, under
``TYPE_CHECKING``): a cycle hidden in a function is still two modules that cannot be
understood apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import datagen_kernel

ROOT = Path(datagen_kernel.__file__).parent
PACKAGE = "datagen_kernel"
LAYERS = {"api": 0, "codecs": 1, "engine": 2, "cli": 3, "testing": 4}
"""A subpackage imports only from its own layer and the layers below it."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Kernel modules ``path`` imports (``from pkg import module`` counts as the module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PACKAGE))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return {m for m in found if m in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, set(modules)) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_kernel_is_exactly_five_subpackages() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(LAYERS)


def test_no_import_cycle_between_kernel_modules() -> None:
    graph = _graph()
    # the root package re-exports the public names: only it and the kernel 1 shim may import it
    assert _cycles({k: v - {PACKAGE} for k, v in graph.items()}) == []


def test_no_kernel_module_imports_the_root_package() -> None:
    offenders = sorted(m for m, deps in _graph().items() if PACKAGE in deps and m != PACKAGE)
    assert offenders == []


def test_subpackages_import_only_their_own_layer_and_those_below() -> None:
    def layer(module: str) -> int | None:
        parts = module.split(".")
        return LAYERS.get(parts[1]) if len(parts) > 1 else None

    wrong = []
    for module, deps in _graph().items():
        own = layer(module)
        if own is None:
            continue
        for dep in deps:
            theirs = layer(dep)
            if theirs is not None and theirs > own:
                wrong.append(f"{module} -> {dep}")
    assert sorted(wrong) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
