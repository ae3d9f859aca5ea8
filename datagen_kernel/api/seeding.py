"""Deterministic randomness: every draw comes from a stream derived from (seed, key...).

The contract (see docs/architecture.md): the same seed and parameters give byte-identical
records whatever the batch size, the number of workers or the sink. Randomness is therefore
never taken from global state, ``uuid.uuid4()`` or the clock. Instead a stream is derived
from the run seed and a key that names *what* is drawn, e.g.
``stream_for(seed, "account", block, "balance")``. Two rules keep prefixes stable (the first
100 customers are the same in a run of 100 and a run of 100,000):

* the root range is cut into blocks of ``BLOCK_SIZE`` indices, a constant of the format,
  independent of ``--batch-size`` and ``--workers``;
* one stream draws one array (or one record's values), in root order, so that its first
  elements do not depend on how many follow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

BLOCK_SIZE = 500
"""Root records per generation block. Changing it changes every generated dataset."""

_KEY_CACHE: dict[str, int] = {}


def stable_hash(part: str | int) -> int:
    """A 63-bit integer for a key part; identical on every machine and Python version."""
    if isinstance(part, int):
        return part & 0x7FFF_FFFF_FFFF_FFFF
    cached = _KEY_CACHE.get(part)
    if cached is None:
        digest = hashlib.blake2b(part.encode("utf-8"), digest_size=8).digest()
        cached = int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF
        _KEY_CACHE[part] = cached
    return cached


def stream_for(seed: int, *key: str | int) -> np.random.Generator:
    """A numpy ``Generator`` (PCG64) determined only by ``seed`` and ``key``."""
    entropy = [seed & 0xFFFF_FFFF_FFFF_FFFF, *(stable_hash(k) for k in key)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


_GROUPS = ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20))
"""(first character, end character, first hex digit) of the five groups of a UUID string."""


def uuid4_strings(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` RFC 4122 version-4 UUID strings drawn from ``rng`` (vectorized)."""
    if n <= 0:
        return []
    return [b.decode("ascii") for b in uuid4_matrix(rng, n).view("S36").ravel().tolist()]


def uuid4_matrix(rng: np.random.Generator, n: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The same UUIDs as ``uuid4_strings`` as an ``(n, 36)`` matrix of ASCII bytes."""
    return _uuid4_text(rng.integers(0, 256, size=(n, 16), dtype=np.uint8))


def uuid4_text(raw: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Version-4 UUIDs made of ``(n, 16)`` random bytes (as ``uuid4_matrix`` draws them), as an
    ``(n, 36)`` matrix of ASCII bytes: draw the bytes of many, write out only those used."""
    return _uuid4_text(np.array(raw, dtype=np.uint8).reshape(-1, 16))


def _uuid4_text(raw: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, np.dtype[np.uint8]]:
    n = len(raw)  # (``raw`` is changed)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    # hex digits by arithmetic (no table lookups), then copied into the five dash-separated groups
    nibbles = np.empty((n, 16, 2), dtype=np.uint8)
    nibbles[:, :, 0] = raw >> 4
    nibbles[:, :, 1] = raw & 0x0F
    nibbles += 48  # '0'
    nibbles += (nibbles > 57) * np.uint8(39)  # 'a'..'f'
    hexed = nibbles.reshape(n, 32)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for start, stop, src in _GROUPS:
        out[:, start:stop] = hexed[:, src : src + stop - start]
    return out


def weighted_choice(
    rng: np.random.Generator, values: Sequence[str], weights: Sequence[float], n: int
) -> list[str]:
    """``n`` values drawn with the given weights (normalized), as a Python list."""
    p = np.asarray(weights, dtype=np.float64)
    idx = rng.choice(len(values), size=n, p=p / p.sum())
    table = np.asarray(values, dtype=object)
    return table[idx].tolist()  # type: ignore[no-any-return]


__all__ = ["BLOCK_SIZE", "stable_hash", "stream_for", "uuid4_matrix", "uuid4_strings", "uuid4_text", "weighted_choice"]
