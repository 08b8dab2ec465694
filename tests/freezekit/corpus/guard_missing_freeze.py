import multiprocessing


def work(n):
    return n + 1


def main():
    multiprocessing.freeze_support()
    with multiprocessing.Pool(2) as pool:
        print(pool.map(work, [1, 2, 3]))


if __name__ == '__main__':
    main()
