"""Process objects: lifecycle, names, exit codes, authkeys, daemons, subclassing."""

from __future__ import annotations

import os
import signal
import time
from multiprocessing.connection import wait

import pytest

import processing
from processing import Process

pytestmark = pytest.mark.usefixtures("no_leftover_children")

TIMEOUT = 20


def _report(q, *args, **kwargs):
    """Send back what the child sees of itself and of what it was given."""
    me = processing.currentProcess()
    q.put((me.getName(), me.name, me.isDaemon(), bytes(me.getAuthKey()), args, kwargs))


def _sleep(seconds=30):
    time.sleep(seconds)


def _exit_with(code):
    raise SystemExit(code)


def _family(q, method, authkey=None):
    """Start two grandchildren with ``method``; report their names and authkeys."""
    ctx = processing.getContext(method)
    me = processing.current_process()
    if authkey is not None:
        me.authkey = authkey
    parent = processing.parent_process()
    for _ in range(2):
        p = ctx.Process(target=_report, args=(q,))
        p.start()
        p.join(TIMEOUT)
    q.put((me.name, bytes(me.authkey), parent.getName(), parent.getPid(), os.getpid()))


def _start_daemon_and_return(q, method):
    p = processing.getContext(method).Process(target=_sleep, daemon=True)
    p.start()
    q.put(p.pid)


class Worker(Process):
    """A subclass with its own state and ``run()``; instances must pickle under spawn."""

    def __init__(self, q, factor):
        super().__init__()
        self.q = q
        self.factor = factor

    def run(self):
        self.q.put([self.factor * i for i in range(3)] + [type(self).__name__])


class ForkWorker(Worker, processing.getContext("fork").Process):
    pass


class SpawnWorker(Worker, processing.getContext("spawn").Process):
    pass


class ForkServerWorker(Worker, processing.getContext("forkserver").Process):
    pass


WORKERS = {"fork": ForkWorker, "spawn": SpawnWorker, "forkserver": ForkServerWorker}


def test_start_join_and_exit_code_in_both_spellings(ctx):
    q = ctx.Queue()
    p = ctx.Process(target=_report, args=(q, 1, "two"), kwargs={"three": 3})
    assert p.getPid() is None and p.pid is None
    assert p.getExitCode() is None and p.exitcode is None
    p.start()
    assert p.getPid() == p.pid and p.pid > 0
    name, _, daemon, _, args, kwargs = q.get(timeout=TIMEOUT)
    p.join(TIMEOUT)
    assert (name, daemon, args, kwargs) == (p.name, False, (1, "two"), {"three": 3})
    assert p.getExitCode() == p.exitcode == 0
    assert not p.isAlive() and not p.is_alive()


def test_is_alive_while_running_and_join_timeout(ctx):
    p = ctx.Process(target=_sleep)
    p.start()
    try:
        assert p.isAlive() and p.is_alive()
        p.join(0.05)
        assert p.exitcode is None
    finally:
        p.terminate()
        p.join(TIMEOUT)


@pytest.mark.parametrize("code", [0, 1, 3])
def test_exit_code_of_sys_exit(ctx, code):
    p = ctx.Process(target=_exit_with, args=(code,))
    p.start()
    p.join(TIMEOUT)
    assert p.getExitCode() == code
    assert repr(p).endswith("stopped)>" if code == 0 else f"stopped[{code}])>")


def test_terminate_and_kill_give_negative_signal_exit_codes(ctx):
    p, k = ctx.Process(target=_sleep), ctx.Process(target=_sleep)
    p.start()
    k.start()
    p.terminate()
    k.kill()
    p.join(TIMEOUT)
    k.join(TIMEOUT)
    assert p.getExitCode() == -signal.SIGTERM
    assert k.getExitCode() == -signal.SIGKILL
    assert repr(p) == f"<Process({p.name}, stopped[SIGTERM])>"
    assert repr(k) == f"<Process({k.name}, stopped[SIGKILL])>"


def test_repr_follows_the_lifecycle(ctx):
    p = ctx.Process(target=_sleep, name="Sleeper")
    assert repr(p) == "<Process(Sleeper, initial)>"
    p.setDaemon(True)
    assert repr(p) == "<Process(Sleeper, initial, daemon)>"
    p.start()
    assert repr(p) == "<Process(Sleeper, started, daemon)>"
    p.terminate()
    p.join(TIMEOUT)
    p.close()
    assert repr(p) == "<Process(Sleeper, closed, daemon)>"


def test_name_daemon_and_setters_reach_the_child(ctx):
    q = ctx.Queue()
    p = ctx.Process(target=_report, args=(q,))
    assert p.getName().startswith("Process-")
    p.setName("renamed")
    p.setDaemon(True)
    assert (p.getName(), p.name, p.isDaemon(), p.daemon) == ("renamed", "renamed", True, True)
    p.start()
    assert q.get(timeout=TIMEOUT)[:3] == ("renamed", "renamed", True)
    p.join(TIMEOUT)
    with pytest.raises(AssertionError):
        p.setDaemon(False)  # only before start(), as in threading


def test_daemon_keyword(ctx):
    assert ctx.Process(target=_sleep, daemon=True).isDaemon()
    assert not ctx.Process(target=_sleep).isDaemon()


