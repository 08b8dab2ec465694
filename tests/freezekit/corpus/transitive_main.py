from multiprocessing import Pool as WorkerPool


def double(x):
    return 2 * x


def run():
    with WorkerPool(2) as pool:
        return pool.map(double, [1, 2, 3])


def main():
    print("doubled", run())


main()
