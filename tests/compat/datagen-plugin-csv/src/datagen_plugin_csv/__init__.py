"""datagen-plugin-csv: the ``csv`` sink (an example of an in-house sink plugin)."""

from datagen_plugin_csv.sink import CsvSink

__all__ = ["CsvSink"]
