"""Pool: every method, the result objects, and the original processing pool example's behaviours.

One pool per start method serves the whole module (a spawn worker costs ~70 ms to start);
tests that end or reconfigure a pool make their own.
"""

from __future__ import annotations

import os
import pickle
import time

import pytest

import processing
from processing.pool import RemoteTraceback

pytestmark = pytest.mark.timeout(60)


# Task functions live at module level so spawn and forkserver workers can import them.


def mul(a, b):
    return a * b


def plus(a, b):
    return a + b


def pow3(x):
    return x**3


def f(x):
    return 1.0 / (x - 5.0)


def slow_square(x, delay=0.3):
    time.sleep(delay)
    return x * x


def kw(a, b=0, *, c=0):
    return (a, b, c)


def worker_name(_=None):
    return processing.currentProcess().name


def getpid(_=None):
    return os.getpid()


_initialized = None


def init_global(value):
    global _initialized
    _initialized = value


def read_global(_=None):
    return _initialized


def items_then_raise(n):
    yield from range(n)
    raise KeyError("the input iterable broke")


# ---------------------------------------------------------------------------------- apply


def test_apply_returns_the_result(pool):
    assert pool.apply(mul, (6, 7)) == 42
    assert pool.apply(kw, (1,), {"b": 2, "c": 3}) == (1, 2, 3)


def test_apply_async_result_object(pool):
    result = pool.applyAsync(slow_square, (4, 0.2))
    assert not result.ready()
    with pytest.raises(ValueError, match="not ready"):
        result.successful()
    result.wait(10)
    assert result.ready() and result.successful()
    assert result.get(0) == 16


def test_get_with_a_short_timeout_raises_processing_timeout_error(pool):
    result = pool.applyAsync(slow_square, (3, 0.5))
    with pytest.raises(processing.TimeoutError):
        result.get(0.02)
    assert processing.TimeoutError is __import__("multiprocessing").TimeoutError
    assert result.get(10) == 9


def test_callbacks_run_in_the_parent_in_order(pool):
    seen = []
    pool.applyAsync(mul, (7, 8), callback=seen.append).wait(10)
    pool.mapAsync(pow3, range(10), callback=seen.extend).wait(10)
    assert seen == [56, 0, 1, 8, 27, 64, 125, 216, 343, 512, 729]


def test_error_callback_gets_the_exception_and_callback_is_skipped(pool):
    good, bad = [], []
    result = pool.applyAsync(f, (5,), callback=good.append, error_callback=bad.append)
    result.wait(10)
    assert not result.successful()
    assert good == [] and len(bad) == 1 and isinstance(bad[0], ZeroDivisionError)


def test_worker_exception_keeps_its_type_and_carries_the_worker_traceback(pool):
    with pytest.raises(ZeroDivisionError) as info:
        pool.apply(f, (5,))
    cause = info.value.__cause__
    assert isinstance(cause, RemoteTraceback)
    assert "in f" in str(cause) and "return 1.0 / (x - 5.0)" in str(cause)


def test_unpicklable_function_fails_that_task_only(pool):
    result = pool.applyAsync(lambda: 1)
    with pytest.raises(pickle.PicklingError, match="module level"):
        result.get(10)
    assert pool.apply(plus, (1, 2)) == 3


def test_workers_are_named_pool_workers(pool):
    assert pool.apply(worker_name).startswith("PoolWorker-")


# ---------------------------------------------------------------------------------- map


@pytest.mark.parametrize("chunksize", [None, 1, 3, 100])
def test_map_matches_builtin_map(pool, chunksize):
    assert pool.map(pow3, range(50), chunksize) == [x**3 for x in range(50)]


def test_map_of_nothing(pool):
    assert pool.map(pow3, []) == []
    assert list(pool.imap(pow3, [])) == []


def test_map_async_and_starmap(pool):
    result = pool.mapAsync(pow3, range(10), chunksize=2)
    assert result.get(10) == [x**3 for x in range(10)]
    assert result.successful()
    pairs = [(i, 7) for i in range(10)]
    assert pool.starmap(mul, pairs) == [i * 7 for i in range(10)]
    assert pool.starmapAsync(plus, pairs, 3).get(10) == [i + 7 for i in range(10)]


def test_map_error_propagates_and_calls_error_callback(pool):
    errors = []
    with pytest.raises(ZeroDivisionError):
        pool.map(f, range(10))
    result = pool.mapAsync(f, range(10), error_callback=errors.append)
    with pytest.raises(ZeroDivisionError):
        result.get(10)
    assert len(errors) == 1 and isinstance(errors[0], ZeroDivisionError)


def test_map_rejects_a_bad_chunksize(pool):
    with pytest.raises(ValueError, match="chunksize"):
        pool.map(pow3, range(3), chunksize=0)
    with pytest.raises(ValueError, match="chunksize"):
        pool.imap(pow3, range(3), chunksize=0)


# ---------------------------------------------------------------------------------- imap


