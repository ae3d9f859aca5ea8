"""Poison pills in PostgreSQL: labelled rows go to <table>_rejected with their kind, unattempted."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path

import datagen_plugin_postgres.plugin as postgres_plugin
import psycopg
import pytest
from datagen_plugin_poison import plugin as poison_plugin
from datagen_plugin_poison.poison import KINDS
from kafkatest_support import cli_runner, toy_plugins
from poison_support import manifest

pytestmark = pytest.mark.integration


def test_every_kind_in_postgres_goes_to_rejected_tables(postgres_url: str, tmp_path: Path) -> None:
    schema = f"poison_{uuid.uuid4().hex[:8]}"
    cli = cli_runner([*toy_plugins(), postgres_plugin, poison_plugin])
    rates = [x for k in KINDS for x in ("-o", f"poison.{k}=0.04")]
    clean = cli(["run", "-q", "--customers", "150", "--sink", "postgres", "-o", f"postgres.url={postgres_url}",
                 "-o", f"postgres.schema={schema}_clean"])
    assert clean.exit_code == 0, clean.output
    args = ["run", "-q", "--customers", "150", "--sink", "postgres", "--transform", "poison",
            "-o", "poison.entities=score", "-o", f"poison.manifest={tmp_path / 'm.jsonl'}",
            "-o", f"postgres.url={postgres_url}", "-o", f"postgres.schema={schema}",
            "-o", "postgres.if_exists=truncate",
            "--summary-json", str(tmp_path / "s.json"), *rates]
    for _ in range(2):  # the second run truncates what the first left, rejected rows too
        result = cli(args)
        assert result.exit_code == 0, result.output
    rows = [r for r in manifest(tmp_path / "m.jsonl") if r["sink"] == "postgres"]
    with psycopg.connect(postgres_url) as conn:
        rejected = conn.execute(f'SELECT reason, record FROM "{schema}".score_rejected').fetchall()
        kept = conn.execute(f'SELECT score_id::text FROM "{schema}".score').fetchall()
        clean_ids = conn.execute(f'SELECT score_id::text FROM "{schema}_clean".score').fetchall()
        for name in (schema, f"{schema}_clean"):
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')
    assert Counter(r[0] for r in rejected) == Counter(r["kind"] for r in rows)
    assert "tombstone" not in {r[0] for r in rejected}  # a table carries no tombstone
    assert {"duplicate", "malformed", "nulls", "orphan", "schema_evolution"} <= {r[0] for r in rejected}
    assert Counter((r[0], r[1]["score_id"]) for r in rejected) == Counter((r["kind"], r["key"]) for r in rows)
    malformed = [r[1] for r in rejected if r[0] == "malformed"]
    assert all(not isinstance(m["points"], int) for m in malformed)  # the wrong type, kept as it was
    # the table holds the clean rows no pill changed; changed and moved ones are in _rejected
    changed = {r["key"] for r in rows if r["action"] in ("changed", "moved")}
    assert {k for (k,) in kept} == {k for (k,) in clean_ids} - changed
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["ok"] is True
    assert sum(n for by in summary["transforms"]["poison"]["counts"].values() for n in by.values()) == len(rows)
