"""A processing app with a guard but no freezeSupport()."""
from processing import Process, Queue


def producer(q):
    q.put(42)


if __name__ == "__main__": q = Queue(); p = Process(target=producer, args=(q,)); p.start(); print(q.get()); p.join()
