from localpkg.lazy import start_workers
from multiprocessing import freeze_support

if __name__ == "__main__":
    freeze_support()
    print("squares", start_workers())
