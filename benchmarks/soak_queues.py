"""Soak the queues: 10^6 messages of mixed sizes through every queue kind, counts checked.

    python3 benchmarks/soak_queues.py [--messages N] [--method fork|spawn|forkserver]
                                      [--producers P] [--consumers C] [--json PATH]

Producers (child processes) send ``(producer, seq, payload)`` with ``put`` and ``putMany``
(batches of 1-500), payload sizes drawn around the wire's edges (frame header, batch head,
PIPE_BUF, the 64 KiB read buffer and batch limit, big frames up to 1 MiB); consumers (child
processes) take them with ``get`` and ``getMany``. Each consumer checks that every
producer's messages reach it in order and undamaged; the parent checks that every message
arrived exactly once. Not a test (it takes minutes); exit status 1 on any loss, duplicate,
disorder or damage, with a line saying which.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import processing
from processing import queues as wire

KINDS = ("Queue", "BufferedQueue", "JoinableQueue")
_EDGES = (0, 4, 5, 64, 4096, wire._MAX_FRAME, wire._BUFFER_BYTES, 4 * wire._BUFFER_BYTES)


def _size(rng: random.Random) -> int:
    """Mostly small; near an edge one time in eight; a big frame one time in 4000."""
    roll = rng.random()
    if roll < 1 / 4000:
        return rng.randint(wire._BUFFER_BYTES, 1 << 20)
    if roll < 1 / 8:
        return max(0, rng.choice(_EDGES) + rng.randint(-40, 8))
    return rng.randint(0, 300)


def _payload(producer: int, seq: int, size: int) -> bytes:
    return bytes([(producer * 31 + seq) % 256]) * size


def _produce(q, producer: int, count: int, seed: int) -> None:
    rng = random.Random(seed)
    seq = 0
    while seq < count:
        n = min(count - seq, rng.choice((1, 1, 1, rng.randint(2, 500))))
        items = [(producer, s, _payload(producer, s, _size(rng))) for s in range(seq, seq + n)]
        if n == 1:
            q.put(items[0])
        else:
            q.putMany(items)
        seq += n
    q.put((producer, -1, b""))  # this producer is done


def _consume(q, out, producers: int, seed: int) -> None:
    """Take messages until every producer's end mark came; report counts and faults."""
    rng = random.Random(seed)
    last = [-1] * producers
    got = [0] * producers
    ended = 0
    faults: list[str] = []
    joinable = hasattr(q, "task_done")
    while ended < producers:
        batch = (q.getMany(rng.randint(1, 400), timeout=120) if rng.random() < 0.5
                 else [q.get(timeout=120)])
        for producer, seq, data in batch:
            if joinable:
                q.task_done()
            if seq == -1:
                ended += 1
                if ended > producers:  # one more than this consumer needs: the next one's
                    q.put((producer, -1, b""))
                continue
            if seq <= last[producer] and len(faults) < 10:
                faults.append(f"producer {producer}: #{seq} after #{last[producer]}")
            if data != _payload(producer, seq, len(data)) and len(faults) < 10:
                faults.append(f"producer {producer}: #{seq} damaged")
            last[producer] = seq
            got[producer] += 1
    out.put((got, faults))


def soak(kind: str, method: str, messages: int, producers: int, consumers: int) -> dict:
    ctx = processing.getContext(method)
    q, out = getattr(ctx, kind)(), ctx.Queue()
    counts = [messages // producers + (i < messages % producers) for i in range(producers)]
    started = time.perf_counter()
    # Every consumer stops after seeing ``producers`` end marks: each producer sends one,
    # and the parent adds (consumers - 1) * producers more once the producers are done.
    readers = [ctx.Process(target=_consume, args=(q, out, producers, 1000 + i))
               for i in range(consumers)]
    writers = [ctx.Process(target=_produce, args=(q, i, counts[i], i)) for i in range(producers)]
    for p in readers + writers:
        p.start()
    for p in writers:
        p.join()
    for _ in range((consumers - 1) * producers):
        q.put((0, -1, b""))
    results = [out.get(timeout=600) for _ in readers]
    for p in readers:
        p.join(60)
    seconds = time.perf_counter() - started
    got = [sum(r[0][i] for r in results) for i in range(producers)]
    faults = [f for r in results for f in r[1]]
    # Each message is taken by exactly one consumer: per producer, the counts add up.
    faults += [f"producer {i}: {n} of {counts[i]} arrived"
               for i, n in enumerate(got) if n != counts[i]]
    if kind == "JoinableQueue":
        q.join()  # every message was task_done: returns at once
    exitcodes = [p.exitcode for p in readers + writers]
    if any(exitcodes):
        faults.append(f"exit codes {exitcodes}")
    return {"kind": kind, "method": method, "messages": messages,
            "producers": producers, "consumers": consumers, "arrived": sum(got),
            "seconds": round(seconds, 1), "msg_per_s": round(messages / seconds),
            "faults": faults}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000,
                        help="messages per queue kind (default: %(default)s)")
    parser.add_argument("--method", default="fork", choices=processing.allStartMethods())
    parser.add_argument("--producers", type=int, default=3)
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--kinds", default=",".join(KINDS), help="default: %(default)s")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    rows = []
    for kind in args.kinds.split(","):
        row = soak(kind, args.method, args.messages, args.producers, args.consumers)
        rows.append(row)
        verdict = "ok" if not row["faults"] else "FAILED: " + "; ".join(row["faults"])
        print(f"{kind:14} {row['method']:10} {row['arrived']:>9,} of {row['messages']:,} "
              f"in {row['seconds']:>6} s ({row['msg_per_s']:,}/s)  {verdict}", flush=True)
    if args.json:
        with open(args.json, "w") as dest:
            json.dump(rows, dest, indent=2)
    return 1 if any(row["faults"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
