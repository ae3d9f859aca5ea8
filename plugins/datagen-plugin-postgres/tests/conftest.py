"""Fixtures of the postgres sink tests: ``postgres_url`` from tests/integration/conftest.py,
hosts with the toy pack or the conformance pack, an admin connection and a fresh schema."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))

_STACK = REPO / "tests" / "integration" / "conftest.py"
if _STACK.exists():  # a conftest only serves its own folder: re-export the stack fixtures here
    _spec = importlib.util.spec_from_file_location("datagen_stack_fixtures_for_postgres", _STACK)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    globals().update({name: value for name, value in vars(_module).items() if not name.startswith("__")
                      and (hasattr(value, "_fixture_function_marker") or hasattr(value, "_pytestfixturefunction"))})


@pytest.fixture
def pg_admin(postgres_url: str) -> Iterator[Any]:
    """An autocommit connection for checks and set-up."""
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def pg_schema(pg_admin: Any) -> Iterator[str]:
    """A schema name unique to this test (created by the sink), dropped afterwards."""
    name = f"dgt_{uuid.uuid4().hex[:12]}"
    yield name
    pg_admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _run_cli(host: Any, args: Sequence[str]) -> Result:
    from datagen_kernel.cli import make_cli

    return CliRunner().invoke(make_cli(lambda: host), list(args))


@pytest.fixture
def toy_host() -> Any:
    import datagen_plugin_postgres.plugin as pg_plugin
    import toy_pack

    from datagen_kernel import make_plugin_host

    return make_plugin_host(entrypoints=False, plugins=[toy_pack, pg_plugin])


@pytest.fixture
def pg_cli(postgres_url: str, pg_schema: str) -> Callable[..., Result]:
    """``pg_cli(host, args, **options)``: ``datagen run`` into this test's schema."""

    def invoke(host: Any, args: Sequence[str], url: str | None = None, schema: str | None = None,
               **options: str) -> Result:
        flags = ["-o", f"postgres.url={url or postgres_url}", "-o", f"postgres.schema={schema or pg_schema}"]
        for key, value in options.items():
            flags += ["-o", f"postgres.{key}={value}"]
        sink = [] if "--sink" in args else ["--sink", "postgres"]
        return _run_cli(host, ["run", "-q", *sink, *args, *flags])

    return invoke
