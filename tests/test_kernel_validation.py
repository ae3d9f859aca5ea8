"""Validators in a run, transforms, ``datagen validate`` and ``datagen schemas export``."""

from __future__ import annotations

import json
from pathlib import Path

import fastavro
import orjson
from click.testing import CliRunner

from datagen_kernel import Field, String, Transform, hookimpl
from datagen_kernel.api.schema import to_avro, to_json_schema, to_sql_ddl
from datagen_kernel.cli import make_cli


def test_a_rule_violation_fails_the_run_naming_entity_key_field_and_rule(toy_host, tmp_path: Path) -> None:
    class Broke:
        @hookimpl
        def datagen_register_generators(self, register):  # type: ignore[no-untyped-def]
            def wrapper(ctx, inner):  # type: ignore[no-untyped-def]
                records = inner(ctx)
                records[3]["budget"] = -100
                return records

            register.wrap("team", wrapper)

    toy_host.register(Broke(), "broke")
    result = CliRunner().invoke(make_cli(lambda: toy_host), ["run", "-q", "--customers", "10",
                                                             "-o", f"json.path={tmp_path}"])
    assert result.exit_code == 1
    assert "team" in result.output and "'budget'" in result.output and "budget-positive" in result.output
    assert "Traceback" not in result.output


def test_schema_rules_catch_bad_enum_and_foreign_key(toy_host, tmp_path: Path) -> None:
    class Broke:
        @hookimpl
        def datagen_register_generators(self, register):  # type: ignore[no-untyped-def]
            def wrapper(ctx, inner):  # type: ignore[no-untyped-def]
                records = inner(ctx)
                records[0]["team_id"] = "00000000-0000-4000-8000-000000000000"
                return records

            register.wrap("member", wrapper)

    toy_host.register(Broke(), "broke")
    result = CliRunner().invoke(make_cli(lambda: toy_host), ["run", "-q", "--customers", "3", "-o",
                                                             f"json.path={tmp_path}"])
    assert result.exit_code == 1
    assert "foreign-key" in result.output and "team.team_id" in result.output


def test_a_transform_alters_and_drops_records_deterministically(toy_host, tmp_path: Path) -> None:
    def mask_and_drop(spec, records, ctx):  # type: ignore[no-untyped-def]
        keep = ctx.rng(spec.name).random(len(records)) < 0.5
        out = []
        for r, k in zip(records, keep, strict=True):
            if k:
                out.append({**r, "name": "***", "tag": "masked"})
        return out

    class Masker:
        @hookimpl
        def datagen_register_transforms(self, register):  # type: ignore[no-untyped-def]
            register(Transform("mask", mask_and_drop, "Masks names, drops half.", entities=["team"],
                               extend_entity=lambda spec: spec.with_fields(Field("tag", String(10)))))

    toy_host.register(Masker(), "masker")
    outputs = []
    for batch in ("7", "1000"):
        out = tmp_path / batch
        result = CliRunner().invoke(make_cli(lambda: toy_host), ["run", "-q", "--customers", "600", "--transform",
                                    "mask", "--batch-size", batch, "-o", f"json.path={out}"])
        assert result.exit_code == 0, result.output
        outputs.append((out / "team.jsonl").read_bytes())
    assert outputs[0] == outputs[1]
    teams = [orjson.loads(x) for x in outputs[0].splitlines()]
    assert 200 < len(teams) < 400
    assert all(t["name"] == "***" and t["tag"] == "masked" for t in teams)


def test_validate_command_passes_clean_output_and_flags_corruption(toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert toy_cli(["run", "-q", "--customers", "40", "-o", f"json.path={tmp_path}"]).exit_code == 0
    ok = toy_cli(["validate", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    assert "no violations" in ok.output
    lines = (tmp_path / "member.jsonl").read_bytes().splitlines()
    bad = orjson.loads(lines[5])
    bad["team_id"] = "00000000-0000-4000-8000-000000000000"
    bad["number"] = 500
    lines[5] = orjson.dumps(bad)
    (tmp_path / "member.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    result = toy_cli(["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "foreign-key" in result.output and "range" in result.output
    assert bad["member_id"] in result.output


def test_validate_rejects_an_empty_directory(toy_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = toy_cli(["validate", str(tmp_path)])
    assert result.exit_code == 2 and "no dataset files found" in result.output


def test_schema_exports(toy_cli, toy_host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    specs = toy_host.registry.entity_specs()
    for spec in specs.values():
        fastavro.parse_schema(to_avro(spec))  # a valid Avro schema
        js = to_json_schema(spec)
        assert js["required"] == list(spec.field_names)
    ddl = to_sql_ddl(specs["member"], specs)
    assert 'REFERENCES "public"."teams" ("team_id")' in ddl
    assert '"number" INTEGER NOT NULL' in ddl
    assert 'CREATE INDEX IF NOT EXISTS "members_team_id_idx"' in ddl
    league = to_sql_ddl(specs["team"], specs)
    assert "CHECK (\"league\" IN ('GOLD', 'SILVER', 'BRONZE'))" in league
    assert '"budget" NUMERIC(15,2) NOT NULL' in league
    for fmt, expected in (("avro", "team.avsc"), ("sql", "schema.sql"), ("jsonschema", "team.schema.json")):
        result = toy_cli(["schemas", "export", "--format", fmt, str(tmp_path / fmt)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / fmt / expected).exists()
    avsc = json.loads((tmp_path / "avro" / "score.avsc").read_text())
    assert {"type": "long", "logicalType": "timestamp-millis"} in [f["type"] for f in avsc["fields"]]
    sql = (tmp_path / "sql" / "schema.sql").read_text()
    assert sql.index('"teams"') < sql.index('"members"') < sql.index('"score"')


def test_dataset_lookup_finds_parents_in_files_and_names_missing_ones(tmp_path: Path) -> None:
    """``datagen validate``'s lookup: parents read back by key from plain and gzip files."""
    import gzip

    import toy_pack

    from datagen_kernel.engine.dataset import DatasetLookup, chunks

    specs = {s.name: s for s in (toy_pack.TEAM, toy_pack.MEMBER)}
    teams = [{"team_id": f"t{i}", "name": f"team {i}", "league": "GOLD", "budget": f"{i}.50"} for i in range(50)]
    lines = b"".join(orjson.dumps(t) + b"\n" for t in teams)
    (tmp_path / "team.jsonl.gz").write_bytes(gzip.compress(lines))
    (tmp_path / "member.jsonl").write_bytes(b"")
    lookup = DatasetLookup(specs, {"team": tmp_path / "team.jsonl.gz", "member": tmp_path / "member.jsonl"})
    try:
        found = lookup.get("team", "t42")
        assert found is not None and (found["name"], found["budget"]) == ("team 42", 4250), "decoded, scaled"
        assert lookup.get("team", "t50") is None
        assert lookup.missing("team", "team_id", ["t1", "x", None, "t49", "y"]) == ["x", "y"]
        assert lookup.missing("member", "member_id", ["m"]) == ["m"], "an empty file holds nothing"
        assert [len(c) for c in chunks(tmp_path / "team.jsonl.gz", toy_pack.TEAM, size=20)] == [20, 20, 10]
    finally:
        lookup.close()
