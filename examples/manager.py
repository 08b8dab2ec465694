"""A manager's shared dict and list, changed by several processes.

Join every child before the main process ends (the guideline "Not letting the manager die
early"): the manager's server ends with the main process.
PROCESSING_START_METHOD=spawn python3 examples/manager.py
"""

from processing import Manager, Process, freezeSupport


def record(shared, log, n):
    shared[n] = n * 10
    log.append(n)


if __name__ == "__main__":
    freezeSupport()
    with Manager() as manager:
        shared, log = manager.dict(), manager.list()
        children = [Process(target=record, args=(shared, log, n)) for n in range(4)]
        for p in children:
            p.start()
        for p in children:
            p.join(60)
        print("dict:", dict(sorted(shared.items())))
        print("list:", sorted(log))
