"""The normalise step: one rounding rule for every sink, and one clear error for a value a type cannot hold."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal as D
from typing import Any

import numpy as np
import pytest

from datagen_kernel import Batch, ValidationFailed
from datagen_kernel.api.schema import (
    Bool,
    Date,
    Decimal,
    EntitySpec,
    Enum,
    Field,
    Float,
    Int,
    Kind,
    Record,
    String,
    Timestamp,
    Uuid,
)
from datagen_kernel.codecs.normalise import (
    DATE_RANGE,
    ROUNDING,
    TIMESTAMP_RANGE,
    check_text,
    epoch_millis,
    normalise,
    round_half_up,
    scaled_decimal,
)
from datagen_kernel.codecs.text import format_decimal, format_timestamps, parse_decimal

UTC = dt.UTC
ID = "6ffea1d9-118c-442a-b488-a600af840a48"

SPEC = EntitySpec(
    name="probe", kind=Kind.EVENT, primary_key="id",
    fields=(
        Field("id", Uuid()),
        Field("amount", Decimal(6, 2), nullable=True),
        Field("rate", Decimal(10, 6)),
        Field("at", Timestamp()),
        Field("day", Date()),
        Field("n", Int(maximum=1000)),
        Field("big", Int()),
        Field("ratio", Float()),
        Field("flag", Bool()),
        Field("name", String(5)),
        Field("kind", Enum("A", "B")),
        Field("address", Record("address", [Field("rent", Decimal(8, 2))]), nullable=True),
    ),
)


def _row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"id": ID, "amount": 1234, "rate": 15_000, "at": 1_700_000_000_123,
                           "day": dt.date(2024, 2, 29), "n": 7, "big": 2**40, "ratio": 0.5, "flag": True,
                           "name": "Zoë", "kind": "A", "address": {"rent": 150_000}}
    row.update(changes)
    return row


def test_the_rule_is_half_away_from_zero() -> None:
    assert ROUNDING == decimal.ROUND_HALF_UP
    # ties that half-to-even would send the other way
    assert scaled_decimal(D("0.125"), 2) == 13
    assert scaled_decimal(D("-0.125"), 2) == -13
    assert scaled_decimal(D("2.5"), 0) == 3
    assert scaled_decimal(D("0.135"), 2) == 14
    assert scaled_decimal(D("0.1249999"), 2) == 12
    assert scaled_decimal(D("12.3"), 2) == 1230
    assert scaled_decimal(D("1E+3"), 2) == 100_000
    # a float is the decimal it prints as: 2.675 is not rounded as 2.67499999...
    assert scaled_decimal(2.675, 2) == 268
    assert scaled_decimal(-0.005, 2) == -1
    assert scaled_decimal(np.float64(0.125), 2) == 13
    assert scaled_decimal(1234, 2) == 1234  # a scaled int is exact already
    assert scaled_decimal(np.int64(-5), 2) == -5
    assert round_half_up(5, 10) == 1 and round_half_up(-5, 10) == -1 and round_half_up(4, 10) == 0
    assert round_half_up(-15, 10) == -2 and round_half_up(14, 10) == 1


def test_values_no_decimal_can_hold_are_refused() -> None:
    for bad in (float("nan"), float("inf"), D("NaN"), D("-Infinity")):
        with pytest.raises(ValueError, match="is not a number a decimal can hold"):
            scaled_decimal(bad, 2)
    for wrong in (True, "1.5", None):
        with pytest.raises(TypeError):
            scaled_decimal(wrong, 2)


def test_timestamps_round_to_the_millisecond_by_the_same_rule() -> None:
    base = dt.datetime(2024, 1, 1, tzinfo=UTC)
    ms = int(base.timestamp()) * 1000
    assert epoch_millis(base + dt.timedelta(microseconds=1499)) == ms + 1
    assert epoch_millis(base + dt.timedelta(microseconds=1500)) == ms + 2
    assert epoch_millis(base + dt.timedelta(microseconds=2500)) == ms + 3  # half-to-even would say 2
    before = dt.datetime(1970, 1, 1, tzinfo=UTC) - dt.timedelta(microseconds=500)
    assert epoch_millis(before) == -1  # away from the epoch, like a negative decimal
    assert epoch_millis(dt.datetime(2024, 1, 1, 3, tzinfo=dt.timezone(dt.timedelta(hours=3)))) == ms
    assert epoch_millis(1_700_000_000_123) == 1_700_000_000_123
    with pytest.raises(TypeError, match="timezone-aware"):
        epoch_millis(dt.datetime(2024, 1, 1))
    with pytest.raises(TypeError, match="float value"):
        epoch_millis(1.7e12)


def test_exact_records_come_back_as_they_are() -> None:
    rows = [_row(), _row(amount=None, address=None)]
    assert normalise(SPEC, rows) is rows
    batch = Batch({
        "id": [ID, ID], "amount": np.ma.MaskedArray(np.array([1, 0]), mask=[False, True]),
        "rate": np.array([1, 2]), "at": np.array([0, 1]),
        "day": np.array(["2024-01-01", "0001-01-01"], "datetime64[D]"),
        "n": np.array([1, 1000], dtype=np.int64), "big": np.array([-(2**63), 2**63 - 1]),
        "ratio": np.array([0.5, -1e300]),
        "flag": np.array([True, False]), "name": ["a", "b"], "kind": ["A", "B"], "address": [None, {"rent": 1}],
    })
    assert normalise(SPEC, batch) is batch


def test_values_with_more_precision_are_rounded_once_without_touching_the_generators_records() -> None:
    given = _row(amount=D("0.125"), rate=D("0.0000005"), at=dt.datetime(2024, 1, 1, 0, 0, 0, 2500, tzinfo=UTC),
                 address={"rent": 1.005})
    rows = [given, _row(amount=-0.125)]
    out = normalise(SPEC, rows)
    assert out is not rows and given["amount"] == D("0.125")  # the generator's dict is not modified
    assert [r["amount"] for r in out] == [13, -13]
    assert out[0]["rate"] == 1
    assert out[0]["at"] == 1_704_067_200_003
    assert out[0]["address"] == {"rent": 101}
    assert out[1]["address"] == {"rent": 150_000}
    batch = Batch({name: [r[name] for r in rows] for name in SPEC.field_names})
    fixed = normalise(SPEC, batch)
    assert isinstance(fixed, Batch) and fixed.column("amount") == [13, -13]
    floats = Batch({**{n: batch.stored(n) for n in batch.names}, "amount": np.array([0.125, np.nan]),
                    "rate": np.array([1.0000005, 2.0])})
    with pytest.raises(ValidationFailed, match="'amount'"):
        normalise(SPEC, floats)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": 100_000_000}, "field 'amount' (decimal(6,2)?) in record '6ffea1d9-118c-442a-b488-a600af840a48': "
                                  "value 1000000.00 does not fit decimal(6,2) (at most 4 integer digits)"),
        ({"amount": D("9999.995")}, "value 9999.995 does not fit decimal(6,2)"),
        ({"amount": float("nan")}, "value nan is not a number a decimal can hold"),
        ({"at": dt.datetime(2024, 1, 1)}, "naive datetime"),
        ({"at": TIMESTAMP_RANGE[1] + 1}, "outside the timestamps every sink can write"),
        ({"at": TIMESTAMP_RANGE[0] - 1}, "outside the timestamps every sink can write"),
        ({"day": dt.datetime(2024, 1, 1, 12)}, "is not a datetime.date"),
        ({"n": 2**31}, "does not fit the field's int column"),
        ({"big": 2**63}, "does not fit the field's long column"),
        ({"n": 1.0}, "is not an int"),
        ({"ratio": float("inf")}, "is not a finite number"),
        ({"flag": 1}, "is not a bool"),
        ({"address": {"rent": 10**9}}, "(in 'rent') does not fit decimal(8,2)"),
    ],
)
def test_a_value_the_type_cannot_hold_is_one_clear_error(changes: dict[str, Any], message: str) -> None:
    rows = [_row(), _row(**changes)]
    with pytest.raises(ValidationFailed) as caught:
        normalise(SPEC, rows)
    text = str(caught.value)
    assert text.startswith("entity 'probe', field ")
    assert message in text
    assert "bug in the generator" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "abcdef"}, "is longer than 5 characters"),
        ({"name": "a\x00b"}, "holds a NUL character"),
        ({"name": "\ud800"}, "lone surrogate"),
        ({"kind": "C"}, "is not one of ['A', 'B']"),
        ({"id": ID.upper()}, "is not a uuid in canonical lower-case form"),
        ({"id": "6ffea1d9-118c-442a-b488-a600af840a4"}, "is not a uuid in canonical lower-case form"),
    ],
)
def test_text_constraints_are_checked_on_demand(changes: dict[str, Any], message: str) -> None:
    rows = [_row(), _row(**changes)]
    assert normalise(SPEC, rows) is rows  # text is not scanned on the hot path
    with pytest.raises(ValidationFailed) as caught:
        check_text(SPEC, rows)
    assert str(caught.value).startswith("entity 'probe', field ")
    assert message in str(caught.value)
    check_text(SPEC, [_row(), _row(id="01234567-0123-4123-8123-012345678901", name=None)])


def test_array_columns_are_checked_by_their_bounds() -> None:
    def batch(**cols: Any) -> Batch:
        base = {name: [r[name] for r in [_row(), _row()]] for name in SPEC.field_names}
        return Batch({**base, **cols})

    with pytest.raises(ValidationFailed, match=r"value 1000000\.00 does not fit decimal\(6,2\)"):
        normalise(SPEC, batch(amount=np.array([1, 10**8])))
    with pytest.raises(ValidationFailed, match="does not fit the field's int column"):
        normalise(SPEC, batch(n=np.array([0, 2**31])))
    with pytest.raises(ValidationFailed, match="outside the dates every sink can write"):
        normalise(SPEC, batch(day=np.array(["2024-01-01", "10000-01-01"], "datetime64[D]")))
    with pytest.raises(ValidationFailed, match=r"datetime64\[s\]"):
        normalise(SPEC, batch(day=np.array(["2024-01-01T10:00:00", "2024-01-01T10:00:00"], "datetime64[s]")))
    with pytest.raises(ValidationFailed, match="is not a finite number"):
        normalise(SPEC, batch(ratio=np.array([0.0, np.inf])))
    with pytest.raises(ValidationFailed, match="outside the timestamps"):
        normalise(SPEC, batch(at=np.ma.MaskedArray(np.array([0, 2**62]), mask=[True, False])))


def test_the_text_codecs_follow_the_same_rule() -> None:
    assert format_decimal(D("0.125"), 2) == "0.13"
    assert format_decimal(D("-0.125"), 2) == "-0.13"
    assert format_decimal(2.675, 2) == "2.68"
    assert parse_decimal("0.125", 2) == 13
    at = dt.datetime(2024, 1, 1, 0, 0, 0, 999_500, tzinfo=UTC)
    assert format_timestamps([at]) == ["2024-01-01T00:00:01.000Z"]


def test_the_ranges_are_pinned_at_their_bounds() -> None:
    first, last = TIMESTAMP_RANGE
    assert (first, last) == (-62_135_510_400_000, 253_402_214_399_999)
    assert dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=first) == dt.datetime(1, 1, 2, tzinfo=UTC)
    assert (dt.date(1, 1, 1), dt.date(9999, 12, 31)) == DATE_RANGE

    def batch(**cols: Any) -> Batch:
        base = {name: [r[name] for r in [_row(), _row()]] for name in SPEC.field_names}
        return Batch({**base, **cols})

    inside = batch(at=np.array([first, last]), day=np.array(["0001-01-01", "9999-12-31"], "datetime64[D]"),
                   n=np.array([-(2**31), 2**31 - 1]), big=np.array([-(2**63), 2**63 - 1], dtype=np.int64),
                   amount=np.array([-999_999, 999_999]))
    assert normalise(SPEC, inside) is inside
    rows = [_row(at=first, n=-(2**31), big=-(2**63), amount=-999_999), _row(at=last, n=2**31 - 1, big=2**63 - 1)]
    assert normalise(SPEC, rows) is rows
    for changes in ({"at": first - 1}, {"at": last + 1}, {"n": -(2**31) - 1}, {"n": 2**31}, {"big": -(2**63) - 1},
                    {"big": 2**63}, {"amount": 1_000_000}, {"amount": -1_000_000}):
        with pytest.raises(ValidationFailed):
            normalise(SPEC, [_row(**changes)])
    for days in (["0000-12-31", "2024-01-01"], ["2024-01-01", "10000-01-01"]):
        with pytest.raises(ValidationFailed, match="outside the dates"):
            normalise(SPEC, batch(day=np.array(days, "datetime64[D]")))


def test_huge_decimals_are_refused_not_rounded_away() -> None:
    assert scaled_decimal(D("1E+250"), 2) == 10**252
    assert scaled_decimal(D("1" * 198), 2) == int("1" * 198) * 100
    with pytest.raises(ValueError, match="has too many digits"):
        scaled_decimal(D("1" * 250), 2)  # beyond the 200 digits the kernel computes with
    assert scaled_decimal(D("0.1234567890123456789012345678901234567890"), 30) == \
        123456789012345678901234567890
