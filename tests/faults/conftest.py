"""The fault-injection suite: a second stack of real servers that its tests stop, start, freeze and thaw.

``fault_stack`` (session fixture) is a Kafka broker, an Apicurio registry and a PostgreSQL server
started through ``scripts/stack`` with their own ``DATAGEN_STACK_HOME`` and ports, so that
stopping or freezing one of them never disturbs the other tests, which use the first stack. It
offers:

    fault_stack.env                 DATAGEN_KAFKA_BOOTSTRAP, DATAGEN_SCHEMA_REGISTRY_URL and
                                    DATAGEN_POSTGRES_URL of the second stack (a dict)
    fault_stack.stop(component)     scripts/stack down COMPONENT ("kafka", "registry", "postgres")
    fault_stack.start(component)    scripts/stack up COMPONENT (waits until it answers)
    fault_stack.freeze(component)   SIGSTOP the server and its processes (a hung server)
    fault_stack.thaw(component)     SIGCONT them

Before each test that uses it, whatever an earlier test left stopped or frozen is thawed and
started again (lazily: a server stopped by the last test that needs it is never restarted for
nothing; tests marked ``fault_stack_last``, such as the one that stops the slow-to-start
registry, run at the end of the session for that reason).

Where it lives:

    DATAGEN_STACK_FAULTS_HOME   its DATAGEN_STACK_HOME (default: a temporary folder, removed at the
                                end of the session); the downloads are the first stack's (a symlink
                                to its cache folder), so nothing is downloaded twice
    DATAGEN_STACK_FAULTS_PORTS  five ports, comma separated: Kafka, Kafka controller, registry,
                                registry management, PostgreSQL (default: free ports chosen at start)

The second stack starts in the background as soon as the session has collected a test that needs
it, so it boots while the other tests run; it is stopped at the end of the session. When it cannot
start, its tests are skipped, or fail when ``DATAGEN_REQUIRE_STACK`` is set (as in CI). Every test
of this folder is marked ``faults`` (and ``integration``): ``pytest -m faults`` runs the suite
alone, ``pytest -m "not faults"`` leaves it out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STACK = REPO / "scripts" / "stack"
COMPONENTS = ("kafka", "registry", "postgres")
PORT_VARIABLES = (
    "DATAGEN_STACK_KAFKA_PORT",
    "DATAGEN_STACK_KAFKA_CONTROLLER_PORT",
    "DATAGEN_STACK_REGISTRY_PORT",
    "DATAGEN_STACK_REGISTRY_MANAGEMENT_PORT",
    "DATAGEN_STACK_POSTGRES_PORT",
)
STACK_VARIABLES = ("DATAGEN_KAFKA_BOOTSTRAP", "DATAGEN_SCHEMA_REGISTRY_URL", "DATAGEN_POSTGRES_URL")
START_TIMEOUT_S = 600


def _free_ports(n: int) -> list[int]:
    """``n`` distinct ports nothing listens on now (held open together while they are chosen)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]


def _ports() -> list[int]:
    given = os.environ.get("DATAGEN_STACK_FAULTS_PORTS")
    if not given:
        return _free_ports(len(PORT_VARIABLES))
    ports = [int(p) for p in given.split(",") if p.strip()]
    if len(ports) != len(PORT_VARIABLES):
        raise pytest.UsageError(f"DATAGEN_STACK_FAULTS_PORTS needs {len(PORT_VARIABLES)} ports, got {given!r}")
    return ports


