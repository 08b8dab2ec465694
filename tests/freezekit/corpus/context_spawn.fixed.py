import multiprocessing

def child(q):
    q.put("from the child")


if __name__ == "__main__":
    multiprocessing.freeze_support()
    multiprocessing.set_start_method("spawn", force=True)
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=child, args=(q,))
    proc.start()
    print(q.get())
    proc.join()
