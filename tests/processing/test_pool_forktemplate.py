"""A fork Pool forks its replacement workers from a single-threaded template process.

So no worker is forked from the multi-threaded parent (a possible deadlock, and a
DeprecationWarning on Python 3.12+), the template and its workers end with the pool or
with a parent killed by SIGKILL, and a dead template falls back to forking directly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import processing
from freezekit.guard import run_guarded
from processing.pool import Pool

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(not sys.platform.startswith("linux")
                       or "fork" not in processing.allStartMethods(),
                       reason="the fork template is used on Linux with the fork start method"),
]


def pids(_=None):
    return os.getpid(), os.getppid()


def exit_hard(_=None):
    os._exit(5)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_gone(pid_list, limit=5.0):
    deadline = time.monotonic() + limit
    while any(_alive(pid) for pid in pid_list) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pid_list if _alive(pid)]


def test_replacement_workers_are_forked_by_the_template():
    pool = processing.getContext("fork").Pool(1, maxtasksperchild=1)
    template = pool._core.template
    try:
        seen = [pool.apply(pids) for _ in range(4)]
        assert len({pid for pid, _ in seen}) == 4  # a new worker for each task
        assert seen[0][1] == os.getpid()  # the first worker is ours
        assert {ppid for _, ppid in seen[1:]} == {template._process.pid}
        assert all(w.name.startswith("PoolWorker-") for w in pool._pool)
        assert pool.map(pids, range(3), chunksize=1)[0][1] == template._process.pid
    finally:
        pool.terminate()
        pool.join(20)
    assert template._process.exitcode is not None
    assert not _wait_gone([pid for pid, _ in seen])


def test_a_dead_worker_is_replaced_through_the_template_and_reported():
    with processing.getContext("fork").Pool(1) as pool:
        template_pid = pool._core.template._process.pid
        with pytest.raises(processing.pool.WorkerLostError, match="exit code 5"):
            pool.apply(exit_hard)
        assert pool.apply(pids)[1] == template_pid
        with pytest.raises(processing.pool.WorkerLostError, match="exit code 5"):
            pool.apply(exit_hard)  # a worker forked by the template reports its exit too
        assert pool.apply(pids)[1] == template_pid


def test_a_killed_template_falls_back_to_forking_directly():
    with processing.getContext("fork").Pool(1, maxtasksperchild=1) as pool:
        template = pool._core.template._process
        template.kill()
        template.join(10)
        results = [pool.apply(pids) for _ in range(3)]
        assert all(ppid == os.getpid() for _, ppid in results[1:])


def test_a_substituted_process_class_is_used_for_replacements_too():
    class Counting(Pool):
        made = 0

        @staticmethod
        def Process(context, *args, **kwds):
            Counting.made += 1
            return context.Process(*args, **kwds)

    with Counting(1, maxtasksperchild=1, context=processing.getContext("fork")) as pool:
        assert pool._core.template is None
        assert [pool.apply(pids)[1] for _ in range(3)] == [os.getpid()] * 3
    assert Counting.made >= 3


PARENT = """
import os, sys, time
import processing

def pids(_=None):
    return os.getpid(), os.getppid()

def die(_=None):
    os._exit(1)

if __name__ == "__main__":
    pool = processing.getContext("fork").Pool(1)
    try:
        pool.apply(die)
    except processing.pool.WorkerLostError:
        pass
    worker, template = pool.apply(pids)  # the replacement, forked by the template
    print(worker, template, flush=True)
    time.sleep(60)
"""


def test_the_template_and_its_workers_do_not_outlive_a_parent_killed_with_sigkill(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(PARENT))
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                              text=True, start_new_session=True, cwd=tmp_path)
    try:
        found = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(found) == 2 and all(_alive(pid) for pid in found)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        assert not _wait_gone(found)
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        parent.stdout.close()


NO_WARNING = """
import os, warnings, processing
from processing.futures import ProcessPoolExecutor
def square(x):
    return x * x
def die(x):
    os._exit(1)
if __name__ == "__main__":
    warnings.simplefilter("error", DeprecationWarning)
    ctx = processing.getContext("fork")
    with ctx.Pool(2) as first, ctx.Pool(2, maxtasksperchild=1) as second:
        assert first.map(square, range(10)) == [x * x for x in range(10)]
        assert second.map(square, range(6), chunksize=1) == [x * x for x in range(6)]
        try:
            first.apply(die, (1,))
        except processing.pool.WorkerLostError:
            pass
        assert first.apply(square, (3,)) == 9
    with ProcessPoolExecutor(2, mp_context=ctx, max_tasks_per_child=1) as ex:
        assert list(ex.map(square, range(4))) == [0, 1, 4, 9]
    print("no warning")
"""


@pytest.mark.skipif(sys.version_info < (3, 12),
                    reason="Python 3.12+ warns when a multi-threaded process forks")
def test_no_multithreaded_fork_warning_from_the_pool(tmp_path):
    # Issue 11 item 7: workers, second pools, replacements: none forks in a process our
    # threads made multi-threaded.
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(NO_WARNING))
    result = run_guarded([sys.executable, "-W", "error::DeprecationWarning", str(script)],
                         timeout=60, max_procs=12, cwd=tmp_path)
    assert "multi-threaded" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no warning"
