"""The scoring example (examples/poison-scoring) on a real topic: it finds what its consumer catches."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from kafkatest_support import unique_prefix

from datagen_kernel.cli import make_cli

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[3] / "examples" / "poison-scoring" / "score_dead_letter_queue.py"
CAUGHT = ("correction", "duplicate", "malformed", "nulls", "schema_evolution", "tombstone")
MISSED = ("encoding", "extreme", "late", "orphan", "out_of_order", "timezone")


def test_the_example_scores_its_dead_letter_queue(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = unique_prefix("score")
    manifest = tmp_path / "m.jsonl"
    rates = [x for k in (*CAUGHT, *MISSED) for x in ("-o", f"poison.{k}=0.04")]
    result = CliRunner().invoke(make_cli(), [
        "run", "-q", "--customers", "40", "--sink", "kafka:transaction", "--transform", "poison",
        "-o", "poison.entities=transaction", "-o", f"poison.manifest={manifest}",
        "-o", f"kafka.bootstrap_servers={kafka_bootstrap}", "-o", f"kafka.topic_prefix={prefix}", *rates])
    assert result.exit_code == 0, result.output
    out = subprocess.run([sys.executable, str(SCRIPT), "--bootstrap", kafka_bootstrap,
                          "--topic", f"{prefix}banking.transactions", "--entity", "transaction",
                          "--manifest", str(manifest)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1].startswith("precision 1.000  recall ")  # its queue holds poison only
    recall = {line.split()[0]: line.split()[2] for line in lines[2:]}
    assert set(recall) == set(CAUGHT) | set(MISSED)
    assert all(recall[k] == "1.000" for k in CAUGHT), out.stdout  # what a schema check can see
    assert all(recall[k] == "0.000" for k in MISSED), out.stdout  # what it cannot
