import multiprocessing as mp


def hello():
    print("hello from a child")


if "__main__" == __name__:
    mp.freeze_support()
    print("main process")
    p = mp.Process(target=hello)
    p.start()
    p.join()
else:
    print("imported")
