"""``OwnedLock``: a shared lock that records its holder and survives the holder's death."""

from __future__ import annotations

import ctypes
import os
import signal
import time

import pytest

from processing.ownedlock import OwnedLock, process_alive

pytestmark = [pytest.mark.usefixtures("no_leftover_children"), pytest.mark.timeout(60)]

TIMEOUT = 20


def _parts(ctx):
    buf = ctx.RawArray(ctypes.c_char, 8)
    return ctx.Lock(), ctx.Lock(), buf


def _owned(parts, **kw):
    lock, repair, buf = parts
    return OwnedLock(lock, repair, memoryview(buf).cast("B"), 4, **kw)


def _take_and_sleep(parts, ready):
    _owned(parts).acquire()
    ready.set()
    time.sleep(60)


def test_the_holder_is_recorded_and_cleared(ctx):
    lock = _owned(_parts(ctx))
    assert lock.holder() == 0
    assert lock.acquire(time.monotonic() + 1)
    assert lock.holder() == os.getpid()
    assert not lock.acquire_nowait()
    assert not lock.acquire(time.monotonic() + 0.05)  # the deadline is kept
    lock.release()
    assert lock.holder() == 0
    assert lock.acquire_nowait()
    lock.release()


def test_a_dead_holder_is_released_by_a_waiter_once(ctx):
    parts = _parts(ctx)
    ready = ctx.Event()
    holder = ctx.Process(target=_take_and_sleep, args=(parts, ready))
    holder.start()
    assert ready.wait(TIMEOUT)
    lock = _owned(parts)
    assert lock.holder() == holder.pid
    assert not lock.acquire(time.monotonic() + 0.1)  # alive: it keeps its lock
    os.kill(holder.pid, signal.SIGKILL)
    deadline = time.monotonic() + TIMEOUT
    while process_alive(holder.pid):  # a zombie (not yet joined) counts as dead
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert lock.acquire(time.monotonic() + TIMEOUT)
    assert lock.holder() == os.getpid()
    assert not lock.release_for(holder.pid)  # already repaired: no second release
    lock.release()
    holder.join(TIMEOUT)


def test_without_waiters_repair_only_release_for_frees_a_dead_holders_lock(ctx):
    parts = _parts(ctx)
    ready = ctx.Event()
    holder = ctx.Process(target=_take_and_sleep, args=(parts, ready))
    holder.start()
    assert ready.wait(TIMEOUT)
    holder.kill()
    holder.join(TIMEOUT)
    lock = _owned(parts, waiters_repair=False)
    assert not lock.acquire(time.monotonic() + 0.2)
    assert lock.dead_holder() == holder.pid
    assert lock.release_for(holder.pid)
    assert lock.acquire_nowait()
    lock.release()


def test_process_alive():
    assert process_alive(os.getpid())
    assert not process_alive(2**22 + 12345)  # beyond Linux's pid_max default
