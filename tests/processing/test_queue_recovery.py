"""Queues against the defects of issue 12 (items 1, 6, 7) and the fork warning of issue 11.7.

Each runs under fork, spawn and forkserver: a batch is never lost; ``get(timeout)`` keeps its
timeout whatever other processes do (a producer killed inside a big object, a reader killed
holding the read lock, a reader whose timeout cut a big object short); an object that cannot
be pickled raises in the caller of ``put`` and ``JoinableQueue.join()`` does not hang on it.
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
from processing import Empty

pytestmark = [pytest.mark.usefixtures("no_leftover_children"), pytest.mark.timeout(120)]

TIMEOUT = 20
BIG = 4 * 1024 * 1024  # far beyond the pipe (64 KiB) and the read buffer
UNPICKLABLE = (pickle.PicklingError, AttributeError, TypeError)


def _bounded(fn, limit):
    """Run ``fn`` in a thread; fail if it has not returned or raised after ``limit`` s."""
    result: dict = {}

    def run():
        try:
            result["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 (handed to the test)
            result["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(limit)
    assert not t.is_alive(), f"blocked for more than {limit} s"
    return result


def _wait_for_data(q):
    assert q._reader.poll(TIMEOUT), "nothing reached the pipe"


# -- item 1: a putMany batch is never lost ------------------------------------------------


def _put_many(q, start, count):
    q.putMany(range(start, start + count))


@pytest.mark.parametrize("kind", ["Queue", "BufferedQueue", "JoinableQueue"])
def test_the_reproducer_twelve_thousand_items_put_many_then_get(kind):
    # Was: UnpicklingError at item 7032, 3449 items gone (a batch frame of 65536 bytes was
    # read as one pickle: the buffer takes frames up to 65532).
    q = getattr(processing, kind)()
    q.putMany(range(12000))
    assert [q.get(timeout=5) for _ in range(12000)] == list(range(12000))
    q.putMany(range(12000))
    got: list[int] = []
    while len(got) < 12000:
        got += q.getMany(1000, timeout=5)
    assert got == list(range(12000))


@pytest.mark.parametrize("kind", ["Queue", "BufferedQueue", "JoinableQueue"])
def test_put_many_batches_from_several_processes_all_arrive_in_order(ctx, kind):
    q = getattr(ctx, kind)()
    producers = [ctx.Process(target=_put_many, args=(q, i * 12000, 12000)) for i in range(2)]
    for p in producers:
        p.start()
    got: list[int] = []
    while len(got) < 24000:
        got += q.getMany(777, timeout=TIMEOUT)
    for p in producers:
        p.join(TIMEOUT)
        assert p.exitcode == 0
    assert sorted(got) == list(range(24000))
    for i in range(2):
        assert [x for x in got if x // 12000 == i] == list(range(i * 12000, (i + 1) * 12000))


# -- item 6: get(timeout) keeps its timeout; dead lock holders do not wedge the queue ------


def _put_big(q):
    q.put(b"p" * BIG)


def test_a_producer_killed_inside_a_big_object_does_not_hold_get_past_its_timeout(ctx):
    q = ctx.Queue()
    producer = ctx.Process(target=_put_big, args=(q,))
    producer.start()
    _wait_for_data(q)
    os.kill(producer.pid, signal.SIGKILL)  # inside the write: the pipe holds 64 KiB of it
    got = _bounded(lambda: q.get(timeout=1.0), 15)
    assert isinstance(got.get("error"), Empty)  # the object was never written whole
    producer.join(TIMEOUT)
    # The partial object was dropped and the dead writer's lock released: the queue works.
    q.put("after")
    assert q.get(timeout=TIMEOUT) == "after"


def test_a_blocking_get_recovers_when_a_producer_dies_inside_a_big_object(ctx):
    q = ctx.Queue()
    producer = ctx.Process(target=_put_big, args=(q,))
    producer.start()
    _wait_for_data(q)
    os.kill(producer.pid, signal.SIGKILL)
    later = threading.Timer(1.0, q.put, args=("next",))
    later.start()
    got = _bounded(q.get, 15)  # no timeout: it waits for the next whole object
    later.join()
    assert got.get("value") == "next"
    producer.join(TIMEOUT)


def _put_two(q):
    q.put("b1")
    q.put("b2")


def test_a_producer_waiting_behind_one_killed_inside_a_big_object_gets_through_whole(ctx):
    q = ctx.Queue()
    first = ctx.Process(target=_put_big, args=(q,))
    first.start()
    _wait_for_data(q)  # it holds the write lock, inside its object: the pipe is full
    second = ctx.Process(target=_put_two, args=(q,))
    second.start()
    time.sleep(0.2)  # its feeder now waits for the write lock
    os.kill(first.pid, signal.SIGKILL)
    first.join(TIMEOUT)
    # The reader reads all the dead writer wrote, drops its cut object, then lets the
    # waiting writer in: nothing of the second producer is read as part of the first's.
    got = _bounded(lambda: [q.get(timeout=TIMEOUT) for _ in range(2)], 3 * TIMEOUT)
    assert got.get("value") == ["b1", "b2"], got
    second.join(TIMEOUT)
    assert second.exitcode == 0


def _hold_read_lock(q, ready):
    q._reading.acquire()
    ready.set()
    time.sleep(60)


def test_a_reader_killed_holding_the_read_lock_loses_nothing(ctx):
    q = ctx.Queue()
    ready = ctx.Event()
    reader = ctx.Process(target=_hold_read_lock, args=(q, ready))
    reader.start()
    assert ready.wait(TIMEOUT)
    q.putMany(range(50))
    q.put("last")
    assert isinstance(_bounded(lambda: q.get(timeout=0.2), 10).get("error"), Empty)
    os.kill(reader.pid, signal.SIGKILL)
    reader.join(TIMEOUT)
    got = _bounded(lambda: [q.get(timeout=5) for _ in range(51)], 30)
    assert got.get("value") == [*range(50), "last"]


def _get_one(q, out):
    out.put(q.get(timeout=60))


def test_a_reader_killed_while_waiting_in_get_leaves_the_queue_usable(ctx):
    q, out = ctx.Queue(), ctx.Queue()
    reader = ctx.Process(target=_get_one, args=(q, out))
    reader.start()
    deadline = time.monotonic() + TIMEOUT
    while q._reading.holder() != reader.pid:  # it waits in get(), holding the read lock
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(reader.pid, signal.SIGKILL)
    reader.join(TIMEOUT)
    q.putMany(["a", "b"])
    assert _bounded(lambda: q.getMany(5, timeout=5), 20).get("value") == ["a", "b"]


def _get_big(q, out):
    out.put(len(q.get(timeout=TIMEOUT)))


def test_a_big_object_cut_short_by_a_timeout_is_finished_by_the_next_reader(ctx):
    q, out = ctx.Queue(), ctx.Queue()
    producer = ctx.Process(target=_put_big, args=(q,))
    producer.start()
    _wait_for_data(q)
    os.kill(producer.pid, signal.SIGSTOP)  # alive, but writes nothing more for now
    try:
        assert isinstance(_bounded(lambda: q.get(timeout=0.5), 10).get("error"), Empty)
        assert not q.empty()  # what was read of it is kept
    finally:
        os.kill(producer.pid, signal.SIGCONT)
    reader = ctx.Process(target=_get_big, args=(q, out))  # another process finishes it
    reader.start()
    assert out.get(timeout=TIMEOUT) == BIG
    reader.join(TIMEOUT)
    producer.join(TIMEOUT)
    assert producer.exitcode == 0
    assert not os.path.exists(q._spill_path)


def test_get_with_a_timeout_returns_in_time_while_another_reader_holds_the_lock(ctx):
    q = ctx.Queue()
    ready = ctx.Event()
    reader = ctx.Process(target=_hold_read_lock, args=(q, ready))
    reader.start()
    assert ready.wait(TIMEOUT)
    q.put(1)
    for call in (lambda: q.get(timeout=0.3), q.get_nowait, lambda: q.getMany(3, timeout=0.3)):
        assert isinstance(_bounded(call, 10).get("error"), Empty)
    reader.kill()
    reader.join(TIMEOUT)
    assert q.get(timeout=TIMEOUT) == 1


# -- item 7: an object that cannot be pickled raises in the caller -------------------------


def _put_unpicklable(q, out):
    try:
        q.put(lambda: None)
    except UNPICKLABLE as exc:
        out.put(type(exc).__name__)
    else:
        out.put("no error")
    q.put("fine")


@pytest.mark.parametrize("kind", ["Queue", "BufferedQueue", "JoinableQueue"])
def test_an_unpicklable_object_raises_in_put_and_is_not_queued(ctx, kind, capfd):
    q, out = getattr(ctx, kind)(), ctx.Queue()
    p = ctx.Process(target=_put_unpicklable, args=(q, out))
    p.start()
    assert out.get(timeout=TIMEOUT) != "no error"
    assert q.get(timeout=TIMEOUT) == "fine"
    p.join(TIMEOUT)
    assert p.exitcode == 0
    with pytest.raises(Empty):
        q.get(timeout=0.1)
    assert "Traceback" not in capfd.readouterr().err  # nothing reported and dropped


def _work(q):
    while q.get(timeout=TIMEOUT) is not None:
        q.task_done()
    q.task_done()


def test_joinable_queue_join_returns_after_a_refused_unpicklable_put(ctx):
    q = ctx.JoinableQueue()
    worker = ctx.Process(target=_work, args=(q,))
    worker.start()
    q.put(1)
    with pytest.raises(UNPICKLABLE):
        q.put(lambda: None)
    with pytest.raises(UNPICKLABLE):
        q.putMany([2, lambda: None])
    q.put(None)
    assert "error" not in _bounded(q.join, 30)  # every task that was put is done
    worker.join(TIMEOUT)
    assert worker.exitcode == 0


def test_put_raises_closed_before_pickling():
    q = processing.Queue()
    q.close()
    with pytest.raises(ValueError, match="closed"):
        q.put(lambda: None)
    with pytest.raises(ValueError, match="closed"):
        q.putMany([1])


# -- issue 11.7: no thread of ours when the program forks ----------------------------------

_FORK_PROGRAM = textwrap.dedent("""
    import warnings
    warnings.simplefilter("error", DeprecationWarning)
    import processing

    def work(tasks, results):
        for item in iter(tasks.get, None):
            results.put(item * 2)

    if __name__ == "__main__":
        ctx = processing.getContext("fork")
        tasks, results = ctx.Queue(), ctx.Queue()
        tasks.put(1)                        # a put before the fork
        tasks.putMany(range(2, 200))        # and a burst
        workers = [ctx.Process(target=work, args=(tasks, results)) for _ in range(2)]
        for w in workers:
            w.start()
        for _ in workers:
            tasks.put(None)
        got = sorted(results.get(timeout=20) for _ in range(199))
        assert got == [2 * i for i in range(1, 200)], got
        for w in workers:
            w.join(20)
        late = ctx.Process(target=work, args=(tasks, results))  # a fork after all that
        late.start()
        tasks.put(None)
        late.join(20)
        print("ok")
""")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the fork warning is 3.12+")
@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_a_typical_fork_program_gets_no_multi_threaded_fork_warning(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(_FORK_PROGRAM)
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", str(script)],
                          check=False, capture_output=True, text=True, timeout=60)
    assert "multi-threaded" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
