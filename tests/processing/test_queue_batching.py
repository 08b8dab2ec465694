"""Batching in queues: ``putMany`` batch frames, ``getMany``, and a batch shared by readers.

A reader that takes part of a batch leaves the rest where every other reader finds it, so
batching never strands objects with one consumer.
"""

from __future__ import annotations

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


def test_an_unpicklable_object_in_put_many_is_reported_and_skipped(capfd):
    q = processing.Queue()
    q.putMany([1, lambda: None, 2])
    assert [q.get(timeout=TIMEOUT), q.get(timeout=TIMEOUT)] == [1, 2]
    with pytest.raises(Empty):
        q.get(timeout=0.05)
    assert q.qsize() == 0
    assert "pickle" in capfd.readouterr().err.lower()


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


def test_bounded_put_many_waits_for_room_instead_of_overfilling():
    q = processing.Queue(2)
    q.putMany([0, 1])
    assert q.full()
    with pytest.raises(processing.Full):
        q.put(2, timeout=0.05)
    putter = threading.Thread(target=q.putMany, args=(range(2, 6),), daemon=True)
    putter.start()
    got = [q.get(timeout=TIMEOUT) for _ in range(6)]
    putter.join(TIMEOUT)
    assert not putter.is_alive()
    assert got == list(range(6))
