"""Run a Python snippet in a fresh process and report its wall time and peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

_RUNNER = """
import json, resource, sys, time
setup, stmt = sys.argv[1], sys.argv[2]
namespace = {}
exec(setup, namespace)
start = time.perf_counter()
exec(stmt, namespace)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak_bytes": peak}))
"""


def measure(setup: str, stmt: str) -> dict[str, float]:
    """Time ``stmt`` after ``setup`` in a new interpreter; return seconds and peak RSS bytes.

    The peak covers the whole process (imports and setup included): it is what the machine
    must have free to run the statement.
    """
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER, textwrap.dedent(setup), textwrap.dedent(stmt)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])
