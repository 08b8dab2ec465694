"""The target is defined under the main guard, so a spawned child cannot find it."""

import processing

if __name__ == "__main__":

    def foo():
        print("hello")

    p = processing.Process(target=foo)
    p.start()
    p.join(30)
    raise SystemExit(p.exitcode)
