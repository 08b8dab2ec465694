"""Squares numbers in a pool created at module level."""
import multiprocessing as mp

N = 4  # how many numbers


def square(x):
    return x * x


# The pool starts as soon as the module is imported.
pool = mp.Pool(2)
results = pool.map(square, range(N))
pool.close()
pool.join()


def report(values):
    return "squares: " + " ".join(map(str, values))


print(report(results))
