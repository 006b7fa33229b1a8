"""Hostile scenario files: time and peak memory of ``zengshou simulate run`` refusing them.

Each file is given to the real command line in a fresh process (``_measure.measure``): the
time is that of the command (imports it makes included, the interpreter's start excluded), the
peak is the whole process's resident memory. Before issue 17 the "billion laughs" took
``simulate run`` past 3 GB in 44 s and a 50 MB list under an unknown key past 1.5 GB in 60 s;
the target is a refusal in under 1 s and 200 MB.

    .venv/bin/python benchmarks/bench_hostile_yaml.py            # the built-in cases
    .venv/bin/python benchmarks/bench_hostile_yaml.py --json F   # one file, figures as JSON
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from _measure import measure

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "baseline.yaml"

_SETUP = "from zengshou.cli import main"
_STMT = """
import contextlib, io, sys
error = io.StringIO()
with contextlib.redirect_stderr(error):
    try:
        main(["simulate", "run", {path!r}])
    except SystemExit as exit:
        code = exit.code
assert code == 1 and {expect!r} in error.getvalue(), (code, error.getvalue())
"""


def refusal(path: Path, expect: str = "") -> dict[str, float]:
    """Seconds and peak MiB of ``zengshou simulate run PATH``, which must fail with status 1
    and a message holding ``expect``."""
    figures = measure(_SETUP, _STMT.format(path=str(path), expect=expect))
    return {
        "bytes": path.stat().st_size,
        "seconds": round(figures["seconds"], 3),
        "peak_mib": round(figures["peak_bytes"] / 2**20, 1),
    }


def _cases(folder: Path) -> dict[str, Path]:
    big = folder / "list_under_unknown_key.yaml"
    with open(big, "w", encoding="utf-8") as handle:  # 50 MB, as found
        handle.write(f"name: big\nbase: {BASE}\nunknown_key:\n")
        handle.writelines(f"  - {i}\n" for i in range(5_000_000))
    near = folder / "list_just_under_the_limit.yaml"
    with open(near, "w", encoding="utf-8") as handle:  # parsed, then the key is refused
        handle.write(f"name: near\nbase: {BASE}\nunknown_key:\n")
        handle.writelines(f"  - {i}\n" for i in range(23_000))
    return {
        "billion laughs": ROOT / "tests" / "simulation" / "bad_scenarios" / "billion_laughs.yaml",
        "50 MB list under an unknown key": big,
        "list under an unknown key, in limit": near,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="measure this one file; print JSON")
    parser.add_argument("--expect", default="", help="text the refusal must hold (--json)")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(refusal(args.json, args.expect)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in _cases(Path(tmp)).items():
            got = refusal(path)
            print(
                f"{name:<34} {got['bytes'] / 2**20:>7.2f} MiB file: refused in "
                f"{got['seconds']:.2f} s, peak {got['peak_mib']:.0f} MiB"
            )


if __name__ == "__main__":
    sys.exit(main())
