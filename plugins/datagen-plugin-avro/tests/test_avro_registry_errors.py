"""A registry refusing a schema without Confluent's error body: the message says what it answered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from datagen_plugin_avro.serializer import AvroSerializer
from kafkatest_support import toy_pack

from datagen_kernel import SinkError

BODY = b'{"title": "Internal failure", "detail": "storage is read-only"}'


class _Refusing(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def registry() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_error_without_code_or_message_shows_status_body_and_url(registry: str) -> None:
    config = {o.name: o.default_value() for o in AvroSerializer.options} | {"schema_registry_url": registry,
                                                                           "timeout_s": 2.0}
    serializer = AvroSerializer(config)
    spec = toy_pack.SCORE
    serializer.open([spec])
    with pytest.raises(SinkError) as caught:
        serializer.prepare(spec, "t.scores")
    message = str(caught.value)
    assert "None" not in message, message
    assert f"Schema Registry at {registry} refused the schema of entity 'score'" in message
    assert "HTTP 500" in message and "storage is read-only" in message
