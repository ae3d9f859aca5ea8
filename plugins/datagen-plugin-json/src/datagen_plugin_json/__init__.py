"""datagen sinks that need no server: ``json`` (JSON Lines files) and ``console``."""

from datagen_plugin_json.sinks import ConsoleSink, JsonLinesSink

__all__ = ["ConsoleSink", "JsonLinesSink"]
