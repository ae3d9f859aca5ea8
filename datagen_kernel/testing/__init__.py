"""Testing kit for plugin authors, shipped as a pytest plugin (auto-loaded through ``pytest11``).

Fixtures:

* ``datagen_host``: a fresh plugin host holding only the kernel built-ins (no installed plugin);
* ``datagen_register(plugin)``: register a plugin module or object on that host for one test;
* ``datagen_cli(args)``: invoke the ``datagen`` command line against that host;
* ``datagen_venv``: a throwaway environment layered over the current one, to ``pip install``
  a plugin distribution and run ``datagen`` with it, leaving the current environment untouched.

Helpers: ``generate_records(host, ...)`` runs the real engine and returns the records of each
entity; ``run_rules(spec, records, rules, lookup, run=...)`` checks records against rules (the
schema rules and foreign keys included) with a ``RecordIndex(specs, records)`` as lookup, as the
engine does; ``PackConformance`` is the suite any entity pack runs by subclassing it (determinism
across workers and batch sizes, prefix stability, foreign keys, rules, catalog doc);
``SinkConformance`` is the conformance suite any sink runs by subclassing it::

    from datagen_kernel.testing import SinkConformance

    class TestCsvSink(SinkConformance):
        sink_name = "csv"
        options: ClassVar[dict[str, str]] = {"path": "{tmp_path}/{run}"}

        def read_back(self, config, entities):
            ...  # entity -> the items written, in order
"""

from __future__ import annotations

from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.engine.validation import run_rules
from datagen_kernel.testing.conformance import SinkConformance
from datagen_kernel.testing.fixtures import datagen_cli, datagen_host, datagen_register, datagen_venv
from datagen_kernel.testing.pack import ConformancePack
from datagen_kernel.testing.packs import PackConformance
from datagen_kernel.testing.records import columnar_batch, generate_records
from datagen_kernel.testing.venv import PluginVenv

__all__ = [
    "ConformancePack",
    "PackConformance",
    "PluginVenv",
    "RecordIndex",
    "SinkConformance",
    "columnar_batch",
    "datagen_cli",
    "datagen_host",
    "datagen_register",
    "datagen_venv",
    "generate_records",
    "run_rules",
]
