"""The json and console sinks run the sink conformance suite every sink plugin can run."""

from __future__ import annotations

import gzip
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from datagen_kernel import EntitySpec
from datagen_kernel.testing import SinkConformance


class TestJsonSink(SinkConformance):
    sink_name = "json"
    options: ClassVar[dict[str, str]] = {"path": "{tmp_path}/{run}"}

    def read_back(self, config: Mapping[str, Any], entities: Mapping[str, EntitySpec]) -> Mapping[str, Sequence[Any]]:
        folder = Path(config["path"])
        if not folder.is_dir():
            return {}
        held: dict[str, list[bytes]] = {}
        for path in sorted(folder.glob("*.jsonl*")):
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            held[path.name.split(".")[0]] = data.splitlines()
        return held


class TestJsonSinkGzip(TestJsonSink):
    options: ClassVar[dict[str, str]] = {"path": "{tmp_path}/{run}", "gzip": "true", "compresslevel": "1"}


class TestConsoleSink(SinkConformance):
    sink_name = "console"
    options: ClassVar[dict[str, str]] = {"limit": "2"}


# --- the suite itself fails sinks that break the contract ----------------------------------

pytest_plugins = ["pytester"]

_BROKEN = '''
import os
from pathlib import Path
from datagen_kernel import Option, Sink, hookimpl
from datagen_kernel.testing import SinkConformance


class LeakySink(Sink):
    name = "leaky"
    doc = "Writes lines to a file; {flaw}"
    serializer_name = "json"
    options = (Option("path", "path", "./out", "Folder."), Option("level", "int", 1, "Level.", minimum=0))

    def open(self, context):
        Path(self.config["path"]).mkdir(parents=True, exist_ok=True)
        self.files = {{n: open(Path(self.config["path"]) / f"{{n}}.txt", "wb") for n in context.entities}}

    def write(self, batch):
        self.files[batch.entity].write(b"\\n".join(batch.payload) + b"\\n")
        {ack}

    def close(self, ok):
        for fh in self.files.values():
            fh.close()


@hookimpl
def datagen_register_sinks(register):
    register(LeakySink)


import sys
plugin = sys.modules[__name__]


class TestLeaky(SinkConformance):
    sink_name = "leaky"
    options = {{"path": "{{tmp_path}}/{{run}}"}}
    plugins = (plugin,)

    def read_back(self, config, entities):
        folder = Path(config["path"])
        return {{p.stem: p.read_bytes().splitlines() for p in folder.glob("*.txt")}} if folder.is_dir() else {{}}
'''


def test_suite_fails_a_sink_that_keeps_partial_output(pytester: Any) -> None:
    pytester.makepyfile(test_leaky=_BROKEN.format(flaw="keeps files on failure",
                                                  ack="self.stats.ack(batch.entity, batch.count)"))
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=9, failed=1)
    result.stdout.fnmatch_lines(["*test_failed_run_leaves_no_complete_output*"])


def test_suite_fails_a_sink_that_does_not_acknowledge(pytester: Any) -> None:
    pytester.makepyfile(test_leaky=_BROKEN.format(flaw="never acknowledges", ack="pass"))
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 3
    result.stdout.fnmatch_lines(["*test_lifecycle_acknowledges_every_record*",
                                 "*test_run_through_cli_delivers_everything*"])


# --- the other pieces of the testing kit --------------------------------------------------


def test_register_and_cli_fixtures_share_one_fresh_host(datagen_host: Any, datagen_register: Any,
                                                       datagen_cli: Any) -> None:
    import json

    from datagen_kernel.testing import ConformancePack

    assert not datagen_host.registry.entities  # nothing installed leaks in
    datagen_register(ConformancePack())
    listed = json.loads(datagen_cli(["entities", "--json"]).output)
    assert [e["name"] for e in listed] == ["conformance_owner", "conformance_event"]


def test_generate_records_runs_the_rules(datagen_host: Any, datagen_register: Any) -> None:
    import pytest

    from datagen_kernel import Rule, ValidationFailed, Violation, hookimpl
    from datagen_kernel.testing import ConformancePack, generate_records

    datagen_register(ConformancePack())
    data = generate_records(datagen_host, customers=600, seed=2)
    assert len(data["conformance_owner"]) == 600
    assert {e["owner_id"] for e in data["conformance_event"]} <= {o["owner_id"] for o in data["conformance_owner"]}
    assert generate_records(datagen_host, customers=600, seed=2) == data

    class NoGold:
        @hookimpl
        def datagen_register_validators(self, register: Any) -> None:
            register(Rule("no-gold", "conformance_owner", lambda spec, recs, lookup: [
                Violation(spec.name, r["owner_id"], "tier", "no-gold", "gold") for r in recs if r["tier"] == "GOLD"]))

    datagen_register(NoGold())
    with pytest.raises(ValidationFailed, match="no-gold"):
        generate_records(datagen_host, customers=5)
