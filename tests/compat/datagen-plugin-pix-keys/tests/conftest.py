"""Make the example importable from a source checkout even before ``pip install -e``."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

DIST = Path(__file__).resolve().parents[1]

if importlib.util.find_spec("datagen_plugin_pix_keys") is None:
    # expose the package alone, not src/ itself: an install leaves src/*.egg-info behind, whose
    # entry point would then register this example in every other test of the session
    _LINK_DIR = Path(tempfile.mkdtemp(prefix="datagen-example-"))
    _PACKAGE = "datagen_plugin_pix_keys"
    (_LINK_DIR / _PACKAGE).symlink_to(DIST / "src" / _PACKAGE, target_is_directory=True)
    sys.path.insert(0, str(_LINK_DIR))
