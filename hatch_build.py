"""Build hook of datagen-kernel: the json writer's C helper (``datagen_kernel/codecs/_assemble.c``).

Compiled into the wheel (a platform wheel then), or next to its source for an editable install.
Where no C compiler is found the kernel is built without it, with a warning: the json writer
then takes its numpy path, which writes the same bytes, more slowly. ``DATAGEN_NO_NATIVE=1``
builds without it on purpose.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = "datagen_kernel/codecs/_assemble.c"
MODULE = "datagen_kernel/codecs/_assemble"


def compile_extension(source: Path, target: Path) -> None:
    """``source`` compiled as the extension module ``_assemble`` into ``target`` (setuptools
    finds the compiler and flags this Python was built with)."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    with tempfile.TemporaryDirectory(prefix="datagen-native-") as tmp:
        dist = Distribution({"name": "datagen-kernel",
                             "ext_modules": [Extension("_assemble", [str(source)], extra_compile_args=["-O2"])]})
        command = build_ext(dist)
        command.build_lib = tmp
        command.build_temp = os.path.join(tmp, "objects")
        command.ensure_finalized()
        command.run()
        built = next(Path(tmp).glob("_assemble*" + sysconfig.get_config_var("EXT_SUFFIX")))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)


class NativeHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("DATAGEN_NO_NATIVE"):
            return
        name = MODULE + sysconfig.get_config_var("EXT_SUFFIX")
        editable = version == "editable"
        self._scratch = None if editable else tempfile.mkdtemp(prefix="datagen-native-")
        target = Path(self.root if self._scratch is None else self._scratch) / name
        try:
            compile_extension(Path(self.root) / SOURCE, target)
        except Exception as exc:  # no compiler, no headers: the numpy path
            self.app.display_warning(f"datagen-kernel: the json writer's C helper was not built ({exc}); "
                                     "its numpy path writes the same bytes, more slowly")
            return
        if not editable:
            build_data["force_include"][str(target)] = name
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
