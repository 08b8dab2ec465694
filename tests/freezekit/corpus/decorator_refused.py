import multiprocessing


def registered(pool):
    def wrap(func):
        return func
    return wrap


@registered(multiprocessing.Pool(2))
def task(x):
    return x


if __name__ == "__main__":
    print(task(1))
