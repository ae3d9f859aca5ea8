"""Events per second into Kafka, end to end: generated, serialized, produced and acknowledged.

Runs ``datagen run --sink kafka:event`` and ``--sink kafka-avro:event`` (every installed entity
pack) for each preset into a broker, each run into fresh topics. One scope for every figure:
the whole ``datagen`` process, start-up included. events/s = events acknowledged / wall time
of the process (measured here around it); CPU = user + system seconds of the process and its
workers (``RUSAGE_CHILDREN``) per event; beside them the local broker's CPU per event (found by
its command line) and the load average before and after: on a shared machine the rate follows
the load, the CPU per event much less. Each configuration runs ``--repeat`` times (at least 3)
and the run of median wall time is printed. A ``null`` sink run of the same events gives the
generation-only ceiling.
``--breakdown`` adds the CPU per event of each stage, measured in one process.

    scripts/stack up
    .venv/bin/python benchmarks/bench_kafka.py --customers 10000 --workers 2

Needs a broker (``--bootstrap``, default $DATAGEN_KAFKA_BOOTSTRAP or 127.0.0.1:9092) and, for
Avro, a Schema Registry (``--registry``, default $DATAGEN_SCHEMA_REGISTRY_URL or the local
stack's). Topics and subjects it made are deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchinfo import print_header

DATAGEN = str(Path(sys.executable).with_name("datagen"))


def broker_pid() -> int | None:
    """The local Kafka broker's process (Linux), to charge its CPU time to the run; None if not found."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"kafka.Kafka" in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except OSError:
                continue
    return None


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> float:
    return os.getloadavg()[0]


