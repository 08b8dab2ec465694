"""Queues: ``Queue``, ``BufferedQueue``, ``JoinableQueue``, ``SimpleQueue`` between processes."""

from __future__ import annotations

import pickle
import threading

import pytest

import processing
from processing import Empty, Full

pytestmark = pytest.mark.usefixtures("no_leftover_children")

TIMEOUT = 20
BIG = b"x" * (1 << 20)  # far more than a pipe holds (64 KiB on Linux)


def _produce(q, items):
    for item in items:
        q.put(item)


def _produce_many(q, items):
    q.putMany(items)


def _put_big_and_exit(q):
    q.put(BIG)
    q.put("after the big one")  # returns at once: the feeder is still writing BIG; exiting
    # must wait for it (a pipe holds 64 KiB), or both objects are lost.


def _consume(q, out, count):
    out.put([q.get(timeout=TIMEOUT) for _ in range(count)])


def _consume_tasks(q, results):
    while True:
        item = q.get(timeout=TIMEOUT)
        if item is None:
            q.task_done()
            return
        results.put(item * 2)
        q.taskDone()


def _get(q):
    """``get()`` bounded in time; a ``SimpleQueue`` has no timeout, so wait for data first."""
    if isinstance(q, type(processing.SimpleQueue())):
        assert q._reader.poll(TIMEOUT), "nothing arrived in time"
        return q.get()
    return q.get(timeout=TIMEOUT)


def _in_thread(fn, timeout=TIMEOUT):
    """Run ``fn`` in a thread; fail (rather than hang) if it does not return in time."""
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("value", fn()), daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"{fn} blocked for more than {timeout} s"
    return result.get("value")


QUEUE_KINDS = ["Queue", "BufferedQueue", "JoinableQueue", "SimpleQueue"]


@pytest.mark.parametrize("kind", QUEUE_KINDS)
def test_objects_cross_from_a_child_in_order(ctx, kind):
    q = getattr(ctx, kind)()
    items = [0, "one", (2,), {"three": [3]}, None, BIG]
    p = ctx.Process(target=_produce, args=(q, items))
    p.start()
    assert [_get(q) for _ in items] == items
    p.join(TIMEOUT)
    assert p.exitcode == 0


@pytest.mark.parametrize("kind", ["Queue", "BufferedQueue", "JoinableQueue"])
def test_objects_cross_to_a_child(ctx, kind):
    q, out = getattr(ctx, kind)(), ctx.Queue()
    p = ctx.Process(target=_consume, args=(q, out, 3))
    p.start()
    q.putMany(["a", "b"])
    q.put("c")
    assert out.get(timeout=TIMEOUT) == ["a", "b", "c"]
    p.join(TIMEOUT)


@pytest.mark.parametrize("kind", ["Queue", "BufferedQueue", "JoinableQueue"])
def test_put_many_from_a_child_keeps_order(ctx, kind):
    q = getattr(ctx, kind)()
    items = list(range(1000)) + [BIG]
    p = ctx.Process(target=_produce_many, args=(q, iter(items)))
    p.start()
    assert [q.get(timeout=TIMEOUT) for _ in items] == items
    p.join(TIMEOUT)


@pytest.mark.parametrize("kind", ["Queue", "BufferedQueue", "JoinableQueue", "SimpleQueue"])
def test_an_object_put_just_before_the_producer_exits_is_never_lost(ctx, kind):
    q = getattr(ctx, kind)()
    p = ctx.Process(target=_put_big_and_exit, args=(q,))
    p.start()
    assert _get(q) == BIG
    assert _get(q) == "after the big one"
    p.join(TIMEOUT)
    assert p.exitcode == 0


def test_get_timeout_and_no_wait_raise_empty():
    q = processing.Queue()
    with pytest.raises(Empty):
        q.get(timeout=0.01)
    with pytest.raises(Empty):
        q.get(block=False)
    with pytest.raises(Empty):
        q.getNoWait()
    with pytest.raises(Empty):
        q.get_nowait()
    assert processing.Empty is Empty


