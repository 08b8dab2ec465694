"""The guidelines' unsafe main module: it starts a process at import time (no main guard)."""

import processing


def foo():
    print("hello")


p = processing.Process(target=foo)
p.start()
p.join(30)
raise SystemExit(p.exitcode)
