"""Rules that see the run: its as-of and resolved options, in `datagen run` and `datagen validate`."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from datagen_kernel import EntitySpec, Record, Rule, RunInfo, Violation, hookimpl
from datagen_kernel.api import Lookup, RecordIndex
from datagen_kernel.testing import run_rules

DAY_MS = 86_400_000
SAO_PAULO = dt.timezone(dt.timedelta(hours=-3), "America/Sao_Paulo")
SEEN: list[RunInfo] = []


def recent_scores(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, run: RunInfo) -> Iterator[Violation]:
    """Scores lie in the 30 days before the run's as-of (the toy generator's contract)."""
    SEEN.append(run)
    for r in records:
        if not run.as_of_ms - 30 * DAY_MS < r["at"] <= run.as_of_ms:
            yield Violation(spec.name, r["score_id"], "at", "score-recent", "not in the 30 days before the as-of")


def team_size(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, *, run: RunInfo) -> list[Violation]:
    """Teams have exactly ``toy.members_per_team`` members (a keyword-only ``run``)."""
    wanted = run.options_for("toy")["members_per_team"]
    sizes = Counter(r["team_id"] for r in records)
    return [Violation(spec.name, team, "team_id", "team-size", f"{n} members, expected {wanted}")
            for team, n in sizes.items() if n != wanted]


class RunRules:
    @hookimpl
    def datagen_register_validators(self, register: Any) -> None:
        register(Rule("score-recent", "score", recent_scores))
        register(Rule("team-size", "member", team_size))


@pytest.fixture
def cli(toy_host: Any, toy_cli: Any) -> Any:
    toy_host.register(RunRules(), "run-rules")
    SEEN.clear()
    return toy_cli


def _generate(cli: Any, out: Path, *args: str) -> None:
    result = cli(["run", "-q", "--customers", "30", "-o", f"json.path={out}", *args])
    assert result.exit_code == 0, result.output


def test_rules_receive_the_runs_as_of_and_options(cli: Any, tmp_path: Path) -> None:
    _generate(cli, tmp_path, "--as-of", "2025-03-01", "-o", "toy.members_per_team=4")
    assert SEEN and {r.as_of for r in SEEN} == {dt.datetime(2025, 3, 1, tzinfo=SAO_PAULO)}
    assert {r.options_for("toy")["members_per_team"] for r in SEEN} == {4}
    assert {r.seed for r in SEEN} == {42} and {r.timezone for r in SEEN} == {SAO_PAULO}


def test_validate_takes_the_as_of_and_options_from_flags(cli: Any, tmp_path: Path) -> None:
    _generate(cli, tmp_path, "--as-of", "2025-03-01", "-o", "toy.members_per_team=4")
    assert cli(["validate", str(tmp_path)]).exit_code == 0  # the run manifest says how it was generated
    (tmp_path / "_datagen-run.json").unlink()
    # without it, the packs' defaults are not what the data was generated with: both rules see it
    failed = cli(["validate", str(tmp_path), "--max-violations", "1000"])
    assert failed.exit_code == 1
    assert "broke rule 'score-recent'" in failed.output and "broke rule 'team-size'" in failed.output
    assert "4 members, expected 3" in failed.output
    ok = cli(["validate", str(tmp_path), "--as-of", "2025-03-01", "-o", "toy.members_per_team=4"])
    assert ok.exit_code == 0, ok.output
    assert SEEN[-1].as_of == dt.datetime(2025, 3, 1, tzinfo=SAO_PAULO)  # naive: the packs' time zone


def test_validate_reads_the_run_manifest(cli: Any, tmp_path: Path) -> None:
    _generate(cli, tmp_path, "--as-of", "2025-03-01T12:00Z", "-o", "toy.members_per_team=2", "--seed", "9")
    manifest = {"as_of": "2025-03-01T12:00:00+00:00", "seed": 9, "root_count": 30,
                "options": {"toy": {"members_per_team": 2}, "json": {"path": str(tmp_path)}}}
    (tmp_path / "_datagen-run.json").write_text(json.dumps(manifest))
    ok = cli(["validate", str(tmp_path), "--report", "-"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["as_of"] == "2025-03-01T12:00:00+00:00" and report["as_of_from"] == "_datagen-run.json"
    assert SEEN[-1].seed == 9 and SEEN[-1].root_count == 30
    # a flag wins over the manifest
    moved = cli(["validate", str(tmp_path), "--as-of", "2024-01-01", "-o", "toy.members_per_team=3",
                 "--max-violations", "1000"])
    assert moved.exit_code == 1 and "score-recent" in moved.output and "team-size" in moved.output
    (tmp_path / "_datagen-run.json").write_text("{not json")
    broken = cli(["validate", str(tmp_path)])
    assert broken.exit_code == 2 and "_datagen-run.json is not a readable run manifest" in broken.output


def test_validate_refuses_bad_as_of_and_options(cli: Any, tmp_path: Path) -> None:
    _generate(cli, tmp_path)
    bad_date = cli(["validate", str(tmp_path), "--as-of", "yesterday"])
    assert bad_date.exit_code == 2 and "--as-of 'yesterday' is not a date" in bad_date.output
    sink_option = cli(["validate", str(tmp_path), "-o", "json.path=x"])
    assert sink_option.exit_code == 2 and "option namespace 'json' (from -o) is not a pack's" in sink_option.output
    bad_value = cli(["validate", str(tmp_path), "-o", "toy.members_per_team=0"])
    assert bad_value.exit_code == 2 and "toy.members_per_team='0'" in bad_value.output


def test_validate_report_to_a_file(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(cli, out, "--as-of", "2025-03-01")
    (out / "_datagen-run.json").unlink()  # validated with the packs' defaults, not the run's as-of
    report_file = tmp_path / "report.json"
    failed = cli(["validate", str(out), "--max-violations", "2", "--report", str(report_file)])
    assert failed.exit_code == 1
    report = json.loads(report_file.read_text())
    assert report["ok"] is False and report["report_version"] == 1 and report["as_of_from"] == "default"
    assert report["as_of"] == "2026-01-01T00:00:00-03:00"
    entities = {e["entity"]: e for e in report["entities"]}
    assert entities["team"] == {"entity": "team", "file": "team.jsonl", "records": 30, "violations": 0, "rules": {}}
    scores = entities["score"]
    assert scores["violations"] == scores["rules"]["score-recent"] == scores["records"] > 0
    assert report["violation_count"] == sum(e["violations"] for e in report["entities"])
    assert len(report["violations"]) == 2 and report["truncated"] is True
    assert set(report["violations"][0]) == {"entity", "key", "field", "rule", "message"}
    assert report["records"] == sum(e["records"] for e in report["entities"])
    # the text output is unchanged: violations on stdout, totals on stderr
    assert failed.stdout.count("violation: ") == 2


def test_checks_without_run_keep_working_and_run_rules_has_a_neutral_run() -> None:
    from datagen_kernel.api.schema import Field, Int, Kind, Timestamp, Uuid

    spec = EntitySpec("tick", Kind.EVENT, (Field("tick_id", Uuid()), Field("n", Int()), Field("at", Timestamp())),
                      primary_key="tick_id")
    late = int(dt.datetime(2026, 6, 1, tzinfo=dt.UTC).timestamp() * 1000)
    records = [{"tick_id": "a", "n": 1, "at": late}]
    seen: list[Any] = []

    def classic(spec: EntitySpec, records: Sequence[Record], lookup: Lookup) -> list[Violation]:
        seen.append("classic")
        return []

    def flexible(spec: EntitySpec, records: Sequence[Record], lookup: Lookup, **extra: Any) -> list[Violation]:
        seen.append(extra["run"].as_of)
        return []

    class Future:
        def __call__(self, spec: EntitySpec, records: Sequence[Record], lookup: Lookup,
                     run: RunInfo) -> list[Violation]:
            return [Violation(spec.name, r["tick_id"], "at", "future", "after the as-of")
                    for r in records if r["at"] > run.as_of_ms]

    rules = [Rule("classic", "tick", classic), Rule("flexible", "tick", flexible), Rule("future", "tick", Future())]
    assert [r.wants_run for r in rules] == [False, True, True]
    index = RecordIndex({"tick": spec}, {"tick": records})
    assert [v.rule for v in run_rules(spec, records, rules, index)] == ["future"]  # neutral: 2026-01-01Z
    later = RunInfo(seed=1, root_count=1, as_of=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert run_rules(spec, records, rules, index, run=later) == []
    assert seen == ["classic", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "classic", later.as_of]


def test_validate_reads_the_as_of_of_a_run_summary_saved_as_the_manifest(cli: Any, tmp_path: Path) -> None:
    """`datagen run --summary-json OUT/_datagen-run.json` leaves what validate reads (as_of, seed)."""
    out = tmp_path / "out"
    result = cli(["run", "-q", "--customers", "20", "--seed", "4", "--as-of", "2025-03-01", "-o", f"json.path={out}",
                  "--summary-json", str(out / "_datagen-run.json")])
    assert result.exit_code == 0, result.output
    checked = cli(["validate", str(out), "--report", "-"])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["as_of"] == "2025-03-01T00:00:00-03:00" and report["as_of_from"] == "_datagen-run.json"
    assert SEEN[-1].seed == 4 and SEEN[-1].root_count == 20


class _RunStamp:
    """A kernel 1 sink (it encodes itself, in the workers): each payload is its run's zone and as-of."""

    @hookimpl
    def datagen_register_sinks(self, register: Any) -> None:
        from datagen_kernel import EncodedBatch, Sink

        class StampSink(Sink):
            name = "stamp"
            doc = "Records the run each worker-side encode saw."
            serializer_name = None
            seen: ClassVar[list[str]] = []

            def encode(self, entity: EntitySpec, records: Sequence[Record]) -> EncodedBatch:
                return EncodedBatch(entity.name, len(records), f"{self.run.timezone}|{self.run.as_of.isoformat()}")

            def write(self, batch: EncodedBatch) -> None:
                StampSink.seen.append(batch.payload)
                self.stats.ack(batch.entity, batch.count)

        register(StampSink)
        _RunStamp.sink = StampSink

    sink: Any = None


def test_sinks_know_the_run_in_every_worker(toy_host: Any, toy_cli: Any) -> None:
    toy_host.register(_RunStamp(), "stamp")
    with pytest.warns(DeprecationWarning, match="overrides Sink.encode"):
        result = toy_cli(["run", "-q", "--customers", "1200", "--workers", "2", "--sink", "stamp",
                          "--as-of", "2025-05-05"])
    assert result.exit_code == 0, result.output
    assert set(_RunStamp.sink.seen) == {"America/Sao_Paulo|2025-05-05T00:00:00-03:00"}
    assert len(_RunStamp.sink.seen) >= 6  # 3 blocks of 500 customers, masters and events
