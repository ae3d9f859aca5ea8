"""The state topic of resumable runs, without a broker: marks, and the state they describe."""

from __future__ import annotations

from datagen_plugin_kafka.sink import KafkaSink
from datagen_plugin_kafka.state import Mark, state_of


def test_a_mark_round_trips_and_its_key_names_run_route_phase_and_block() -> None:
    mark = Mark("block", "k1", "kafka", "events", 7, at="2026-01-01T00:00:00Z")
    assert mark.key() == b"k1/kafka/events/7"
    assert Mark.parse(mark.value()) == mark
    globals_ = Mark("block", "k1", "kafka", "masters", None)
    assert globals_.key() == b"k1/kafka/masters/globals" and Mark.parse(globals_.value()) == globals_
    start = Mark("start", "k1", "kafka", params={"seed": 1})
    assert start.key() == b"k1/kafka/start" and Mark.parse(start.value()) == start
    assert Mark.parse(b"not json") is None and Mark.parse(None) is None and Mark.parse(b'{"type": "x"}') is None


def test_the_state_counts_the_marks_of_the_latest_attempt_of_the_run_on_its_route() -> None:
    marks = [
        Mark("start", "k1", "kafka", params={"seed": 1}, at="t1"),
        Mark("block", "k1", "kafka", "masters", 0),
        Mark("block", "k1", "kafka", "masters", 1),
        Mark("complete", "k1", "kafka", at="t2"),
        Mark("start", "k1", "kafka", params={"seed": 1}, at="t3"),  # run again from the start: forget the above
        Mark("block", "k1", "kafka", "masters", None),
        Mark("block", "k1", "kafka", "masters", 0),
        Mark("block", "k1", "kafka:event", "events", 0),  # another route of the run
        Mark("start", "k2", "kafka", params={"seed": 2}, at="t4"),
        Mark("block", "k2", "kafka", "masters", 0),
    ]
    state = state_of(marks, "k1", "kafka", "topic datagen-state")
    assert state.run is not None and not state.run.complete and state.run.started_at == "t3"
    assert state.committed == {("masters", None), ("masters", 0)}
    assert state.latest_incomplete is not None and state.latest_incomplete.key == "k2"
    assert state.where == "topic datagen-state"

    done = state_of([*marks, Mark("complete", "k1", "kafka", at="t5")], "k1", "kafka", "")
    assert done.run is not None and done.run.complete and done.run.finished_at == "t5"
    unknown = state_of(marks, "k3", "kafka", "")
    assert unknown.run is None and unknown.committed == set() and unknown.latest_incomplete.key == "k2"
    assert state_of([], "k1", "kafka", "").latest_incomplete is None


def test_resumable_mode_needs_the_exactly_once_preset_and_keeps_state_under_the_prefix() -> None:
    config = {o.name: o.default_value() for o in KafkaSink.options}
    reliable = KafkaSink(config)
    assert "needs -o kafka.preset=exactly-once" in (reliable.resume_problem() or "")
    eos = KafkaSink({**config, "preset": "exactly-once", "topic_prefix": "dev."})
    assert eos.resume_problem() is None and eos.state_topic() == "dev.datagen-state"
    assert KafkaSink({**config, "state_topic": "offsets"}).state_topic() == "offsets"
