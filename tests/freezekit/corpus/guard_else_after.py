import multiprocessing as mp


def hello():
    print("hello from a child")


if "__main__" == __name__:
    print("main process")
else:
    print("imported")

p = mp.Process(target=hello)
p.start()
p.join()
