"""The ``dask`` executor: a plan's blocks as Dask tasks, on a LocalCluster or an existing cluster.

``start`` connects (``-o dask.scheduler=tcp://HOST:PORT``) or starts a ``LocalCluster`` of
``--workers`` worker processes (without ``--workers``: one per CPU core this process may run
on; ``dask.threads_per_worker`` threads each), checks that every
worker has the client's plugins, and pickles the work's spec; each worker rebuilds the work
from it once (``worker.py``). ``run`` keeps at most ``dask.window`` blocks submitted or
finished and not yet handed over (default: twice the cluster's threads), gathers each result
as soon as it is done, and yields them in block order. Batches of routes whose sink declares
``parallel_tasks`` are written by sink tasks inside the workers; everything else (the json
files, PostgreSQL's single transaction) comes back and is written by the engine here.

A worker that dies takes its unfinished blocks with it: the scheduler runs them again on
another worker and, each block being a pure function of the plan, they give the same bytes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from datagen_kernel.api import (
    BlockResult,
    DatagenError,
    Executor,
    Option,
    PluginError,
    TaskStats,
    UsageError,
    ValidationFailed,
    Work,
)
from datagen_plugin_dask import check, worker


def _check_scheduler(value: str | None) -> str | None:
    if value and "://" not in value and ":" not in value:
        return "expected a scheduler address such as tcp://HOST:8786"
    return None


def cpu_cores() -> int:
    """The CPU cores this process may run on (its affinity where the OS says), at least 1."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return max(1, len(affinity(0)))
    return max(1, os.cpu_count() or 1)


