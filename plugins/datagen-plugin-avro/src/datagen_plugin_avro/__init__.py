"""datagen serializer ``avro`` (Confluent wire format, Schema Registry) and sink ``kafka-avro``."""

from datagen_plugin_avro.serializer import AvroSerializer
from datagen_plugin_avro.sink import KafkaAvroSink

__all__ = ["AvroSerializer", "KafkaAvroSink"]
