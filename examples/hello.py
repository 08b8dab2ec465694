"""The final example of the processing programming guidelines, in Python 3.

Safe to import in a child and safe to freeze: processes start only under the main guard,
and freezeSupport() comes first there.
"""

from processing import Process, freezeSupport


def foo():
    print("hello")


if __name__ == "__main__":
    freezeSupport()
    p = Process(target=foo)
    p.start()
    p.join()
