"""The dask executor on a cluster started with the ``dask`` command line: ``dask scheduler``
and two ``dask worker`` processes on loopback ports, used through ``-o dask.scheduler=...``
as a real cluster would be."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dasktest_support import datagen, read_dir
from datagen_plugin_dask.worker import KILL_HOOK

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def cli_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(scheduler address, kill-hook file): one scheduler, two single-threaded workers."""
    from distributed import Client

    if not DASK.exists():
        pytest.skip("the dask command line is not installed next to this Python")
    logs = tmp_path_factory.mktemp("dask")
    hook = logs / "kill"
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, KILL_HOOK: str(hook)}
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str, log: str) -> None:
        with open(logs / log, "wb") as out:
            procs.append(subprocess.Popen([str(DASK), *args], stdout=out, stderr=subprocess.STDOUT, env=env,
                                          start_new_session=True))

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--dashboard-address", ":0",
              log="scheduler.log")
        for n in (1, 2):
            start("worker", address, "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1",
                  "--dashboard-address", ":0", "--name", f"w{n}", log=f"worker{n}.log")
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        yield address, hook
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def test_a_cli_cluster_writes_the_local_executors_bytes_even_when_a_worker_dies(
        cli_cluster: tuple[str, Path], tmp_path: Path) -> None:
    address, hook = cli_cluster
    args = ["run", "-q", "--customers", "2600", "--seed", "31", "--sink", "json"]
    datagen(*args, "-o", f"json.path={tmp_path / 'local'}", "--workers", "2")
    datagen(*args, "-o", f"json.path={tmp_path / 'dask'}", "--executor", "dask", "-o", f"dask.scheduler={address}")
    local = read_dir(tmp_path / "local")
    assert {"customer.jsonl", "transaction.jsonl"} <= set(local)
    assert read_dir(tmp_path / "dask") == local
    hook.write_text("all 4\n", encoding="utf-8")
    datagen(*args, "-o", f"json.path={tmp_path / 'killed'}", "--executor", "dask", "-o", f"dask.scheduler={address}")
    assert hook.with_name("kill.taken").exists() and not hook.exists(), "no worker reached the hook's block"
    assert read_dir(tmp_path / "killed") == local


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from datagen_kernel.cli import make_cli
    from datagen_kernel.engine.plugins import make_plugin_host

    result = CliRunner().invoke(make_cli(make_plugin_host), [
        "run", "-q", "--customers", "10", "--sink", "json", "-o", f"json.path={tmp_path}", "--executor", "dask",
        "-o", f"dask.scheduler=tcp://127.0.0.1:{_free_port()}", "-o", "dask.connect_timeout_s=2"])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot reach the dask scheduler at tcp://127.0.0.1:" in errors[0], result.output


def test_a_plugin_the_workers_lack_stops_the_run_with_its_name(
        cli_cluster: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from datagen_kernel.cli import make_cli
    from datagen_kernel.engine.plugins import make_plugin_host

    address, _ = cli_cluster
    # a distribution only this client has: a datagen plugin (entry point group datagen) with no hooks
    info = tmp_path / "site" / "datagen_plugin_ghost-9.9.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: datagen-plugin-ghost\nVersion: 9.9\n")
    (info / "entry_points.txt").write_text("[datagen]\nghost = textwrap\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    result = CliRunner().invoke(make_cli(make_plugin_host), [
        "run", "-q", "--customers", "10", "--sink", "json", "-o", f"json.path={tmp_path / 'out'}",
        "--executor", "dask", "-o", f"dask.scheduler={address}"])
    assert result.exit_code != 0, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "the dask workers do not have the client's datagen plugins" in errors[0]
    assert "datagen-plugin-ghost is missing (the client has 9.9)" in errors[0]
    assert errors[0].count("worker tcp://127.0.0.1:") == 2, errors[0]
