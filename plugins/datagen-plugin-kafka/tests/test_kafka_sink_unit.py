"""The kafka sink without a broker: presets, options, topic naming, keys, CloudEvents headers."""

from __future__ import annotations

import datetime as dt
import pickle
import time
import types

import pytest
from datagen_plugin_kafka.cloudevents import event_source, event_time_field, event_type
from datagen_plugin_kafka.presets import PRESETS, parse_overrides, producer_settings
from datagen_plugin_kafka.sink import KafkaSink
from kafkatest_support import cli_runner, encode, kafka_partition, murmur2, toy_pack, toy_plugins

from datagen_kernel import EntitySpec, Field, Kind, String, Timestamp, Uuid
from datagen_kernel.codecs.json import JsonSerializer
from datagen_kernel.engine.plugins import make_plugin_host
from datagen_kernel.testing import generate_records


def _sink(**options: object) -> KafkaSink:
    config = {o.name: o.default_value() for o in KafkaSink.options}
    config.update(options)
    sink = KafkaSink(config)
    sink.serializer = JsonSerializer({"utc": False})
    return sink


def test_no_preset_disables_acknowledgements() -> None:
    assert set(PRESETS) == {"reliable", "fast", "bulk", "streaming", "exactly-once"}
    for name, settings in PRESETS.items():
        assert settings["acks"] in ("all", "1"), name
    assert PRESETS["reliable"]["acks"] == "all" and PRESETS["reliable"]["enable.idempotence"] == "true"
    assert PRESETS["streaming"]["enable.idempotence"] == "true"


def test_overrides_win_over_the_preset_and_acks_zero_is_refused() -> None:
    settings = producer_settings("bulk", parse_overrides(["linger.ms=7", " compression.type = zstd "]))
    assert settings["linger.ms"] == "7" and settings["compression.type"] == "zstd"
    assert settings["partitioner"] == "murmur2_random"
    for bad in (["acks=0"], ["request.required.acks=0"], ["linger.ms"], ["=1"], ["on_delivery=x"]):
        with pytest.raises(ValueError):
            parse_overrides(bad)


def test_acks_zero_on_the_command_line_is_one_clear_error() -> None:
    invoke = cli_runner(toy_plugins())
    result = invoke(["run", "--customers", "2", "--sink", "kafka", "-q", "-o", "kafka.producer=acks=0"])
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "kafka.producer" in errors[0] and "acks=0" in errors[0], result.output


def test_topics_follow_the_catalog_with_prefix_and_overrides() -> None:
    sink = _sink(topic_prefix="dev.", topics=["member=people"])
    assert sink.topic_for(toy_pack.SCORE) == "dev.toy.scores"
    assert sink.topic_for(toy_pack.TEAM) == "dev.team"
    assert sink.topic_for(toy_pack.MEMBER) == "dev.people"


def test_encode_keys_values_and_cloudevents_headers() -> None:
    records = generate_records(make_plugin_host(entrypoints=False, plugins=[toy_pack]), customers=3, seed=5)
    scores = records["score"]
    assert scores, "the toy pack produced no score for 3 teams"
    sink = _sink()
    batch = pickle.loads(pickle.dumps(encode(sink, toy_pack.SCORE, scores)))
    payload = sink.payload(batch)
    assert batch.entity == "score" and batch.count == len(scores)
    assert payload.topic == "toy.scores"
    assert payload.values == JsonSerializer({}).serialize(toy_pack.SCORE, scores)
    for record, key, headers in zip(scores, payload.keys, payload.headers(), strict=True):
        assert key == record["member_id"].encode()
        h = dict(headers)
        assert len(h) == len(headers), "a header appears twice"
        assert h["ce_specversion"] == b"1.0"
        assert h["ce_id"] == record["score_id"].encode()
        assert h["ce_type"] == b"br.com.datagen.toy.score.created"
        assert h["ce_source"] == b"/datagen/toy"
        assert h["ce_subject"] == key
        assert h["content-type"] == b"application/json"
        at = dt.datetime.fromisoformat(h["ce_time"].decode().replace("Z", "+00:00"))
        assert at.utcoffset() == dt.timedelta(0)
        assert int(at.timestamp() * 1000) == record["at"]
    ids = [dict(h)["ce_id"] for h in payload.headers()]
    assert len(set(ids)) == len(ids), "ce_id must be unique"


def test_masters_are_keyed_by_their_id_and_headers_can_be_turned_off() -> None:
    records = generate_records(make_plugin_host(entrypoints=False, plugins=[toy_pack]), customers=3, seed=5)
    plain = _sink(cloudevents=False)
    payload = plain.payload(encode(plain, toy_pack.MEMBER, records["member"]))
    assert payload.cloudevents is None and payload.headers() is None
    assert payload.keys == [r["member_id"].encode() for r in records["member"]]