def test_bounded_queue_blocks_when_full_then_raises_full():
    q = processing.Queue(2)
    q.put(1)
    q.putNoWait(2)
    assert q.full()
    with pytest.raises(Full):
        q.put(3, timeout=0.01)
    with pytest.raises(Full):
        q.put(3, block=False)
    with pytest.raises(Full):
        q.put_nowait(3)
    assert q.get(timeout=TIMEOUT) == 1
    q.put(3, timeout=TIMEOUT)
    assert [q.get(timeout=TIMEOUT), q.get(timeout=TIMEOUT)] == [2, 3]
    assert processing.Full is Full


@pytest.mark.parametrize("kind", ["Queue", "JoinableQueue"])
def test_put_many_on_a_bounded_queue_raises_and_puts_nothing(kind):
    # processing 0.52: "Raises an error if the queue has finite size" (an assert there).
    q = getattr(processing, kind)(3)
    for spelling in ("putMany", "putmany", "put_many"):
        with pytest.raises(ValueError, match=r"maxsize=3.*put\(\)") as raised:
            getattr(q, spelling)(range(2))
        assert isinstance(raised.value, AssertionError)  # what 0.52 raised
    assert q.empty() and q.qsize() == 0


def test_empty_full_and_qsize():
    q = processing.Queue(3)
    assert q.empty() and not q.full() and q.qsize() == 0
    for item in "abc":
        q.put(item)
    assert q.qsize() == 3 and q.full()
    _in_thread(lambda: [q.get(timeout=TIMEOUT) for _ in range(3)])
    assert q.qsize() == 0 and q.empty()


def test_get_no_wait_sees_an_object_once_it_is_in_the_pipe():
    q = processing.Queue()
    q.putNoWait("x")
    assert q.get(timeout=TIMEOUT) == "x"
    assert q.empty()


def test_close_then_put_or_get_raise_value_error_and_join_thread_returns():
    q = processing.Queue()
    q.put("flushed")
    q.close()
    with pytest.raises(ValueError, match="closed"):
        q.put("late")
    _in_thread(q.joinThread)
    _in_thread(q.join_thread)


def test_cancel_join_lets_a_producer_exit_with_unread_data(ctx):
    q = ctx.Queue()
    q.cancelJoin()
    q.cancel_join_thread()
    q.put(BIG)
    q.close()
    _in_thread(q.joinThread)


def test_buffered_queue_put_never_blocks_even_far_beyond_a_pipe(ctx):
    q = ctx.BufferedQueue()
    chunk = b"y" * 65536
    _in_thread(lambda: [q.put(chunk) for _ in range(160)])  # 10 MiB, nobody reading
    assert not q.full()
    assert q.qsize() == 160
    out = ctx.Queue()
    p = ctx.Process(target=_consume, args=(q, out, 160))
    p.start()
    assert out.get(timeout=TIMEOUT) == [chunk] * 160
    p.join(TIMEOUT)
    assert q.qsize() == 0 and q.empty()


def test_buffered_queue_takes_no_maxsize():
    with pytest.raises(TypeError):
        processing.BufferedQueue(3)


def test_joinable_queue_join_waits_for_every_task_done(ctx):
    q, results = ctx.JoinableQueue(), ctx.Queue()
    workers = [ctx.Process(target=_consume_tasks, args=(q, results)) for _ in range(2)]
    for w in workers:
        w.start()
    q.putMany(range(20))
    q.putMany([None, None])
    _in_thread(q.join)
    assert sorted(results.get(timeout=TIMEOUT) for _ in range(20)) == [i * 2 for i in range(20)]
    for w in workers:
        w.join(TIMEOUT)
        assert w.exitcode == 0


def test_joinable_queue_task_done_too_often_raises():
    q = processing.JoinableQueue()
    q.put(1)
    q.get(timeout=TIMEOUT)
    q.taskDone()
    with pytest.raises(ValueError, match="too many times"):
        q.task_done()


def test_simple_queue_put_get_empty_close():
    q = processing.SimpleQueue()
    assert q.empty()
    q.put({"k": 1})
    assert not _in_thread(q.empty)
    assert q.get() == {"k": 1}
    q.close()


@pytest.mark.parametrize("kind", QUEUE_KINDS)
def test_queues_are_shared_by_inheritance_only(kind):
    q = getattr(processing, kind)()
    with pytest.raises(RuntimeError, match=f"^{kind} objects can only be shared with a child "
                                           "process by inheritance"):
        pickle.dumps(q)
