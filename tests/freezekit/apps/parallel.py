"""Parallel code that is not ours, frozen: joblib, loky and multiprocess in one app.

``parallel joblib|loky|multiprocess`` prints one line of JSON with the results. joblib and
loky are used as their users write them, with no ``freeze_support()``; multiprocess as its
own examples are written (uqfoundation/multiprocess ``examples/``: ``freeze_support()``
first under the main guard, a spawn Pool mapping a lambda, which only dill can pickle, and a
Process that answers through a Queue).
"""

import json
import os
import sys

TIMEOUT = 60


def square(x):
    return x * x


def run_joblib():
    from joblib import Parallel, delayed

    return {"joblib": Parallel(n_jobs=2)(delayed(square)(i) for i in range(10)),
            "backend": "loky"}


def run_loky():
    from loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=2, timeout=10)
    pids = set(executor.map(_pid, range(4)))
    return {"loky": list(executor.map(square, range(10))), "other_pids": os.getpid() not in pids}


def _pid(_):
    return os.getpid()


def _answer(queue):
    import multiprocess

    queue.put(("multiprocess child", multiprocess.current_process().name))


def run_multiprocess():
    import multiprocess

    ctx = multiprocess.get_context("spawn")
    with ctx.Pool(2) as pool:
        squares = pool.map(lambda x: x * x, range(10))
    queue = ctx.Queue()
    child = ctx.Process(target=_answer, args=(queue,))
    child.start()
    answer = queue.get(timeout=TIMEOUT)
    child.join(TIMEOUT)
    return {"multiprocess": squares, "child": list(answer), "child_exitcode": child.exitcode}


RUNS = {"joblib": run_joblib, "loky": run_loky, "multiprocess": run_multiprocess}


if __name__ == "__main__":
    if sys.argv[1:2] == ["multiprocess"]:
        import multiprocess

        multiprocess.freeze_support()
    print(json.dumps(RUNS[sys.argv[1]]()), flush=True)
