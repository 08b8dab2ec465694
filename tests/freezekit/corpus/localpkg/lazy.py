from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


def start_workers():
    with ProcessPoolExecutor(2) as executor:
        return list(executor.map(square, [1, 2, 3]))