def test_event_time_and_domain_rules() -> None:
    spec = EntitySpec(
        "trade", Kind.EVENT,
        (Field("trade_id", Uuid()), Field("created_at", Timestamp()), Field("executed_at", Timestamp()),
         Field("note", String(), nullable=True)),
        primary_key="trade_id", topic="banking.trades", key_field="trade_id",
    )
    assert event_time_field(spec) == "executed_at"
    assert event_type(spec) == "br.com.datagen.banking.trade.created"
    assert event_source(spec) == "/datagen/banking"
    master = EntitySpec("customer", Kind.MASTER, (Field("customer_id", Uuid()), Field("created_at", Timestamp())),
                        primary_key="customer_id")
    assert event_time_field(master) == "created_at"
    assert event_type(master) == "br.com.datagen.customer.created"
    assert event_source(master) == "/datagen"


def test_murmur2_matches_kafka_reference_values() -> None:
    # reference values of Kafka's own partitioner tests (org.apache.kafka.common.utils.UtilsTest)
    assert murmur2(b"21") == -973932308
    assert murmur2(b"foobar") == -790332482
    assert murmur2(b"a-little-bit-long-string") == -985981536
    assert murmur2(b"a-little-bit-longer-string") == -1486304829
    assert murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
    assert murmur2(b"abc") == 479470107
    assert 0 <= kafka_partition(b"any", 3) < 3


def test_unreachable_broker_fails_within_seconds_with_one_clear_line() -> None:
    invoke = cli_runner(toy_plugins())
    start = time.monotonic()
    result = invoke(["run", "--customers", "5", "--sink", "kafka", "-q",
                     "-o", "kafka.bootstrap_servers=127.0.0.1:1", "-o", "kafka.connect_timeout_s=2"])
    elapsed = time.monotonic() - start
    assert result.exit_code != 0
    assert elapsed < 15, f"took {elapsed:.1f} s"
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "cannot reach Kafka at 127.0.0.1:1" in errors[0] and "bootstrap_servers" in errors[0]
    assert "Traceback" not in result.output


def test_unknown_librdkafka_property_is_one_clear_error() -> None:
    invoke = cli_runner(toy_plugins())
    result = invoke(["run", "--customers", "2", "--sink", "kafka", "-q", "-o", "kafka.producer=no.such.thing=1",
                     "-o", "kafka.bootstrap_servers=127.0.0.1:1"])
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code != 0 and len(errors) == 1, result.output
    assert "invalid producer setting" in errors[0] and "no.such.thing" in errors[0]


def test_installed_plugin_is_discovered_through_its_entry_point() -> None:
    registry = make_plugin_host().registry
    reg = registry.sinks["kafka"]
    assert reg.owner.distribution == "datagen-plugin-kafka" and reg.value is KafkaSink


