"""``Process.stop()``: ``ProcessExit`` raised inside the child (guideline "Catching ProcessExit")."""

from __future__ import annotations

import sys
import time

import pytest

import processing
from processing import ProcessExit
from processing.process import PROCESS_EXIT_CODE

pytestmark = pytest.mark.usefixtures("no_leftover_children")

TIMEOUT = 20


def _sleep_then_report(ready, q):
    try:
        ready.set()  # inside the try: stop() may come as soon as the parent sees this
        time.sleep(30)
    except BaseException as exc:
        q.put((type(exc).__name__, isinstance(exc, SystemExit), exc.code))
        raise


def _busy(ready):
    ready.set()
    n = 0
    while True:  # pure Python work: the signal handler runs between bytecodes
        n += 1


def _catch_and_return(ready, q):
    try:
        ready.set()  # inside the try: stop() may come as soon as the parent sees this
        time.sleep(30)
    except ProcessExit:
        q.put("caught")
        return
    q.put("not stopped")


def _catch_and_exit_1(ready):
    try:
        ready.set()  # inside the try: stop() may come as soon as the parent sees this
        time.sleep(30)
    except ProcessExit:
        sys.exit(1)


def _sleep():
    time.sleep(30)


def _started(ctx, target, *args):
    ready = ctx.Event()
    p = ctx.Process(target=target, args=(ready, *args))
    p.start()
    assert ready.wait(TIMEOUT)
    return p


def test_process_exit_is_a_system_exit():
    assert issubclass(ProcessExit, SystemExit)
    assert processing.ProcessExit is ProcessExit
    assert processing.getContext("spawn").ProcessExit is ProcessExit


def test_stop_raises_process_exit_in_the_child(ctx):
    q = ctx.Queue()
    p = _started(ctx, _sleep_then_report, q)
    p.stop()
    p.join(TIMEOUT)
    assert q.get(timeout=TIMEOUT) == ("ProcessExit", True, PROCESS_EXIT_CODE)
    assert p.exitcode == PROCESS_EXIT_CODE
    assert repr(p) == f"<Process({p.name}, stopped[ProcessExit])>"


def test_stop_interrupts_a_busy_child(ctx):
    p = _started(ctx, _busy)
    p.stop()
    p.join(TIMEOUT)
    assert p.exitcode == PROCESS_EXIT_CODE


def test_a_child_that_catches_process_exit_and_returns_exits_normally(ctx):
    q = ctx.Queue()
    p = _started(ctx, _catch_and_return, q)
    p.stop()
    p.join(TIMEOUT)
    assert q.get(timeout=TIMEOUT) == "caught"
    assert p.exitcode == 0


def test_a_child_that_catches_process_exit_and_calls_sys_exit_1_exits_1(ctx):
    p = _started(ctx, _catch_and_exit_1)
    p.stop()
    p.join(TIMEOUT)
    assert p.exitcode == 1


def test_stop_right_after_start_still_ends_the_child_with_process_exit(ctx):
    """A stop() that arrives while the child is still being launched is held back, not lost,
    and does not kill the child outright: it is raised once the child's bootstrap runs."""
    p = ctx.Process(target=_sleep)
    p.start()
    p.stop()
    p.join(TIMEOUT)
    assert p.exitcode == PROCESS_EXIT_CODE


def test_stop_before_start_and_after_the_end(ctx):
    p = ctx.Process(target=_sleep)
    with pytest.raises(ValueError, match="not been started"):
        p.stop()
    p.start()
    p.terminate()
    p.join(TIMEOUT)
    p.stop()  # a finished child: nothing to do, no error
    assert p.exitcode < 0
