"""Distributions as users get them: `make dist`, a private package index, clean source trees.

A bank hosts its in-house packages on an internal index. ``test_install_from_a_private_index``
does what its engineers do: the kernel, banking and trades wheels and every third-party
dependency go into a folder served by pypiserver on 127.0.0.1, and a fresh virtual environment
installs ``datagen-plugin-trades`` from that index alone (``--index-url``, no other index, no
fallback to PyPI), then runs ``datagen run``.

The third-party wheels are downloaded from PyPI once and kept in a wheelhouse
(``$DATAGEN_TEST_WHEELHOUSE``, default ``~/.cache/datagen/test-wheelhouse``); later runs fill
the index from it without a network.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from click.testing import CliRunner

from datagen_kernel.cli import make_cli

REPO = Path(__file__).resolve().parents[1]
PLUGINS = sorted(p.parent for p in REPO.glob("plugins/*/pyproject.toml"))
EXAMPLES = sorted(p.parent for p in REPO.glob("examples/*/pyproject.toml"))
WHEELHOUSE = Path(os.environ.get("DATAGEN_TEST_WHEELHOUSE", Path.home() / ".cache" / "datagen" / "test-wheelhouse"))
OURS = {"datagen-kernel": REPO, **{p.name: p for p in PLUGINS}}


def _clean_env() -> dict[str, str]:
    """The environment without pip or datagen settings a developer's shell may carry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "DATAGEN_", "VIRTUAL_ENV"))}
    env["PIP_CONFIG_FILE"] = os.devnull  # no user or site pip.conf (an extra index would defeat the test)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=_clean_env(), capture_output=True, text=True)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def _requirements(wheel: Path) -> list[str]:
    """Requires-Dist of a wheel (without extras' requirements)."""
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        headers = Parser().parsestr(zf.read(meta).decode("utf-8"))
    return [r for r in headers.get_all("Requires-Dist") or [] if "extra ==" not in r]


