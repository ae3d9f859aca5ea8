"""A toy entity pack used by the kernel tests: team (root) -> member (master) -> score (event)."""

from __future__ import annotations

import datetime as dt

from datagen_kernel import (
    BlockContext,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    ForeignKey,
    Int,
    Kind,
    Option,
    Record,
    Rule,
    Scope,
    String,
    Timestamp,
    Uuid,
    Violation,
    hookimpl,
)
from datagen_kernel.api import DomainDefaults
from datagen_kernel.api.seeding import weighted_choice


def read_dir(path):  # type: ignore[no-untyped-def]
    """Every data file of a directory, by name (for byte-for-byte comparisons); the run
    manifest, which names its run and when it ran, aside."""
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file() and p.name != "_datagen-run.json"}

TEAM = EntitySpec(
    name="team",
    kind=Kind.MASTER,
    scope=Scope.ROOT,
    fields=(
        Field("team_id", Uuid()),
        Field("name", String(40)),
        Field("league", Enum("GOLD", "SILVER", "BRONZE")),
        Field("budget", Decimal(15, 2)),
    ),
    primary_key="team_id",
    table="teams",
)
MEMBER = EntitySpec(
    name="member",
    kind=Kind.MASTER,
    fields=(
        Field("member_id", Uuid()),
        Field("team_id", Uuid()),
        Field("number", Int(minimum=1, maximum=99)),
        Field("nickname", String(20), nullable=True),
    ),
    primary_key="member_id",
    foreign_keys=(ForeignKey("team_id", "team", "team_id"),),
    table="members",
)
SCORE = EntitySpec(
    name="score",
    kind=Kind.EVENT,
    fields=(
        Field("score_id", Uuid()),
        Field("member_id", Uuid()),
        Field("points", Int(minimum=0, maximum=10)),
        Field("at", Timestamp()),
    ),
    primary_key="score_id",
    foreign_keys=(ForeignKey("member_id", "member", "member_id"),),
    topic="toy.scores",
    key_field="member_id",
)


DOMAIN = DomainDefaults(count_flag="customers", timezone=dt.timezone(dt.timedelta(hours=-3), "America/Sao_Paulo"))
"""Declared like the banking pack's (the as-of follows: 2026-01-01 at midnight in that zone), so
the kernel tests, written when the kernel had the bank's defaults, keep their flags and offsets."""


def gen_team(ctx: BlockContext) -> list[Record]:
    n = ctx.size
    ids = ctx.uuids(n)
    leagues = weighted_choice(ctx.rng("league"), ["GOLD", "SILVER", "BRONZE"], [1, 3, 6], n)
    budgets = ctx.rng("budget").integers(100_000, 10_000_000_00, n).tolist()
    return [
        {"team_id": i, "name": f"Team {ctx.start + k}", "league": lg, "budget": b}
        for k, (i, lg, b) in enumerate(zip(ids, leagues, budgets, strict=True))
    ]


def gen_member(ctx: BlockContext) -> list[Record]:
    teams = ctx.records("team")
    per_team = ctx.options("toy").get("members_per_team", 3)
    n = len(teams) * per_team
    ids = ctx.uuids(n)
    numbers = ctx.rng("number").integers(1, 100, n).tolist()
    out = []
    for k in range(n):
        team = teams[k // per_team]
        out.append({"member_id": ids[k], "team_id": team["team_id"], "number": numbers[k],
                    "nickname": None if numbers[k] % 2 else f"n{numbers[k]}"})
    return out


def gen_score(ctx: BlockContext) -> list[Record]:
    out: list[Record] = []
    for m in ctx.records("member"):
        rng = ctx.stream("score", m["member_id"])
        k = int(rng.integers(0, 4))
        ids = [f"{m['member_id'][:-4]}{i:04d}" for i in range(k)]
        pts = rng.integers(0, 11, k).tolist()
        ats = (ctx.run.as_of_ms - rng.integers(0, 86_400_000 * 30, k)).tolist()
        out.extend({"score_id": i, "member_id": m["member_id"], "points": p, "at": a}
                   for i, p, a in zip(ids, pts, ats, strict=True))
    return out


def _budget_positive(spec: EntitySpec, records: list[Record], lookup: object) -> list[Violation]:
    return [Violation(spec.name, r["team_id"], "budget", "budget-positive", "must be > 0")
            for r in records if r["budget"] <= 0]


@hookimpl
def datagen_register_entities(register) -> None:  # type: ignore[no-untyped-def]
    register(TEAM)
    register(MEMBER)
    register(SCORE)
    register.options("toy", [Option("members_per_team", "int", 3, "Members per team.", minimum=1)])
    register.domain(DOMAIN)


@hookimpl
def datagen_register_generators(register) -> None:  # type: ignore[no-untyped-def]
    register("team", gen_team)
    register("member", gen_member)
    register("score", gen_score)


@hookimpl
def datagen_register_validators(register) -> None:  # type: ignore[no-untyped-def]
    register(Rule("budget-positive", "team", _budget_positive, "Budgets are positive."))
