"""Run every benchmark: processing and the stdlib side by side, as ratios.

    python3 benchmarks/run.py [--quick] [--json PATH] [--only SUBSTR]

Each ``bench_*.py`` beside this file exposes ``run(quick) -> list[dict]``; the rows are
printed as one table and written as JSON (default ``benchmarks/results/latest.json``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def _modules() -> list[str]:
    names = sorted(n[:-3] for n in os.listdir(HERE) if n.startswith("bench_") and n.endswith(".py"))
    # The core primitives first: the other scenarios build on them.
    return sorted(names, key=lambda n: n != "bench_core")


def _rows_of(module: object, quick: bool) -> list[dict]:
    """A module's rows: ``run(quick)``, or for a stand-alone script (``bench_check``) its
    ``main()`` JSON as one row with an absolute target."""
    if hasattr(module, "run"):
        return [r for r in module.run(quick) if r]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.json")
        module.main([*(["--quick"] if quick else []), "--json", path])  # type: ignore[attr-defined]
        with open(path) as source:
            got = json.load(source)
    ms = got["median_s"] * 1000
    return [{"scenario": f"freezekit {got['benchmark']}, {got['lines']:,} lines",
             "processing": ms, "stdlib": None, "unit": "ms", "ratio": None,
             "target": "< 200 ms", "met": ms < 200}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under 2 minutes)")
    parser.add_argument("--json", default=os.path.join(HERE, "results", "latest.json"),
                        help="where to write the results (default: %(default)s)")
    parser.add_argument("--only", default="",
                        help="run only scenarios (or bench modules) whose name contains this")
    args = parser.parse_args(argv)

    sys.path.insert(0, HERE)
    import harness

    started = time.perf_counter()
    rows: list[dict] = []
    failed: list[str] = []
    for name in _modules():
        module_selected = args.only.lower() in name.lower()
        harness.only = "" if module_selected else args.only
        try:
            module = importlib.import_module(name)
            got = _rows_of(module, args.quick)
        except Exception:  # noqa: BLE001 (one broken bench must not hide the others)
            traceback.print_exc()
            failed.append(name)
            continue
        if not module_selected:
            got = [r for r in got if harness.selected(str(r.get("scenario", "")))]
        for r in got:
            r.setdefault("module", name)
        rows.extend(got)
        print(f"[{name}: {len(got)} scenarios, {time.perf_counter() - started:.0f} s]",
              file=sys.stderr, flush=True)

    harness.print_table(rows)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as out:
        json.dump({"python": platform.python_version(), "platform": platform.platform(),
                   "cpus": os.cpu_count(), "quick": args.quick, "failed": failed,
                   "seconds": round(time.perf_counter() - started, 1), "rows": rows},
                  out, indent=2)
    print(f"\n{len(rows)} scenarios in {time.perf_counter() - started:.0f} s; "
          f"JSON in {args.json}")
    if any(r.get("path") for r in rows):
        import plot

        svg = os.path.join(os.path.dirname(os.path.abspath(args.json)), "sizes.svg")
        with open(svg, "w") as out:
            out.write(plot.render(rows))
        print(f"throughput against message size drawn in {svg}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
