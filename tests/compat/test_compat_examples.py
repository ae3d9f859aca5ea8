"""What the frozen copies' own tests cannot check themselves (see README.md).

They are still the kernel v1 examples, byte for byte, and the modules this session imports for
them are theirs, not the live examples' of the same names.
"""

from __future__ import annotations

import hashlib
import importlib
import tomllib
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FROZEN = sorted(d for d in HERE.glob("datagen-plugin-*") if d.is_dir())
SKIPPED = ("__pycache__", ".egg-info", "build")
"""What an install or a test run may leave in a frozen copy."""


def _frozen_files() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(p for dist in FROZEN for p in dist.rglob("*") if p.is_file()):
        name = path.relative_to(HERE).as_posix()
        if not any(part.endswith(SKIPPED) for part in path.relative_to(HERE).parts[:-1]):
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def test_the_frozen_copies_are_unchanged() -> None:
    # frozen.sha256 is `sha256sum` of every file as copied from the examples of kernel v1
    recorded = {}
    for line in (HERE / "frozen.sha256").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        recorded[name] = digest
    assert len(FROZEN) == 3
    assert _frozen_files() == recorded, "a frozen copy was edited: restore it from git, never update frozen.sha256"


@pytest.mark.parametrize("dist", FROZEN, ids=lambda d: d.name)
def test_entry_point_modules_import_from_the_frozen_copy(dist: Path) -> None:
    # the module named by the entry point is what users' installs load; this session must load
    # the frozen one, even when the live example of the same name was imported first
    entry_points = tomllib.loads((dist / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"]
    targets = list(entry_points["datagen"].values())
    assert targets
    for target in targets:
        module = importlib.import_module(target)
        assert module.__file__ is not None
        assert Path(module.__file__).resolve().is_relative_to(dist / "src"), (target, module.__file__)
