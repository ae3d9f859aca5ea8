"""datagen entity pack: consórcio quotas of the bank's customers, in groups with monthly contemplations."""

from datagen_plugin_consorcio.entities import CONSORTIUM

__all__ = ["CONSORTIUM"]
