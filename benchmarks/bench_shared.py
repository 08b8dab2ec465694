"""Shared memory and managers against the stdlib: element access and a manager round trip.

    python3 benchmarks/bench_shared.py [--quick] [--json PATH]

Element access is timed in this process on objects in shared memory (what a child sees is
the same memory, so the cost per access is the same there). Each side gets fresh objects;
the sides alternate round by round and the medians are compared.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from multiprocessing import managers as stdlib_managers
from multiprocessing import sharedctypes as stdlib_sharedctypes
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Timer, compare, main

import processing
from processing import managers, sharedctypes

#: Items per array; every array starts as range(SIZE), so both sides read the same ints
#: (reading zeros would hit the small-int cache and flatter whichever side holds them).
SIZE = 1000


def _read_value(value, ops: int) -> float:
    with Timer() as t:
        for _ in range(ops):
            value.value  # noqa: B018 - the access is what is measured
    return ops / t.elapsed


def _write_value(value, ops: int) -> float:
    with Timer() as t:
        for i in range(ops):
            value.value = i
    return ops / t.elapsed


def _read_items(array, ops: int) -> float:
    indices = [i % SIZE for i in range(ops)]
    with Timer() as t:
        for i in indices:
            array[i]
    return ops / t.elapsed


def _write_items(array, ops: int) -> float:
    indices = [i % SIZE for i in range(ops)]
    with Timer() as t:
        for i in indices:
            array[i] = i
    return ops / t.elapsed


def _dict_round_trips(manager_class, ctx, ops: int) -> float:
    """Round trips per second through a dict of a manager started for this round.

    A fresh server each round: where the scheduler places a server process relative to this
    one (on the same CPU or not) sets the wall time of every round trip for as long as that
    server lives, so one long-lived pair of managers measures that placement, 0.5x to 2x."""
    with manager_class(ctx=ctx) as manager:
        shared_dict = manager.dict()
        shared_dict["key"] = 0  # the proxy connects on first use: not a round trip
        with Timer() as t:
            for i in range(ops):
                shared_dict["key"] = i
                shared_dict["key"]
    return ops / t.elapsed


def _process_cpu(pid: int) -> float:
    """CPU seconds used so far by process ``pid``, all its threads: Linux's per-process CPU
    clock, whose id glibc's ``clock_getcpuclockid`` computes the same way."""
    return time.clock_gettime(((~pid) << 3) | 2)


def _dict_round_trips_per_cpu_second(manager_class, ctx, ops: int) -> float:
    """Round trips per second of CPU spent on them by this process and the server together
    (a fresh server each round, as for the wall time).

    Wall time of a round trip is mostly the two wake-ups, which a busy machine stretches
    either way; the CPU both sides spend is what the implementation decides."""
    with manager_class(ctx=ctx) as manager:
        shared_dict = manager.dict()
        shared_dict["key"] = 0
        server = manager.server_pid()._getvalue()
        client0, server0 = time.process_time(), _process_cpu(server)
        for i in range(ops):
            shared_dict["key"] = i
            shared_dict["key"]
        spent = time.process_time() - client0 + _process_cpu(server) - server0
    return ops / spent


class _OurManager(managers.SyncManager):
    """Ours, able to name its server's pid (to read that process's CPU clock)."""


class _StdlibManager(stdlib_managers.SyncManager):
    """The stdlib's, able to name its server's pid."""


for _manager in (_OurManager, _StdlibManager):
    _manager.register("server_pid", os.getpid)


def run(quick: bool) -> list[dict]:
    """Every shared-memory and manager scenario, as rows for ``run.py``."""
    rounds = 5 if quick else 15
    ops = 100_000 if quick else 300_000
    # Many short rounds for the manager, each on a server of its own (see _dict_round_trips).
    trips, trip_rounds = (500, 21) if quick else (1_000, 41)
    ours, theirs = processing.getContext("fork"), multiprocessing.get_context("fork")

    def pair(measure, make_ours, make_theirs, n=ops):
        return (lambda: measure(make_ours(), n)), (lambda: measure(make_theirs(), n))

    scenarios = [
        ("Value read (synchronized)", _read_value,
         lambda: sharedctypes.Value("d", 1.0, ctx=ours),
         lambda: stdlib_sharedctypes.Value("d", 1.0, ctx=theirs)),
        ("Value write (synchronized)", _write_value,
         lambda: sharedctypes.Value("d", 1.0, ctx=ours),
         lambda: stdlib_sharedctypes.Value("d", 1.0, ctx=theirs)),
        ("Array item read (synchronized)", _read_items,
         lambda: sharedctypes.Array("i", range(SIZE), ctx=ours),
         lambda: stdlib_sharedctypes.Array("i", range(SIZE), ctx=theirs)),
        ("Array item write (synchronized)", _write_items,
         lambda: sharedctypes.Array("i", range(SIZE), ctx=ours),
         lambda: stdlib_sharedctypes.Array("i", range(SIZE), ctx=theirs)),
        ("RawValue read (same ctypes type: parity)", _read_value,
         lambda: sharedctypes.RawValue("d", 1.0),
         lambda: stdlib_sharedctypes.RawValue("d", 1.0)),
        ("RawArray item read (same ctypes type: parity)", _read_items,
         lambda: sharedctypes.RawArray("i", range(SIZE)),
         lambda: stdlib_sharedctypes.RawArray("i", range(SIZE))),
        ("SharedArray item read vs stdlib RawArray", _read_items,
         lambda: processing.SharedArray("i", range(SIZE)),
         lambda: stdlib_sharedctypes.RawArray("i", range(SIZE))),
        # A SharedArray store is range-checked as struct does (an unchecked RawArray wraps
        # 2**40 to 0), so its peer is the stdlib's checked-by-lock Array, not a RawArray.
        ("SharedArray item write (range-checked) vs stdlib Array", _write_items,
         lambda: processing.SharedArray("i", range(SIZE)),
         lambda: stdlib_sharedctypes.Array("i", range(SIZE), ctx=theirs)),
        ("SharedArray item read vs stdlib Array", _read_items,
         lambda: processing.SharedArray("i", range(SIZE)),
         lambda: stdlib_sharedctypes.Array("i", range(SIZE), ctx=theirs)),
    ]
    # Raw objects are the very same ctypes types on both sides, so equal speed is the most
    # there is to have; a ratio within the machine's noise of 1 is what "as fast" means.
    rows = [
        compare(name, *pair(measure, make_ours, make_theirs), rounds=rounds, unit="ops/s",
                target=">= 0.95" if "parity" in name or "RawArray" in name else ">= 1.0")
        for name, measure, make_ours, make_theirs in scenarios
    ]

    rows.append(compare(
        "Manager dict set+get round trip",
        lambda: _dict_round_trips(_OurManager, ours, trips),
        lambda: _dict_round_trips(_StdlibManager, theirs, trips),
        rounds=trip_rounds, unit="trips/s", target=">= 1.0"))
    if sys.platform.startswith("linux"):
        rows.append(compare(
            "Manager dict set+get round trip, CPU of client + server",
            lambda: _dict_round_trips_per_cpu_second(_OurManager, ours, trips),
            lambda: _dict_round_trips_per_cpu_second(_StdlibManager, theirs, trips),
            rounds=trip_rounds, unit="trips/cpu-s", target=">= 1.0"))
    return [row for row in rows if row is not None]


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
