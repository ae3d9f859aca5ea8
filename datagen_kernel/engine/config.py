"""Where option values come from (flags, environment, TOML file, defaults) and their resolution.

Values come from, highest precedence first: command-line flags (``-o NS.KEY=VALUE``), the
environment (``DATAGEN_<NS>_<KEY>``), the TOML config file, the declared default. Every
problem is collected and reported at once.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datagen_kernel.api.errors import ConfigError, UsageError
from datagen_kernel.api.options import REDACTED, Option, env_name


@dataclass
class ConfigSources:
    """Raw option values by namespace, before they are matched to declarations."""

    flags: dict[str, dict[str, str]] = field(default_factory=dict)
    file: dict[str, dict[str, Any]] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    file_run: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        option_flags: Iterable[str] = (),
        config_file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ConfigSources:
        src = cls(environ=dict(os.environ if environ is None else environ))
        problems: list[str] = []
        for item in option_flags:
            ns, key, value, problem = _parse_flag(item)
            if problem:
                problems.append(problem)
                continue
            src.flags.setdefault(ns, {})[key] = value
        if config_file is not None:
            try:
                src.file, src.file_run = load_config_file(config_file)
            except UsageError as exc:
                problems.append(str(exc))
        if problems:
            raise ConfigError(problems)
        return src


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'json'?)`` when ``name`` looks like a misspelling of one of ``known``."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _parse_flag(item: str) -> tuple[str, str, str, str | None]:
    if "=" not in item or "." not in item.split("=", 1)[0]:
        return "", "", "", (
            f"option {item!r} is malformed: expected NAMESPACE.KEY=VALUE, e.g. -o json.path=./out"
        )
    lhs, value = item.split("=", 1)
    ns, key = lhs.rsplit(".", 1)
    if not ns or not key:
        return "", "", "", f"option {item!r} is malformed: expected NAMESPACE.KEY=VALUE"
    if not value.strip():
        return "", "", "", (f"option {item!r} has no value: give one (NAMESPACE.KEY=VALUE), "
                            "or leave the option out for its default")
    return ns.strip(), key.strip(), value, None


def load_config_file(path: str | Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Read a TOML config file: ``[run]`` and per-component tables.

    Component tables are ``[sinks.NAME]``, ``[serializers.NAME]``, ``[transforms.NAME]``,
    ``[packs.NAME]`` (an entity pack's options, e.g. ``[packs.banking]``) and ``[scenario]``;
    all map to option namespaces of the same name.
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"config file {str(p)!r} does not exist", hint="check the --config path") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"config file {str(p)!r} is not UTF-8 text (byte {exc.start}): TOML files are UTF-8",
                         hint="save it as UTF-8") from None
    except OSError as exc:
        raise UsageError(f"config file {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {str(p)!r} is not valid TOML: {exc}") from None
    namespaces: dict[str, dict[str, Any]] = {}
    run = data.pop("run", {})
    if not isinstance(run, dict):
        raise UsageError(f"config file {str(p)!r}: [run] must be a table")
    for group in ("sinks", "serializers", "transforms", "packs"):
        tables = data.pop(group, {})
        if not isinstance(tables, dict):
            raise UsageError(f"config file {str(p)!r}: [{group}] must hold tables")
        for ns, values in tables.items():
            if not isinstance(values, dict):
                raise UsageError(f"config file {str(p)!r}: [{group}.{ns}] must be a table")
            namespaces[ns] = dict(values)
    scenario = data.pop("scenario", None)
    if isinstance(scenario, dict):
        namespaces["scenario"] = dict(scenario)
    if data:
        raise UsageError(
            f"config file {str(p)!r} has unknown section(s): {', '.join(sorted(data))}",
            hint="expected [run], [sinks.NAME], [serializers.NAME], [transforms.NAME], [packs.NAME], [scenario]",
        )
    return namespaces, dict(run)


def resolve(
    namespace: str,
    options: Sequence[Option],
    sources: ConfigSources,
    problems: list[str],
) -> dict[str, Any]:
    """Resolved values of one namespace; appends every problem found to ``problems``."""
    declared = {o.name: o for o in options}
    flags = sources.flags.get(namespace, {})
    file = sources.file.get(namespace, {})
    for where, given in (("-o", flags), ("config file", file)):
        for key in given:
            if key not in declared:
                known = ", ".join(sorted(declared)) or "none"
                problems.append(
                    f"unknown option {namespace}.{key}{did_you_mean(key, declared)} (from {where}); "
                    f"{namespace} accepts: {known}"
                )
    values: dict[str, Any] = {}
    for opt in options:
        env_key = env_name(namespace, opt.name)
        origin: str
        if opt.name in flags:
            raw, origin = flags[opt.name], f"-o {namespace}.{opt.name}"
        elif env_key in sources.environ:
            raw, origin = sources.environ[env_key], f"${env_key}"
        elif opt.name in file:
            raw, origin = file[opt.name], f"config file {namespace}.{opt.name}"
        else:
            values[opt.name] = opt.default_value()
            if opt.required and values[opt.name] is None:
                problems.append(f"option {namespace}.{opt.name} is required: {opt.doc}")
            continue
        try:
            value = opt.convert(raw)
        except (ValueError, TypeError) as exc:
            shown = REDACTED if opt.secret else repr(raw)
            reason = f"expected {opt.describe_type()}" if opt.secret else str(exc)
            problems.append(
                f"option {namespace}.{opt.name}={shown} (from {origin}) is invalid: {reason}"
            )
            continue
        if opt.validator is not None:
            message = opt.validator(value)
            if message:
                shown = REDACTED if opt.secret else repr(raw)
                problems.append(f"option {namespace}.{opt.name}={shown} (from {origin}) is invalid: {message}")
                continue
        values[opt.name] = value
    return values
