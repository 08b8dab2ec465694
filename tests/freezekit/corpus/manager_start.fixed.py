from multiprocessing.managers import SyncManager
from multiprocessing import freeze_support

manager = SyncManager()
if __name__ == "__main__":
    freeze_support()
    manager.start()
    shared = manager.dict()
    shared["answer"] = 42
    print("shared", dict(shared))
    manager.shutdown()
