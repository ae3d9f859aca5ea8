"""What a record is: field name -> value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Record = dict[str, Any]
"""One generated record: field name -> value (see ``datagen_kernel.schema`` for value types)."""


Records = Sequence[Record]
"""What a generator returns: a list of dicts, or a ``datagen_kernel.Batch`` of columns."""
