"""One test per promise of the processing programming guidelines that concerns the core
(docs: programming-guidelines; the seed page is the contract)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
import time
from multiprocessing.connection import wait
from pathlib import Path

import pytest

import processing
from processing import ProcessExit

pytestmark = pytest.mark.usefixtures("no_leftover_children")

TIMEOUT = 20
REPO = Path(__file__).parents[2]

#: A module-level constant: children see it under every start method.
GREETING = "hello from the module"
#: Changed by a test after import: only a forked child sees the change.
mutable_global = "as imported"


# -------------------------------------------------------------------------- targets


def _square_from_pipe_to_queue(conn, results):
    while (item := conn.recv()) is not None:
        results.put(item * item)


def _catch_process_exit_and_end(ready, q):
    try:
        ready.set()
        time.sleep(30)
    except ProcessExit:
        q.put("cleaned up")  # brief clean-up, then end at once, as the guideline asks


def _nothing():
    pass


def _use_inherited(lock, event, q):
    with lock:
        q.put("inherited")
    event.set()


def _worker(tasks, results):
    """test_workers.py's worker: square numbers until a None arrives."""
    for task in iter(tasks.get, None):
        results.put(("bytes", len(task)) if isinstance(task, bytes) else ("square", task * task))


def _globals(q):
    q.put((GREETING, mutable_global))


class Greeter:
    """A picklable instance: its bound method is a valid target in Python 3, even on Windows."""

    def __init__(self, greeting):
        self.greeting = greeting

    def greet(self, q):
        q.put(self.greeting)


# ---------------------------------------------------------------------------- tests


def test_avoid_shared_state_communicate_through_pipes_and_queues(ctx):
    here, there = ctx.Pipe()
    results = ctx.Queue()
    p = ctx.Process(target=_square_from_pipe_to_queue, args=(there, results))
    p.start()
    for n in range(10):
        here.send(n)
    here.send(None)
    assert sorted(results.get(timeout=TIMEOUT) for _ in range(10)) == [n * n for n in range(10)]
    p.join(TIMEOUT)
    assert p.exitcode == 0


def test_catching_process_exit_then_ending_lets_stop_work(ctx):
    ready, q = ctx.Event(), ctx.Queue()
    p = ctx.Process(target=_catch_process_exit_and_end, args=(ready, q))
    p.start()
    assert ready.wait(TIMEOUT)
    p.stop()
    p.join(TIMEOUT)
    assert q.get(timeout=TIMEOUT) == "cleaned up"
    assert p.exitcode == 0
    assert issubclass(ProcessExit, SystemExit)


def _finished(ctx, count):
    """Start ``count`` children and wait until each has exited, without joining any."""
    procs = [ctx.Process(target=_nothing) for _ in range(count)]
    for p in procs:
        p.start()
    for p in procs:
        assert wait([p.sentinel], TIMEOUT)
    return procs


def _is_unreaped_child(pid: int) -> bool:
    """True if ``pid`` is a child of ours that nobody has waited for (a zombie, or running)."""
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def _until(condition) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_joining_zombie_processes_active_children_and_is_alive_join_them(ctx, start_method):
    # forkserver children are the fork server's: it reaps them, we read their exit codes
    ours = start_method != "forkserver"
    procs = _finished(ctx, 3)
    if ours:  # a zombie until joined (start() may already have joined the earlier ones)
        assert _is_unreaped_child(procs[-1].pid)
    _until(lambda: processing.activeChildren() == [])
    assert [p.exitcode for p in procs] == [0, 0, 0]  # joined by activeChildren(), not by us

    last = _finished(ctx, 1)[0]
    _until(lambda: not last.isAlive())
    assert last.exitcode == 0  # joined by isAlive()
    if ours:
        assert not any(_is_unreaped_child(p.pid) for p in [*procs, last])


def test_starting_a_process_joins_finished_ones(ctx):
    done = _finished(ctx, 1)[0]
    # The sentinel closes a moment before the kernel reports the exit, so a start() may
    # come too early to see it; one of a few must. We never join ``done`` ourselves.
    for _ in range(20):
        p = ctx.Process(target=_nothing)
        p.start()
        p.join(TIMEOUT)
        if done.exitcode is not None:
            break
    assert done.exitcode == 0


def test_better_to_inherit_than_pickle(ctx):
    lock, event, q = ctx.Lock(), ctx.Event(), ctx.Queue()
    for obj in (lock, event, q, ctx.RLock(), ctx.Semaphore(), ctx.BoundedSemaphore(),
                ctx.Condition(), ctx.BufferedQueue(), ctx.JoinableQueue()):
        with pytest.raises(RuntimeError, match="by inheritance"):
            pickle.dumps(obj)
    p = ctx.Process(target=_use_inherited, args=(lock, event, q))
    p.start()
    assert event.wait(TIMEOUT) and q.get(timeout=TIMEOUT) == "inherited"
    p.join(TIMEOUT)


def test_queues_deadlocks_and_buffering_the_workers_pattern(ctx):
    """test_workers.py: push every task before reading any result. With a buffered task
    queue nothing deadlocks, even with far more data than a pipe holds."""
    tasks, results = ctx.BufferedQueue(), ctx.Queue()
    payload = b"t" * 65536
    tasks.putMany([n for n in range(200)])
    for _ in range(160):  # 10 MiB more, before anyone reads: put() must not block
        tasks.put(payload)
    workers = [ctx.Process(target=_worker, args=(tasks, results)) for _ in range(2)]
    for w in workers:
        w.start()
    for _ in workers:
        tasks.put(None)
    got = [results.get(timeout=TIMEOUT) for _ in range(200 + 160)]
    for w in workers:
        w.join(TIMEOUT)
        assert w.exitcode == 0
    assert sorted(n for kind, n in got if kind == "square") == [n * n for n in range(200)]
    assert [n for kind, n in got if kind == "bytes"] == [len(payload)] * 160


def test_windows_picklability_bound_method_and_lambda(start_method):
    ctx = processing.getContext(start_method)
    q = ctx.Queue()
    p = ctx.Process(target=Greeter("hi").greet, args=(q,))
    p.start()
    assert q.get(timeout=TIMEOUT) == "hi"
    p.join(TIMEOUT)
    if start_method != "fork":
        with pytest.raises(pickle.PicklingError, match="lambda.*module level"):
            ctx.Process(target=lambda: None).start()


def test_global_variables_constants_are_seen_later_changes_only_by_fork(ctx, start_method):
    global mutable_global
    q = ctx.Queue()
    mutable_global = "changed in the parent"
    try:
        p = ctx.Process(target=_globals, args=(q,))
        p.start()
        greeting, seen = q.get(timeout=TIMEOUT)
        p.join(TIMEOUT)
    finally:
        mutable_global = "as imported"
    assert greeting == GREETING
    assert seen == ("changed in the parent" if start_method == "fork" else "as imported")


def _run_example(path: Path, method: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PROCESSING_START_METHOD=method)
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=60, env=env, cwd=REPO, check=False)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_safe_importing_of_main_module_the_guarded_example(tmp_path, method):
    example = tmp_path / "guarded.py"
    example.write_text(textwrap.dedent("""\
        from processing import Process

        def foo():
            print('hello')

        if __name__ == '__main__':
            p = Process(target=foo)
            p.start()
            p.join()
    """))
    result = _run_example(example, method)
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello\n", "")


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_freezing_the_final_example_prints_hello(method):
    """The seed's final example (freezeSupport() right after the guard), examples/hello.py."""
    result = _run_example(REPO / "examples" / "hello.py", method)
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello\n", "")
