"""``datagen tui``: a terminal interface (Textual) to configure, preview, run and watch a generation.

Everything it offers comes from the installed plugins through the kernel's registry; a run is
``datagen run ... --progress-json -`` in a subprocess, so it behaves exactly as on the command line.
"""

from datagen_plugin_tui.model import Catalog, RunForm

__all__ = ["Catalog", "RunForm"]