def test_grandchildren_are_named_after_their_parent_and_see_it(ctx, start_method):
    q = ctx.Queue()
    p = ctx.Process(target=_family, args=(q, start_method))
    p.start()
    first, second = q.get(timeout=TIMEOUT), q.get(timeout=TIMEOUT)
    name, _, parent_name, parent_pid, child_pid = q.get(timeout=TIMEOUT)
    p.join(TIMEOUT)
    assert name == p.name and p.name.startswith("Process-")
    assert first[0] == f"{p.name}:1" and second[0] == f"{p.name}:2"
    assert (parent_name, parent_pid, child_pid) == ("MainProcess", os.getpid(), p.pid)


def test_authkey_is_inherited_by_children_and_grandchildren(ctx, start_method):
    assert processing.currentProcess().getAuthKey() == processing.currentProcess().authkey
    q = ctx.Queue()
    p = ctx.Process(target=_report, args=(q,))
    p.start()
    assert q.get(timeout=TIMEOUT)[3] == bytes(processing.currentProcess().authkey)
    p.join(TIMEOUT)

    p = ctx.Process(target=_family, args=(q, start_method))
    p.setAuthKey(b"set by the parent")
    assert p.getAuthKey() == b"set by the parent"
    p.start()
    grandchild_keys = {q.get(timeout=TIMEOUT)[3] for _ in range(2)}
    assert q.get(timeout=TIMEOUT)[1] == b"set by the parent"
    p.join(TIMEOUT)
    assert grandchild_keys == {b"set by the parent"}


def test_authkey_changed_in_the_child_reaches_grandchildren(ctx, start_method):
    q = ctx.Queue()
    p = ctx.Process(target=_family, args=(q, start_method, b"changed in the child"))
    p.start()
    grandchild_keys = {q.get(timeout=TIMEOUT)[3] for _ in range(2)}
    q.get(timeout=TIMEOUT)
    p.join(TIMEOUT)
    assert grandchild_keys == {b"changed in the child"}


def test_subclass_with_state_and_run(ctx, start_method):
    q = ctx.Queue()
    w = WORKERS[start_method](q, 7)
    w.start()
    assert q.get(timeout=TIMEOUT) == [0, 7, 14, type(w).__name__]
    w.join(TIMEOUT)
    assert w.exitcode == 0
    assert repr(w) == f"<{type(w).__name__}({w.name}, stopped)>"


def test_sentinel_becomes_ready_when_the_child_ends(ctx):
    p = ctx.Process(target=_sleep, args=(0.2,))
    p.start()
    assert p.sentinel == p.getSentinel()
    assert wait([p.sentinel], TIMEOUT) == [p.sentinel]
    p.join(TIMEOUT)
    assert p.exitcode == 0


def test_close_releases_the_process_object(ctx):
    p = ctx.Process(target=_sleep)
    p.start()
    with pytest.raises(ValueError, match="still running"):
        p.close()
    p.terminate()
    p.join(TIMEOUT)
    p.close()
    p.close()  # idempotent
    for use in (p.is_alive, p.isAlive, p.join, p.terminate, p.stop, lambda: p.pid):
        with pytest.raises(ValueError, match="closed"):
            use()


def test_misuse_fails_clearly(ctx):
    p = ctx.Process(target=_sleep, args=(0,))
    with pytest.raises(AssertionError, match="can only join a started process"):
        p.join()
    with pytest.raises(ValueError, match="not been started"):
        p.stop()
    p.start()
    with pytest.raises(AssertionError, match="cannot start a process twice"):
        p.start()
    p.join(TIMEOUT)


def test_current_and_parent_process_in_the_main_process():
    main = processing.currentProcess()
    assert main is processing.current_process()
    assert main.name == main.getName() == "MainProcess"
    assert main.pid == main.getPid() == os.getpid()
    assert main.isAlive() and not main.isDaemon()
    assert repr(main) == "<_MainProcess(MainProcess, started)>"
    assert processing.parent_process() is None and processing.parentProcess() is None


def test_active_children_lists_running_and_joins_finished_children(ctx):
    running = ctx.Process(target=_sleep)
    done = ctx.Process(target=_sleep, args=(0,))
    running.start()
    done.start()
    try:
        assert wait([done.sentinel], TIMEOUT)
        # The sentinel closes a moment before the kernel reports the exit: poll, bounded.
        deadline = time.monotonic() + TIMEOUT
        while done in processing.activeChildren() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert running in processing.activeChildren()
        assert processing.active_children() == [running]
        assert done.exitcode == 0  # joined by activeChildren(), never by us
    finally:
        running.terminate()
        running.join(TIMEOUT)
    assert processing.activeChildren() == []


def test_cpu_count():
    assert processing.cpuCount() == processing.cpu_count() == os.cpu_count() >= 1


def test_daemon_children_are_terminated_when_their_parent_exits(ctx, start_method):
    q = ctx.Queue()
    p = ctx.Process(target=_start_daemon_and_return, args=(q, start_method))
    p.start()
    daemon_pid = q.get(timeout=TIMEOUT)
    p.join(TIMEOUT)
    assert p.exitcode == 0
    deadline = time.monotonic() + TIMEOUT
    while _exists(daemon_pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _exists(daemon_pid)


def _exists(pid: int) -> bool:
    """True while ``pid`` is a live (non-zombie) process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
