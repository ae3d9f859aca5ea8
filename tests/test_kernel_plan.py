"""The planner (``engine/plan.py``) called directly: what a plan holds, and every check at its bounds."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import toy_pack

from datagen_kernel import ConfigError, hookimpl
from datagen_kernel.api.scenarios import Scenario
from datagen_kernel.api.schema import EntitySpec, Field, Int
from datagen_kernel.api.transforms import Transform
from datagen_kernel.engine.builtins import LocalExecutor
from datagen_kernel.engine.config import ConfigSources
from datagen_kernel.engine.plan import build_plan, plan_from, sink_options
from datagen_kernel.engine.plugins import PluginHost, make_plugin_host
from datagen_kernel.engine.runplan import MAX_ROOT_COUNT, MAX_SEED, RunParams


def _problems(host: PluginHost, params: RunParams, sources: ConfigSources | None = None) -> list[str]:
    """The problems build_plan reports (empty when the plan is made)."""
    try:
        build_plan(host, params, sources or ConfigSources(environ={}))
    except ConfigError as exc:
        return list(exc.problems)
    return []


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        (RunParams(root_count=-1), "--count -1 is out of range"),
        (RunParams(root_count=MAX_ROOT_COUNT + 1), f"--count {MAX_ROOT_COUNT + 1} is out of range"),
        (RunParams(workers=0), "--workers 0 is out of range"),
        (RunParams(workers=257), "--workers 257 is out of range"),
        (RunParams(batch_size=0), "--batch-size 0 is out of range"),
        (RunParams(batch_size=10_000_001), "--batch-size 10000001 is out of range"),
        (RunParams(mode="trickle"), "mode 'trickle' is unknown"),
        (RunParams(mode="stream", rate=0), "--rate 0 is out of range"),
        (RunParams(mode="stream", rate=10_000_001), "--rate 1e+07 is out of range"),
        (RunParams(mode="stream", duration=0), "--duration 0 must be a positive, finite number of seconds"),
        (RunParams(mode="stream", duration=float("nan")), "--duration nan must be a positive, finite number"),
        (RunParams(mode="stream", duration=float("inf")), "--duration inf must be a positive, finite number"),
        (RunParams(mode="stream", rate=float("nan")), "--rate nan is out of range"),
        (RunParams(root_count=0), "--count 0 is out of range: expected 1..1,000,000,000"),
        (RunParams(seed=-1), "--seed -1 is out of range: expected 0..18446744073709551615"),
        (RunParams(seed=MAX_SEED + 1), f"--seed {MAX_SEED + 1} is out of range"),
        (RunParams(sinks=("json", "json:team")), "--sink 'json:team' sends 'team' to sink 'json' again"),
        (RunParams(mode="stream", stream_clock="later"), "--stream-clock 'later' is unknown: expected now or replay"),
        (RunParams(executor="nosuch"), "unknown executor 'nosuch'; available: local"),
    ],
)
def test_each_parameter_out_of_range_is_one_problem(toy_host: PluginHost, params: RunParams, problem: str) -> None:
    problems = _problems(toy_host, params)
    assert len(problems) == 1 and problem in problems[0], problems


@pytest.mark.parametrize(
    "params",
    [
        RunParams(root_count=1), RunParams(root_count=MAX_ROOT_COUNT), RunParams(seed=0), RunParams(seed=MAX_SEED),
        RunParams(workers=1), RunParams(workers=256),
        RunParams(batch_size=1), RunParams(batch_size=10_000_000), RunParams(mode="stream", rate=10_000_000),
        RunParams(mode="stream", rate=0.5, duration=0.1, stream_clock="replay"),
    ],
)
def test_the_bounds_themselves_are_accepted(toy_host: PluginHost, params: RunParams) -> None:
    assert _problems(toy_host, params) == []


def test_a_plan_holds_what_the_run_needs(toy_host: PluginHost) -> None:
    """Events only: the parents are generated (parents first) but not emitted; one json route."""
    sources = ConfigSources(flags={"json": {"gzip": "true"}}, environ={"DATAGEN_JSON_PATH": "/tmp/x", "HOME": "/h"})
    plan = build_plan(toy_host, RunParams(root_count=7, seed=5, sinks=("json:event",)), sources)
    assert list(plan.specs) == ["team", "member", "score"]
    assert plan.emitted == {"score": [0]}
    [route] = plan.routes
    assert (route.entities, route.label, route.serializer) == (["score"], "json", "json")
    assert route.config["gzip"] is True
    assert set(plan.serializers) == {"json"}
    assert set(plan.generators) == set(plan.specs)
    assert [r.name for r in plan.rules["team"]] == ["budget-positive"] and plan.rules["score"] == []
    assert plan.executor is not None and plan.executor[0] is LocalExecutor
    assert (plan.run.seed, plan.run.root_count, plan.run.mode) == (5, 7, "backfill")
    assert plan.run.options["toy"] == {"members_per_team": 3}
    assert plan.source is not None
    assert dict(plan.source.sources.environ) == {"DATAGEN_JSON_PATH": "/tmp/x"}, "only DATAGEN_* travels"
    _, again = plan_from(dataclasses.replace(plan.source, host=plan.source.host))
    assert list(again.specs) == list(plan.specs) and again.emitted == plan.emitted


def test_two_routes_to_one_sink_are_told_apart_by_their_text(toy_host: PluginHost) -> None:
    plan = build_plan(toy_host, RunParams(sinks=("json:master", "json:score", "console:team")),
                      ConfigSources(environ={}))
    assert [(r.label, r.entities) for r in plan.routes] == [
        ("json:master", ["team", "member"]), ("json:score", ["score"]), ("console", ["team"])]
    assert plan.emitted == {"team": [0, 2], "member": [0], "score": [1]}


def test_every_problem_of_routes_and_options_is_reported_together(toy_host: PluginHost) -> None:
    sources = ConfigSources(flags={"console": {"limit": "3"}, "nowhere": {"a": "1"}}, environ={})
    problems = _problems(toy_host, RunParams(sinks=("json:nothing", "nosuch", "json:event,master", "json:,",
                                                          "json:reference")), sources)
    assert any("unknown selector(s) ['nothing']" in p for p in problems), problems
    assert any("unknown sink 'nosuch'" in p for p in problems), problems
    assert any("--sink 'json:reference' selects no entity of this run" in p for p in problems), problems
    assert any("unknown option namespace 'nowhere'" in p for p in problems), problems
    assert any("options for sink 'console' were given but --sink does not use it" in p for p in problems), problems
    assert len(problems) == 6, problems


def _with_field(name: str) -> Any:
    def extend(spec: EntitySpec) -> EntitySpec:
        return dataclasses.replace(spec, fields=(*spec.fields, Field(name, Int())))

    return extend


class _Presets:
    """A scenario that narrows the run to members (and adds a field to teams) and a transform that
    extends members only."""

    @hookimpl
    def datagen_register_scenarios(self, register: Any) -> None:
        register(Scenario("members-only", entities=["member", "nosuch"], transforms=["tag"],
                          extend_entities=lambda specs: {**specs, "team": _with_field("rank")(specs["team"])}))
        register(Scenario("all"))

    @hookimpl
    def datagen_register_transforms(self, register: Any) -> None:
        register(Transform("tag", lambda spec, records, ctx: records, entities=["member"],
                           extend_entity=_with_field("tag")))
        register(Transform("tag-all", lambda spec, records, ctx: records, extend_entity=_with_field("seen")))


def test_scenarios_and_transforms_shape_the_entities() -> None:
    import datagen_plugin_json.plugin as json_plugin

    host = make_plugin_host(entrypoints=False, plugins=[toy_pack, json_plugin, _Presets()])
    problems = _problems(host, RunParams(scenario="members-only"))
    assert problems == ["scenario 'members-only' needs entities ['nosuch'], which no installed pack "
                        "provides"], problems

    def names(plan: Any, entity: str) -> list[str]:
        return [f.name for f in plan.specs[entity].fields]

    narrowed = dataclasses.replace(host.registry.scenarios["members-only"].value, entities=["member"])
    host.registry.scenarios["members-only"] = dataclasses.replace(host.registry.scenarios["members-only"],
                                                                  value=narrowed)
    plan = build_plan(host, RunParams(scenario="members-only"), ConfigSources(environ={}))
    assert list(plan.specs) == ["team", "member"], "the scenario's entity and its parent, no score"
    assert names(plan, "team")[-1] == "rank" and "tag" not in names(plan, "team")
    assert names(plan, "member")[-1] == "tag", "the scenario's transform extends its entities only"
    assert [f.name for f in plan.generated_specs["member"].fields][-1] == "nickname", "generators: before transforms"
    everything = build_plan(host, RunParams(scenario="all", transforms=("tag-all",)), ConfigSources(environ={}))
    assert list(everything.specs) == ["team", "member", "score"]
    assert all(names(everything, n)[-1] == "seen" for n in everything.specs)


class _Orphan:
    """An entity pack that registers an entity and no generator for it."""

    @hookimpl
    def datagen_register_entities(self, register: Any) -> None:
        register(EntitySpec("orphan", toy_pack.TEAM.kind, (Field("orphan_id", Int()),), primary_key="orphan_id"))


def test_an_entity_without_a_generator_names_the_pack_that_registered_it() -> None:
    import datagen_plugin_json.plugin as json_plugin

    host = make_plugin_host(entrypoints=False, plugins=[toy_pack, json_plugin, _Orphan()])
    label = host.registry.entities["orphan"].owner.label
    assert label and label != "a scenario"
    assert _problems(host, RunParams()) == [f"entity 'orphan' (from {label}) has no generator; install or register one"]


def test_a_sink_that_takes_serializers_accepts_the_serializer_option(toy_host: PluginHost) -> None:
    plan = build_plan(toy_host, RunParams(sinks=("json",)),
                      ConfigSources(flags={"json": {"serializer": "json"}}, environ={}))
    assert plan.routes[0].serializer == "json"
    names = [o.name for o in sink_options(toy_host.registry.sinks["json"].value)]
    assert names.count("serializer") == 1
