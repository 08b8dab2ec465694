from multiprocessing import Pool as WorkerPool
from multiprocessing import freeze_support


def double(x):
    return 2 * x


def run():
    with WorkerPool(2) as pool:
        return pool.map(double, [1, 2, 3])


def main():
    print("doubled", run())


if __name__ == "__main__":
    freeze_support()
    main()
