"""Make the example importable from a source checkout even before ``pip install -e``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

DIST = Path(__file__).resolve().parents[1]

if importlib.util.find_spec("datagen_plugin_income_tweak") is None:
    sys.path.insert(0, str(DIST / "src"))
