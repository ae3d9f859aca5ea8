"""datagen sink ``kafka``: records as Kafka messages with catalog keys and CloudEvents headers."""

from datagen_plugin_kafka.presets import COMMON, PRESETS
from datagen_plugin_kafka.sink import KafkaPayload, KafkaSink

__all__ = ["COMMON", "PRESETS", "KafkaPayload", "KafkaSink"]
