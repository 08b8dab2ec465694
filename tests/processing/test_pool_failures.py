"""Pool: what the stdlib's Pool hangs on fails the one task concerned, and the pool goes on.

Dead workers (os._exit, SIGKILL, a segfault), results and exceptions that cannot cross the
process boundary, BaseException in a task, per-task timeouts, maxtasksperchild, a failing
initializer, and a parent killed with SIGKILL (its workers must not outlive it).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import processing
from processing.pool import BrokenPoolError, WorkerLostError

pytestmark = pytest.mark.timeout(60)


def plus(a, b):
    return a + b


def getpid(_=None):
    return os.getpid()


def exit_hard(code):
    os._exit(code)


def kill_self(_=None):
    os.kill(os.getpid(), signal.SIGKILL)


def segfault(_=None):
    import ctypes
    import faulthandler

    faulthandler.disable()  # pytest's handler, inherited by forked workers, would print
    ctypes.string_at(0)


def die_on(x, bad=3):
    if x == bad:
        os._exit(3)
    return x * 10


def sleep_for(seconds):
    time.sleep(seconds)
    return seconds


def return_a_lock(_=None):
    return threading.Lock()


def raise_base(kind):
    raise {"exit": SystemExit(4), "interrupt": KeyboardInterrupt()}[kind]


class TwoArgError(Exception):
    """An exception that pickles but cannot be unpickled (bpo-35311)."""

    def __init__(self, a, b):
        super().__init__(f"{a}/{b}")


def raise_two_arg(_=None):
    raise TwoArgError(1, 2)


class LockedError(Exception):
    """An exception that cannot be pickled: it holds a lock."""

    def __init__(self):
        super().__init__("holds a lock")
        self.lock = threading.Lock()


def raise_locked(_=None):
    raise LockedError()


def _refuse_in_parent():
    if processing.parentProcess() is None:
        raise ValueError("this object refuses to be unpickled in the parent")
    return ParentRefuses()


class ParentRefuses:
    """Pickles anywhere; unpickles only in a worker."""

    def __reduce__(self):
        return _refuse_in_parent, ()


def return_parent_refuses(_=None):
    return ParentRefuses()


def failing_initializer():
    raise RuntimeError("no database here")


# ----------------------------------------------------------------------------- dead workers


@pytest.mark.parametrize("task, args, expected", [
    (exit_hard, (7,), "exit code 7"),
    (kill_self, (), "SIGKILL"),
    (segfault, (), "SIGSEGV"),
])
def test_a_dead_worker_fails_its_task_and_is_replaced(pool, task, args, expected):
    result = pool.applyAsync(task, args)
    with pytest.raises(WorkerLostError, match=expected) as info:
        result.get(10)
    assert info.value.pid is not None and info.value.exitcode is not None
    assert pool.starmap(plus, [(i, 1) for i in range(8)], chunksize=1) == list(range(1, 9))
    assert len(pool._core.workers) == 2


def test_a_death_inside_imap_fails_only_that_item(pool):
    outcomes = []
    it = pool.imap(die_on, range(6))
    for _ in range(6):
        try:
            outcomes.append(it.next(10))
        except WorkerLostError:
            outcomes.append("lost")
    assert outcomes == [0, 10, 20, "lost", 40, 50]


def test_tasks_queued_behind_a_dying_task_still_run(ctx):
    with ctx.Pool(1) as p:
        dying = p.applyAsync(exit_hard, (9,))
        after = [p.applyAsync(plus, (i, i)) for i in range(5)]
        with pytest.raises(WorkerLostError):
            dying.get(10)
        assert [r.get(10) for r in after] == [0, 2, 4, 6, 8]


# ----------------------------------------------------------------------------- pickling


def test_a_result_that_cannot_be_pickled_fails_that_task(pool):
    with pytest.raises(pickle.PicklingError, match="result of the task, a lock"):
        pool.apply(return_a_lock)
    assert pool.apply(plus, (1, 1)) == 2


def test_a_result_that_cannot_be_unpickled_in_the_parent_fails_that_task(pool):
    with pytest.raises(pickle.UnpicklingError, match="refuses to be unpickled"):
        pool.apply(return_parent_refuses)
    assert pool.apply(plus, (2, 2)) == 4


def test_an_exception_that_cannot_be_unpickled_is_reported(pool):
    with pytest.raises(pickle.UnpicklingError, match="TwoArgError: 1/2") as info:
        pool.apply(raise_two_arg)
    assert "raise TwoArgError(1, 2)" in str(info.value.__cause__)


def test_an_exception_that_cannot_be_pickled_is_reported(pool):
    with pytest.raises(pickle.PicklingError, match="LockedError: holds a lock") as info:
        pool.apply(raise_locked)
    assert "raise LockedError()" in str(info.value.__cause__)


@pytest.mark.parametrize("kind, error", [("exit", SystemExit), ("interrupt", KeyboardInterrupt)])
def test_base_exceptions_fail_the_task_without_killing_the_pool(pool, kind, error):
    with pytest.raises(error):
        pool.applyAsync(raise_base, (kind,)).get(10)
    assert pool.apply(plus, (3, 4)) == 7


def echo(data):
    return data


@pytest.mark.timeout(30)
def test_big_tasks_and_big_results_after_short_tasks_do_not_deadlock(pool):
    # Short tasks make the pool send several tasks at once; big ones must then not leave
    # the manager blocked writing to a worker that is blocked writing its result.
    pool.starmap(plus, [(i, i) for i in range(400)], chunksize=1)
    blob = b"x" * (1 << 20)
    results = pool.map_async(echo, [blob] * 64, chunksize=1).get(20)
    assert len(results) == 64 and all(r == blob for r in results)


# ----------------------------------------------------------------------------- limits


def test_a_task_over_its_timeout_fails_and_its_worker_is_replaced(pool):
    stuck = pool.applyAsync(sleep_for, (60,), timeout=0.3)
    quick = pool.applyAsync(sleep_for, (0.01,), timeout=5)
    with pytest.raises(processing.TimeoutError, match="timeout of 0.3"):
        stuck.get(10)
    assert quick.get(10) == 0.01
    assert pool.apply(plus, (1, 2)) == 3
    assert len(pool._core.workers) == 2


def test_apply_timeout_must_be_positive(pool):
    with pytest.raises(ValueError, match="timeout"):
        pool.applyAsync(plus, (1, 2), timeout=0)


def test_maxtasksperchild_replaces_workers(ctx):
    with ctx.Pool(1, maxtasksperchild=2) as p:
        pids = [p.apply(getpid) for _ in range(6)]
    assert len(set(pids)) == 3
    assert pids[0] == pids[1] and pids[2] == pids[3] and pids[4] == pids[5]


def test_maxtasksperchild_with_map(ctx):
    with ctx.Pool(2, maxtasksperchild=3) as p:
        assert p.starmap(plus, [(i, i) for i in range(20)], chunksize=1) == [
            2 * i for i in range(20)]


def test_a_failing_initializer_breaks_the_pool_instead_of_looping(ctx):
    p = ctx.Pool(1, initializer=failing_initializer)
    try:
        result = p.applyAsync(plus, (1, 2))
        with pytest.raises(BrokenPoolError, match="no database here"):
            result.get(20)
        with pytest.raises(BrokenPoolError, match="failing_initializer"):
            p.applyAsync(plus, (1, 2))
    finally:
        p.terminate()
        p.join(10)


# ----------------------------------------------------------------------------- the parent

PARENT = """
import sys, time
import processing

def noop(x):
    return x

if __name__ == "__main__":
    pool = processing.getContext(sys.argv[1]).Pool(2)
    pool.map(noop, range(4))
    print(" ".join(str(w.process.pid) for w in pool._core.workers), flush=True)
    time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_do_not_outlive_a_parent_killed_with_sigkill(start_method, tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(PARENT))
    parent = subprocess.Popen([sys.executable, str(script), start_method],
                              stdout=subprocess.PIPE, text=True, start_new_session=True,
                              cwd=tmp_path)
    try:
        line = parent.stdout.readline()
        pids = [int(pid) for pid in line.split()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in pids if _alive(pid)]
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        parent.stdout.close()
