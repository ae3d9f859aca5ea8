"""``DATAGEN_*`` environment variables: which ones datagen reads, and a warning for misspellings.

An option ``NS.KEY`` is read from ``DATAGEN_<NS>_<KEY>``; a misspelled variable
(``DATAGEN_JSON_GZIPP``) would be ignored without a word. ``datagen run`` warns once for each
``DATAGEN_*`` variable that datagen does not read but that looks like one it does.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from datagen_kernel.api.options import Option, env_name
from datagen_kernel.engine.plan import sink_options
from datagen_kernel.engine.plugins import DISABLE_VARIABLE, PluginHost

KNOWN_VARIABLES = frozenset({
    DISABLE_VARIABLE,
    "DATAGEN_KAFKA_BOOTSTRAP",  # default of kafka.bootstrap_servers; set by `scripts/stack env`
    "DATAGEN_SCHEMA_REGISTRY_URL",  # default of avro.schema_registry_url; set by `scripts/stack env`
    "DATAGEN_POSTGRES_URL",  # default of postgres.url; set by `scripts/stack env`
    "DATAGEN_REQUIRE_STACK",  # tests: fail instead of skipping when the stack is down
    "DATAGEN_TEST_WHEELHOUSE",  # tests: where the throw-away environments find wheels
    "DATAGEN_DASK_TEST_KILL",  # tests of the dask executor
})
"""Variables read besides the options' ``DATAGEN_<NS>_<KEY>``."""

KNOWN_PREFIXES = ("DATAGEN_STACK_",)
"""Families of variables read by ``scripts/stack`` (ports, versions, home)."""

_CUTOFF = 0.85
"""How close an unknown name must be to a known one to be taken for a misspelling of it."""


def known_variables(host: PluginHost) -> set[str]:
    """Every ``DATAGEN_*`` variable the installed plugins and the kernel read."""
    registry = host.registry
    names: set[str] = set(KNOWN_VARIABLES)

    def add(namespace: str, options: Iterable[Option]) -> None:
        names.update(env_name(namespace, o.name) for o in options)

    for name, sink in registry.sinks.items():
        add(name, sink_options(sink.value))
    for name, serializer in registry.serializers.items():
        add(name, serializer.value.options)
    for name, group in registry.option_groups.items():
        add(name, group.options)
    for name, transform in registry.transforms.items():
        add(name, transform.value.options)
    for name, executor in registry.executors.items():
        add(name, executor.value.options)
    for scenario in registry.scenarios.values():
        add("scenario", scenario.value.options)
    return names


def unknown_variable_warnings(host: PluginHost, environ: Mapping[str, str]) -> list[str]:
    """One warning per ``DATAGEN_*`` variable that datagen does not read and that looks like a
    misspelling of one it does (others may belong to the user's own tools: not a word)."""
    given = [k for k in environ if k.startswith("DATAGEN_") and not k.startswith(KNOWN_PREFIXES)]
    if not given:
        return []
    known = known_variables(host)
    warnings: list[str] = []
    for name in sorted(given):
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=_CUTOFF)
        if close:
            warnings.append(f"environment variable {name} is not one datagen reads (did you mean {close[0]}?); "
                            "it is ignored")
    return warnings
