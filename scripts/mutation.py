"""Mutation testing on demand (``make mutation``): mutmut over the kernel's core and the codecs.

Each target is a module and the fast unit tests that should kill its mutants; mutmut changes
one thing at a time (an operator, a constant, a comparison...) and reruns those tests. A mutant
that no test kills ("survived") is a behaviour no test pins: docs/testing.md lists them, each
killed by a new test or explained.

String and f-string literals, annotations and decorators are not mutated
(``DISABLED``): in these modules they are error messages, dictionary keys of schemas and type
hints, and mutating them multiplies the run time for little; the error tests pin the messages
that matter. mutmut edits the files in place while it runs (and restores them): do not edit the tree
meanwhile. Results accumulate in ``.mutmut-cache``; ``mutmut results`` lists them and
``mutmut show ID`` shows one mutant. CPU heavy: about one test run per mutant.

    python scripts/mutation.py            # every target
    python scripts/mutation.py normalise  # targets whose name contains "normalise"
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AVRO = "plugins/datagen-plugin-avro"
POSTGRES = "plugins/datagen-plugin-postgres"

TARGETS: list[tuple[str, list[str]]] = [
    ("datagen_kernel/cli/common.py", ["tests/test_kernel_errors.py"]),
    ("datagen_kernel/api/seeding.py", ["tests/test_kernel_seeding.py"]),
    ("datagen_kernel/engine/validation.py", ["tests/test_kernel_validation.py", "tests/test_kernel_schema_rules.py"]),
    ("datagen_kernel/codecs/json.py", ["tests/test_kernel_serializers.py", "tests/test_kernel_jsonlines.py"]),
    ("datagen_kernel/codecs/normalise.py", ["tests/test_kernel_normalise.py"]),
    (f"{POSTGRES}/src/datagen_plugin_postgres/encoding.py",
     [f"{POSTGRES}/tests/test_postgres_units.py", f"{POSTGRES}/tests/test_postgres_columnar.py"]),
    (f"{AVRO}/src/datagen_plugin_avro/codec.py",
     [f"{AVRO}/tests/test_avro_codec.py", f"{AVRO}/tests/test_avro_matrix_encoder.py"]),
    # the planner: its own tests and the error checks first; of the run tests, those that plan routes,
    # options and serializers (the slow determinism, spill and two-phase tests exercise the engine)
    ("datagen_kernel/engine/plan.py",
     ["tests/test_kernel_plan.py", "tests/test_kernel_errors.py", "tests/test_kernel_config.py",
      "tests/test_kernel_run.py",
      "-k", "not debug and not traceback and not byte_identical and not spilled and not two_phases"]),
]
"""(module, the tests that should kill its mutants), cheapest tests first."""


DISABLED = "string,fstring,annassign,decorator"


def runner(tests: list[str]) -> str:
    """The test command of one target. mutmut 2 counts only exit code 1 as "tests failed"; a
    mutant that breaks the import makes pytest exit with 2 (collection error), so any failure
    is turned into 1."""
    pytest = shlex.join([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not integration",
                         "--timeout", "120", *tests])
    return shlex.join(["sh", "-c", f"{pytest} || exit 1"])


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    for module, tests in TARGETS:
        if wanted and not any(w in module for w in wanted):
            continue
        started = time.monotonic()
        print(f"== {module} ({', '.join(tests)})", flush=True)
        subprocess.run([mutmut, "run", "--paths-to-mutate", module, "--tests-dir", "tests", "--runner", runner(tests),
                        "--disable-mutation-types", DISABLED, "--no-progress"], cwd=ROOT, check=False)
        print(f"== {module}: {time.monotonic() - started:.0f} s", flush=True)
    subprocess.run([mutmut, "results"], cwd=ROOT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
