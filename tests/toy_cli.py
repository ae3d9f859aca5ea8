"""Runs the datagen CLI with only the toy pack and the json sink (for subprocess tests)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import datagen_plugin_json.plugin as json_plugin
import toy_pack

from datagen_kernel.cli import make_cli
from datagen_kernel.engine.plugins import make_plugin_host

if __name__ == "__main__":
    host = make_plugin_host(entrypoints=False, plugins=[toy_pack, json_plugin])
    make_cli(lambda: host).main(prog_name="datagen")
