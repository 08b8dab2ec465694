from multiprocessing import Pool, freeze_support


def inc(x):
    return x + 1


if __name__ == "__main__":
    freeze_support()
    with Pool(2) as pool:
        print(pool.map(inc, [1, 2, 3]))
