from multiprocessing import Process
from multiprocessing import freeze_support

if __name__ == "__main__":
    freeze_support()
    p = Process(target=lambda: print("never"))
    p.start()
    p.join()
