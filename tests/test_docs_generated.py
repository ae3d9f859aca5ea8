"""Generated documentation stays in sync: the hook reference and the CLI reference."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

import pytest

from datagen_kernel.api import hookspecs

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_every_hook_has_a_docstring() -> None:
    specs = [fn for fn in vars(hookspecs).values() if callable(fn) and hasattr(fn, "datagen_spec")]
    assert len(specs) >= 10
    missing = [fn.__name__ for fn in specs if not (inspect.getdoc(fn) or "").strip()]
    assert not missing, f"hooks without a docstring: {missing}"


def test_hook_reference_in_plugins_md_is_current() -> None:
    gen = _script("gen_hook_docs")
    current = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert gen.BEGIN in current and gen.END in current
    assert gen.splice(current, gen.render()) == current, "run: python scripts/gen_hook_docs.py"
    for _, name, _, _ in gen.hooks():
        assert f"#### `{name}`" in current


def test_hook_reference_check_fails_on_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _script("gen_hook_docs")
    stale = tmp_path / "plugins.md"
    stale.write_text((ROOT / "docs" / "plugins.md").read_text(encoding="utf-8").replace(
        "#### `datagen_register_sinks`", "#### `datagen_register_sink`"), encoding="utf-8")
    monkeypatch.setattr(gen, "DOC", stale)
    assert gen.main(["--check"]) == 1
    monkeypatch.setattr(gen, "undocumented", lambda: ["datagen_new_hook"])
    assert gen.main(["--check"]) == 1


def test_cli_reference_is_current() -> None:
    gen = _script("gen_cli_docs")
    assert gen.render() == (ROOT / "docs" / "cli.md").read_text(encoding="utf-8"), \
        "run: python scripts/gen_cli_docs.py"


def test_cli_reference_covers_every_builtin_command() -> None:
    from datagen_kernel.cli import make_cli
    from datagen_kernel.engine.plugins import make_plugin_host

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    cli = make_cli(lambda: make_plugin_host(entrypoints=False), load_commands=False)
    for name in cli.commands:
        assert f"### `datagen {name}`" in text
