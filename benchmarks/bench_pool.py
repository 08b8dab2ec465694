"""processing's Pool against the stdlib's Pool and concurrent.futures, in one run.

    python3 benchmarks/bench_pool.py [--quick] [--json PATH]

Per-task overhead is measured with a task that does nothing: the wall time of N tasks
divided by N, in microseconds, on pools started once (start-up is not counted). The three
sides run in interleaved rounds and the medians are compared; ``ratio`` is processing over
the stdlib Pool, and the concurrent.futures figure is reported beside it.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Timer, main, row, selected

import processing

WORKERS = 2  # the machine's cores: more workers only add contention
METHOD = "fork"


def _noop(x: object) -> object:
    return x


def _map_chunk1(pool: object, n: int) -> float:
    with Timer() as t:
        if isinstance(pool, concurrent.futures.Executor):
            list(pool.map(_noop, range(n), chunksize=1))
        else:
            pool.map(_noop, range(n), chunksize=1)
    return t.elapsed / n * 1e6


def _apply_async(pool: object, n: int) -> float:
    with Timer() as t:
        if isinstance(pool, concurrent.futures.Executor):
            futures = [pool.submit(_noop, i) for i in range(n)]
            for future in futures:
                future.result()
        else:
            results = [pool.apply_async(_noop, (i,)) for i in range(n)]
            for result in results:
                result.get()
    return t.elapsed / n * 1e6


def _map_default(pool: object, n: int) -> float:
    with Timer() as t:
        if isinstance(pool, concurrent.futures.Executor):
            # Executor.map has no automatic chunk size; give it the stdlib Pool's choice.
            list(pool.map(_noop, range(n), chunksize=-(-n // (WORKERS * 4))))
        else:
            pool.map(_noop, range(n))
    return t.elapsed / n * 1e6


SCENARIOS = [
    # (name, function, tasks quick, tasks full, target)
    ("Pool.map chunksize=1, per-task overhead", _map_chunk1, 5_000, 20_000, "<= 0.8"),
    ("Pool.applyAsync, per-task overhead", _apply_async, 5_000, 20_000, "<= 0.8"),
    ("Pool.map default chunksize, per item", _map_default, 100_000, 400_000, "<= 1.0"),
]


def _pools() -> dict[str, object]:
    return {
        "processing": processing.getContext(METHOD).Pool(WORKERS),
        "stdlib": multiprocessing.get_context(METHOD).Pool(WORKERS),
        "futures": concurrent.futures.ProcessPoolExecutor(
            WORKERS, mp_context=multiprocessing.get_context(METHOD)),
    }


def _close(pools: dict[str, object]) -> None:
    for pool in pools.values():
        if isinstance(pool, concurrent.futures.Executor):
            pool.shutdown()
        else:
            pool.close()
            pool.join()


def run(quick: bool) -> list[dict]:
    """Every pool scenario as rows: processing and the stdlib Pool, concurrent.futures noted."""
    rounds = 5 if quick else 11
    rows = []
    pools = _pools()
    try:
        for name, measure, n_quick, n_full, target in SCENARIOS:
            if not selected(name):
                continue
            n = n_quick if quick else n_full
            figures: dict[str, list[float]] = {side: [] for side in pools}
            order = list(pools)
            for side in order:  # warm-up: starts every worker, fills caches
                measure(pools[side], n // 10)
            for i in range(rounds):
                # Rotate who goes first, so no side always runs on a "warmer" machine.
                for side in order[i % 3:] + order[: i % 3]:
                    figures[side].append(measure(pools[side], n))
            medians = {side: statistics.median(values) for side, values in figures.items()}
            result = row(name, medians["processing"], medians["stdlib"], "us/task", target,
                         note=f"concurrent.futures: {medians['futures']:.3g} us/task")
            result["futures"] = medians["futures"]
            rows.append(result)
    finally:
        _close(pools)
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
