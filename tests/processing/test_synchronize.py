"""Locks, semaphores, conditions, events and barriers shared with children by inheritance."""

from __future__ import annotations

import pickle

import pytest

import processing

pytestmark = pytest.mark.usefixtures("no_leftover_children")

TIMEOUT = 20

PRIMITIVES = ["Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Event", "Barrier"]


def _make(ctx, kind):
    return getattr(ctx, kind)(2) if kind == "Barrier" else getattr(ctx, kind)()


def _try_lock(lock, q):
    q.put(lock.acquire(timeout=0.05))  # held by the parent: times out
    q.put(lock.acquire(block=True, timeout=TIMEOUT))  # released by the parent meanwhile
    lock.release()


def _release_twice(sem):
    sem.release()
    sem.release()


def _wait_for_notify(cond, ready, q):
    with cond:
        ready.set()
        q.put(cond.wait(TIMEOUT))


def _meet(barrier, q):
    q.put(barrier.wait(TIMEOUT))


def _set(event):
    event.set()


def test_lock_is_shared_with_a_child(ctx):
    lock, q = ctx.Lock(), ctx.Queue()
    lock.acquire()
    p = ctx.Process(target=_try_lock, args=(lock, q))
    p.start()
    assert q.get(timeout=TIMEOUT) is False
    lock.release()
    assert q.get(timeout=TIMEOUT) is True
    p.join(TIMEOUT)
    assert lock.acquire(False)
    lock.release()


def test_semaphore_released_in_a_child(ctx):
    sem = ctx.Semaphore(0)
    assert not sem.acquire(timeout=0.01)
    p = ctx.Process(target=_release_twice, args=(sem,))
    p.start()
    assert sem.acquire(timeout=TIMEOUT) and sem.acquire(timeout=TIMEOUT)
    p.join(TIMEOUT)
    assert sem.getValue() == sem.get_value() == 0


def test_condition_notified_across_processes(ctx):
    cond, ready, q = ctx.Condition(), ctx.Event(), ctx.Queue()
    p = ctx.Process(target=_wait_for_notify, args=(cond, ready, q))
    p.start()
    assert ready.wait(TIMEOUT)
    with cond:  # the child is waiting: it released the lock
        cond.notifyAll()
    assert q.get(timeout=TIMEOUT) is True
    p.join(TIMEOUT)


def test_event_set_in_a_child(ctx):
    event = ctx.Event()
    assert not event.isSet() and not event.wait(0.01)
    p = ctx.Process(target=_set, args=(event,))
    p.start()
    assert event.wait(TIMEOUT)
    assert event.isSet() and event.is_set()
    event.clear()
    assert not event.is_set()
    p.join(TIMEOUT)


def test_barrier_across_processes(ctx):
    barrier, q = ctx.Barrier(2), ctx.Queue()
    assert barrier.getParties() == barrier.parties == 2
    p = ctx.Process(target=_meet, args=(barrier, q))
    p.start()
    mine = barrier.wait(TIMEOUT)
    assert {mine, q.get(timeout=TIMEOUT)} == {0, 1}
    p.join(TIMEOUT)


@pytest.mark.parametrize("kind", ["Lock", "RLock", "Semaphore", "BoundedSemaphore"])
def test_acquire_block_and_timeout_and_context_manager(kind):
    lock = getattr(processing, kind)()
    assert lock.acquire(block=True, timeout=None)
    assert lock.acquire(False) is (kind == "RLock")
    if kind == "RLock":
        lock.release()
    lock.release()
    with lock:
        if kind != "RLock":
            assert not lock.acquire(block=False)
            assert not lock.acquire(timeout=0.01)
    assert lock.acquire(timeout=0.01)
    lock.release()


def test_rlock_is_reentrant_and_owned():
    rlock = processing.RLock()
    with rlock, rlock:
        pass
    with pytest.raises(AssertionError):
        rlock.release()


def test_bounded_semaphore_refuses_too_many_releases():
    sem = processing.BoundedSemaphore(1)
    with pytest.raises(ValueError):
        sem.release()


def test_condition_wait_times_out_and_can_use_a_given_lock():
    lock = processing.RLock()
    cond = processing.Condition(lock)
    with cond:
        assert cond.wait(0.01) is False
        assert cond.wait_for(lambda: True, 0.01)
        cond.notify()
        cond.notify_all()


@pytest.mark.parametrize("kind", PRIMITIVES)
def test_pickling_outside_a_launch_says_to_share_by_inheritance(ctx, kind):
    obj = _make(ctx, kind)
    with pytest.raises(RuntimeError, match=f"^{kind} objects can only be shared with a child "
                                           "process by inheritance: pass it to Process"):
        pickle.dumps(obj)


@pytest.mark.parametrize("kind", PRIMITIVES)
def test_sending_one_through_a_pipe_fails_clearly(kind):
    a, _b = processing.Pipe()
    with pytest.raises(RuntimeError, match="by inheritance"):
        a.send(_make(processing, kind))
