"""A processing app with a guard but no freezeSupport()."""
from processing import Process, Queue
from processing import freezeSupport


def producer(q):
    q.put(42)


if __name__ == "__main__":
    freezeSupport()
    q = Queue(); p = Process(target=producer, args=(q,)); p.start(); print(q.get()); p.join()
