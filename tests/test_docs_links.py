"""Relative links in the user guides and CONTRIBUTING point to files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ["CONTRIBUTING.md", "docs/plugins.md", "docs/getting-started.md", "docs/configuration.md",
          "docs/scenarios.md", "docs/architecture.md", "docs/cli.md", "docs/testing.md",
          "examples/datagen-plugin-csv/README.md", "examples/datagen-plugin-pix-keys/README.md",
          "examples/datagen-plugin-income-tweak/README.md"]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#+\s+(.*)$", re.MULTILINE)


def _anchors(text: str) -> set[str]:
    out = set()
    for title in _HEADING.findall(text):
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        out.add(slug)
    return out


@pytest.mark.parametrize("guide", GUIDES)
def test_relative_links_resolve(guide: str) -> None:
    path = ROOT / guide
    text = path.read_text(encoding="utf-8")
    broken = []
    for target in _LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        missing_anchor = bool(anchor) and dest.suffix == ".md" and dest.is_file() and \
            anchor not in _anchors(dest.read_text("utf-8"))
        if not dest.exists() or missing_anchor:
            broken.append(target)
    assert not broken, f"{guide}: broken links {broken}"
