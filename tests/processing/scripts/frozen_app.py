"""A program that behaves as if frozen: ``sys.frozen`` is set and ``sys.executable`` is a
launcher that runs this file, so children re-enter it as ``<exe> --processing-launch ...``
and the stdlib's helpers as ``<exe> [flags] -c ...``, as in a PyInstaller executable.

FROZEN_EXE (the launcher) is given in the environment by the test.
"""

import os
import sys

sys.frozen = True
sys.executable = os.environ["FROZEN_EXE"]

import json

import processing


def work(q, n):
    q.put((n * 2, sys.argv, processing.currentProcess().getName()))


if __name__ == "__main__":
    processing.freezeSupport()
    results = {}
    for method in sys.argv[1:]:
        ctx = processing.getContext(method)
        q = ctx.Queue()
        p = ctx.Process(target=work, args=(q, 21))
        p.start()
        results[method] = q.get(timeout=30)
        p.join(30)
        results[method] += (p.exitcode,)
    from multiprocessing import resource_tracker, spawn

    tracker = resource_tracker._resource_tracker._pid
    with open(f"/proc/{tracker}/cmdline", "rb") as f:
        tracker_cmd = f.read().decode().split("\0")
    print(json.dumps({"argv": sys.argv, "results": results, "tracker_cmd": tracker_cmd,
                      "spawn_exe": os.fsdecode(spawn.get_executable())}))
