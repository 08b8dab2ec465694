"""The core primitives against the stdlib: start+join, Pipe, Queue, Lock, Value.

Each figure comes from its own child processes and its own pipes or queues, made afresh
for every round, so neither side inherits the other's state. Throughputs are measured in
the parent from the moment the children are ready until the last object has arrived.

    python3 benchmarks/bench_core.py [--quick] [--json PATH]
"""

from __future__ import annotations

import multiprocessing
import os
import sys

from harness import Timer, compare, main, selected

import processing

SMALL = b"x" * 256
MIB = 1 << 20
LIBS = {"processing": processing, "stdlib": multiprocessing}


def _noop() -> None:
    pass


def _start_join_ms(lib: str, method: str, k: int) -> float:
    ctx = LIBS[lib].get_context(method)
    with Timer() as t:
        for _ in range(k):
            p = ctx.Process(target=_noop)
            p.start()
            p.join()
    return t.elapsed / k * 1000


# -------------------------------------------------------------------------------- pipes


def _pipe_sink(conn, n: int) -> None:
    conn.send("ready")
    recv = conn.recv
    for _ in range(n):
        recv()
    conn.send(n)


def _pipe_rate(lib: str, obj: bytes, n: int) -> float:
    """Objects per second sent with ``send()`` and received with ``recv()`` in a child."""
    ctx = LIBS[lib].get_context("fork")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_pipe_sink, args=(theirs, n))
    child.start()
    ours.recv()
    send = ours.send
    with Timer() as t:
        for _ in range(n):
            send(obj)
        ours.recv()
    child.join()
    ours.close()
    theirs.close()
    return n / t.elapsed


def _raw_sink(fd: int, ack: int, n: int, size: int) -> None:
    view = memoryview(bytearray(size))
    for _ in range(n):
        got = 0
        while got < size:
            got += os.readv(fd, [view[got:]])
    os.write(ack, b"k")


def _raw_pipe_rate(n: int, size: int) -> float:
    """Bytes objects per second through a bare ``os.pipe``: the copy any pipe must make."""
    data_r, data_w = os.pipe()
    ack_r, ack_w = os.pipe()
    child = multiprocessing.get_context("fork").Process(
        target=_raw_sink, args=(data_r, ack_w, n, size))
    child.start()
    obj = b"x" * size
    with Timer() as t:
        for _ in range(n):
            view = memoryview(obj)
            while view:
                view = view[os.write(data_w, view):]
        os.read(ack_r, 1)
    child.join()
    for fd in (data_r, data_w, ack_r, ack_w):
        os.close(fd)
    return n / t.elapsed


# ------------------------------------------------------------------------------- queues


