from multiprocessing import Process

p = Process(target=lambda: print("never"))
p.start()
p.join()
