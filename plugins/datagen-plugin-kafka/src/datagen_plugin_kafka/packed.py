"""``Packed``: the kernel's ``Values`` under the name this plugin has always used.

A column of byte strings held as one buffer and offsets (values, keys, CloudEvents ids and
times), so a batch's columns cross a process boundary as two objects each whatever their
length; the producing process slices each column once (``tolist``) on its way into ``produce``.
"""

from __future__ import annotations

from datagen_kernel.api.values import Values, as_list

Packed = Values

__all__ = ["Packed", "as_list"]
