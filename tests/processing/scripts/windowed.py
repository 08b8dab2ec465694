"""A program run as a windowed (GUI) program is: no sys.stdout, no sys.stderr, in it and in
every child (the test's sitecustomize sets them to None at start-up, before this runs).

``windowed.py METHOD REPORT`` starts children with processing and writes what happened, as
JSON, to the file REPORT, since it has nowhere to print.
"""

import json
import os
import sys

import processing

TIMEOUT = 30


def streams(queue):
    queue.put({"stdout": sys.stdout is not None, "stderr": sys.stderr is not None,
               "original_stderr": sys.__stderr__ is not None, "pid": os.getpid()})
    print("a child's print goes somewhere harmless")
    if sys.stderr is not None:  # a fork child is a copy of its parent, streams included
        sys.stderr.write("a child's write to sys.stderr too\n")


def fails():
    raise ValueError("the target failed in a windowed child")


if __name__ == "__main__":
    method, report_path = sys.argv[1], sys.argv[2]
    ctx = processing.getContext(method)
    queue = ctx.Queue()
    child = ctx.Process(target=streams, args=(queue,))
    child.start()
    seen = queue.get(timeout=TIMEOUT)
    child.join(TIMEOUT)
    failing = ctx.Process(target=fails)
    failing.start()
    failing.join(TIMEOUT)
    with open(report_path, "w", encoding="utf-8") as report:
        json.dump({"parent_stdout": sys.stdout is not None, "child": seen,
                   "child_exitcode": child.exitcode, "failing_exitcode": failing.exitcode,
                   "other_pid": seen["pid"] != os.getpid()}, report)
