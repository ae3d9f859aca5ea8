"""The ``kafka-avro`` sink: the ``kafka`` sink whose routes default to the ``avro`` serializer.

An alias kept so that every documented ``--sink kafka-avro`` command keeps working: it writes
what ``--sink kafka -o kafka.serializer=avro`` writes (the serializer registers each routed
entity's schema before the first message; options ``avro.*``).
"""

from __future__ import annotations

from datagen_plugin_kafka.sink import KafkaSink


class KafkaAvroSink(KafkaSink):
    """Kafka topics with Avro values (Confluent wire format) and schemas in a Schema Registry."""

    name = "kafka-avro"
    doc = "Kafka topics with Avro values; schemas registered in a Schema Registry (options: avro.*)."
    serializer_name = "avro"