@pytest.mark.parametrize("chunksize", [1, 4])
def test_imap_keeps_input_order(pool, chunksize):
    assert list(pool.imap(pow3, range(30), chunksize)) == [x**3 for x in range(30)]


@pytest.mark.parametrize("chunksize", [1, 4])
def test_imap_unordered_yields_every_result(pool, chunksize):
    assert sorted(pool.imapUnordered(pow3, range(30), chunksize)) == [x**3 for x in range(30)]


def test_imap_reads_a_generator(pool):
    assert list(pool.imap(pow3, (x for x in range(10)))) == [x**3 for x in range(10)]


def test_imap_errors_propagate_from_list_and_next(pool):
    with pytest.raises(ZeroDivisionError):
        list(pool.imap(f, range(10)))
    it = pool.imap(f, range(10))
    outcomes = []
    for _ in range(10):
        try:
            outcomes.append(it.next(10))
        except ZeroDivisionError:
            outcomes.append("error")
    assert outcomes[5] == "error" and len(outcomes) == 10
    assert outcomes[4] == 1.0 / (4 - 5.0)
    with pytest.raises(StopIteration):
        it.next(10)


def test_imap_next_with_a_timeout(pool):
    it = pool.imap(slow_square, [2, 3])
    with pytest.raises(processing.TimeoutError):
        it.next(0.02)
    assert [it.next(10), it.next(10)] == [4, 9]


def test_imap_source_that_raises_ends_with_its_error(pool):
    it = pool.imap(pow3, items_then_raise(3))
    assert [next(it), next(it), next(it)] == [0, 1, 8]
    with pytest.raises(KeyError, match="broke"):
        it.next(10)
    with pytest.raises(StopIteration):
        it.next(10)


# ---------------------------------------------------------------------------------- spellings


def test_both_spellings_name_the_same_methods(pool):
    for camel, snake in [("applyAsync", "apply_async"), ("mapAsync", "map_async"),
                         ("starmapAsync", "starmap_async"), ("imapUnordered", "imap_unordered")]:
        assert getattr(type(pool), camel) is getattr(type(pool), snake)
    assert pool.apply_async(plus, (2, 3)).get(10) == 5


def test_a_pool_cannot_be_pickled(pool):
    with pytest.raises(NotImplementedError, match="cannot be pickled"):
        pickle.dumps(pool)


# ---------------------------------------------------------------------------------- lifecycle


def test_close_finishes_queued_work_then_join(ctx):
    p = ctx.Pool(2)
    pids = [w.process.pid for w in p._core.workers]
    results = [p.applyAsync(slow_square, (i, 0.05)) for i in range(6)]
    p.close()
    with pytest.raises(ValueError, match="not running"):
        p.apply(plus, (1, 2))
    p.join(20)
    assert [r.get(0) for r in results] == [i * i for i in range(6)]
    for pid in pids:  # exited and reaped
        with pytest.raises(OSError):
            os.kill(pid, 0)


def test_terminate_fails_unfinished_tasks_instead_of_hanging(ctx):
    p = ctx.Pool(1)
    running = p.applyAsync(slow_square, (2, 30))
    queued = p.applyAsync(plus, (1, 2))
    p.terminate()
    p.join(20)
    for result in (running, queued):
        with pytest.raises(processing.ProcessError, match="terminated"):
            result.get(10)


def test_context_manager_terminates(ctx):
    with ctx.Pool(1) as p:
        assert p.apply(plus, (1, 1)) == 2
        pids = [w.process.pid for w in p._core.workers]
    p.join(20)
    with pytest.raises(ValueError):
        p.apply(plus, (1, 1))
    for pid in pids:
        with pytest.raises(OSError):
            os.kill(pid, 0)


def test_a_result_keeps_an_unreferenced_pool_alive_until_it_is_in(ctx):
    result = ctx.Pool(1).applyAsync(slow_square, (3, 0.2))
    it = ctx.Pool(1).imap(pow3, range(3))
    assert result.get(20) == 9
    assert list(it) == [0, 1, 8]


def test_join_needs_close_first(ctx):
    p = ctx.Pool(1)
    try:
        with pytest.raises(ValueError, match="close"):
            p.join()
    finally:
        p.terminate()


def test_initializer_runs_in_every_worker(ctx):
    with ctx.Pool(2, initializer=init_global, initargs=("ready",)) as p:
        assert p.map(read_global, range(8), chunksize=1) == ["ready"] * 8


def test_processing_pool_uses_the_default_context():
    with processing.Pool(1) as p:
        assert p.apply(mul, (3, 4)) == 12


@pytest.mark.parametrize("kwargs, error", [
    ({"processes": 0}, ValueError),
    ({"processes": "2"}, ValueError),
    ({"initializer": 5}, TypeError),
    ({"maxtasksperchild": 0}, ValueError),
])
def test_bad_arguments_are_refused_clearly(kwargs, error):
    name = next(iter(kwargs))
    with pytest.raises(error, match=name):
        processing.Pool(**kwargs)
