"""The postgres sink's checks before sink tasks in executor processes may write (no server)."""

from __future__ import annotations

from typing import Any

import pytest
from datagen_plugin_postgres.sink import PostgresSink

from datagen_kernel.api import RunInfo, SinkContext, SinkError


def _sink(**options: Any) -> PostgresSink:
    config = {o.name: o.default() if callable(o.default) else o.default for o in PostgresSink.options}
    config["url"] = "postgresql://postgres:postgres@127.0.0.1:1/datagen"
    config.update(options)
    return PostgresSink(config)


class FakeConnection:
    """A fake psycopg connection that answers ``max_prepared_transactions`` with ``setting``."""

    def __init__(self, setting: int) -> None:
        self.setting = setting
        self.queries: list[str] = []

    def execute(self, query: str, params: Any = None) -> FakeConnection:
        self.queries.append(query)
        return self

    def fetchone(self) -> tuple[int]:
        return (self.setting,)


def test_a_server_without_prepared_transactions_is_refused_with_one_clear_message() -> None:
    sink = _sink()
    sink._conn = FakeConnection(0)  # type: ignore[assignment]
    with pytest.raises(SinkError) as raised:
        sink._check_two_phase()
    assert "max_prepared_transactions = 0" in raised.value.message
    assert "two-phase commit" in raised.value.message
    assert raised.value.hint is not None and "--executor local" in raised.value.hint


def test_a_server_with_prepared_transactions_passes() -> None:
    sink = _sink()
    conn = FakeConnection(64)
    sink._conn = conn  # type: ignore[assignment]
    sink._check_two_phase()
    assert conn.queries == ["SELECT current_setting('max_prepared_transactions')::int"]


@pytest.mark.parametrize("role", ["coordinator", "task"])
def test_upsert_is_refused_for_sink_tasks_before_connecting(role: str) -> None:
    sink = _sink(if_exists="upsert")  # the URL's port 1 answers nothing: the check comes first
    context = SinkContext(RunInfo(seed=1, root_count=1), {}, {}, "postgres", None, 0, 2, role, "r" * 32)
    with pytest.raises(SinkError) as raised:
        sink.open(context)
    assert "if_exists=upsert cannot be loaded by sink tasks" in raised.value.message


def test_the_sink_declares_parallel_tasks() -> None:
    assert PostgresSink.capabilities().parallel_tasks
