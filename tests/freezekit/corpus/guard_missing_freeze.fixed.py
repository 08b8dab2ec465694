import multiprocessing


def work(n):
    return n + 1


def main():
    with multiprocessing.Pool(2) as pool:
        print(pool.map(work, [1, 2, 3]))


if __name__ == '__main__':
    multiprocessing.freeze_support()
    main()
