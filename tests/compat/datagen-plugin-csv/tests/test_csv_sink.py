"""The csv sink: the datagen sink conformance suite, plus what is specific to CSV."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from datagen_plugin_csv import plugin
from datagen_plugin_csv.sink import CsvSink, columns, rows

from datagen_kernel import Decimal as DecimalType
from datagen_kernel import EntitySpec, Field, Kind, RecordType, Scope, SinkError, String
from datagen_kernel.testing import ConformancePack, SinkConformance, generate_records


def read_csv_folder(folder: Path, delimiter: str = ",") -> dict[str, list[list[str]]]:
    if not folder.is_dir():
        return {}
    with_header: dict[str, list[list[str]]] = {}
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            with_header[path.stem] = list(csv.reader(fh, delimiter=delimiter))
    return with_header




class TestCsvSinkConformance(SinkConformance):
    sink_name = "csv"
    options: ClassVar[dict[str, str]] = {"path": "{tmp_path}/{run}"}
    plugins = (plugin,)

    def read_back(self, config: Mapping[str, Any], entities: Mapping[str, EntitySpec]) -> Mapping[str, Sequence[Any]]:
        return {name: table[1:] for name, table in read_csv_folder(Path(config["path"])).items()}


class TestCsvSinkSemicolonConformance(TestCsvSinkConformance):
    options: ClassVar[dict[str, str]] = {"path": "{tmp_path}/{run}", "delimiter": "semicolon", "null": "NULL"}

    def read_back(self, config: Mapping[str, Any], entities: Mapping[str, EntitySpec]) -> Mapping[str, Sequence[Any]]:
        return {name: table[1:] for name, table in read_csv_folder(Path(config["path"]), ";").items()}


@pytest.fixture
def sample(datagen_host: Any, datagen_register: Any) -> tuple[dict[str, EntitySpec], dict[str, list[dict[str, Any]]]]:
    datagen_register(ConformancePack())
    data = generate_records(datagen_host, customers=12, seed=3)
    return datagen_host.registry.entity_specs(), data


def test_columns_flatten_nested_records(sample: Any) -> None:
    specs, _ = sample
    cols = columns(specs["conformance_owner"])
    assert cols[-2:] == ["address_street", "address_city"]
    assert "address" not in cols


def test_values_are_exact_text(sample: Any) -> None:
    specs, data = sample
    owner = data["conformance_owner"][0]
    row = rows(specs["conformance_owner"], [owner], "", dt.UTC)[0]
    values = dict(zip(columns(specs["conformance_owner"]), row, strict=True))
    cents = owner["balance"]
    assert values["balance"] == f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"
    assert values["born_on"] == owner["born_on"].isoformat()
    assert values["active"] in ("true", "false")
    assert values["created_at"].endswith("Z")
    assert values["nickname"] == ("" if owner["nickname"] is None else owner["nickname"])


def test_written_file_parses_back_to_the_records(tmp_path: Path, datagen_register: Any, datagen_cli: Any) -> None:
    datagen_register(ConformancePack())
    datagen_register(plugin)
    result = datagen_cli(["run", "--customers", "40", "--seed", "9", "--sink", "csv", "-q",
                          "-o", f"csv.path={tmp_path}", "-o", "csv.null=\\N"])
    assert result.exit_code == 0, result.output
    tables = read_csv_folder(tmp_path)
    assert set(tables) == {"conformance_owner", "conformance_event"}
    header, *body = tables["conformance_event"]
    assert header == ["event_id", "owner_id", "amount", "at", "note"]
    notes = {r[4] for r in body}
    assert "line one\nline two" in notes and "\\N" in notes, notes  # embedded newline survives, nulls marked
    owners = {r[0] for r in tables["conformance_owner"][1:]}
    assert len(owners) == 40 and {r[1] for r in body} <= owners


def test_null_text_containing_the_delimiter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SinkError, match=r"csv\.null"):
        CsvSink({"path": str(tmp_path), "delimiter": "comma", "header": True, "null": "a,b", "utc": False})


def test_nullable_nested_record(tmp_path: Path) -> None:
    spec = EntitySpec(name="thing", kind=Kind.MASTER, scope=Scope.ROOT, primary_key="id", fields=(
        Field("id", String()), Field("price", DecimalType(10, 3)),
        Field("place", RecordType("place", (Field("city", String()),)), nullable=True)))
    records = [{"id": "a", "price": 1005, "place": None}, {"id": "b", "price": -7, "place": {"city": "Recife"}}]
    table = rows(spec, records, "NULL", dt.UTC)
    assert table == [["a", "1.005", "NULL"], ["b", "-0.007", "Recife"]]
