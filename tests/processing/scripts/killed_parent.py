"""A parent that starts children, reports their pids and waits to be SIGKILLed.

    killed_parent.py METHOD [--plain] [--from-thread]

Starts two daemonic children (from the main thread, or with --from-thread from a thread
that then ends), the fork server and the resource tracker, and with --plain a
non-daemonic child as well; prints their pids as one JSON line, then sleeps.
"""

import json
import os
import sys
import threading
import time
from multiprocessing import resource_tracker

import processing
from processing._backend import forkserver


def sleep():
    time.sleep(300)


def answer(conn):
    while True:
        conn.send(conn.recv())


if __name__ == "__main__":
    method = sys.argv[1]
    ctx = processing.getContext(method)
    resource_tracker.ensure_running()
    forkserver.ensure_running()
    daemons = []
    ping, pong = ctx.Pipe()

    def start_daemons():
        daemons.append(ctx.Process(target=answer, args=(pong,), daemon=True))
        daemons.append(ctx.Process(target=sleep, daemon=True))
        for child in daemons:
            child.start()

    if "--from-thread" in sys.argv:
        starter = threading.Thread(target=start_daemons)
        starter.start()
        starter.join()
    else:
        start_daemons()
    # The first daemon answers after its starter thread has ended: a parent-death signal
    # tied to that thread would have killed it by now.
    ping.send("ping")
    answered = ping.poll(60) and ping.recv() == "ping"
    plain = None
    if "--plain" in sys.argv:
        plain = ctx.Process(target=sleep)
        plain.start()
    print(json.dumps({
        "parent": os.getpid(),
        "answered": answered,
        "daemons": [child.pid for child in daemons],
        "plain": plain.pid if plain else None,
        "forkserver": forkserver._forkserver._pid,
        "tracker": resource_tracker._resource_tracker._pid,
    }), flush=True)
    time.sleep(300)
