"""The json writer's C helper (``_assemble.c``); see ``LineEncoder.lines``."""

from typing import Any

def assemble(out: bytearray, perm: Any, fields: list[tuple[bytes, bool, Any, Any, Any, Any]], tail_of: Any,
             tail: Any) -> int: ...
def join(count: int, pieces: list[tuple[bytes, Any, Any]], end: bytes) -> list[bytes]: ...
