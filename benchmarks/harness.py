"""Fair comparisons of processing against a baseline: interleaved rounds, medians, ratios.

Every bench module measures a scenario as two callables (processing's side and the
baseline's) that each return one figure. The machine is shared and noisy, so the sides
alternate round by round (ABAB...) and the median of each side is reported. Rows print as
one table, whether a bench module runs on its own (``main``) or under ``run.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Callable

__all__ = ["Timer", "compare", "main", "print_table", "row", "selected"]

#: Set by ``run.py --only``: run only the scenarios whose name contains it.
only: str = ""

COLUMNS = ("scenario", "processing", "stdlib", "unit", "ratio", "target", "met?")


def row(scenario: str, processing: float, stdlib: float, unit: str, target: str,
        note: str = "") -> dict:
    """One result row; ``ratio`` is processing/stdlib for throughputs, the same for latencies,
    and ``target`` reads ``">= 1.3"`` (throughput) or ``"<= 1.0"`` (latency)."""
    ratio = processing / stdlib if stdlib else float("nan")
    op, _, value = target.partition(" ")
    met = ratio >= float(value) if op == ">=" else ratio <= float(value)
    return {"scenario": scenario, "processing": processing, "stdlib": stdlib, "unit": unit,
            "ratio": ratio, "target": target, "met": met, "note": note}


def selected(scenario: str) -> bool:
    """Whether ``--only`` lets this scenario run."""
    return only.lower() in scenario.lower()


def compare(scenario: str, ours: Callable[[], float], baseline: Callable[[], float],
            rounds: int, unit: str, target: str, note: str = "",
            warmup: int = 1) -> dict | None:
    """Measure ``ours`` and ``baseline`` alternately ``rounds`` times; the row of medians
    (None when ``--only`` leaves the scenario out)."""
    if not selected(scenario):
        return None
    for _ in range(warmup):
        ours()
        baseline()
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        # Alternate which side goes first, so neither always runs on a "warmer" machine.
        if i % 2:
            b.append(baseline())
            a.append(ours())
        else:
            a.append(ours())
            b.append(baseline())
    return row(scenario, statistics.median(a), statistics.median(b), unit, target, note)


class Timer:
    """``with Timer() as t: ...`` then ``t.elapsed`` in seconds (perf_counter)."""

    def __enter__(self) -> Timer:  # noqa: PYI034 (Self needs 3.11)
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.start


def _figure(value: object) -> str:
    if not isinstance(value, (int, float)):
        return str(value)
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _cells(r: dict) -> list[str]:
    met = r.get("met")
    return [
        str(r.get("scenario", "?")),
        _figure(r.get("processing", "")),
        "" if r.get("stdlib") is None else _figure(r["stdlib"]),
        str(r.get("unit", "")),
        _figure(r.get("ratio", "")) if r.get("ratio") is not None else "",
        str(r.get("target", "")),
        "" if met is None else ("yes" if met else "NO"),
    ]


def print_table(rows: list[dict]) -> None:
    """The rows as an aligned text table on stdout, then their notes."""
    table = [list(COLUMNS)] + [_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    for n, line in enumerate(table):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(line, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for r in rows:
        if r.get("note"):
            print(f"  note: {r['scenario']}: {r['note']}")


def main(run: Callable[[bool], list[dict]], doc: str, argv: list[str] | None = None) -> int:
    """The command line of a bench module run on its own: ``[--quick] [--json PATH]``, then
    ``run(quick)``'s rows as a table (``doc``, the module's docstring, gives the help)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, as run.py --quick")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON to PATH")
    args = parser.parse_args(argv)
    rows = [r for r in run(args.quick) if r]
    print_table(rows)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=2)
    return 0
