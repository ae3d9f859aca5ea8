"""A client-side time limit for round trips to PostgreSQL.

The server enforces ``statement_timeout`` itself, but a server that does not run at all (frozen
by SIGSTOP, a hung host, a network path that drops packets while the peer's kernel still
acknowledges them) answers nothing, and psycopg waits for ever on its socket. ``Watchdog.guard``
bounds one operation: when it outlasts the limit, the connection's socket is shut down from a
timer thread, which makes the waiting psycopg call fail at once; ``fired`` then says what was
being done, so the error can say that the server did not answer instead of "connection lost".
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any


class Watchdog:
    """Shuts a connection's socket down when an operation takes longer than ``limit`` seconds."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.fired: str | None = None

    @contextlib.contextmanager
    def guard(self, conn: Any, doing: str) -> Iterator[None]:
        timer = threading.Timer(self.limit, self._fire, (conn, doing))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _fire(self, conn: Any, doing: str) -> None:
        self.fired = doing
        with contextlib.suppress(Exception):  # the connection may be closed already
            fd = conn.pgconn.socket
            with socket.socket(fileno=os.dup(fd)) as sock:
                sock.shutdown(socket.SHUT_RDWR)
