"""Batching in queues: ``putMany`` batch frames, ``getMany``, and a batch shared by readers.

A reader that takes part of a batch leaves the rest where every other reader finds it, so
batching never strands objects with one consumer.
"""

from __future__ import annotations

import pickle
import threading

import pytest

import processing
from processing import Empty

TIMEOUT = 20


def _get_one_and_exit(q, out):
    out.put(q.get(timeout=TIMEOUT))


def _get_until_none(q, out):
    out.put(list(iter(lambda: q.get(timeout=TIMEOUT), None)))


def _put_many_numbers(q, start, count, chunk):
    for first in range(start, start + count, chunk):
        q.putMany(range(first, min(first + chunk, start + count)))


@pytest.mark.timeout(60)
def test_the_rest_of_a_batch_stays_for_the_next_reader(ctx):
    q, out = ctx.Queue(), ctx.Queue()
    q.putMany(range(100))
    first = ctx.Process(target=_get_one_and_exit, args=(q, out))
    first.start()
    assert out.get(timeout=TIMEOUT) == 0
    first.join(TIMEOUT)
    assert first.exitcode == 0
    # The first reader read the whole batch frame and is gone; the 99 others are not.
    assert not q.empty()
    assert q.qsize() == 99
    second = ctx.Process(target=_get_until_none, args=(q, out))
    second.start()
    q.put(None)
    assert out.get(timeout=TIMEOUT) == list(range(1, 100))
    second.join(TIMEOUT)


@pytest.mark.timeout(60)
def test_several_readers_share_batches_each_object_once(ctx):
    q, out = ctx.Queue(), ctx.Queue()
    readers = [ctx.Process(target=_get_until_none, args=(q, out)) for _ in range(3)]
    for r in readers:
        r.start()
    q.putMany(range(3000))
    q.putMany([None] * len(readers))
    got = [out.get(timeout=TIMEOUT) for _ in readers]
    for r in readers:
        r.join(TIMEOUT)
        assert r.exitcode == 0
    assert sorted(x for part in got for x in part) == list(range(3000))
    for part in got:
        assert part == sorted(part)  # each reader sees the queue's order


