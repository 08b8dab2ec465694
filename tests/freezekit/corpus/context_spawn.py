import multiprocessing

multiprocessing.set_start_method("spawn", force=True)
ctx = multiprocessing.get_context("spawn")


def child(q):
    q.put("from the child")


q = ctx.Queue()
proc = ctx.Process(target=child, args=(q,))
proc.start()
print(q.get())
proc.join()
