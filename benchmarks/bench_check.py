"""Time `freezekit check` on a generated 10,000-line main module (target: under 0.2 s).

    python benchmarks/bench_check.py [--quick] [--lines N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from freezekit import check

BLOCK = '''\
def task_{n}(x, scale={n}):
    """Scale and filter one item."""
    total = 0
    for i in range(x):
        if i % 3 == 0:
            total += i * scale
    return total


def run_{n}():
    with multiprocessing.Pool(2) as pool:
        return pool.map(task_{n}, range(10))


CONFIG_{n} = {{"name": "task_{n}", "size": {n}}}
'''


def generate(lines: int) -> str:
    """A module shaped like a real app: many functions, some starting pools, and a guard."""
    parts = ["import multiprocessing\nimport concurrent.futures as cf\n\n"]
    count = len(parts[0].splitlines())
    n = 0
    while count < lines - 4:
        block = BLOCK.format(n=n)
        parts.append(block)
        count += len(block.splitlines())
        n += 1
    parts.append('\nif __name__ == "__main__":\n    multiprocessing.freeze_support()\n    run_0()\n')
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 15")
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "big_app.py"
        app.write_text(generate(args.lines))
        lines = len(app.read_text().splitlines())
        check(app)  # warm up imports and the file cache
        times = []
        for _ in range(3 if args.quick else 15):
            start = time.perf_counter()
            findings = check(app)
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"check on {lines} lines: median {median * 1000:.1f} ms over {len(times)} runs "
          f"(min {min(times) * 1000:.1f} ms), {len(findings)} findings; target < 200 ms")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "benchmark": "check", "lines": lines, "runs": len(times),
            "median_s": median, "min_s": min(times), "findings": len(findings),
        }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
