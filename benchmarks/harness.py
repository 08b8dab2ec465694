"""Fair comparisons of processing against a baseline: interleaved rounds, medians, ratios.

Every bench module measures a scenario as two callables (processing's side and the
baseline's) that each return one figure. The machine is shared and noisy, so the sides
alternate round by round (ABAB...) and the median of each side is reported.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

__all__ = ["Timer", "compare", "row", "selected"]

#: Set by ``run.py --only``: run only the scenarios whose name contains it.
only: str = ""

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
