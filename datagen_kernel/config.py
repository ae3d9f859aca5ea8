"""Option declarations (like Kafka Connect's ConfigDef) and their resolution.

Each component (sink, serializer, scenario, transform) declares its options. Values come
from, highest precedence first: command-line flags (``-o NS.KEY=VALUE``), the environment
(``DATAGEN_<NS>_<KEY>``), the TOML config file, the declared default. Every problem is
collected and reported at once.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datagen_kernel.errors import ConfigError, UsageError

REDACTED = "********"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Option:
    """One declared option of a component.

    ``type`` is one of ``str``, ``int``, ``float``, ``bool``, ``path``, ``list`` (comma
    separated on the command line) or ``choice`` (then ``choices`` lists the values).
    ``default`` may be a callable, evaluated when options are resolved (e.g. to read an
    environment variable such as ``DATAGEN_KAFKA_BOOTSTRAP``).
    """

    name: str
    type: str = "str"
    default: Any = None
    doc: str = ""
    secret: bool = False
    choices: tuple[str, ...] = ()
    required: bool = False
    validator: Callable[[Any], str | None] | None = field(default=None, compare=False)
    minimum: float | None = None
    maximum: float | None = None

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default

    def describe_type(self) -> str:
        if self.type == "choice":
            return " | ".join(self.choices)
        return self.type

    def convert(self, raw: Any) -> Any:
        """Convert a raw value (a string from flags/env, or a TOML value); raise ValueError."""
        t = self.type
        if raw is None:
            return None
        if t in ("str", "path"):
            if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
                raise ValueError("expected a string")
            return str(raw)
        if t == "int":
            if isinstance(raw, bool):
                raise ValueError("expected an integer")
            if isinstance(raw, int):
                return self._bounded(raw)
            try:
                return self._bounded(int(str(raw).replace("_", "")))
            except ValueError as exc:
                if str(exc).startswith("must be"):
                    raise
                raise ValueError("expected an integer") from None
        if t == "float":
            if isinstance(raw, bool):
                raise ValueError("expected a number")
            try:
                number = float(raw)
            except ValueError:
                raise ValueError("expected a number") from None
            return self._bounded(number)
        if t == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError("expected true or false")
        if t == "list":
            if isinstance(raw, (list, tuple)):
                return [str(v) for v in raw]
            return [part.strip() for part in str(raw).split(",") if part.strip()]
        if t == "choice":
            text = str(raw)
            if text not in self.choices:
                raise ValueError("expected one of " + ", ".join(self.choices))
            return text
        raise ValueError(f"unknown option type {t!r}")

    def _bounded(self, value: Any) -> Any:
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be >= {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be <= {self.maximum:g}")
        return value


def env_name(namespace: str, key: str) -> str:
    """``DATAGEN_<NS>_<KEY>``, dashes and dots becoming underscores."""
    ns = namespace.upper().replace("-", "_").replace(".", "_")
    return f"DATAGEN_{ns}_{key.upper()}"


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


def _parse_flag(item: str) -> tuple[str, str, str, str | None]:
    if "=" not in item or "." not in item.split("=", 1)[0]:
        return "", "", "", (
            f"option {item!r} is malformed: expected NAMESPACE.KEY=VALUE, e.g. -o json.path=./out"
        )
    lhs, value = item.split("=", 1)
    ns, key = lhs.rsplit(".", 1)
    if not ns or not key:
        return "", "", "", f"option {item!r} is malformed: expected NAMESPACE.KEY=VALUE"
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
                    f"unknown option {namespace}.{key} (from {where}); {namespace} accepts: {known}"
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
                problems.append(f"option {namespace}.{opt.name} (from {origin}) is invalid: {message}")
                continue
        values[opt.name] = value
    return values


def redacted(options: Sequence[Option], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``values`` safe to print: secrets replaced by ``********`` (for a URL with a
    password, only the password: ``postgresql://user:********@host/db``)."""
    secret = {o.name for o in options if o.secret}
    return {k: (_redact(v) if k in secret and v not in (None, "") else v) for k, v in values.items()}


_URL_PASSWORD = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s]*)(@.*)$")


def _redact(value: Any) -> str:
    if isinstance(value, str):
        found = _URL_PASSWORD.match(value)
        if found:
            return found.group(1) + REDACTED + found.group(3)
    return REDACTED