def _third_party(requirements: list[str]) -> None:
    """Put wheels of ``requirements`` and of everything they need in the wheelhouse (once)."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(WHEELHOUSE)]
    offline = subprocess.run([*pip, "--no-index", "--find-links", str(WHEELHOUSE), *requirements],
                             capture_output=True, text=True)
    if offline.returncode != 0:  # first run, or a requirement changed: fetch them (pip's own index settings)
        done = subprocess.run([*pip, *requirements], capture_output=True, text=True)
        assert done.returncode == 0, f"pip download {requirements} failed:\n{done.stdout}\n{done.stderr}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(index: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "pypiserver", "run", "-v", "-i", "127.0.0.1", "-p", str(port),
             "--disable-fallback", str(index)], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/simple/"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return server, url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError(f"pypiserver did not start:\n{log.read_text()}") from None
            time.sleep(0.2)


@pytest.mark.slow
def test_install_from_a_private_index(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    # the kernel builds with setuptools, which leaves build/ where it builds: build a copy
    kernel = tmp_path / "kernel"
    shutil.copytree(REPO / "datagen_kernel", kernel / "datagen_kernel", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "hatch_build.py"):
        shutil.copy2(REPO / name, kernel / name)
    for folder in (kernel, OURS["datagen-plugin-banking"], OURS["datagen-plugin-trades"]):
        _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
             "--wheel-dir", index, folder)
    ours = {w.name.split("-")[0].replace("_", "-") for w in index.glob("*.whl")}
    assert ours == {"datagen-kernel", "datagen-plugin-banking", "datagen-plugin-trades"}
    wanted = sorted({r for w in index.glob("*.whl") for r in _requirements(w)
                     if not r.startswith(tuple(ours))})
    assert any(r.startswith("numpy") for r in wanted) and any(r.startswith("pluggy") for r in wanted)
    _third_party(wanted)
    for wheel in WHEELHOUSE.glob("*.whl"):
        shutil.copy2(wheel, index)

    server, url = _serve(index, tmp_path / "pypiserver.log")
    try:
        venv = tmp_path / "fresh"
        _run(sys.executable, "-m", "venv", venv)
        python = venv / "bin" / "python"
        _run(python, "-m", "pip", "install", "--quiet", "--index-url", url, "datagen-plugin-trades")
    finally:
        server.terminate()
        server.wait(timeout=10)
    served = (tmp_path / "pypiserver.log").read_text()
    assert "datagen-plugin-trades" in served and "datagen-kernel" in served  # pip asked our index

    installed = {d["name"]: d["version"] for d in json.loads(_run(python, "-m", "pip", "list", "--format",
                                                                        "json").stdout)}
    assert installed["datagen-kernel"] == installed["datagen-plugin-banking"] == "0.1.0"
    assert installed["datagen-plugin-trades"] == "0.1.0" and "numpy" in installed

    datagen = venv / "bin" / "datagen"
    plugins = {p["name"]: p for p in json.loads(_run(datagen, "plugins", "--json").stdout)["plugins"]}
    assert set(plugins) == {"banking", "trades"} and all(p["error"] is None for p in plugins.values())
    assert "trade" in plugins["trades"]["provides"]["entities"]
    summary = tmp_path / "summary.json"
    _run(datagen, "run", "--customers", "40", "--seed", "5", "--sink", "null", "-q", "--summary-json", summary,
         cwd=tmp_path)
    rows = {r["entity"]: r for r in json.loads(summary.read_text())["rows"]}
    assert rows["customer"]["acknowledged"] == 40 and rows["trade"]["acknowledged"] > 0


@pytest.mark.slow
def test_make_dist_builds_every_distribution(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    make = shutil.which("make")
    assert make is not None, "make is needed to build the distributions"
    venv = Path(sys.executable).parents[1]
    # this environment is set up already: -o keeps make from reinstalling it
    _run(make, "--no-print-directory", "-C", REPO, "-o", f"{venv}/bin/.installed", "dist", f"DIST_DIR={out}",
         "BUILD_FLAGS=--no-isolation", f"VENV={venv}")
    names = sorted(p.name for p in out.iterdir())
    for name, folder in OURS.items():
        stem = name.replace("-", "_")
        if name == "datagen-kernel":  # a platform wheel: the json writer's C helper is in it
            (wheel,) = [n for n in names if n.startswith(f"{stem}-0.1.0-") and n.endswith(".whl")]
            with zipfile.ZipFile(out / wheel) as zf:
                assert any(n.startswith("datagen_kernel/codecs/_assemble.") and n.endswith((".so", ".pyd"))
                           for n in zf.namelist()), wheel
            assert not wheel.endswith("-py3-none-any.whl"), wheel
        else:
            assert f"{stem}-0.1.0-py3-none-any.whl" in names, (folder, names)
        assert f"{stem}-0.1.0.tar.gz" in names, (folder, names)
    assert len(names) == 2 * len(OURS)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts}


def test_pip_install_of_a_plugin_folder_leaves_it_clean(tmp_path: Path) -> None:
    """A non-editable ``pip install FOLDER`` writes nothing into FOLDER (no build/, no *.egg-info)."""
    sources = tmp_path / "src"
    sources.mkdir()
    made = CliRunner().invoke(make_cli(), ["new-plugin", "loyalty", "--directory", str(sources)])
    assert made.exit_code == 0, made.output
    folders = [sources / "datagen-plugin-loyalty"]
    for folder in [*PLUGINS, *EXAMPLES]:
        shutil.copytree(folder, sources / folder.name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist"))
        folders.append(sources / folder.name)
    before = {f: _files(f) for f in folders}
    _run(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", tmp_path / "target", *folders)
    assert {f.name: sorted(_files(f) - before[f]) for f in folders} == {f.name: [] for f in folders}
    installed = {p.name for p in (tmp_path / "target").glob("*.dist-info")}
    assert len(installed) == len(folders) and "datagen_plugin_loyalty-0.1.0.dist-info" in installed


def test_the_json_writer_s_c_helper_is_built_where_a_c_compiler_is() -> None:
    if not (shutil.which("cc") or shutil.which("gcc")) or os.environ.get("DATAGEN_NO_NATIVE"):
        pytest.skip("no C compiler here (or DATAGEN_NO_NATIVE set): the kernel is built without its C helper")
    import importlib

    try:
        importlib.import_module("datagen_kernel.codecs._assemble")
    except ImportError as exc:
        raise AssertionError("a C compiler is here but the kernel was installed without the json writer's C "
                             f"helper ({exc}); reinstall it: pip install -e .") from exc


@pytest.mark.slow
def test_the_kernel_builds_without_its_c_helper(tmp_path: Path) -> None:
    """Where no C compiler is found (here: ``DATAGEN_NO_NATIVE=1``) the kernel is a pure wheel."""
    kernel = tmp_path / "kernel"
    shutil.copytree(REPO / "datagen_kernel", kernel / "datagen_kernel",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"))
    for name in ("pyproject.toml", "README.md", "hatch_build.py"):
        shutil.copy2(REPO / name, kernel / name)
    env = {**_clean_env(), "DATAGEN_NO_NATIVE": "1"}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--wheel-dir", str(tmp_path / "out"), str(kernel)],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    assert wheel.name == "datagen_kernel-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        assert not [n for n in zf.namelist() if n.endswith((".so", ".pyd"))]
