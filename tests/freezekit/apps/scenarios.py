"""One app, many scenarios: what must work inside a frozen program, run one at a time.

``scenarios SCENARIO [--method M] [--freeze-support WHICH] [--exit N]`` prints one line of
JSON with what happened. Its argparse rejects unknown arguments, so a child launch that
reached it would fail loudly. It calls freeze_support() only when asked, in several ways,
to show that the call is optional and harmless. With ``SCENARIO_UNGUARDED=1`` it starts a
process at import time, as an unguarded app would (the tests build it with --no-check).
The ``joblib``, ``loky`` and ``multiprocess`` scenarios run parallel code that is not ours,
as its users write it.
"""

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import sys
import threading
from multiprocessing import shared_memory

import processing

TIMEOUT = 30


def _put(queue, value):
    queue.put(value)


def _send_pid(conn, queue):
    conn.send(("pipe", os.getpid()))
    queue.put(("queue", os.getpid()))


def _square(x):
    return x * x


def _fill(shared):
    shared["child"] = os.getpid()


def _write_shm(name):
    shm = shared_memory.SharedMemory(name=name)
    shm.buf[:5] = b"hello"
    shm.close()


def _grandparent(queue, method):
    ctx = processing.getContext(method)
    inner = ctx.Queue()
    child = ctx.Process(target=_put, args=(inner, ("grandchild", os.getpid())))
    child.start()
    queue.put(inner.get(timeout=TIMEOUT))
    child.join(TIMEOUT)


def _meipass(queue):
    queue.put(getattr(sys, "_MEIPASS", None))


if os.environ.get("SCENARIO_UNGUARDED") == "1":
    # At import time, outside the main guard: every child would repeat this.
    _unguarded_queue = processing.Queue()
    _unguarded = processing.Process(target=_put, args=(_unguarded_queue, "unguarded child"))
    _unguarded.start()
    _unguarded.join(TIMEOUT)
    print(json.dumps({"unguarded_exitcode": _unguarded.exitcode}), flush=True)
    sys.exit(0)


def run_processing(method):
    ctx = processing.getContext(method)
    queue = ctx.Queue()
    receiver, sender = ctx.Pipe()
    child = ctx.Process(target=_send_pid, args=(sender, queue))
    child.start()
    got_queue = queue.get(timeout=TIMEOUT)
    got_pipe = receiver.recv() if receiver.poll(TIMEOUT) else None
    child.join(TIMEOUT)
    with ctx.Pool(2) as pool:
        squares = pool.map(_square, range(6))
    with ctx.Manager() as manager:
        shared = manager.dict()
        filler = ctx.Process(target=_fill, args=(shared,))
        filler.start()
        filler.join(TIMEOUT)
        managed = dict(shared)
    return {"queue": got_queue[0], "pipe": got_pipe[0], "child_exitcode": child.exitcode,
            "other_pid": got_queue[1] != os.getpid(), "pool": squares,
            "manager": sorted(managed), "filler_exitcode": filler.exitcode}


def run_stdlib(method):
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    child = ctx.Process(target=_put, args=(queue, "stdlib child"))
    child.start()
    got = queue.get(timeout=TIMEOUT)
    child.join(TIMEOUT)
    with ctx.Pool(2) as pool:
        squares = pool.map(_square, range(6))
    shm = shared_memory.SharedMemory(create=True, size=16)
    try:
        writer = ctx.Process(target=_write_shm, args=(shm.name,))
        writer.start()
        writer.join(TIMEOUT)
        written = bytes(shm.buf[:5]).decode()
    finally:
        shm.close()
        shm.unlink()
    return {"queue": got, "child_exitcode": child.exitcode, "pool": squares,
            "shared_memory": written, "writer_exitcode": writer.exitcode}


def run_executor(method):
    context = multiprocessing.get_context(method)
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        return {"executor": list(pool.map(_square, range(6), timeout=TIMEOUT))}


