"""The engine: loading plugins, planning a run, executing its blocks, delivering to sinks.

Internal to the kernel: plugin authors import ``datagen_kernel.api``. The run's path reads
``plugins`` (what is installed) -> ``plan`` (what the user asked for, checked) -> ``run``
(blocks generated, validated, transformed, encoded, delivered) -> the summary.
"""
