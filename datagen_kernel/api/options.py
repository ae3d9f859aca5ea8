"""Option declarations (like Kafka Connect's ConfigDef) and their resolution.

Each component (sink, serializer, scenario, transform) declares its options. Values come
from, highest precedence first: command-line flags (``-o NS.KEY=VALUE``), the environment
(``DATAGEN_<NS>_<KEY>``), the TOML config file, the declared default. Every problem is
collected and reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    ``minimum``/``maximum`` bound an ``int`` or ``float`` (a form shows them; a float with
    both is offered as a slider); a value out of them is refused with ``must be >= X`` /
    ``must be <= X``, or with the ``validator``'s own message when it gives one.
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
            if t == "path" and not str(raw).strip():
                raise ValueError("expected a path, got an empty value")
            return str(raw)
        if t == "int":
            if isinstance(raw, bool):
                raise ValueError("expected an integer")
            if isinstance(raw, int):
                return self._bounded(raw)
            try:
                whole = int(str(raw).replace("_", ""))
            except ValueError:
                raise ValueError("expected an integer") from None
            return self._bounded(whole)
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
        below = self.minimum is not None and (value != value or value < self.minimum)  # NaN is out
        above = self.maximum is not None and (value != value or value > self.maximum)
        if below or above:
            own = self.validator(value) if self.validator is not None else None
            if own:
                raise ValueError(own)
            if below:
                raise ValueError(f"must be >= {self.minimum:g}")
            raise ValueError(f"must be <= {self.maximum:g}")
        return value


def env_name(namespace: str, key: str) -> str:
    """``DATAGEN_<NS>_<KEY>``, dashes and dots becoming underscores."""
    ns = namespace.upper().replace("-", "_").replace(".", "_")
    return f"DATAGEN_{ns}_{key.upper()}"


def redacted(options: Sequence[Option], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``values`` safe to print: secrets replaced by ``********`` (for a URL with a
    password, only the password: ``postgresql://user:********@host/db``), and the password of
    any URL in another text value too (``http://user:********@registry:8081``)."""
    secret = {o.name for o in options if o.secret}
    return {k: (_redact(v) if k in secret and v not in (None, "") else shown_value(v)) for k, v in values.items()}


def shown_value(value: Any) -> Any:
    """``value`` safe to print: a text's URL credentials masked, anything else unchanged."""
    if isinstance(value, str):
        return without_credentials(value)
    if isinstance(value, (list, tuple)):
        return type(value)(shown_value(v) for v in value)
    return value


def shown_defaults(options: Sequence[Option]) -> dict[str, Any]:
    """Each option's default as help and ``describe`` commands show it (secrets masked)."""
    return redacted(options, {o.name: o.default_value() for o in options})


_URL_PASSWORD = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s]*)(@.*)$")
_CREDENTIALS = re.compile(r"((?:[a-zA-Z][a-zA-Z0-9+.-]*://)?[^\s:/@,;'\"()\[\]<>]+:)[^\s/,;'\"<>]+@")


def without_credentials(text: str) -> str:
    """``text`` with the password of every ``user:password@host`` in it masked: URLs
    (``http://user:pw@host``) and host lists such as Kafka's ``user:pw@broker:9092``."""
    return _CREDENTIALS.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)


def _redact(value: Any) -> str:
    if isinstance(value, str):
        found = _URL_PASSWORD.match(value)
        if found:
            return found.group(1) + REDACTED + found.group(3)
    return REDACTED
