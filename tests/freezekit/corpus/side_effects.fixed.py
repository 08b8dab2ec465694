import threading
from multiprocessing import Pool
from multiprocessing import freeze_support


def negate(x):
    return -x


def announce():
    print("thread ran")


t = threading.Thread(target=announce)

if __name__ == "__main__":
    freeze_support()
    t.start()
    t.join()
    with Pool(2) as pool:
        print(pool.map(negate, [1, 2]))
