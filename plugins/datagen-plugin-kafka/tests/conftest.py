"""Fixtures of the kafka sink tests: the stack fixtures of tests/integration, the toy pack."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from kafkatest_support import SESSION, delete_topics, stack_fixtures  # noqa: E402

globals().update(stack_fixtures("kafka"))


@pytest.fixture(scope="session", autouse=True)
def _delete_test_topics(request: pytest.FixtureRequest) -> object:
    """Topics made by this session's tests all start with ``t-<SESSION>-``; drop them at the end."""
    yield
    if not any(item.get_closest_marker("integration") for item in request.session.items):
        return  # no test of this session touched the stack (and none may be running)
    bootstrap = os.environ.get("DATAGEN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    with contextlib.suppress(Exception):
        delete_topics(bootstrap, f"t-{SESSION}-")
