"""Every Python snippet of docs/plugins.md runs, and the examples and docs import only public names.

Convention for the ```python blocks of a page (write new ones to it):

* the blocks of one page run in order, in one shared namespace, as a reader would type them
  into one Python session: a block may use what an earlier block of the same page defined or
  imported (``PIX_KEY``, ``hookimpl``), and must import everything else itself;
* they run in the development environment, where the kernel and every ``plugins/*``
  distribution are installed (``make setup``), and the three ``examples/`` packages are
  importable (``from datagen_plugin_pix_keys import plugin``); nothing else is prepared;
* ``...`` stands for code left out; it may stand for a value (``total = ...``) as long as every
  name a block uses is defined: the blocks, joined in order, must have no undefined name
  (ruff's F821);
* a function named ``test_*`` that takes no argument is called once its block has run (tests
  that take pytest fixtures are only defined);
* imports of ``datagen_kernel`` name public modules only: ``datagen_kernel``,
  ``datagen_kernel.api`` (and its documented modules ``columnar`` and ``seeding``) and
  ``datagen_kernel.testing``; the examples' code follows the same rule.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RUN_PAGES = [REPO / "docs" / "plugins.md"]
"""Pages whose snippets are executed."""
IMPORT_PAGES = sorted([REPO / "README.md", *REPO.glob("docs/**/*.md"), *REPO.glob("examples/*/README.md")])
"""Pages whose snippets' imports are checked."""
EXAMPLE_SOURCES = sorted(p for p in REPO.glob("examples/*/**/*.py") if "__pycache__" not in p.parts)
PUBLIC = {"datagen_kernel", "datagen_kernel.api", "datagen_kernel.api.columnar", "datagen_kernel.api.seeding",
          "datagen_kernel.testing"}
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def snippets(page: Path) -> list[tuple[int, str]]:
    """(line number, code) of every ```python block of ``page``, in order."""
    text = page.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in _BLOCK.finditer(text)]


def private_imports(code: str) -> Iterator[str]:
    """Each import of a non-public kernel module or name in ``code``, as text."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("datagen_kernel") and alias.name not in PUBLIC:
                    yield f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "datagen_kernel":
            if node.module not in PUBLIC:
                yield f"from {node.module} import ..."
                continue
            module = importlib.import_module(node.module)
            exported = getattr(module, "__all__", None)
            for alias in node.names:
                public = alias.name in exported if exported is not None else not alias.name.startswith("_")
                if not public or not hasattr(module, alias.name):
                    yield f"from {node.module} import {alias.name}"


@pytest.fixture(scope="module")
def examples_importable() -> Iterator[None]:
    """The examples' packages on sys.path (each package alone: src/ may hold stale metadata)."""
    links = Path(tempfile.mkdtemp(prefix="datagen-doc-examples-"))
    for package in sorted(REPO.glob("examples/*/src/datagen_plugin_*")):
        if package.is_dir():
            (links / package.name).symlink_to(package, target_is_directory=True)
    sys.path.insert(0, str(links))
    try:
        yield
    finally:
        sys.path.remove(str(links))


@pytest.mark.parametrize("page", RUN_PAGES, ids=lambda p: p.name)
def test_every_snippet_runs(page: Path, examples_importable: None, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = snippets(page)
    assert len(blocks) >= 10
    monkeypatch.chdir(tmp_path)  # a snippet writing files writes them here
    namespace: dict[str, object] = {"__name__": f"snippets_of_{page.stem}"}
    for line, code in blocks:
        known = set(namespace)
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
            for name, value in list(namespace.items()):
                if name.startswith("test_") and name not in known and callable(value) and not _parameters(value):
                    value()
        except Exception as exc:
            raise AssertionError(f"the snippet at {page.relative_to(REPO)}:{line} fails: "
                                 f"{type(exc).__name__}: {exc}\n{code}") from exc


def _parameters(fn: object) -> int:
    code = getattr(fn, "__code__", None)
    return code.co_argcount if code is not None else 1


@pytest.mark.parametrize("page", RUN_PAGES, ids=lambda p: p.name)
def test_snippets_define_every_name_they_use(page: Path, tmp_path: Path) -> None:
    blocks = snippets(page)
    joined = tmp_path / f"{page.stem}_snippets.py"
    joined.write_text("".join(f"# {page.name}:{line}\n{code}\n" for line, code in blocks), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select", "F821",
                           "--output-format", "concise", str(joined)], capture_output=True, text=True)
    assert done.returncode == 0, f"undefined names in the snippets of {page.name} (file lines):\n{done.stdout}"


@pytest.mark.parametrize("page", IMPORT_PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_doc_snippets_import_public_names_only(page: Path) -> None:
    bad = [f"{page.name}:{line}: {found}" for line, code in snippets(page) for found in private_imports(code)]
    assert bad == []


@pytest.mark.parametrize("source", EXAMPLE_SOURCES, ids=lambda p: str(p.relative_to(REPO / "examples")))
def test_examples_import_public_names_only(source: Path) -> None:
    assert list(private_imports(source.read_text(encoding="utf-8"))) == []


def test_private_and_deprecated_imports_are_caught() -> None:
    code = ("from datagen_kernel.serializers import to_text_values\nimport datagen_kernel.engine.plan\n"
            "from datagen_kernel.api import Rule, NEUTRAL_RUN\nfrom datagen_kernel import PluginHost, _compat\n"
            "from datagen_kernel.testing import generate_records\n")
    assert list(private_imports(code)) == [
        "from datagen_kernel.serializers import ...", "import datagen_kernel.engine.plan",
        "from datagen_kernel.api import NEUTRAL_RUN", "from datagen_kernel import _compat"]


def test_examples_import_without_deprecation_warnings(tmp_path: Path) -> None:
    """Importing every module of the examples warns about nothing (no kernel 1 path, no old name)."""
    for package in sorted(REPO.glob("examples/*/src/datagen_plugin_*")):
        (tmp_path / package.name).symlink_to(package, target_is_directory=True)
    modules = sorted(f"{p.parent.name}.{p.stem}" for p in REPO.glob("examples/*/src/datagen_plugin_*/*.py"))
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c",
                           "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]", *modules],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(modules) >= 9
