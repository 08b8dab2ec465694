"""A program that mixes processing and stdlib objects, each library at its default start method.

Prints one JSON line: both libraries' start methods and what a child of each saw.
"""

import json
import multiprocessing

import processing


def work(stdlib_q, our_q, stdlib_lock, our_lock, stdlib_value, our_value, proxy, who):
    with stdlib_lock:
        stdlib_value.value += 1
    with our_lock:
        our_value.value += 10
    proxy.append(who)
    stdlib_q.put(f"{who} to a stdlib queue")
    our_q.put(f"{who} to a processing queue")


if __name__ == "__main__":
    stdlib_q, our_q = multiprocessing.Queue(), processing.Queue()
    stdlib_lock, our_lock = multiprocessing.Lock(), processing.Lock()
    stdlib_value, our_value = multiprocessing.Value("i", 0), processing.Value("i", 0)
    results = {}
    with multiprocessing.Manager() as stdlib_manager, processing.Manager() as our_manager:
        for who, Process, proxy in [("processing", processing.Process, stdlib_manager.list()),
                                    ("stdlib", multiprocessing.Process, our_manager.list())]:
            p = Process(target=work, args=(stdlib_q, our_q, stdlib_lock, our_lock,
                                           stdlib_value, our_value, proxy, who))
            p.start()
            got = sorted([stdlib_q.get(timeout=60), our_q.get(timeout=60)])
            p.join(60)
            results[who] = {"exitcode": p.exitcode, "got": got, "proxy": list(proxy)}
    print(json.dumps({
        "methods": [processing.get_start_method(), multiprocessing.get_start_method()],
        "results": results,
        "values": [stdlib_value.value, our_value.value],
    }))
