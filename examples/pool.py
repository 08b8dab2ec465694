"""A pool of worker processes: map, an asynchronous call, and an error that comes back.

PROCESSING_START_METHOD=spawn python3 examples/pool.py
"""

from processing import Pool, freezeSupport


def cube(n):
    return n ** 3


def divide(a, b):
    return a / b


if __name__ == "__main__":
    freezeSupport()
    with Pool(2) as pool:
        print("map:", pool.map(cube, range(8)))
        result = pool.applyAsync(divide, (22, 7))
        print("applyAsync:", round(result.get(timeout=30), 3))
        try:
            pool.apply(divide, (1, 0))
        except ZeroDivisionError as exc:
            print("the worker's error came back:", type(exc).__name__)
