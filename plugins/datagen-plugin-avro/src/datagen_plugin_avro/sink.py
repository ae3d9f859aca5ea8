"""The ``kafka-avro`` sink: the ``kafka`` sink with Avro values through a Schema Registry."""

from __future__ import annotations

from collections.abc import Mapping

from datagen_plugin_kafka.sink import KafkaSink

from datagen_kernel import EntitySpec, SinkContext, SinkError
from datagen_plugin_avro.serializer import AvroSerializer


class KafkaAvroSink(KafkaSink):
    """Kafka topics with Avro values (Confluent wire format) and schemas in a Schema Registry."""

    name = "kafka-avro"
    doc = "Kafka topics with Avro values; schemas registered in a Schema Registry (options: avro.*)."
    serializer_name = "avro"

    def _prepare(self, context: SinkContext, topics: Mapping[str, EntitySpec]) -> None:
        """Register every routed entity's schema before a message is produced."""
        if not isinstance(self.serializer, AvroSerializer):
            raise SinkError(f"{self.name} sink needs the avro serializer, got {self.serializer!r}")
        for topic, spec in topics.items():
            self.serializer.prepare(spec, topic)
