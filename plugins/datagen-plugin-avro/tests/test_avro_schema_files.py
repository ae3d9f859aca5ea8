"""avro/ at the repository root holds the .avsc of every bundled entity, exactly as exported."""

from __future__ import annotations

import json
import tomllib

import pytest
from fastavro import parse_schema
from kafkatest_support import REPO

from datagen_kernel import EntitySpec
from datagen_kernel.api.schema import to_avro
from datagen_kernel.engine.plugins import make_plugin_host

AVRO_DIR = REPO / "avro"
REGENERATE = "regenerate with: datagen schemas export --format avro avro/ (with only the bundled plugins installed)"


def _bundled_distributions() -> set[str]:
    names = set()
    for pyproject in (REPO / "plugins").glob("*/pyproject.toml"):
        names.add(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"])
    return names


def _bundled_specs() -> dict[str, EntitySpec]:
    """Installed entities registered by this repository's plugins, with only their extensions."""
    bundled = _bundled_distributions()
    registry = make_plugin_host().registry
    specs = {name: reg.value for name, reg in registry.entities.items() if reg.owner.distribution in bundled}
    for entity, fields, owner in registry.extensions:
        if entity in specs and owner.distribution in bundled:
            specs[entity] = specs[entity].with_fields(*fields)
    return specs


def test_every_bundled_entity_has_its_exported_schema() -> None:
    specs = _bundled_specs()
    if not specs:
        pytest.skip("no bundled entity pack is installed")
    files = {p.stem: p for p in AVRO_DIR.glob("*.avsc")}
    missing = sorted(set(specs) - set(files))
    assert not missing, f"avro/ lacks {missing}; {REGENERATE}"
    drifted = []
    for name, spec in specs.items():
        expected = json.dumps(to_avro(spec), indent=2) + "\n"
        if files[name].read_text(encoding="utf-8") != expected:
            drifted.append(name)
    assert not drifted, f"avro/ differs from the entity specs for {drifted}; {REGENERATE}"


def test_no_stale_schema_files() -> None:
    specs = _bundled_specs()
    if not specs:
        pytest.skip("no bundled entity pack is installed")
    stale = sorted(p.name for p in AVRO_DIR.glob("*.avsc") if p.stem not in specs)
    assert not stale, f"avro/ holds schemas of no installed bundled entity: {stale} (stale, or a pack is not installed)"


def test_schema_files_are_valid_avro_with_logical_types() -> None:
    files = sorted(AVRO_DIR.glob("*.avsc"))
    if not files:
        pytest.skip("avro/ is empty")
    for path in files:
        schema = json.loads(path.read_text(encoding="utf-8"))
        parse_schema(schema)
        assert schema["type"] == "record" and schema["name"][0].isupper(), path.name
        text = path.read_text(encoding="utf-8")
        assert '"logicalType": "uuid"' in text, f"{path.name}: ids should be uuid strings"
        for field in schema["fields"]:
            if isinstance(field["type"], list):
                assert field["type"][0] == "null" and "default" in field and field["default"] is None, (
                    f"{path.name}: nullable field {field['name']} must be a union with null first and a null default")
