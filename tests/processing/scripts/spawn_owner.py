"""Spawn children of the stdlib and of multiprocess launched as a frozen program launches
them (``EXE --multiprocessing-fork ...``, EXE running processing's dispatch), each reporting
what its own package prepared. ``spawn_owner.py EXE`` prints one line of JSON."""

import json
import multiprocessing
import sys

import multiprocess

TIMEOUT = 30


def report(queue, which):
    package = multiprocess if which == "multiprocess" else multiprocessing
    tracker = __import__(f"{which}.resource_tracker", fromlist=["_resource_tracker"])
    queue.put({"authkey": bytes(package.current_process().authkey).hex(),
               "name": package.current_process().name,
               "tracker_fd_set": tracker._resource_tracker._fd is not None})


if __name__ == "__main__":
    # As in a frozen program: children are `sys.executable --multiprocessing-fork ...`.
    sys.frozen = True
    sys.executable = sys.argv[1]
    result = {}
    for which, package in (("multiprocessing", multiprocessing), ("multiprocess", multiprocess)):
        ctx = package.get_context("spawn")
        queue = ctx.Queue()
        child = ctx.Process(target=report, args=(queue, which), name=f"{which}-child")
        child.start()
        got = queue.get(timeout=TIMEOUT)
        child.join(TIMEOUT)
        with ctx.Manager() as manager:  # its server is a spawn child too; it needs the authkey
            shared = manager.list([which])
            managed = list(shared)
        result[which] = {
            "same_authkey": got["authkey"] == bytes(package.current_process().authkey).hex(),
            "name": got["name"], "tracker_fd_set": got["tracker_fd_set"],
            "exitcode": child.exitcode, "manager": managed}
    print(json.dumps(result), flush=True)
