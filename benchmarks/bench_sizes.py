"""Every public transfer path against the stdlib, over message sizes from 64 B to 64 MiB.

Paths: a Pipe's ``send``/``recv`` of bytes objects, ``send_bytes``/``recv_bytes``,
``send_bytes``/``recv_bytes_into``; a Queue's ``put``/``get`` and ``putMany``/``getMany``;
``Pool.map``; and a bare ``os.pipe`` copy as the ceiling for the pipe paths. Each figure is
MB/s from a parent to a forked child (for the pool: into its workers), measured from the
moment the child is ready until it has acknowledged the last message.

    python3 benchmarks/bench_sizes.py [--quick] [--json PATH]

``benchmarks/plot.py`` draws the rows as throughput against size (an SVG).
"""

from __future__ import annotations

import multiprocessing
import sys
from functools import partial

from bench_core import _raw_pipe_rate
from harness import Timer, compare, main, selected

import processing

LIBS = {"processing": processing, "stdlib": multiprocessing}
KIB = 1 << 10
MIB = 1 << 20
SIZES = [64, 4 * KIB, 64 * KIB, 256 * KIB, MIB, 4 * MIB, 16 * MIB, 64 * MIB]
QUICK_SIZES = [64, 64 * KIB, 4 * MIB]


def _count(size: int, pipe: bool = False) -> int:
    """Messages per measurement, between 4 and 20,000: about 16 MiB moved, and 16 times
    that through a bare Pipe, whose 4 MiB of 64 KiB messages take a millisecond. A window
    that short measures the child's wake-up as much as the transfer: send/recv of 64 KiB,
    seven rounds each, gave a median ratio of 1.11 with 64 messages, 1.38 and 1.37 with
    1,024 and 4,096; a queue's put/get of 64 KiB, 0.96 with 64 in a quick run, 1.26 to
    1.65 with 256 in full ones. ``--quick`` measures fewer sizes and rounds, not less."""
    volume = 16 * MIB * (16 if pipe else 1)
    return max(4, min(20_000, volume // size))


def _payloads(size: int, n: int) -> list[bytes]:
    """``n`` distinct bytes objects of ``size`` bytes: a batch or a pool chunk of one object
    repeated would pickle it once and the rest as references."""
    base = bytearray(size)
    out = []
    for i in range(n):
        if size:
            base[i % size] = (base[i % size] + 1) % 256
        out.append(bytes(base))
    return out


def _label(size: int) -> str:
    return f"{size // MIB} MiB" if size >= MIB else f"{size // KIB} KiB" if size >= KIB else f"{size} B"


# ---------------------------------------------------------------------------------- pipes


def _pipe_sink(conn, how: str, n: int, size: int) -> None:
    conn.send_bytes(b"ready")
    if how == "recv":
        for _ in range(n):
            conn.recv()
    elif how == "recv_bytes":
        for _ in range(n):
            conn.recv_bytes()
    else:
        buf = bytearray(size)
        for _ in range(n):
            conn.recv_bytes_into(buf)
    conn.send_bytes(b"done")


def _pipe_rate(lib: str, how: str, size: int, n: int) -> float:
    ctx = LIBS[lib].get_context("fork")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_pipe_sink, args=(theirs, how, n, size))
    child.start()
    ours.recv_bytes()
    data = b"x" * size
    send = ours.send if how == "recv" else ours.send_bytes
    with Timer() as t:
        for _ in range(n):
            send(data)
        ours.recv_bytes()
    child.join()
    ours.close()
    theirs.close()
    return n * size / t.elapsed / 1e6


def _raw_rate(size: int, n: int) -> float:
    """A bare ``os.pipe`` copy in MB/s: the least work any pipe transfer must do."""
    return _raw_pipe_rate(n, size) * size / 1e6


# --------------------------------------------------------------------------------- queues


def _queue_sink(q, done, n: int, batch: int) -> None:
    q_get = q.get
    got = 0
    if batch > 1:
        while got < n:
            got += len(q.getMany(batch, timeout=60))
    else:
        for _ in range(n):
            q_get(timeout=60)
    done.put("done")


def _queue_rate(lib: str, size: int, n: int, batch: int) -> float:
    ctx = LIBS[lib].get_context("fork")
    q = ctx.Queue()
    done = ctx.Queue()
    child = ctx.Process(target=_queue_sink, args=(q, done, n, batch))
    child.start()
    data = _payloads(size, n)
    with Timer() as t:
        if batch > 1:
            for start in range(0, n, batch):
                q.putMany(data[start:start + batch])
        else:
            for item in data:
                q.put(item)
        done.get(timeout=120)
    child.join()
    for queue in (q, done):
        queue.close()
        queue.join_thread()
    return n * size / t.elapsed / 1e6


# ----------------------------------------------------------------------------------- pool


def _length(data: bytes) -> int:
    return len(data)


def _pool_rate(lib: str, size: int, n: int) -> float:
    with LIBS[lib].get_context("fork").Pool(2) as pool:
        pool.map(_length, [b""] * 4)  # workers started and warm
        data = _payloads(size, n)
        with Timer() as t:
            sizes = pool.map(_length, data)
    assert sizes == [size] * n
    return n * size / t.elapsed / 1e6


# -------------------------------------------------------------------------------- the run


def run(quick: bool) -> list[dict]:
    rounds = 3 if quick else 7
    rows = []

    def add(path: str, size: int, ours, theirs, note: str = "") -> None:
        r = compare(f"{path}, {_label(size)}", ours, theirs, rounds=rounds, unit="MB/s",
                    target=">= 1.0", note=note)
        if r:
            r.update(path=path, size=size)
            rows.append(r)

    for size in QUICK_SIZES if quick else SIZES:
        n = _count(size)
        piped = _count(size, pipe=True)
        for how, path in (("recv", "Pipe send/recv"),
                          ("recv_bytes", "Pipe send_bytes/recv_bytes"),
                          ("recv_bytes_into", "Pipe send_bytes/recv_bytes_into")):
            add(path, size, partial(_pipe_rate, "processing", how, size, piped),
                partial(_pipe_rate, "stdlib", how, size, piped))
        if size >= MIB and selected(f"Pipe vs raw os.pipe, {_label(size)}"):
            r = compare(f"Pipe vs raw os.pipe, {_label(size)}",
                        partial(_pipe_rate, "processing", "recv_bytes", size, piped),
                        partial(_raw_rate, size, piped), rounds=rounds, unit="MB/s",
                        target=">= 0.7", note="send_bytes/recv_bytes; the stdlib column is a "
                        "bare os.pipe copy")
            if r:
                r.update(path="raw os.pipe", size=size)
                rows.append(r)
        add("Queue put/get", size, partial(_queue_rate, "processing", size, n, 1),
            partial(_queue_rate, "stdlib", size, n, 1))
        add("Queue putMany/getMany", size, partial(_queue_rate, "processing", size, n, 100),
            partial(_queue_rate, "stdlib", size, n, 1),
            note="the stdlib has no batch API: its put/get per item")
        add("Pool map", size, partial(_pool_rate, "processing", size, n),
            partial(_pool_rate, "stdlib", size, n))
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