def run(customers: int, seed: int, workers: int, batch_size: int, sink: str, options: list[str]) -> dict:
    """One ``datagen run``; its summary plus ``wall`` (the process's), ``cpu`` (datagen's processes)
    and ``broker_cpu`` seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.json"
        args = [DATAGEN, "run", "--customers", str(customers), "--seed", str(seed), "--workers", str(workers),
                "--batch-size", str(batch_size), "--sink", f"{sink}:event", "-q", "--summary-json", str(summary)]
        for item in options:
            args += ["-o", item]
        pid = broker_pid()
        before, broker_before, load_before = resource.getrusage(resource.RUSAGE_CHILDREN), cpu_seconds(pid), load()
        started = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        after, broker_after = resource.getrusage(resource.RUSAGE_CHILDREN), cpu_seconds(pid)
        if proc.returncode != 0 or not summary.exists():
            raise SystemExit(f"{sink} run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        out = json.loads(summary.read_text())
        out["wall"] = wall
        out["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        out["broker_cpu"] = broker_after - broker_before
        out["load"] = (load_before, load())
        return out


def breakdown(customers: int, seed: int, batch_size: int, sink_name: str, options: list[str]) -> dict[str, float]:
    """Single-process CPU per event of each stage, in microseconds.

    generate (the packs' generators and validation), encode (serializer, keys, CloudEvents
    attributes: worker side), pickle (the worker sending a batch); then the main side replays
    the pickled batches as it receives them from workers: unpickle + produce + delivery
    reports + final flush, as main-thread time (``main``) and process time (``write``: with
    librdkafka's threads), and the local broker's CPU meanwhile.
    """
    import gc
    import pickle

    from datagen_kernel.api.sinks import SinkContext
    from datagen_kernel.engine.blocks import BlockProcessor
    from datagen_kernel.engine.config import ConfigSources
    from datagen_kernel.engine.plan import RunParams, build_plan
    from datagen_kernel.engine.plugins import make_plugin_host

    host = make_plugin_host()
    params = RunParams(root_count=customers, seed=seed, sinks=(f"{sink_name}:event",), batch_size=batch_size)
    plan = build_plan(host, params, ConfigSources.build(options))
    route = plan.routes[0]
    sink = route.sink_cls(route.config)
    ser_cls, ser_config = plan.serializers[route.sink_cls.serializer_name]
    serializer = ser_cls(ser_config)
    serializer.open([plan.specs[n] for n in plan.specs if n in route.entities])
    sink.serializer = serializer
    sink.open(SinkContext(plan.run, {n: plan.specs[n] for n in route.entities}, plan.specs, route.label))
    globals_ = {n: plan.generators[n](plan.context(n, None, {})) for n in plan.global_entities()}
    processor = BlockProcessor(plan, [sink], [serializer], globals_)
    gc.freeze()  # as the engine does
    gc.set_threshold(100_000, *gc.get_threshold()[1:])
    gen = enc = pick = 0.0
    blobs: list[bytes] = []
    events = 0
    for block in range(plan.blocks):
        t0 = time.process_time()
        prepared = processor.prepared("events", block)
        gen += time.process_time() - t0
        for name, recs in prepared:
            t1 = time.process_time()
            encoded = processor.encode(name, recs)
            t2 = time.process_time()
            for _, batch in encoded:
                blobs.append(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
                events += batch.count
            enc += t2 - t1
            pick += time.process_time() - t2
    pid = broker_pid()
    broker0 = cpu_seconds(pid)
    t0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
    for blob in blobs:
        sink.write(pickle.loads(blob))
    sink.flush()
    sink.close(True)
    write_wall, write_cpu, main_cpu = time.perf_counter() - t0, time.process_time() - c0, time.thread_time() - m0
    broker = cpu_seconds(pid) - broker0
    acked = sum(sink.stats.acknowledged.values())
    if acked != events:
        raise SystemExit(f"breakdown: {acked} of {events} acknowledged: {sink.stats.errors}")
    us = 1e6 / events
    return {"events": events, "generate": gen * us, "encode": enc * us, "pickle": pick * us,
            "main": main_cpu * us, "write": write_cpu * us, "write_wall": write_wall * us, "broker": broker * us}


def cleanup(bootstrap: str, registry: str, prefix: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
    if topics:
        for fut in admin.delete_topics(topics, operation_timeout=60).values():
            try:
                fut.result(60)
            except Exception as exc:
                print(f"  (could not delete a topic: {exc})", file=sys.stderr)
    try:
        from confluent_kafka.schema_registry import SchemaRegistryClient

        client = SchemaRegistryClient({"url": registry, "timeout": 10})
        for subject in client.get_subjects():
            if subject.startswith(prefix):
                client.delete_subject(subject)
                client.delete_subject(subject, permanent=True)
    except Exception as exc:
        print(f"  (could not delete subjects: {exc})", file=sys.stderr)


def _row(values: str, preset: str, s: dict) -> str:
    n = s["acknowledged"]
    return (f"{values:<8}{preset:<10}{n:>12,}{s['wall']:>10.2f}{n / s['wall']:>12,.0f}"
            f"{s['cpu'] / n * 1e6:>9.2f}{s['broker_cpu'] / n * 1e6:>11.2f}"
            f"{s['load'][0]:>8.1f}->{s['load'][1]:<4.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--formats", default="json,avro", help="comma-separated value formats: json, avro or json,avro")
    parser.add_argument("--presets", default="reliable,bulk", help="comma-separated presets")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per configuration (at least 3; the run of median wall time is shown)")
    parser.add_argument("--bootstrap", default=os.environ.get("DATAGEN_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    parser.add_argument("--registry", default=os.environ.get("DATAGEN_SCHEMA_REGISTRY_URL",
                                                             "http://127.0.0.1:8081/apis/ccompat/v7"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the generation-only (null sink) run")
    parser.add_argument("--breakdown", action="store_true",
                        help="also measure, in one process, the cost per event of generate / encode / write")
    parser.add_argument("--breakdown-only", action="store_true", help="skip the end-to-end runs")
    args = parser.parse_args()
    args.breakdown = args.breakdown or args.breakdown_only
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (a median of fewer runs says little)")
    print_header()

    print(f"datagen -> Kafka at {args.bootstrap}: {args.customers:,} customers, seed {args.seed}, "
          f"--workers {args.workers}, --batch-size {args.batch_size}, {os.cpu_count()} CPUs")
    print("scope: the whole datagen process (start-up included) for both events/s (events / the process's wall "
          "seconds) and CPU (user + system seconds per event of the process and its workers); broker us = the "
          "local broker's CPU per event; load = 1-minute load average before -> after the run")
    print(f"{'values':<8}{'preset':<10}{'events':>12}{'seconds':>10}{'events/s':>12}{'CPU us':>9}"
          f"{'broker us':>11}{'load':>14}")
    if not args.no_baseline and not args.breakdown_only:
        base = sorted((run(args.customers, args.seed, args.workers, args.batch_size, "null", [])
                       for _ in range(args.repeat)), key=lambda r: r["wall"])
        walls = " ".join(f"{r['wall']:.2f}" for r in base)
        print(_row("(none)", "null", base[(len(base) - 1) // 2]) + f"   walls {walls}   generation only")
    prefix = f"bench-{uuid.uuid4().hex[:8]}-"
    try:
        for fmt in args.formats.split(",") if not args.breakdown_only else ():
            sink = {"json": "kafka", "avro": "kafka-avro"}[fmt.strip()]
            for preset in args.presets.split(","):
                runs = []
                for i in range(args.repeat):
                    options = [f"{sink}.bootstrap_servers={args.bootstrap}",
                               f"{sink}.topic_prefix={prefix}{fmt}-{preset}-{i}.", f"{sink}.preset={preset}"]
                    if sink == "kafka-avro":
                        options.append(f"avro.schema_registry_url={args.registry}")
                    s = run(args.customers, args.seed, args.workers, args.batch_size, sink, options)
                    if not s["ok"] or s["acknowledged"] != s["generated"]:
                        raise SystemExit(f"{sink} {preset}: not everything was acknowledged: {s['errors']}")
                    runs.append(s)
                runs.sort(key=lambda r: r["wall"])
                walls = " ".join(f"{r['wall']:.2f}" for r in runs)
                print(_row(fmt, preset, runs[(len(runs) - 1) // 2]) + f"   walls {walls}")
        if args.breakdown:
            print("\nCPU per event by stage, in one process (us; CPU time, so other load on the machine matters "
                  "less). Worker side: generate = the packs' generators and validation, encode = serializer + "
                  "keys + CloudEvents attributes, pickle = sending the batch. Main side: main = main thread "
                  "(unpickle + produce + delivery reports + flush), write = the same with librdkafka's threads, "
                  "write wall = its elapsed time; broker = the local broker's CPU meanwhile")
            print(f"{'values':<8}{'preset':<10}{'generate':>10}{'encode':>9}{'pickle':>8}{'main':>8}{'write':>8}"
                  f"{'wall':>8}{'broker':>8}{'load':>7}")
            for fmt in args.formats.split(","):
                sink = {"json": "kafka", "avro": "kafka-avro"}[fmt.strip()]
                for preset in args.presets.split(","):
                    options = [f"{sink}.bootstrap_servers={args.bootstrap}",
                               f"{sink}.topic_prefix={prefix}{fmt}-{preset}-b.", f"{sink}.preset={preset}"]
                    if sink == "kafka-avro":
                        options.append(f"avro.schema_registry_url={args.registry}")
                    b = breakdown(args.customers, args.seed, args.batch_size, sink, options)
                    print(f"{fmt:<8}{preset:<10}{b['generate']:>10.2f}{b['encode']:>9.2f}{b['pickle']:>8.2f}"
                          f"{b['main']:>8.2f}{b['write']:>8.2f}{b['write_wall']:>8.2f}{b['broker']:>8.2f}"
                          f"{load():>7.1f}")
    finally:
        cleanup(args.bootstrap, args.registry, prefix)


if __name__ == "__main__":
    main()
