"""Fixtures of the poison tests: the toy pack of the kernel tests, the stack fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "plugins" / "datagen-plugin-kafka" / "tests"))
sys.path.insert(0, str(ROOT / "tests"))

from kafkatest_support import stack_fixtures  # noqa: E402

globals().update(stack_fixtures("poison"))