class DaskExecutor(Executor):
    """Blocks on Dask distributed: a LocalCluster of --workers processes, or a cluster's scheduler."""

    name = "dask"
    sink_tasks = True
    doc = ("Dask distributed: a LocalCluster of --workers processes (default: one per CPU core), "
           "or -o dask.scheduler=tcp://HOST:PORT.")
    options = (
        Option("scheduler", "str", "",
               "Address of a running Dask scheduler (tcp://HOST:PORT); empty: start a LocalCluster of "
               "--workers worker processes on this machine (default: one per CPU core).", validator=_check_scheduler),
        Option("threads_per_worker", "int", 1, "Threads per worker process of the LocalCluster.",
               minimum=1, maximum=256),
        Option("window", "int", 0,
               "Blocks submitted or finished and not yet written, at most (0: twice the cluster's threads).",
               minimum=0, maximum=1_000_000),
        Option("connect_timeout_s", "float", 60.0,
               "Seconds to wait for the scheduler and for a first worker.", minimum=1, maximum=3600),
    )

    def __init__(self, config: Mapping[str, Any], workers: int = 1) -> None:
        super().__init__(config, workers)
        self._cluster: Any = None
        self._client: Any = None
        self._token = uuid.uuid4().hex
        self._spec = b""
        self._routes: tuple[int, ...] = ()
        self._threads = 1
        self._reports: list[TaskStats] = []

    def cluster_workers(self) -> int:
        """Worker processes of the LocalCluster: ``--workers``, else one per CPU core."""
        return max(1, self.workers) if self.workers_given else cpu_cores()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, work: Work) -> None:
        super().start(work)
        try:
            self._spec = pickle.dumps(work.spec)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise PluginError(f"this run cannot be sent to dask workers: its plan does not pickle ({exc})",
                              hint="every plugin of the run must be importable by name in the workers") from None
        self._routes = tuple(work.task_routes())
        self._client = self._connect()
        versions = self._client.run(check.installed, on_error="return")
        broken = {a: v for a, v in versions.items() if isinstance(v, BaseException)}
        if broken:
            address, problem = sorted(broken.items())[0]
            raise PluginError(f"dask worker {address} cannot report its plugins: {type(problem).__name__}: {problem}",
                              hint="install datagen-plugin-dask and the run's plugins on every worker")
        check.check(check.installed(), versions)
        self._threads = max(1, sum(self._client.nthreads().values()))

    def _connect(self) -> Any:
        from distributed import Client, LocalCluster

        timeout = self.config["connect_timeout_s"]
        address = self.config["scheduler"]
        try:
            if address:
                client = Client(address, timeout=timeout, set_as_default=False)
            else:
                self.workers = self.cluster_workers()
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=self.config["threads_per_worker"],
                    processes=True, host="127.0.0.1", dashboard_address=":0", silence_logs=logging.ERROR,
                )
                client = Client(self._cluster, set_as_default=False)
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            where = f"the dask scheduler at {address}" if address else "a local dask cluster"
            raise UsageError(f"cannot reach {where} within {timeout:g} s: {exc}",
                             hint="start it (`dask scheduler`, then `dask worker ADDRESS`) or check "
                             "-o dask.scheduler=tcp://HOST:PORT") from None
        return client

    def run(self, phase: str, blocks: Sequence[int]) -> Iterator[BlockResult]:
        from distributed import as_completed

        client = self._client
        window = self.config["window"] or 2 * self._threads
        tasks = max(1, len(client.scheduler_info().get("workers", {})))
        todo = iter(blocks)
        order: deque[tuple[int, str]] = deque()  # submitted, not yet yielded, in block order
        done: dict[str, tuple[Any, ...]] = {}
        finished = as_completed(loop=client.loop)

        def submit() -> None:
            block = next(todo, None)
            if block is None:
                return
            key = f"datagen-{self._token}-{phase}-{block}"
            future = client.submit(worker.process_block, self._token, self._spec, phase, block, self._routes,
                                   block % tasks, tasks, key=key, pure=False)
            order.append((block, key))
            finished.add(future)

        for _ in range(window):
            submit()
        while order:
            block, key = order[0]
            while key not in done:
                future = next(finished)
                done[future.key] = self._gathered(future)
                future.release()
            order.popleft()
            outcome = done.pop(key)
            if outcome[0] != "ok":
                self._raise(outcome, block)
            _, result, reports = outcome
            self._reports.extend(reports)
            submit()
            yield result

    def flush_tasks(self) -> list[TaskStats]:
        return self._collect(worker.flush_tasks, self._token)

    def close_tasks(self, ok: bool) -> list[TaskStats]:
        if self._client is None:
            return []
        return self._collect(worker.close_tasks, self._token, ok)

    def close(self) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            with contextlib.suppress(Exception):
                client.run(worker.forget, self._token, on_error="ignore")
            with contextlib.suppress(Exception):
                client.close(timeout=10)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=10)

    # -- helpers -------------------------------------------------------------------------------
    def _collect(self, function: Any, *args: Any) -> list[TaskStats]:
        reports, self._reports = self._reports, []
        if self._client is not None and self._routes:
            answers = self._client.run(function, *args, on_error="return")
            for address, answer in sorted(answers.items()):
                if isinstance(answer, BaseException):
                    raise DatagenError(f"dask worker {address} failed to settle its sink tasks: {answer}")
                reports.extend(answer)
        return reports

    @staticmethod
    def _gathered(future: Any) -> tuple[Any, ...]:
        from distributed import KilledWorker

        try:
            outcome: tuple[Any, ...] = future.result()
        except KilledWorker as exc:
            return ("error", "KilledWorker", f"every worker that ran it died ({exc})",
                    "the workers' logs say why (out of memory?); give them more memory or rerun", "")
        except Exception as exc:  # the task never ran to its own error handling (cancelled, lost)
            return ("error", type(exc).__name__, str(exc), None, "")
        return outcome

    @staticmethod
    def _raise(outcome: tuple[Any, ...], block: int) -> None:
        _, kind, message, hint, trace = outcome
        cls: type[DatagenError] = {"ValidationFailed": ValidationFailed, "PluginError": PluginError,
                                   "UsageError": UsageError}.get(kind, DatagenError)
        if kind == "KilledWorker":
            raise DatagenError(f"block {block} could not be run: {message}", hint=hint)
        if hint is not None or kind in ("DatagenError", "SinkError", "ConfigError"):
            raise cls(message, hint=hint)
        raise PluginError(f"a generator, transform or sink failed in a dask worker on block {block}: "
                          f"{kind}: {message}\n{trace}")
