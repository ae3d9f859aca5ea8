"""The worker check: every worker must have the client's plugins, faker and numpy, same versions.

A block is the same bytes everywhere only when the code making it is the same everywhere: a
worker with another version of a pack (or of faker, which draws names, or numpy, which draws
everything) would write different data under the same seed without anyone noticing.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, distributions, version

from datagen_kernel.api import PluginError

LIBRARIES = ("faker", "numpy")
"""Libraries whose version changes the data, checked besides the datagen plugins."""


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def installed() -> dict[str, str]:
    """Distribution -> version: datagen-kernel, every datagen plugin (entry point group
    ``datagen``), faker and numpy (``"missing"`` when not installed)."""
    found: dict[str, str] = {}
    for dist in distributions():
        name = _normal(dist.metadata["Name"] or "")
        if name == "datagen-kernel" or any(ep.group == "datagen" for ep in dist.entry_points):
            found[name] = dist.version
    for lib in LIBRARIES:
        try:
            found[lib] = version(lib)
        except PackageNotFoundError:
            found[lib] = "missing"
    return dict(sorted(found.items()))


def mismatches(client: Mapping[str, str], workers: Mapping[str, Mapping[str, str]]) -> list[str]:
    """One line per worker that differs from the client, naming each distribution."""
    problems = []
    for address in sorted(workers):
        mine = workers[address]
        diffs = []
        for name, wanted in client.items():
            got = mine.get(name, "missing")
            if got != wanted:
                diffs.append(f"{name} is missing (the client has {wanted})" if got == "missing"
                             else f"{name} {got} (the client has {wanted})")
        diffs.extend(f"{name} {got} (not installed in the client)" for name, got in mine.items()
                     if name not in client and got != "missing")
        if diffs:
            problems.append(f"worker {address}: {', '.join(diffs)}")
    return problems


def check(client: Mapping[str, str], workers: Mapping[str, Mapping[str, str]]) -> None:
    """Raise one ``PluginError`` naming every worker and distribution that differ."""
    problems = mismatches(client, workers)
    if problems:
        raise PluginError(
            "the dask workers do not have the client's datagen plugins: " + "; ".join(problems),
            hint="install the same datagen plugins, faker and numpy versions on every worker (one image or "
            "environment for the client and the workers), then rerun",
        )