def test_loading_the_plugin_does_not_import_the_kafka_client() -> None:
    import subprocess
    import sys

    code = ("import sys, datagen_plugin_kafka.plugin; "
            "sys.exit(1 if 'confluent_kafka' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_rfc3339_times_match_the_kernel_formatting() -> None:
    from datagen_plugin_kafka.cloudevents import rfc3339_utc

    from datagen_kernel.codecs.text import format_timestamps

    values = [1767000000123, 0, -1, 1767000000000, 253402300799999] * 20
    assert rfc3339_utc(values) == [t.encode() for t in format_timestamps(values, dt.UTC)]
    aware = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    assert rfc3339_utc([aware]) == [b"2025-01-01T03:00:00.000Z"]


def test_full_queue_is_drained_by_polling_and_every_record_is_accounted() -> None:
    """No broker: the 20-message queue fills, the sink polls until messages time out, nothing is lost."""
    records = generate_records(make_plugin_host(entrypoints=False, plugins=[toy_pack]), customers=20, seed=5)
    scores = records["score"]
    assert len(scores) > 40
    sink = _sink(bootstrap_servers="127.0.0.1:1", flush_timeout_s=1.0,
                 producer=["queue.buffering.max.messages=20", "message.timeout.ms=300", "linger.ms=0"])
    sink._entity_of = {"toy.scores": "score"}
    sink._producer = sink._new_producer()
    start = time.monotonic()
    sink.write(pickle.loads(pickle.dumps(encode(sink, toy_pack.SCORE, scores))))
    sink.flush()
    sink.close(False)
    assert time.monotonic() - start < 30
    assert sink.stats.acknowledged["score"] == 0
    assert sink.stats.failed["score"] == len(scores)
    assert any("timed out" in e for e in sink.stats.errors), sink.stats.errors


def test_messages_still_queued_at_the_delivery_timeout_are_purged_and_failed_with_the_reason() -> None:
    records = generate_records(make_plugin_host(entrypoints=False, plugins=[toy_pack]), customers=10, seed=5)
    scores = records["score"]
    sink = _sink(bootstrap_servers="127.0.0.1:1", delivery_timeout_s=1.0, producer=["message.timeout.ms=600000"])
    sink._entity_of = {"toy.scores": "score"}
    sink._producer = sink._new_producer()
    sink.write(encode(sink, toy_pack.SCORE, scores))
    assert sink.in_flight() == len(scores)
    start = time.monotonic()
    sink.close(False)
    assert time.monotonic() - start < 15, "close must not wait for message.timeout.ms"
    assert sink.stats.failed["score"] == len(scores) and sink.in_flight() == 0
    assert any("no delivery report for 1 s, the delivery timeout" in e for e in sink.stats.errors), sink.stats.errors


def test_a_stalled_broker_with_a_full_queue_fails_the_rest_instead_of_hanging() -> None:
    records = generate_records(make_plugin_host(entrypoints=False, plugins=[toy_pack]), customers=20, seed=5)
    scores = records["score"]
    sink = _sink(bootstrap_servers="127.0.0.1:1", flush_timeout_s=1.0,
                 producer=["queue.buffering.max.messages=20", "message.timeout.ms=600000"])
    sink._entity_of = {"toy.scores": "score"}
    sink._producer = sink._new_producer()
    start = time.monotonic()
    sink.write(encode(sink, toy_pack.SCORE, scores))
    sink.write(encode(sink, toy_pack.SCORE, scores[:5]))
    sink.close(False)
    assert time.monotonic() - start < 20
    assert sink.stats.acknowledged["score"] == 0
    assert sink.stats.failed["score"] == len(scores) + 5
    assert any("no delivery report for 1 s" in e for e in sink.stats.errors), sink.stats.errors


class FakeQueue:
    """A fake of the producer's queue length alone: messages waiting plus the producer's events."""

    def __init__(self) -> None:
        self.messages = 0
        self.events = 0

    def __len__(self) -> int:
        return self.messages + self.events


def test_the_producers_own_events_do_not_restart_the_delivery_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stopped broker: librdkafka queues an error event for each failed reconnection and serves
    it on the next poll. The queue's length moves, but no message left it: the timeout still
    counts from the last delivery report, which a message leaving the queue restarts."""
    import datagen_plugin_kafka.sink as sink_module

    now = [100.0]
    # the sink module's clock only (not the time module every other piece of code shares)
    monkeypatch.setattr(sink_module, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    sink = _sink(delivery_timeout_s=5.0)
    queue = FakeQueue()
    sink._producer = queue  # type: ignore[assignment]
    assert not sink._stalled()  # an empty queue: the clock starts
    sink._produced["t"] += 10
    queue.messages = 10
    for step, events in enumerate([1, 0, 1, 2, 0, 1, 0], start=1):
        now[0] = 100.0 + step * 0.7
        queue.events = events
        assert not sink._stalled(), step
    now[0] = 105.5
    assert sink._stalled()
    queue.messages = 9  # a delivery report: the clock restarts
    assert not sink._stalled()
    now[0] = 110.0
    queue.events = 1
    assert not sink._stalled()
    queue.events = 0
    now[0] = 110.6
    assert sink._stalled()


def test_rfc3339_integer_arithmetic_matches_numpy_over_the_four_digit_years() -> None:
    import numpy as np
    from datagen_plugin_kafka.cloudevents import rfc3339_utc

    rng = np.random.default_rng(7)
    edges = [0, -1, 1, -62_167_219_200_000, 253_402_300_799_999, 951_782_400_000, 951_868_799_999,
             4_107_542_400_000, 1_767_225_599_999]
    ms = np.concatenate([rng.integers(-62_167_219_200_000, 253_402_300_800_000, 50_000), edges])
    expected = [t.encode() for t in np.char.add(np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms"),
                                                "Z").tolist()]
    assert rfc3339_utc(ms) == expected
    assert rfc3339_utc(ms.tolist()) == expected
    assert rfc3339_utc(ms.astype("datetime64[ms]")) == expected
    assert rfc3339_utc([253_402_300_800_000]) == [b"10000-01-01T00:00:00.000Z"]


def test_encode_reads_batch_columns_like_dicts() -> None:
    import numpy as np

    from datagen_kernel import Batch, TextColumn

    records = generate_records(make_plugin_host(entrypoints=False, plugins=[toy_pack]), customers=30, seed=5)
    scores = records["score"]
    columns = {}
    for f in toy_pack.SCORE.fields:
        values = [r[f.name] for r in scores]
        if isinstance(f.type, Uuid) and not f.nullable:
            columns[f.name] = TextColumn(np.frombuffer("".join(values).encode(), dtype=np.uint8).reshape(-1, 36))
        elif isinstance(f.type, Timestamp) and not f.nullable:
            columns[f.name] = np.array(values, dtype=np.int64)
        else:
            columns[f.name] = values
    sink = _sink()
    from_dicts = sink.payload(encode(sink, toy_pack.SCORE, scores))
    from_batch = sink.payload(encode(sink, toy_pack.SCORE, Batch(columns)))
    assert from_batch.keys == from_dicts.keys and from_batch.headers() == from_dicts.headers()
    assert from_batch.values == from_dicts.values


def test_packed_columns_round_trip_through_pickle() -> None:
    import numpy as np
    from datagen_plugin_kafka.packed import Packed, as_list

    items = [b"", b"a", b"\n", "São Paulo".encode(), b"x" * 300]
    for packed in (Packed.of(items), pickle.loads(pickle.dumps(Packed.of(items)))):
        assert packed.tolist() == items and len(packed) == len(items) and packed == items
    matrix = np.frombuffer(b"abcdefghijkl", dtype=np.uint8).reshape(4, 3)
    assert Packed.rows(matrix).tolist() == [b"abc", b"def", b"ghi", b"jkl"]
    assert Packed.lines(b'{"a":1}\n{}\n\n').tolist() == [b'{"a":1}', b"{}", b""]
    assert Packed.lines(b"").tolist() == [] and as_list(Packed.of([])) == []
    assert as_list([b"k", None]) == [b"k", None]


def test_keys_and_ids_from_padded_and_nullable_text_columns() -> None:
    from datagen_plugin_kafka.cloudevents import text_bytes, text_column
    from datagen_plugin_kafka.packed import as_list

    from datagen_kernel import TextColumn

    values = ["", "abc", "São", "x" * 40]
    expected = [v.encode() for v in values]
    column = TextColumn.from_strings(values)
    assert as_list(text_column(column)) == expected and text_bytes(column) == expected
    fixed = TextColumn.from_strings(["ab", "cd"])
    assert as_list(text_column(fixed)) == [b"ab", b"cd"]
    with_null = TextColumn.from_strings(["ab", None])
    assert as_list(text_column(with_null)) == [b"ab", None] and text_bytes(with_null) == [b"ab", None]


def test_the_transactional_id_is_stable_for_a_run_and_differs_between_runs() -> None:
    from datagen_kernel.api import RunInfo

    def txn_id(block: int | None, seed: int = 1, count: int = 100, prefix: str = "", route: str = "kafka") -> str:
        sink = _sink(preset="exactly-once", topic_prefix=prefix)
        sink.run = RunInfo(seed=seed, root_count=count)
        sink._route = route
        return sink.transactional_id(block)

    first = txn_id(3)
    assert first == txn_id(3)  # a retry, a rerun: the same id, so the new producer fences the old one
    assert first.startswith("datagen-") and first.endswith("-kafka-3") and len(first.split("-")[1]) == 16
    assert txn_id(None).endswith("-kafka-globals")
    assert len({first, txn_id(4), txn_id(3, seed=2), txn_id(3, count=101), txn_id(3, prefix="dev."),
                txn_id(3, route="kafka:event")}) == 6
    assert _sink(preset="exactly-once").transactional and not _sink().transactional
    assert "exactly-once" in _sink(preset="exactly-once").delivery()
    assert _sink().delivery().startswith("at-least-once")


def test_topic_naming_catalog_and_legacy() -> None:
    """Every entity on `<domain>.<plural-with-dashes>`; `topic_naming=legacy` keeps the old master names."""
    import re

    from datagen_plugin_kafka.sink import KafkaSink

    from datagen_kernel.engine.plugins import make_plugin_host

    specs = make_plugin_host().registry.entity_specs()
    base = {o.name: o.default_value() for o in KafkaSink.options}
    catalog = KafkaSink(base)
    legacy = KafkaSink(base | {"topic_naming": "legacy", "topic_prefix": "dev."})
    topics = {name: catalog.topic_for(spec) for name, spec in specs.items()}
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+(-[a-z]+)*", t) for t in topics.values()), topics
    assert len(set(topics.values())) == len(topics)
    assert (topics["customer"], topics["credit_card"], topics["card_transaction"], topics["insurance_policy"]) == (
        "banking.customers", "banking.credit-cards", "banking.card-transactions", "insurance.policies")
    old = {name: legacy.topic_for(spec) for name, spec in specs.items()}
    assert (old["customer"], old["recurring_payment"], old["stock"]) == (
        "dev.customer", "dev.recurring_payment", "dev.stock")
    assert (old["transaction"], old["fund"], old["insurance_policy"]) == (
        "dev.banking.transactions", "dev.funds.funds", "dev.insurance.policies")
