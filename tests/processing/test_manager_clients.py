"""What a manager's server does about its clients: a client process that dies (SIGKILL)
leaves no objects and no held locks behind, and failed authentications are warned of at a
limited rate."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import processing
from processing import connection

pytestmark = pytest.mark.timeout(120)

SCRIPTS = Path(__file__).parent / "scripts"
REPO = Path(__file__).resolve().parents[2]
#: Seconds the server has to notice a dead client; it takes milliseconds, this bounds a hang.
WITHIN = 20.0


def _eventually(predicate) -> bool:
    deadline = time.monotonic() + WITHIN
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def _hold_and_hang(address, authkey, ready, lock, rlock, condition, semaphore):
    from processing.managers import SyncManager

    manager = SyncManager(address, authkey)
    manager.connect()
    kept = [manager.list([i]) for i in range(50)] + [manager.dict(), manager.Namespace()]
    lock.acquire()
    rlock.acquire()
    rlock.acquire()  # twice: both are released
    condition.acquire()
    semaphore.acquire()
    ready.set()
    time.sleep(300)
    del kept


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peer pids: SO_PEERCRED")
def test_a_killed_client_leaves_no_objects_and_no_held_locks(manager):
    ctx = manager._ctx  # the client starts as the manager did: each start method once
    lock, rlock, condition = manager.Lock(), manager.RLock(), manager.Condition()
    semaphore, ready = manager.Semaphore(1), manager.Event()
    baseline = manager._number_of_objects()
    client = ctx.Process(target=_hold_and_hang, args=(
        manager.address, bytes(processing.currentProcess().authkey), ready,
        lock, rlock, condition, semaphore))
    client.start()
    try:
        assert ready.wait(60)
        assert manager._number_of_objects() == baseline + 52
        assert not lock.acquire(timeout=0.1)
    finally:
        os.kill(client.pid, signal.SIGKILL)
        client.join(30)
    assert _eventually(lambda: manager._number_of_objects() == baseline)
    assert lock.acquire(timeout=WITHIN)
    lock.release()
    assert rlock.acquire(timeout=WITHIN)
    rlock.release()
    assert condition.acquire(timeout=WITHIN)
    condition.release()
    # A semaphore is a counter with no owner (the acquire of a consumer that then exits
    # is meant to stick): it is left as the client left it.
    assert not semaphore.acquire(timeout=0.1)
    semaphore.release()


def test_a_lock_outlives_the_connection_of_a_thread_that_ended_while_holding_it(manager):
    lock = manager.Lock()

    def take():
        copy_of_lock = lock.__copy__()  # the thread's own proxy and connection
        copy_of_lock.acquire()

    taker = threading.Thread(target=take)
    taker.start()
    taker.join(30)
    # This process lives on, so the lock stays held as a thread's lock would ...
    assert not lock.acquire(timeout=0.3)
    lock.release()  # ... and a Lock may be released by another thread (or process)
    assert lock.acquire(timeout=5)
    lock.release()


def test_a_client_that_exits_normally_leaves_its_objects_released_once(manager):
    ctx = manager._ctx
    baseline = manager._number_of_objects()
    shared = manager.list()
    child = ctx.Process(target=_append_twice, args=(shared,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert shared[:] == [1, 1]  # the child's reference was dropped, ours still holds
    del shared
    assert _eventually(lambda: manager._number_of_objects() == baseline)


def _append_twice(shared):
    shared.append(1)
    shared.append(1)


# -- failed authentications: a warning, then a summary -------------------------------------


@pytest.fixture
def warnings_logged():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = processing.getLogger()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _accept_until_closed(listener):
    try:
        listener.accept(timeout=30)
    except OSError:
        pass  # closed: nobody with the right key came, as expected


def test_failed_authentications_are_warned_of_once_then_summed_up(warnings_logged, monkeypatch):
    monkeypatch.setattr(connection, "AUTH_WARNING_INTERVAL", 3600.0)
    limiter = connection._FailureWarnings()
    monkeypatch.setattr(connection, "_failed_authentications", limiter)

    def failures(level):
        return [r.getMessage() for r in warnings_logged
                if r.levelno == level and "authentication" in r.getMessage()]

    def failed_once_more():
        # The listener logs its side a moment after the client has raised: wait for both.
        before = len(failures(logging.WARNING)) + len(failures(logging.DEBUG))
        with pytest.raises(connection.AuthenticationError):
            connection.Client(listener.address, authkey=b"wrong")
        assert _eventually(lambda: len(failures(logging.WARNING))
                           + len(failures(logging.DEBUG)) == before + 2)

    with connection.Listener(("127.0.0.1", 0), authkey=b"right") as listener:
        taker = threading.Thread(target=_accept_until_closed, args=(listener,), daemon=True)
        taker.start()
        for _ in range(10):
            failed_once_more()
        assert len(failures(logging.WARNING)) == 1  # of 20 failures: each side's 10
        assert len(failures(logging.DEBUG)) == 19  # every one is still logged, at DEBUG

        limiter._quiet_until = time.monotonic()  # the interval is over: the next one warns
        failed_once_more()
        second = failures(logging.WARNING)[1:]
        assert len(second) == 1  # one side's; the other side's is counted again
        assert "(and 19 more failures since the last warning" in second[0]
    taker.join(10)

    limiter.flush()  # as at exit: what was counted since is warned of
    summary = failures(logging.WARNING)[2:]
    assert len(summary) == 1
    assert summary[0].startswith("1 more connections failed authentication since the last")
    limiter.flush()  # nothing more to say
    assert len(failures(logging.WARNING)) == 3


def test_a_manager_warns_of_failed_authentications_on_the_programs_stderr_rate_limited(
        start_method):
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "failed_authentications.py"), start_method, "25"],
        capture_output=True, text=True, timeout=90, cwd=REPO, check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1] == "done"
    warnings = lines[:-1]
    assert len(warnings) == 2, result.stderr
    assert warnings[0].startswith("dropped connection from process ")
    assert "digest received was wrong" in warnings[0]
    assert warnings[1].startswith("24 more connections failed authentication since the last")
