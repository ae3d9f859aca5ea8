"""Fixtures of the dask executor tests: the stack fixtures of tests/integration; the helpers
are in ``dasktest_support``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

_STACK = REPO / "tests" / "integration" / "conftest.py"
if _STACK.exists():  # a conftest only serves its own folder: re-export the stack fixtures here
    _spec = importlib.util.spec_from_file_location("datagen_stack_fixtures_for_dask", _STACK)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    globals().update({name: value for name, value in vars(_module).items() if not name.startswith("__")
                      and (hasattr(value, "_fixture_function_marker") or hasattr(value, "_pytestfixturefunction"))})
