"""A forkserver child reports whether ``tests.processing._preloaded`` was imported before it
started, and by which process. ``--preload`` names the module in set_forkserver_preload."""

import json
import os
import sys

import processing

MODULE = "tests.processing._preloaded"


def report(q):
    module = sys.modules.get(MODULE)
    q.put({"preloaded": module is not None,
           "imported_in": getattr(module, "IMPORTED_IN", None),
           "forked_by": os.getppid()})


if __name__ == "__main__":
    if "--preload" in sys.argv:
        processing.set_forkserver_preload(["__main__", MODULE])
    ctx = processing.get_context("forkserver")
    q = ctx.Queue()
    p = ctx.Process(target=report, args=(q,))
    p.start()
    seen = q.get(timeout=60)
    p.join(60)
    import multiprocessing.forkserver as stdlib_forkserver

    seen["parent_imported_it"] = MODULE in sys.modules
    seen["stdlib_server_started"] = stdlib_forkserver._forkserver._forkserver_pid is not None
    seen["exitcode"] = p.exitcode
    print(json.dumps(seen))
