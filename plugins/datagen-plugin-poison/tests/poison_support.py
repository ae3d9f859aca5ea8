"""Scoring helpers of the poison tests: undo what the manifest lists, compare with a clean run."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson


def manifest(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def restore(lines: Iterable[bytes], rows: Iterable[dict[str, Any]], primary_key: str) -> list[dict[str, Any]]:
    """The records of ``lines`` with the manifest's added records removed and its changed
    records given back their original values (what a clean run wrote)."""
    records = [orjson.loads(line) for line in lines]
    for row in rows:
        matches = [i for i, r in enumerate(records) if r.get(primary_key) == row["key"]
                   and all(r.get(k) == v for k, v in row["changed"].items())]
        assert matches, f"no record of the manifest row {row}"
        i = matches[-1]
        if row["action"] == "added":
            del records[i]
        elif row["action"] == "changed":
            record = records[i]
            for name in row["changed"]:
                if name in row["original"]:
                    record[name] = row["original"][name]
                else:
                    del record[name]
            for name, value in row["original"].items():
                record[name] = value
    return records


def canonical(records: Iterable[dict[str, Any]]) -> list[bytes]:
    return sorted(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in records)
