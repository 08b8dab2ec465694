"""The app of issue 11, as a new user writes it: stdlib only, the default start method, no
freeze_support(). It prints 285. POOL_APP_METHOD, if set, picks the start method; with
POOL_APP_SELFRUN=1 it instead runs its own executable twice with subprocess (as an app may
do deliberately): once with ordinary arguments, once with a made-up launch, and prints what
both did as JSON.
"""

import json
import multiprocessing as mp
import os
import subprocess
import sys

# A launch form no release produces (yet): a fork server given an extra keyword.
MADE_UP = ["-B", "-c", ("import sys; from multiprocessing.forkserver import main; "
           "main(3, 4, ['__main__'], sys_argv=sys.argv[1:], argv_fd=9, **{'authkey_r': 8})"),
           "app"]


def sq(x):
    return x * x


def selfrun():
    env = {k: v for k, v in os.environ.items() if k != "POOL_APP_SELFRUN"}
    ordinary = subprocess.run([sys.executable, "--ordinary", "argument"], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
    made_up = subprocess.run([sys.executable, *MADE_UP], env=env, capture_output=True,
                             text=True, timeout=120, check=False)
    return {"ordinary": [ordinary.returncode, ordinary.stdout, ordinary.stderr],
            "made_up": [made_up.returncode, made_up.stdout, made_up.stderr]}


if __name__ == "__main__":
    if os.environ.get("POOL_APP_SELFRUN") == "1":
        print(json.dumps(selfrun()))
        sys.exit(0)
    if os.environ.get("POOL_APP_METHOD"):
        mp.set_start_method(os.environ["POOL_APP_METHOD"])
    with mp.Pool(2) as pool:
        print(sum(pool.map(sq, range(10))))
