"""Whether the servers of the chosen sinks answer, at the addresses the run would use.

The addresses are the options' resolved values (flag, environment, default: what ``datagen
run`` would use). What to probe is read from the values themselves, not from a list of sinks:
a ``*bootstrap*`` option is a Kafka cluster (its metadata is fetched), a ``postgres://`` or
``postgresql://`` URL a PostgreSQL server (``select 1``), an ``http(s)://`` URL option of a
schema registry an HTTP API (``GET <url>/subjects``), any other ``http(s)://`` URL a plain GET.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from datagen_kernel.api.options import Option, env_name, redacted
from datagen_kernel.engine.config import resolve
from datagen_plugin_tui.model import Catalog, Component, RunForm

TIMEOUT_S = 3.0
STACK_FIX = 'start the local servers: scripts/stack up && eval "$(scripts/stack env)"'


@dataclass(frozen=True)
class Target:
    """One address to probe: which component's option holds it and how to reach it."""

    component: str
    option: str
    what: str
    address: str
    shown: str
    """The address as shown (a password masked)."""
    env: str


@dataclass(frozen=True)
class Health:
    target: Target
    ok: bool
    detail: str

    @property
    def fix(self) -> str:
        if self.ok:
            return ""
        t = self.target
        return f"{STACK_FIX}; or point datagen at your server: {t.env}=... or -o {t.component}.{t.option}=..."


def targets(form: RunForm, cat: Catalog, environ: Mapping[str, str]) -> list[Target]:
    """What to probe for the sinks (and their serializers) the form chose."""
    sources = form.sources(cat, environ=environ)
    out: list[Target] = []
    for comp in form.components(cat):
        if comp.kind not in ("sink", "serializer"):
            continue
        values = resolve(comp.namespace, list(comp.options), sources, [])
        safe = redacted(list(comp.options), values)
        for opt in comp.options:
            value = values.get(opt.name)
            what = _kind_of(opt, value)
            if what is not None:
                out.append(Target(comp.namespace, opt.name, what, str(value), str(safe.get(opt.name)),
                                  env_name(comp.namespace, opt.name)))
    return out


def _kind_of(opt: Option, value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if "bootstrap" in opt.name:
        return "Kafka metadata"
    if re.match(r"^postgres(ql)?://", value):
        return "PostgreSQL select 1"
    if re.match(r"^https?://", value):
        return "Schema Registry API" if "registry" in opt.name else "HTTP"
    return None


def check(target: Target) -> Health:
    """Probe one target (a few seconds at most)."""
    probe = _PROBES[target.what]
    try:
        detail = probe(target.address)
    except Exception as exc:
        return Health(target, False, _short(exc))
    return Health(target, True, detail)


def check_all(form: RunForm, cat: Catalog, environ: Mapping[str, str]) -> Iterator[Health]:
    for target in targets(form, cat, environ):
        yield check(target)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _kafka(bootstrap: str) -> str:
    from confluent_kafka.admin import AdminClient

    errors: list[str] = []
    config: dict[str, Any] = {"bootstrap.servers": bootstrap, "socket.timeout.ms": int(TIMEOUT_S * 1000),
                              "error_cb": lambda err: errors.append(str(err))}
    admin = AdminClient(config)
    try:
        meta = admin.list_topics(timeout=TIMEOUT_S)
    except Exception as exc:
        raise ConnectionError(errors[0] if errors else str(exc)) from None
    return f"{len(meta.brokers)} broker(s), {len(meta.topics)} topic(s)"


def _postgres(url: str) -> str:
    import psycopg

    with psycopg.connect(url, connect_timeout=int(TIMEOUT_S)) as conn:
        row = conn.execute("select 1, current_setting('server_version')").fetchone()
    assert row is not None
    return f"select 1 = {row[0]} (PostgreSQL {row[1]})"


def _http(url: str, path: str = "") -> str:
    target = url.rstrip("/") + path
    try:
        with urllib.request.urlopen(target, timeout=TIMEOUT_S) as response:
            return f"HTTP {response.status} on GET {urllib.parse.urlsplit(target).path or '/'}"
    except urllib.error.HTTPError as exc:
        raise ConnectionError(f"HTTP {exc.code} on GET {target}") from None
    except urllib.error.URLError as exc:
        raise ConnectionError(str(exc.reason)) from None


_PROBES: dict[str, Callable[[str], str]] = {
    "Kafka metadata": _kafka,
    "PostgreSQL select 1": _postgres,
    "Schema Registry API": lambda url: _http(url, "/subjects"),
    "HTTP": _http,
}

__all__ = ["Component", "Health", "Target", "check", "check_all", "targets"]