@pytest.mark.timeout(60)
def test_get_many_collects_from_several_batching_producers(ctx):
    q = ctx.Queue()
    producers = [ctx.Process(target=_put_many_numbers, args=(q, i * 1000, 1000, 37))
                 for i in range(2)]
    for p in producers:
        p.start()
    got: list[int] = []
    while len(got) < 2000:
        batch = q.getMany(64, timeout=TIMEOUT)
        assert 1 <= len(batch) <= 64
        got += batch
    for p in producers:
        p.join(TIMEOUT)
    assert sorted(got) == list(range(2000))
    for i in range(2):  # one producer's objects keep their order
        assert [x for x in got if x // 1000 == i] == list(range(i * 1000, i * 1000 + 1000))


def test_get_many_returns_at_least_one_and_at_most_the_limit_in_order():
    q = processing.Queue()
    q.putMany(["a", "b", "c"])
    q.put("d")
    got: list[str] = []
    while len(got) < 4:
        batch = q.getMany(2, timeout=TIMEOUT)
        assert 1 <= len(batch) <= 2
        got += batch
    assert got == ["a", "b", "c", "d"]
    with pytest.raises(Empty):
        q.getMany(5, timeout=0.01)
    with pytest.raises(Empty):
        q.get_many(5, block=False)


@pytest.mark.parametrize("bad", [0, -1, 2.5, None])
def test_get_many_refuses_a_bad_limit(bad):
    q = processing.Queue()
    with pytest.raises(ValueError, match="max_items"):
        q.getMany(bad)


def test_a_batch_larger_than_a_frame_and_big_objects_keep_order():
    q = processing.BufferedQueue()
    big = b"z" * (200 * 1024)
    items = [b"s" * 1000] * 150 + [big, "tail"] + list(range(500))
    q.putMany(items)
    assert [q.get(timeout=TIMEOUT) for _ in items] == items


def test_an_unpicklable_object_in_put_many_raises_and_puts_none_of_them(capfd):
    q = processing.Queue()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        q.putMany([1, lambda: None, 2])
    with pytest.raises(Empty):
        q.get(timeout=0.05)
    assert q.qsize() == 0
    q.putMany([3, 4])  # the queue is as good as new
    assert q.getMany(5, timeout=TIMEOUT) == [3, 4]
    assert capfd.readouterr().err == ""


def test_put_many_objects_share_no_identity_and_a_cycle_round_trips():
    q = processing.Queue()
    shared = [1, 2]
    cycle: list = ["c"]
    cycle.append(cycle)
    q.putMany([shared, shared, [shared, shared], cycle, cycle])
    a, b, pair, c1, c2 = q.getMany(5, timeout=TIMEOUT)
    assert a == b == [1, 2] and a is not b  # as with two put() calls
    assert pair[0] is pair[1]  # identity within one object is kept
    assert c1[1] is c1 and c2[1] is c2 and c1 is not c2


def test_get_many_takes_batches_whole_or_in_part_within_its_limit():
    q = processing.Queue()
    items = list(range(40))
    for a, b in [(0, 7), (7, 12), (12, 13), (13, 40)]:
        q.putMany(items[a:b])
    got: list = []
    for limit in [3, 8, 20, 1, 100, 100, 100, 100]:
        if len(got) == len(items):
            break
        part = q.getMany(limit, timeout=TIMEOUT)
        assert 1 <= len(part) <= limit
        got += part
    assert got == items


def test_an_object_failing_halfway_through_pickling_sends_nothing_of_the_batch():
    q = processing.Queue()
    items = [b"a" * 300, [b"b" * 300, lambda: None], {"k": b"c" * 300}, b"d" * 70_000, "e"]
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        q.putMany(items)
    q.putMany([items[0], items[2], items[3], items[4]])
    got: list = []
    while len(got) < 4:
        got += q.getMany(10, timeout=TIMEOUT)
    assert got == [items[0], items[2], items[3], items[4]]


def test_joinable_put_many_counts_every_task():
    q = processing.JoinableQueue()
    q.putMany(["x", "y", "z"])
    assert q.getMany(3, timeout=TIMEOUT) == ["x", "y", "z"]
    q.task_done()
    q.task_done()
    assert not q._unfinished_tasks._semlock._is_zero()
    q.task_done()
    q.join()  # returns at once: every task is done
    with pytest.raises(ValueError, match="too many"):
        q.task_done()


def test_bounded_put_waits_for_room_instead_of_overfilling():
    q = processing.Queue(2)
    q.put(0)
    q.put(1)
    assert q.full()
    with pytest.raises(processing.Full):
        q.put(2, timeout=0.05)
    putter = threading.Thread(target=lambda: [q.put(i) for i in range(2, 6)], daemon=True)
    putter.start()
    got = [q.get(timeout=TIMEOUT) for _ in range(6)]
    putter.join(TIMEOUT)
    assert not putter.is_alive()
    assert got == list(range(6))


# -- the shared read buffer: one read() serves many get() calls, in whichever process


def _get_when_set(q, go, count, out):
    """Wait for ``go``, then take ``count`` objects: one with get(), the rest with get_nowait()."""
    assert go.wait(TIMEOUT)
    first = q.get(timeout=TIMEOUT)
    out.put([first] + [q.get_nowait() for _ in range(count - 1)])


def _two_readers(ctx, put, second_count: int) -> tuple:
    """Start two readers, put with ``put(q)``, flush the feeder into the pipe (close +
    join_thread); then the first reader takes one object and exits, and the second takes
    ``second_count``, never waiting after its first."""
    q, out = ctx.Queue(), ctx.Queue()
    go = [ctx.Event(), ctx.Event()]
    readers = [ctx.Process(target=_get_when_set, args=(q, go[i], n, out))
               for i, n in enumerate((1, second_count))]
    for r in readers:
        r.start()
    put(q)
    q.close()
    q.join_thread()  # everything is in the pipe now, so the first reader's read() takes it all
    got = []
    for r, event in zip(readers, go):
        event.set()
        got.append(out.get(timeout=TIMEOUT))
        r.join(TIMEOUT)
        assert r.exitcode == 0
    return got[0], got[1]


@pytest.mark.timeout(60)
def test_what_one_reader_read_ahead_is_got_by_the_next_without_waiting(ctx):
    # The first reader reads all 50 frames and takes one; the rest wait in the shared
    # buffer, where a reader that does not wait finds each of them.
    first, rest = _two_readers(ctx, lambda q: [q.put(i) for i in range(50)], 49)
    assert first == [0]
    assert rest == list(range(1, 50))


@pytest.mark.timeout(60)
def test_a_batch_read_ahead_behind_a_plain_object_is_ready_at_once(ctx):
    first, rest = _two_readers(ctx, lambda q: (q.put("first"), q.putMany(range(10))), 10)
    assert first == ["first"]
    assert rest == list(range(10))


def _put_sizes(q, sizes, tag):
    for i, n in enumerate(sizes):
        q.put((tag, i, b"b" * n))


# Payload sizes around the read buffer's (64 KiB) limits, between small objects that leave
# partial frames at every offset.
_SIZES = [n for big in (65_400, 65_480, 65_490, 65_500, 65_530, 70_000, 300_000)
          for n in (10, 3_000, big, 700)]


@pytest.mark.timeout(60)
def test_objects_near_and_beyond_the_read_buffer_size_arrive_whole_and_in_order(ctx):
    q = ctx.Queue()
    producer = ctx.Process(target=_put_sizes, args=(q, _SIZES, "p"))
    producer.start()
    got = [q.get(timeout=TIMEOUT) for _ in _SIZES]
    producer.join(TIMEOUT)
    assert [(i, len(data)) for _, i, data in got] == list(enumerate(_SIZES))
    assert all(set(data) <= {ord("b")} for _, _, data in got)


def _drain_until_none(q, out):
    got = []
    while (item := q.get(timeout=TIMEOUT)) is not None:
        got.append(item[:2] + (len(item[2]),))
    out.put(got)


@pytest.mark.timeout(90)
def test_several_producers_and_consumers_of_mixed_sizes_each_object_once(ctx):
    q, out = ctx.Queue(), ctx.Queue()
    sizes = _SIZES * 3
    consumers = [ctx.Process(target=_drain_until_none, args=(q, out)) for _ in range(2)]
    producers = [ctx.Process(target=_put_sizes, args=(q, sizes, tag)) for tag in "ab"]
    for p in consumers + producers:
        p.start()
    for p in producers:
        p.join(TIMEOUT)
    for _ in consumers:
        q.put(None)
    parts = [out.get(timeout=TIMEOUT) for _ in consumers]
    for p in consumers:
        p.join(TIMEOUT)
        assert p.exitcode == 0
    every = sorted(x for part in parts for x in part)
    assert every == sorted((tag, i, n) for tag in "ab" for i, n in enumerate(sizes))
    for part in parts:  # each consumer sees each producer's objects in their order
        for tag in "ab":
            mine = [i for t, i, _ in part if t == tag]
            assert mine == sorted(mine)