def run_threads(method):
    ctx = processing.getContext(method)
    queue = ctx.Queue()
    children = []
    lock = threading.Lock()

    def start(i):
        child = ctx.Process(target=_put, args=(queue, i))
        child.start()
        with lock:
            children.append(child)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    got = sorted(queue.get(timeout=TIMEOUT) for _ in range(4))
    for child in children:
        child.join(TIMEOUT)
    return {"threads": got, "exitcodes": sorted(c.exitcode for c in children)}


def run_nested(method):
    ctx = processing.getContext(method)
    queue = ctx.Queue()
    child = ctx.Process(target=_grandparent, args=(queue, method))
    child.start()
    kind, pid = queue.get(timeout=TIMEOUT)
    child.join(TIMEOUT)
    return {"nested": kind, "child_exitcode": child.exitcode, "other_pid": pid != os.getpid()}


def _pid(_):
    return os.getpid()


def _answer_multiprocess(queue):
    import multiprocess

    queue.put(("multiprocess child", multiprocess.current_process().name))


def run_joblib(method):
    """joblib as its users write it: the default (loky) backend, no freeze_support()."""
    from joblib import Parallel, delayed

    return {"joblib": Parallel(n_jobs=2)(delayed(_square)(i) for i in range(6))}


def run_loky(method):
    """loky's reusable executor, no freeze_support()."""
    from loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=2, timeout=10)
    pids = set(executor.map(_pid, range(4), timeout=TIMEOUT))
    squares = list(executor.map(_square, range(6), timeout=TIMEOUT))
    executor.shutdown(wait=True)
    return {"loky": squares, "other_pids": os.getpid() not in pids}


def run_multiprocess(method):
    """multiprocess as its own examples are written (uqfoundation/multiprocess examples/):
    freeze_support() first in the main guard (see below), a Pool mapping a lambda, which only
    dill pickles, and a Process that answers through a Queue."""
    import multiprocess

    ctx = multiprocess.get_context(method)
    with ctx.Pool(2) as pool:
        squares = pool.map(lambda x: x * x, range(6))
    queue = ctx.Queue()
    child = ctx.Process(target=_answer_multiprocess, args=(queue,))
    child.start()
    answer = queue.get(timeout=TIMEOUT)
    child.join(TIMEOUT)
    return {"multiprocess": squares, "child": answer[0], "child_exitcode": child.exitcode}


def run_meipass(method):
    ctx = processing.getContext(method)
    queue = ctx.Queue()
    child = ctx.Process(target=_meipass, args=(queue,))
    child.start()
    child_dir = queue.get(timeout=TIMEOUT)
    child.join(TIMEOUT)
    return {"parent": getattr(sys, "_MEIPASS", None), "child": child_dir}


def run_argv(method):
    spec = globals().get("__spec__")
    return {"argv": sys.argv[1:], "argv0": os.path.basename(sys.argv[0]),
            "name": __name__, "spec": getattr(spec, "name", None),
            "file": os.path.basename(globals().get("__file__") or "")}


SCENARIOS = {
    "processing": run_processing,
    "stdlib": run_stdlib,
    "executor": run_executor,
    "threads": run_threads,
    "nested": run_nested,
    "meipass": run_meipass,
    "argv": run_argv,
    "joblib": run_joblib,
    "loky": run_loky,
    "multiprocess": run_multiprocess,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--method", default="spawn", choices=processing.allStartMethods())
    parser.add_argument("--freeze-support", default="none",
                        choices=["none", "processing", "stdlib", "spawn-context"])
    parser.add_argument("--exit", type=int, default=0, help="exit with this status")
    args = parser.parse_args()
    result = SCENARIOS[args.scenario](args.method)
    print(json.dumps(result), flush=True)
    return args.exit


if __name__ == "__main__":
    if "--freeze-support=processing" in sys.argv:
        processing.freezeSupport()
    elif "--freeze-support=stdlib" in sys.argv:
        multiprocessing.freeze_support()
    elif "--freeze-support=spawn-context" in sys.argv:
        multiprocessing.get_context("spawn").freeze_support()
    if sys.argv[1:2] == ["multiprocess"]:
        import multiprocess

        multiprocess.freeze_support()
    sys.exit(main())
