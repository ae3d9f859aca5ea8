"""``PluginVenv``: an environment layered over the current one, to install a plugin for real."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path

# --- an environment layered over the current one ---------------------------------------------


class PluginVenv:
    """A virtual environment that sees every package of the current one, plus what you install.

    Installing an in-house plugin here (``install(path)``) tests it the way users get it, through
    its entry point, without changing the environment the rest of the test suite runs in.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.python = root / "bin" / "python"
        self._installed: set[Path] = set()
        self._build_flags: list[str] | None = None
        if not self.python.exists():
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
            purelib = subprocess.run(
                [str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                check=True, capture_output=True, text=True,
            ).stdout.strip()
            parent = sysconfig.get_paths()["purelib"]
            Path(purelib, "zz_datagen_parent_env.pth").write_text(
                f"import site; site.addsitedir({parent!r})\n", encoding="utf-8"
            )

    def install(self, *paths: str | Path) -> None:
        """``pip install -e`` each distribution folder; runtime dependencies come from this environment.

        The build backends (hatchling with editables, and setuptools>=64 with wheel) are used from the
        environments when present; otherwise they are installed once into this layered
        environment, so later installs need no index. Without an index either, pip builds in an
        isolated environment as usual.
        """
        todo = [Path(p).resolve() for p in paths if Path(p).resolve() not in self._installed]
        if not todo:
            return
        cmd = [*self._pip(), "install", "--quiet", *self._build()]
        for path in todo:
            cmd += ["-e", str(path)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"pip install failed for {todo}:\n{done.stdout}\n{done.stderr}")
        self._installed.update(todo)

    def _pip(self) -> list[str]:
        return [sys.executable, "-m", "pip", "--python", str(self.python), "--disable-pip-version-check"]

    def _build(self) -> list[str]:
        if self._build_flags is None:
            probe = ("import importlib.metadata as m; m.version('wheel'); m.version('editables'); "
                     "assert int(m.version('setuptools').split('.')[0]) >= 77; "
                     "assert tuple(map(int, m.version('hatchling').split('.')[:2])) >= (1, 27)")
            ready = subprocess.run([str(self.python), "-c", probe], capture_output=True).returncode == 0
            if not ready:
                fetched = subprocess.run([*self._pip(), "install", "--quiet", "setuptools>=77", "wheel",
                                          "hatchling>=1.27", "editables>=0.3"], capture_output=True, text=True)
                ready = fetched.returncode == 0
            self._build_flags = ["--no-index", "--no-build-isolation"] if ready else []
        return self._build_flags

    def run(self, *args: str, cwd: str | Path | None = None, env: Mapping[str, str] | None = None,
            check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run ``python ARGS`` in this environment (``DATAGEN_*`` variables only if given in ``env``)."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("DATAGEN_")}
        full_env.update(env or {})
        done = subprocess.run([str(self.python), *args], cwd=cwd, env=full_env, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise AssertionError(f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def datagen(self, *args: str, cwd: str | Path | None = None, env: Mapping[str, str] | None = None,
                check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run the ``datagen`` command line in this environment."""
        code = "import sys; from datagen_kernel.cli import main; main(sys.argv[1:])"
        return self.run("-c", code, *args, cwd=cwd, env=env, check=check)
