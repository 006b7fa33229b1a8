"""Time and peak memory of the synthetic panel generator at 20,000, 200,000 and 2.1 million
households (targets at full scale: under 2 minutes and under 6 GiB).

Run: .venv/bin/python benchmarks/bench_synthetic.py [--sizes 20000,200000,2100000]
"""

from __future__ import annotations

import argparse

from _measure import measure

SETUP = "from forecast.synthetic import synthesize_panel"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,200000,2100000")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{'households':>12} {'rows':>12} {'seconds':>9} {'peak GiB':>9}")
    for size in map(int, args.sizes.split(",")):
        stmt = f"panel = synthesize_panel({size}, seed={args.seed}, as_of=2022)"
        result = measure(SETUP, stmt)
        print(
            f"{size:>12,} {size * 7:>12,} {result['seconds']:>9.1f} {result['peak_bytes'] / 2**30:>9.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
