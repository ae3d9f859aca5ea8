"""Connecting to PostgreSQL, and turning what goes wrong into one line a user can act on."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from datagen_kernel import SinkError

if TYPE_CHECKING:
    import psycopg

DEFAULT_URL = "postgresql://postgres:postgres@localhost:5432/datagen"
URL_ENV = "DATAGEN_POSTGRES_URL"


def default_url() -> str:
    """``$DATAGEN_POSTGRES_URL`` if set, else the local stack's database."""
    return os.environ.get(URL_ENV) or DEFAULT_URL


def safe_url(url: str) -> str:
    """The URL with its password masked, fit for messages and logs."""
    if "://" in url:
        parts = urlsplit(url)
        if parts.password is not None:
            netloc = parts.netloc.rsplit("@", 1)
            user = netloc[0].split(":", 1)[0]
            return urlunsplit(parts._replace(netloc=f"{user}:********@{netloc[1]}"))
        return url
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1********", url)


def conninfo(url: str) -> dict[str, Any]:
    """The connection parameters of a URL or ``key=value`` string (raises ``ValueError``)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        return dict(conninfo_to_dict(url))
    except psycopg.ProgrammingError as exc:
        raise ValueError(str(exc).strip().splitlines()[0]) from None


def check_url(value: str) -> str | None:
    """Option validator: a message if ``value`` is not a PostgreSQL URL."""
    if not value.strip():
        return "expected a URL such as postgresql://user:password@host:5432/dbname"
    if "://" in value and not value.startswith(("postgresql://", "postgres://")):
        return "expected a postgresql:// URL (or libpq key=value pairs)"
    try:
        conninfo(value)
    except ValueError as exc:
        return f"not a valid PostgreSQL URL: {exc}"
    return None


def where(params: dict[str, Any]) -> str:
    host = params.get("host") or params.get("hostaddr") or "localhost"
    return f"{host}:{params.get('port') or 5432}"


def connect(url: str, timeout: int) -> psycopg.Connection[Any]:
    """Open a connection (not in autocommit) or raise ``SinkError`` saying what is wrong."""
    import psycopg

    params = conninfo(url)
    try:
        return psycopg.connect(url, connect_timeout=timeout, application_name="datagen", autocommit=False)
    except psycopg.OperationalError as exc:
        raise connect_error(exc, params, url, timeout) from None


def connect_error(exc: Exception, params: dict[str, Any], url: str, timeout: int) -> SinkError:
    """Classify a failed connection attempt."""
    text = str(exc)
    at = where(params)
    user = params.get("user") or os.environ.get("PGUSER") or "postgres"
    db = params.get("dbname") or user
    host, _, port = at.rpartition(":")
    shown = safe_url(url)
    if "password authentication failed" in text or "no password supplied" in text:
        return SinkError(
            f"PostgreSQL at {at} refused the password of user {user!r}",
            hint=f"fix the password in -o postgres.url or ${URL_ENV}; the URL used was {shown}",
        )
    m = re.search(r'database "([^"]+)" does not exist', text)
    if m:
        return SinkError(
            f"database {m.group(1)!r} does not exist on PostgreSQL at {at}",
            hint=f"create it: createdb -h {host} -p {port} -U {user} {m.group(1)}  "
            f"(or in psql: CREATE DATABASE \"{m.group(1)}\";)",
        )
    m = re.search(r'role "([^"]+)" does not exist', text)
    if m:
        return SinkError(
            f"PostgreSQL at {at} has no user {m.group(1)!r}",
            hint=f"create it (CREATE ROLE \"{m.group(1)}\" LOGIN PASSWORD '...';) or fix the user in the URL ({shown})",
        )
    if "permission denied for database" in text:
        return SinkError(
            f"user {user!r} may not connect to database {db!r} on {at}",
            hint=f"GRANT CONNECT ON DATABASE \"{db}\" TO \"{user}\"; or connect as another user",
        )
    if "timeout expired" in text or "timed out" in text:
        return SinkError(
            f"PostgreSQL at {at} did not answer within {timeout}s",
            hint="check host and port in -o postgres.url, that the server runs (scripts/stack up postgres) "
            "and that no firewall drops the traffic",
        )
    if "Connection refused" in text or "could not connect" in text or "No such file" in text:
        return SinkError(
            f"cannot reach PostgreSQL at {at}: connection refused",
            hint="is the server running? start it with scripts/stack up postgres, or fix host/port in "
            f"-o postgres.url; the URL used was {shown}",
        )
    if "invalid response to SSL negotiation" in text or "expected authentication request" in text:
        return SinkError(
            f"the service at {at} does not speak the PostgreSQL protocol",
            hint=f"fix host/port in -o postgres.url; the URL used was {shown}",
        )
    if "could not translate host name" in text or "Name or service not known" in text:
        return SinkError(
            f"cannot resolve the PostgreSQL host {host!r}",
            hint=f"fix the host in -o postgres.url; the URL used was {shown}",
        )
    last = [line.strip() for line in text.strip().splitlines() if line.strip()]
    reason = last[-1] if last else type(exc).__name__
    return SinkError(f"cannot connect to PostgreSQL at {at}: {reason}",
                     hint=f"check -o postgres.url; the URL used was {shown}")
