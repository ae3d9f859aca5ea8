"""The kernel's own plugin, registered through the same hooks as any other."""

from __future__ import annotations

from collections.abc import Sequence

from datagen_kernel.api.hookspecs import hookimpl
from datagen_kernel.api.records import Record
from datagen_kernel.api.registry import SerializerRegister, SinkRegister
from datagen_kernel.api.schema import EntitySpec
from datagen_kernel.api.sinks import EncodedBatch, Sink
from datagen_kernel.codecs.json import JsonSerializer


class NullSink(Sink):
    """Discards every record and acknowledges it: measures generation alone."""

    name = "null"
    doc = "Discard records (acknowledging them); for benchmarks and dry runs."
    serializer_name = None
    phase_barrier = False

    def encode(self, entity: EntitySpec, records: Sequence[Record]) -> EncodedBatch:
        return EncodedBatch(entity.name, len(records), None)

    def write(self, batch: EncodedBatch) -> None:
        self.stats.ack(batch.entity, batch.count)


@hookimpl
def datagen_register_serializers(register: SerializerRegister) -> None:
    register(JsonSerializer)


@hookimpl
def datagen_register_sinks(register: SinkRegister) -> None:
    register(NullSink)
