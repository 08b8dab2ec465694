import joblib
import multiprocess
from loky import get_reusable_executor


def square(x):
    return x * x


pool = multiprocess.Pool(2)
executor = get_reusable_executor(max_workers=2)
squares = joblib.Parallel(n_jobs=2)(joblib.delayed(square)(i) for i in range(3))
threaded = joblib.Parallel(n_jobs=2, prefer="threads")(joblib.delayed(square)(i) for i in range(3))
print(squares, threaded, pool.map(square, [4]), list(executor.map(square, [5])))
