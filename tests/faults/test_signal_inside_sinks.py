"""A Ctrl+C that lands inside a sink's own work: in a Kafka write, in the PostgreSQL commit.

The run sends itself SIGINT as the sink method starts (``FAULT_SIGNAL_IN``), so Python's default
handling would raise ``KeyboardInterrupt`` in the middle of it: inside the producer loop (a
``TypeError`` out of librdkafka, or messages produced but never counted), or inside the commit
(``Aborted!``, exit 1, the summary lost). Now the signal waits for the next safe point: exit 130,
the summary printed, and acknowledged = what a reader finds.
"""

from __future__ import annotations

from pathlib import Path

import faults_support as fs
import pytest


@pytest.mark.parametrize("sink, method", [
    ("kafka", "datagen_plugin_kafka.sink:KafkaSink.write:3"),
    ("postgres", "datagen_plugin_postgres.sink:PostgresSink.close:1"),
])
def test_ctrl_c_inside_a_sink_method_stops_at_the_next_safe_point(fault_stack, tmp_path: Path, sink: str,
                                                                  method: str) -> None:
    target = fs.Target(tmp_path / "out")
    try:
        result = fs.Run(["--customers", str(fs.CUSTOMERS), *target.sink_args(sink)], fault_stack.env,
                        tmp_path / "run", signal_in=f"{method}:SIGINT").finish()
        assert result.rc == 130, result.output
        for bad in ("Traceback", "Aborted!", "TypeError"):
            assert bad not in result.output, result.output
        assert "interrupted by SIGINT:" in result.stderr, result.output
        assert result.generated() > 0
        assert result.acknowledged() == fs.found(sink, target, fault_stack.env), result.output
        if sink == "postgres":  # the signal came during the commit: the commit finished, all of it
            assert result.acknowledged() == result.generated()
    finally:
        fs.drop_schema(fault_stack.env["DATAGEN_POSTGRES_URL"], target.schema)
