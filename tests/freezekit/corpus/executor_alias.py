import concurrent.futures as cf


def cube(x):
    return x ** 3


with cf.ProcessPoolExecutor(max_workers=2) as executor:
    print(sorted(executor.map(cube, [1, 2, 3])))
