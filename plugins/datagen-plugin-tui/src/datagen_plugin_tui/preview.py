"""Sample records of the chosen run: the same plan on a few roots, captured in memory.

The scenario, transforms, pack options, seed and as-of are the form's; the sinks are replaced
by the kernel's ``null`` sink, whose records the testing kit captures (nothing is written
anywhere). Values are rendered as text sinks write them (decimals exact, timestamps ISO 8601
in the run's time zone).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from datagen_kernel.codecs.text import to_text_values
from datagen_kernel.engine.plan import build_plan
from datagen_kernel.engine.runplan import DEFAULT_EXECUTOR
from datagen_kernel.testing.records import capture_records
from datagen_plugin_tui.model import Catalog, RunForm

PREVIEW_ROOTS = 3
MAX_ROWS = 200
NULL_SINK = "null"


@dataclass
class Preview:
    """Per entity (in generation order): column names and rows of text."""

    tables: dict[str, tuple[list[str], list[list[str]]]]
    roots: int


def preview(form: RunForm, cat: Catalog, roots: int = PREVIEW_ROOTS) -> Preview:
    """Run the form's plan on ``roots`` roots into memory (raise ``DatagenError`` as the CLI would)."""
    checked = form.check(cat)
    wanted = list(checked.plan.emitted) if checked.plan is not None else None
    count = max(0, min(int(form.count), roots))
    keep = [c.namespace for c in form.components(cat) if c.kind in ("scenario", "transform", "pack")]
    # in this process, one worker, a bounded run: the records do not depend on either
    params = dataclasses.replace(form.params(cat, root_count=count, sinks=(NULL_SINK,)), workers=1,
                                 workers_given=True, executor=DEFAULT_EXECUTOR, mode="backfill")
    plan = build_plan(cat.host, params, form.sources(cat, namespaces=keep))
    records, summary = capture_records(cat.host, plan)
    if summary.errors:
        raise RuntimeError("; ".join(summary.errors))
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}
    for name, spec in plan.specs.items():
        if wanted is not None and name not in wanted:
            continue
        rows = to_text_values(spec, records.get(name, [])[:MAX_ROWS], plan.run.timezone)
        columns = [f.name for f in spec.fields]
        tables[name] = (columns, [[_cell(r.get(c)) for c in columns] for r in rows])
    return Preview(tables, count)


def _cell(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)
