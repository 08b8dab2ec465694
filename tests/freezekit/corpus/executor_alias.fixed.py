import concurrent.futures as cf
from multiprocessing import freeze_support


def cube(x):
    return x ** 3


if __name__ == "__main__":
    freeze_support()
    with cf.ProcessPoolExecutor(max_workers=2) as executor:
        print(sorted(executor.map(cube, [1, 2, 3])))
