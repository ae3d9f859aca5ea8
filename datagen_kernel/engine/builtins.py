"""The kernel's own plugin, registered through the same hooks as any other."""

from __future__ import annotations

from datagen_kernel.api.hookspecs import hookimpl
from datagen_kernel.api.registry import ExecutorRegister, SerializerRegister, SinkRegister
from datagen_kernel.api.sinks import EncodedBatch, Sink
from datagen_kernel.codecs.json import JsonSerializer
from datagen_kernel.engine.local import LocalExecutor


class NullSink(Sink):
    """Discards every record and acknowledges it: measures generation alone."""

    name = "null"
    doc = "Discard records (acknowledging them); for benchmarks and dry runs."
    serializer_name = None
    phase_barrier = False
    message_keys = False

    def write(self, batch: EncodedBatch) -> None:
        self.stats.ack(batch.entity, batch.count)


@hookimpl
def datagen_register_serializers(register: SerializerRegister) -> None:
    register(JsonSerializer)


@hookimpl
def datagen_register_sinks(register: SinkRegister) -> None:
    register(NullSink)


@hookimpl
def datagen_register_executors(register: ExecutorRegister) -> None:
    register(LocalExecutor)
