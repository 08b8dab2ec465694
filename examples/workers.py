"""Worker processes fed from a task queue, the pattern of the programming guidelines.

The task queue is a BufferedQueue, so the main process can push every task before it reads
a single result without a deadlock: its put() never blocks. Run it under any start method:
PROCESSING_START_METHOD=spawn python3 examples/workers.py
"""

from processing import BufferedQueue, Process, Queue, currentProcess, freezeSupport

NUMBER_OF_WORKERS = 4
NUMBER_OF_TASKS = 200


def square(n):
    return n * n


def worker(tasks, results):
    """Run tasks until the None sentinel; send back (task, result, worker name)."""
    for n in iter(tasks.get, None):
        results.put((n, square(n), currentProcess().getName()))


if __name__ == "__main__":
    freezeSupport()
    tasks, results = BufferedQueue(), Queue()
    for n in range(NUMBER_OF_TASKS):
        tasks.put(n)
    workers = [Process(target=worker, args=(tasks, results)) for _ in range(NUMBER_OF_WORKERS)]
    for p in workers:
        p.start()
    done = sorted(results.get(timeout=60) for _ in range(NUMBER_OF_TASKS))
    for _ in workers:
        tasks.put(None)
    for p in workers:
        p.join(60)
    assert [n for n, _, _ in done] == list(range(NUMBER_OF_TASKS))
    assert all(result == square(n) for n, result, _ in done)
    print(f"{NUMBER_OF_TASKS} tasks done by {len({name for _, _, name in done})} workers, "
          f"sum of squares {sum(result for _, result, _ in done)}")