class FaultStack:
    """The second stack: its addresses (``env``) and the faults a test can put it through."""

    def __init__(self, home: Path, ports: list[int], temporary: bool) -> None:
        self.home = home
        self.temporary = temporary
        self.stack_env = {
            **{k: v for k, v in os.environ.items() if k not in STACK_VARIABLES and not k.startswith("DATAGEN_STACK_")},
            "DATAGEN_STACK_HOME": str(home),
            **{var: str(port) for var, port in zip(PORT_VARIABLES, ports, strict=True)},
            "PYTHON": sys.executable,  # the round-trip check needs confluent-kafka
        }
        for var in ("DATAGEN_STACK_TIMEOUT", "DATAGEN_STACK_REGISTRY_JAVA", "DATAGEN_STACK_PG_BIN"):
            if var in os.environ:
                self.stack_env[var] = os.environ[var]
        self.env: dict[str, str] = {}
        self.stopped: set[str] = set()
        self.frozen: set[str] = set()
        self._boot: subprocess.Popen[str] | None = None
        self._boot_log = home / "fault-stack-up.log"

    # -- scripts/stack ------------------------------------------------------------------------
    def stack(self, *args: str, timeout: float = START_TIMEOUT_S) -> str:
        """Run ``scripts/stack ARGS`` on this stack; its output, or an AssertionError with it."""
        done = subprocess.run([str(STACK), *args], env=self.stack_env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise AssertionError(f"scripts/stack {' '.join(args)} failed ({done.returncode}):\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done.stdout

    def boot(self) -> None:
        """``scripts/stack up`` in the background (``ready`` waits for it)."""
        if self._boot is None:
            self.home.mkdir(parents=True, exist_ok=True)
            log = open(self._boot_log, "w")  # noqa: SIM115 - the child writes it; closed with the file object
            self._boot = subprocess.Popen([str(STACK), "up"], env=self.stack_env, stdout=log,
                                          stderr=subprocess.STDOUT, text=True, start_new_session=True)
            log.close()

    def ready(self) -> str | None:
        """Wait for the start; None when every server answers, else why not."""
        self.boot()
        assert self._boot is not None
        try:
            rc = self._boot.wait(timeout=START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return f"scripts/stack up did not finish within {START_TIMEOUT_S} s (log: {self._boot_log})"
        if rc != 0:
            return f"scripts/stack up failed ({rc}): {self._boot_log.read_text()[-3000:]}"
        env = self.stack("env")
        for line in env.splitlines():
            if line.startswith("export ") and "=" in line:
                key, _, value = line[len("export "):].partition("=")
                self.env[key] = value
        missing = [v for v in STACK_VARIABLES if v not in self.env]
        return f"scripts/stack env printed no {missing}" if missing else None

    # -- faults -------------------------------------------------------------------------------
    def stop(self, component: str) -> None:
        """Stop a server (PostgreSQL: fast shutdown, open transactions roll back)."""
        self._check(component)
        self.stack("down", component)
        self.frozen.discard(component)
        self.stopped.add(component)

    def start(self, component: str) -> None:
        """Start a server again and wait until it answers (the registry comes back empty)."""
        self._check(component)
        self.stack("up", component)
        self.stopped.discard(component)

    def freeze(self, component: str) -> None:
        """SIGSTOP the server and its processes: connections stay open, nothing answers."""
        self._check(component)
        self.stack("freeze", component)
        self.frozen.add(component)

    def thaw(self, component: str) -> None:
        self._check(component)
        self.stack("thaw", component)
        self.frozen.discard(component)

    def restore(self) -> None:
        """Thaw and start whatever a test left frozen or stopped."""
        for component in sorted(self.frozen):
            self.thaw(component)
        for component in sorted(self.stopped):
            self.start(component)

    def shutdown(self) -> None:
        if self._boot is not None and self._boot.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._boot.pid, 15)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._boot.wait(timeout=30)
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.stack("reset" if self.temporary else "down", timeout=180)
        if self.temporary:
            shutil.rmtree(self.home, ignore_errors=True)

    @staticmethod
    def _check(component: str) -> None:
        if component not in COMPONENTS:
            raise ValueError(f"unknown component {component!r}: expected one of {COMPONENTS}")


def _make_stack() -> FaultStack:
    given = os.environ.get("DATAGEN_STACK_FAULTS_HOME")
    if given:
        home, temporary = Path(given), False
    else:
        home, temporary = Path(tempfile.mkdtemp(prefix="datagen-faults-stack-")), True
        home.chmod(0o755)  # as root the PostgreSQL server runs as its own user: it must reach its folder
    home.mkdir(parents=True, exist_ok=True)
    first = Path(os.environ.get("DATAGEN_STACK_HOME") or Path.home() / ".cache" / "datagen-stack")
    cache = home / "cache"
    if not cache.exists() and not cache.is_symlink():
        (first / "cache").mkdir(parents=True, exist_ok=True)
        cache.symlink_to(first / "cache")
    return FaultStack(home, _ports(), temporary)


_STACK: list[FaultStack] = []


def _needs_stack(item: pytest.Item) -> bool:
    return "fault_stack" in getattr(item, "fixturenames", ())


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: fault-injection tests against a second stack (tests/faults)")
    config.addinivalue_line("markers", "fault_stack_last: run at the end of the session (it leaves a slow "
                            "server of the fault stack stopped)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.integration)
    last = [item for item in items if item.get_closest_marker("fault_stack_last")]
    if last:
        items[:] = [item for item in items if not item.get_closest_marker("fault_stack_last")] + last


def pytest_collection_finish(session: pytest.Session) -> None:
    """Boot the second stack early when a selected test needs it: it starts while others run."""
    if not _STACK and any(_needs_stack(item) for item in session.items):
        _STACK.append(_make_stack())
        _STACK[0].boot()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _STACK:
        _STACK.pop().shutdown()


@pytest.fixture(scope="session")
def fault_stack() -> Iterator[FaultStack]:
    """The second stack, every server answering (see the module docstring)."""
    if not _STACK:  # e.g. requested through getfixturevalue only
        _STACK.append(_make_stack())
    stack = _STACK[0]
    problem = stack.ready()
    if problem is not None:
        reason = f"the fault-injection stack did not start: {problem}"
        if os.environ.get("DATAGEN_REQUIRE_STACK"):
            pytest.fail(f"{reason}; DATAGEN_REQUIRE_STACK is set, so this is an error", pytrace=False)
        pytest.skip(reason)
    yield stack


@pytest.fixture(autouse=True)
def _restore_fault_stack(request: pytest.FixtureRequest) -> None:
    """Before a test that uses the second stack: thaw and restart what an earlier one left frozen or stopped."""
    if "fault_stack" in request.fixturenames:
        request.getfixturevalue("fault_stack").restore()
