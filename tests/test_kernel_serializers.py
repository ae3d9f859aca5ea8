"""The json serializer: exact decimals, ISO timestamps, record boundaries that survive odd strings."""

from __future__ import annotations

import datetime as dt
import decimal

import orjson
import toy_pack

from datagen_kernel.codecs.json import JsonSerializer
from datagen_kernel.codecs.text import (
    SAO_PAULO,
    format_decimal,
    format_decimals,
    format_timestamps,
    from_text_values,
    to_text_values,
)


def test_decimals_are_exact() -> None:
    assert format_decimal(0, 2) == "0.00"
    assert format_decimal(-5, 2) == "-0.05"
    assert format_decimal(123456789012345, 2) == "1234567890123.45"
    assert format_decimal(decimal.Decimal("1.5"), 2) == "1.50"
    assert format_decimal(7, 0) == "7"
    values = [0, 1, -1, 99, 100, 101, 999_999_999_999_999, -999_999_999_999_999, 10**14 + 7]
    assert format_decimals(values, 2) == [format_decimal(v, 2) for v in values]
    assert format_decimals([1, None, decimal.Decimal("2.345")], 2) == ["0.01", None, "2.35"]


def test_every_cent_value_formats_exactly_near_the_double_limit() -> None:
    for v in range(10**15 - 2000, 10**15 - 1):
        assert format_decimals([v], 2)[0] == format_decimal(v, 2)


def test_timestamps_carry_the_offset() -> None:
    ms = int(dt.datetime(2025, 3, 14, 13, 21, 7, 5000, tzinfo=dt.UTC).timestamp() * 1000)
    assert format_timestamps([ms], SAO_PAULO) == ["2025-03-14T10:21:07.005-03:00"]
    assert format_timestamps([ms], dt.UTC) == ["2025-03-14T13:21:07.005Z"]
    aware = dt.datetime(2025, 3, 14, 13, 21, 7, tzinfo=dt.UTC)
    assert format_timestamps([None, aware], SAO_PAULO) == [None, "2025-03-14T10:21:07.000-03:00"]


def test_lines_survive_strings_that_look_like_boundaries() -> None:
    spec = toy_pack.TEAM
    records = [
        {"team_id": f"id-{i}", "name": name, "league": "GOLD", "budget": 100 * i}
        for i, name in enumerate(['x},{"team_id":"y', "line\nbreak", "plain", '"quoted"'])
    ]
    blob = JsonSerializer({}).serialize_lines(spec, records)
    lines = blob.splitlines()
    assert len(lines) == 4 and blob.endswith(b"\n")
    decoded = [orjson.loads(line) for line in lines]
    assert [d["name"] for d in decoded] == [r["name"] for r in records]
    assert decoded[2]["budget"] == "2.00"
    assert [from_text_values(spec, d) for d in decoded] == records
    assert JsonSerializer({}).serialize(spec, records) == lines


def test_text_values_do_not_mutate_the_records() -> None:
    record = {"team_id": "a", "name": "n", "league": "GOLD", "budget": 150}
    out = to_text_values(toy_pack.TEAM, [record])
    assert out[0]["budget"] == "1.50" and record["budget"] == 150


def test_serialize_lines_restores_the_records() -> None:
    records = [{"team_id": "a", "name": "n", "league": "GOLD", "budget": 150}]
    before = [dict(r) for r in records]
    JsonSerializer({}).serialize_lines(toy_pack.TEAM, records)
    assert records == before


def test_vectorized_iso_matches_datetime_over_a_wide_range() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    values = rng.integers(-2_000_000_000_000, 4_000_000_000_000, 5000).tolist()
    expected = [
        dt.datetime.fromtimestamp(v / 1000, dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=-3)))
        .isoformat(timespec="milliseconds") for v in values
    ]
    assert format_timestamps(values, SAO_PAULO) == expected
    mixed = [values[0], None, values[1]]
    assert format_timestamps(mixed, SAO_PAULO) == [expected[0], None, expected[1]]


def test_timestamps_beyond_the_date_table_keep_the_same_form() -> None:
    for when in (dt.datetime(1812, 6, 1, 12, 0, 0, 7000, tzinfo=dt.UTC),
                 dt.datetime(2250, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC)):
        ms = int(when.timestamp() * 1000)
        assert format_timestamps([ms], dt.UTC) == [when.isoformat(timespec="milliseconds")[:-6] + "Z"]
        assert format_timestamps([ms], SAO_PAULO) == [when.astimezone(SAO_PAULO).isoformat(timespec="milliseconds")]


def test_a_new_spec_of_the_same_name_is_encoded_by_its_own_fields() -> None:
    """The serializer keeps one column encoder per entity name; a changed spec (a plugin that
    extends the entity, a transform) gets a new one, never the stale layout."""
    from datagen_kernel.api.schema import Field, String

    ser = JsonSerializer({})
    team = {"team_id": "a", "name": "n", "league": "GOLD", "budget": 150}
    assert orjson.loads(ser.serialize_lines(toy_pack.TEAM, [team])) == {**team, "budget": "1.50"}
    wider = toy_pack.TEAM.with_fields(Field("motto", String()))
    line = ser.serialize_lines(wider, [{**team, "motto": "go"}])
    assert orjson.loads(line) == {**team, "budget": "1.50", "motto": "go"}


def test_the_serializer_declares_what_the_cli_and_schema_export_use() -> None:
    assert (JsonSerializer.name, JsonSerializer.content_type, JsonSerializer.schema_suffix) == (
        "json", "application/json", ".schema.json")
    assert [(o.name, o.type, o.default) for o in JsonSerializer.options] == [("utc", "bool", False)]