def _producer(q, go, n: int, batch: int, size: int) -> None:
    q.put("ready")
    go.wait()
    obj = b"x" * size
    if batch > 1:
        chunk = [obj] * batch
        for _ in range(n // batch):
            q.putMany(chunk)
    else:
        put = q.put
        for _ in range(n):
            put(obj)


def _queue_rate(lib: str, producers: int, n: int, batch: int = 1,
                size: int = len(SMALL)) -> float:
    """Objects of ``size`` bytes per second from ``producers`` children (n in all) to one
    consumer, the parent; with ``batch`` > 1, putMany and getMany of that many."""
    ctx = LIBS[lib].get_context("fork")
    q = ctx.Queue()
    go = ctx.Event()
    children = [ctx.Process(target=_producer, args=(q, go, n // producers, batch, size))
                for _ in range(producers)]
    for c in children:
        c.start()
    for _ in children:
        q.get(timeout=30)
    total = n // producers * producers
    with Timer() as t:
        go.set()
        if batch > 1:
            got = 0
            while got < total:
                got += len(q.getMany(batch, timeout=30))
        else:
            get = q.get
            for _ in range(total):
                get()
    for c in children:
        c.join()
    q.close()
    return total / t.elapsed


# ------------------------------------------------------------------------ lock and value


def _lock_rate(lib: str, n: int) -> float:
    lock = LIBS[lib].Lock()
    with Timer() as t:
        for _ in range(n):
            with lock:
                pass
    return n / t.elapsed


def _value_rate(lib: str, n: int) -> float:
    value = LIBS[lib].Value("i", 7)
    lock = value.get_lock()
    with Timer() as t:
        for _ in range(n):
            with lock:
                last = value.value
    assert last == 7
    return n / t.elapsed


# ------------------------------------------------------------------------------- the run


def _pair(fn, *args):
    return (lambda: fn("processing", *args)), (lambda: fn("stdlib", *args))


def run(quick: bool) -> list[dict]:
    """Every core scenario, as rows for ``run.py``."""
    rounds = 5 if quick else 11
    msgs = 20_000 if quick else 60_000
    big = 100 if quick else 300
    rows = []
    for method in processing.allStartMethods():
        k = {"fork": 10, "forkserver": 5}.get(method, 2 if quick else 4)
        rows.append(compare(f"start+join, {method}", *_pair(_start_join_ms, method, k),
                            rounds=rounds, unit="ms", target="<= 1.0"))
    rows.append(compare("Pipe send/recv, 256 B", *_pair(_pipe_rate, SMALL, msgs),
                        rounds=rounds, unit="msg/s", target=">= 1.0"))
    mib = b"x" * MIB
    rows.append(compare("Pipe send/recv, 1 MiB bytes", *_pair(_pipe_rate, mib, big),
                        rounds=rounds, unit="msg/s", target=">= 1.2"))
    if selected("Pipe 1 MiB vs raw os.pipe"):
        rows.append(compare("Pipe 1 MiB vs raw os.pipe", lambda: _pipe_rate("processing", mib, big),
                            lambda: _raw_pipe_rate(big, MIB), rounds=rounds, unit="msg/s",
                            target=">= 0.7", note="the stdlib column is a bare os.pipe copy"))
    rows.append(compare("Queue 1 producer : 1 consumer, 256 B",
                        *_pair(_queue_rate, 1, msgs), rounds=rounds, unit="msg/s",
                        target=">= 1.3"))
    rows.append(compare("Queue 4 producers : 1 consumer, 256 B",
                        *_pair(_queue_rate, 4, msgs), rounds=rounds, unit="msg/s",
                        target=">= 1.3"))
    rows.append(compare("Queue putMany + getMany (100), 256 B",
                        lambda: _queue_rate("processing", 1, msgs, 100),
                        lambda: _queue_rate("stdlib", 1, msgs), rounds=rounds, unit="msg/s",
                        target=">= 3", note="the stdlib has no batch API: its put/get per item"))
    # Sizes on each side of the wire's edges: PIPE_BUF, the 64 KiB read buffer, big frames
    # (--quick leaves them to bench_sizes.py's sweep, which has the queue at three sizes).
    sizes = () if quick else (("64 B", 64, msgs), ("4 KiB", 4096, msgs // 4),
                              ("64 KiB", 64 * 1024, big * 4), ("1 MiB", MIB, big))
    for label, size, count in sizes:
        rows.append(compare(f"Queue put/get, {label}", *_pair(_queue_rate, 1, count, 1, size),
                            rounds=rounds, unit="msg/s", target=">= 1.0"))
        per = 100 if size <= 4096 else 10
        rows.append(compare(f"Queue putMany + getMany ({per}), {label}",
                            lambda c=count, s=size, k=per: _queue_rate("processing", 1, c, k, s),
                            lambda c=count, s=size: _queue_rate("stdlib", 1, c, 1, s),
                            rounds=rounds, unit="msg/s", target=">= 1.0",
                            note="the stdlib has no batch API: its put/get per item"))
    ops = 100_000 if quick else 300_000
    rows.append(compare("Lock acquire+release", *_pair(_lock_rate, ops), rounds=rounds,
                        unit="ops/s", target=">= 1.0"))
    rows.append(compare("Value read under its lock", *_pair(_value_rate, ops), rounds=rounds,
                        unit="ops/s", target=">= 1.0"))
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
