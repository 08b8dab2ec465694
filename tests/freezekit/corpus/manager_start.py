from multiprocessing.managers import SyncManager

manager = SyncManager()
manager.start()
shared = manager.dict()
shared["answer"] = 42
print("shared", dict(shared))
manager.shutdown()
