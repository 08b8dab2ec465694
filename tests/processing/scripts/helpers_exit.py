"""Start children with every method and daemons, print the pids of the daemons and of the
helper processes, and exit: none of them may outlive this program."""

import json
import sys
import time
from multiprocessing import resource_tracker

import processing
from processing._backend import forkserver


def nothing():
    pass


def sleep():
    time.sleep(60)


if __name__ == "__main__":
    for method in processing.allStartMethods():
        p = processing.getContext(method).Process(target=nothing)
        p.start()
        p.join(30)
        assert p.exitcode == 0, (method, p.exitcode)
    daemons = [processing.getContext(m).Process(target=sleep, daemon=True)
               for m in processing.allStartMethods()]
    for d in daemons:
        d.start()
    print(json.dumps({
        "daemons": [d.pid for d in daemons],
        "tracker": resource_tracker._resource_tracker._pid,
        "forkserver": forkserver._forkserver._pid,
    }))
    sys.stdout.flush()
