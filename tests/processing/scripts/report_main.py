"""Guarded main module: a child reports what it sees of argv, ``__main__`` and globals."""

import json
import sys

import processing

CONSTANT = "module level"
changed_after_import = "as imported"


def report(q):
    main = sys.modules["__main__"]
    q.put({
        "argv": sys.argv,
        "module_name": __name__,
        "main_name": main.__name__,
        "main_is_mp_main": main is sys.modules.get("__mp_main__"),
        "constant": CONSTANT,
        "changed_after_import": changed_after_import,
        "name": processing.currentProcess().getName(),
    })


if __name__ == "__main__":
    changed_after_import = "changed by the parent"
    q = processing.Queue()
    p = processing.Process(target=report, args=(q,))
    p.start()
    child = q.get(timeout=30)
    p.join(30)
    print(json.dumps({"parent_argv": sys.argv, "child": child, "exitcode": p.exitcode}))
