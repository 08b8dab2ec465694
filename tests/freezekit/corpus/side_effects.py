import threading
from multiprocessing import Pool


def negate(x):
    return -x


def announce():
    print("thread ran")


t = threading.Thread(target=announce)
t.start()
t.join()

if __name__ == "__main__":
    with Pool(2) as pool:
        print(pool.map(negate, [1, 2]))
