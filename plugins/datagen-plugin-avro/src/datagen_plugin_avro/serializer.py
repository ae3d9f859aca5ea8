"""The ``avro`` serializer: Confluent wire format with schemas kept in a Schema Registry.

``open`` parses every entity's schema once (main process, before workers fork). Schema ids
are resolved per subject with ``prepare(spec, topic)``: the engine calls it for every routed
entity before any block is generated, so an unreachable registry or a rejected schema stops
the run before anything is produced. A process that has no id yet for a subject (one that
rebuilt the run elsewhere) resolves it once itself: registering an identical schema returns the
existing id, so every process frames values with the same id.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from datagen_kernel.api import EntitySpec, Option, Record, Serializer, SinkError, Values

if TYPE_CHECKING:  # fastavro and the registry client load when a run uses Avro
    import numpy as np

    from datagen_plugin_avro.codec import EntityCodec

STRATEGIES = ("topic", "record", "topic_record")


def shown_url(url: str) -> str:
    """The URL without credentials, for messages (``http://user:secret@host`` -> ``http://***@host``)."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def default_registry_url() -> str:
    return os.environ.get("DATAGEN_SCHEMA_REGISTRY_URL") or "http://localhost:8081"


class AvroSerializer(Serializer):
    """Avro binary values framed as magic byte 0 + 4-byte schema id (Confluent wire format)."""

    name = "avro"
    doc = "Avro values in the Confluent wire format; schemas registered in a Schema Registry."
    content_type = "application/avro"
    schema_suffix = ".avsc"
    options = (
        Option("schema_registry_url", "str", lambda: default_registry_url(),
               "Schema Registry URL (default: $DATAGEN_SCHEMA_REGISTRY_URL, else http://localhost:8081)."),
        Option("basic_auth_user", "str", None, "Schema Registry basic-auth user name."),
        Option("basic_auth_password", "str", None, "Schema Registry basic-auth password.", secret=True),
        Option("subject_strategy", "choice", "topic",
               "Subject naming: topic (<topic>-value) | record (<namespace>.<Record>) | "
               "topic_record (<topic>-<namespace>.<Record>).", choices=STRATEGIES),
        Option("auto_register", "bool", True,
               "Register missing schemas; when false each schema must already be registered under its subject."),
        Option("timeout_s", "float", 10.0, "Seconds per Schema Registry request.", minimum=0.5, maximum=300),
    )

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.url: str = self.config.get("schema_registry_url") or default_registry_url()
        self.shown_url = shown_url(self.url)
        self._codecs: dict[str, tuple[EntitySpec, EntityCodec]] = {}
        self._ids: dict[str, int] = {}
        self._headers: dict[str, bytes] = {}
        self._client: Any = None
        self._client_pid: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self, entities: Sequence[EntitySpec]) -> None:
        from datagen_plugin_avro.codec import EntityCodec

        for spec in entities:
            self._codecs[spec.name] = (spec, EntityCodec(spec))

    def close(self) -> None:
        if self._client is not None and self._client_pid == os.getpid():
            self._client.close()
        self._client = None

    # -- subjects and ids --------------------------------------------------------------------
    def codec(self, spec: EntitySpec) -> EntityCodec:
        cached = self._codecs.get(spec.name)
        if cached is not None and (cached[0] is spec or cached[0] == spec):
            return cached[1]
        from datagen_plugin_avro.codec import EntityCodec

        codec = EntityCodec(spec)
        self._codecs[spec.name] = (spec, codec)
        return codec

    def subject(self, spec: EntitySpec, topic: str | None) -> str:
        """The registry subject of an entity's value schema under ``subject_strategy``."""
        codec = self.codec(spec)
        strategy = self.config.get("subject_strategy") or "topic"
        topic = topic or spec.topic_name
        if strategy == "record":
            return codec.full_name
        if strategy == "topic_record":
            return f"{topic}-{codec.full_name}"
        return f"{topic}-value"

    def schema_id(self, spec: EntitySpec, topic: str | None) -> int:
        """The id of the entity's schema under its subject (resolved once per process)."""
        subject = self.subject(spec, topic)
        sid = self._ids.get(subject)
        return sid if sid is not None else self.prepare(spec, topic)

    def schema(self, entity: EntitySpec) -> str:
        """The entity's Avro schema (what the registry gets), as JSON."""
        import json

        return json.dumps(json.loads(self.codec(entity).schema_str), indent=2) + "\n"

    def prepare(self, spec: EntitySpec, topic: str | None) -> int:
        """Register (or, without ``auto_register``, look up) the schema; raise ``SinkError``."""
        from confluent_kafka.schema_registry import Schema
        from confluent_kafka.schema_registry.error import SchemaRegistryError

        codec = self.codec(spec)
        subject = self.subject(spec, topic)
        client = self._registry()
        schema = Schema(codec.schema_str, "AVRO")
        try:
            if self.config.get("auto_register", True):
                sid = int(client.register_schema(subject, schema))
            else:
                sid = int(client.lookup_schema(subject, schema).schema_id)
        except SchemaRegistryError as exc:
            raise self._rejected(exc, spec, subject) from None
        except Exception as exc:  # transport errors: refused, timeout, DNS, TLS
            raise SinkError(
                f"avro serializer cannot reach the Schema Registry at {self.shown_url}: "
                f"{type(exc).__name__}: {self._scrub(str(exc))}",
                hint="start it (scripts/stack up) or set -o avro.schema_registry_url=URL or "
                "DATAGEN_SCHEMA_REGISTRY_URL",
            ) from None
        self._ids[subject] = sid
        return sid

    def _rejected(self, exc: Any, spec: EntitySpec, subject: str) -> SinkError:
        status = getattr(exc, "http_status_code", None)
        code = getattr(exc, "error_code", None)
        raw = getattr(exc, "error_message", None)
        # a registry that answers without the Confluent error body leaves code and message None
        message = self._scrub(str(raw)) if raw not in (None, "") else self._body(subject)
        if status == 409:
            level = self._compatibility(subject)
            return SinkError(
                f"Schema Registry at {self.shown_url} rejected the schema of entity {spec.name!r} for subject "
                f"{subject!r}: incompatible with the registered versions under {level} compatibility ({message})",
                hint="add fields as nullable with a null default, or register under a new subject / topic, "
                "or change the subject's compatibility level",
            )
        if status in (401, 403):
            return SinkError(
                f"Schema Registry at {self.shown_url} refused the credentials (HTTP {status}) for subject {subject!r}",
                hint="check -o avro.basic_auth_user / avro.basic_auth_password",
            )
        if status == 404 and not self.config.get("auto_register", True):
            return SinkError(
                f"schema of entity {spec.name!r} is not registered under subject {subject!r} at {self.shown_url} "
                "and auto_register is false",
                hint="register it first (datagen schemas export --format avro) or set -o avro.auto_register=true",
            )
        detail = f"HTTP {status}" + (f", error {code}" if code not in (None, -1) else "") + f": {message}"
        if status == 404:
            return SinkError(
                f"Schema Registry API not found at {self.shown_url} ({detail})",
                hint="the URL must be the Confluent-compatible API root, e.g. "
                "http://localhost:8081/apis/ccompat/v7 for Apicurio",
            )
        return SinkError(
            f"Schema Registry at {self.shown_url} refused the schema of entity {spec.name!r} for subject "
            f"{subject!r}: {detail}"
        )

    def _body(self, subject: str) -> str:
        """What the registry answers for the subject, read again without the client (its first
        200 characters), when the client kept neither an error code nor a message."""
        import urllib.error
        import urllib.request

        url = f"{self.url.rstrip('/')}/subjects/{urllib.request.quote(subject, safe='')}/versions"
        try:
            with urllib.request.urlopen(url, timeout=self.config.get("timeout_s") or 10.0) as response:
                body = response.read(200)
        except urllib.error.HTTPError as exc:
            body = exc.read(200)
        except Exception as exc:  # the registry went away meanwhile
            return f"no error message ({type(exc).__name__})"
        text = " ".join(body.decode("utf-8", "replace").split())
        return self._scrub(text) or "an empty answer"

    def _scrub(self, text: str) -> str:
        """``text`` without the registry URL's credentials or the basic-auth password."""
        text = text.replace(self.url, self.shown_url)
        password = self.config.get("basic_auth_password")
        return text.replace(password, "********") if password else text

    def _compatibility(self, subject: str) -> str:
        client = self._registry()
        for args in ((subject,), ()):
            try:
                level = client.get_compatibility(*args)
            except Exception:
                continue
            if level:
                return str(level)
        return "the registry's"

    def _registry(self) -> Any:
        """A registry client owned by this process (never one inherited through fork)."""
        if self._client is None or self._client_pid != os.getpid():
            from confluent_kafka.schema_registry import SchemaRegistryClient

            conf: dict[str, Any] = {
                "url": self.url,
                "timeout": self.config.get("timeout_s") or 10.0,
                "max.retries": 1,
                "retries.wait.ms": 200,
                "retries.max.wait.ms": 1000,
            }
            user, password = self.config.get("basic_auth_user"), self.config.get("basic_auth_password")
            if user or password:
                conf["basic.auth.user.info"] = f"{user or ''}:{password or ''}"
            try:
                self._client = SchemaRegistryClient(conf)
            except (ValueError, TypeError) as exc:
                raise SinkError(f"avro serializer: invalid Schema Registry settings: {self._scrub(str(exc))}",
                                hint="check -o avro.schema_registry_url (an http:// or https:// URL); give "
                                "credentials in the URL or as avro.basic_auth_user/password, not both") from None
            self._client_pid = os.getpid()
        return self._client

    # -- encoding ----------------------------------------------------------------------------
    def serialize(self, entity: EntitySpec, records: Sequence[Record], *, topic: str | None = None) -> list[bytes]:
        codec, header = self._framing(entity, topic)
        try:
            return codec.encode(records, header)
        except ValueError as exc:
            raise self._bad_value(entity, exc) from None

    def encode(self, entity: EntitySpec, records: Sequence[Record], destination: str | None = None) -> Values:
        """The values end to end in one buffer (``Values``): two objects per batch to move."""
        data, ends = self.serialize_packed(entity, records, topic=destination)
        return Values(data, ends)

    def serialize_packed(
        self, entity: EntitySpec, records: Sequence[Record], *, topic: str | None = None
    ) -> tuple[bytes, np.ndarray[Any, Any]]:
        """``serialize``'s values end to end in one buffer, and the offset where each ends.

        What the kafka sink ships from a worker to the producing process: two objects per
        batch instead of one per value.
        """
        codec, header = self._framing(entity, topic)
        try:
            return codec.encode_packed(records, header)
        except ValueError as exc:
            raise self._bad_value(entity, exc) from None

    def _framing(self, entity: EntitySpec, topic: str | None) -> tuple[EntityCodec, bytes]:
        codec = self.codec(entity)
        subject = self.subject(entity, topic)
        header = self._headers.get(subject)
        if header is None:
            from datagen_plugin_avro.codec import wire_header

            header = self._headers[subject] = wire_header(self.schema_id(entity, topic))
        return codec, header

    @staticmethod
    def _bad_value(entity: EntitySpec, exc: ValueError) -> SinkError:
        return SinkError(f"avro serializer cannot encode a {entity.name} record: {exc}",
                         hint="a generator produced a value outside its declared type; report it")
