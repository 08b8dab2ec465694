from multiprocessing import Pool, freeze_support


def scale(x):
    return x * FACTOR + offset()


def offset():
    return OFFSET


if __name__ == "__main__":
    freeze_support()
    FACTOR = 3
    OFFSET = 1
    with Pool(2) as pool:
        print(pool.map(scale, [1, 2]))
