"""processing.futures.ProcessPoolExecutor: concurrent.futures semantics on processing's Pool."""

from __future__ import annotations

import concurrent.futures
import os
import time

import pytest

import processing
from processing.futures import BrokenProcessPool, ProcessPoolExecutor
from tests.conftest import START_METHODS

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module", params=START_METHODS)
def start_method(request: pytest.FixtureRequest) -> str:
    """Module-scoped here, so that one executor per start method serves most tests."""
    return request.param


@pytest.fixture(scope="module")
def executor(start_method: str):
    with ProcessPoolExecutor(2, mp_context=processing.getContext(start_method)) as ex:
        yield ex


def square(x):
    return x * x


def add(a, b=0):
    return a + b


def fail(x):
    raise ValueError(f"bad {x}")


def sleep_then(x, seconds):
    time.sleep(seconds)
    return x


def exit_hard(code):
    os._exit(code)


def failing_initializer():
    raise RuntimeError("cannot initialise")


def test_submit_returns_a_future_with_the_result(executor):
    future = executor.submit(add, 2, b=3)
    assert future.result(10) == 5
    assert future.done() and not future.cancelled()


def test_exceptions_come_back_with_their_type(executor):
    future = executor.submit(fail, 1)
    with pytest.raises(ValueError, match="bad 1"):
        future.result(10)
    assert isinstance(future.exception(0), ValueError)


@pytest.mark.parametrize("chunksize", [1, 3])
def test_map_in_order(executor, chunksize):
    assert list(executor.map(square, range(10), chunksize=chunksize)) == [
        x * x for x in range(10)]
    assert list(executor.map(add, range(4), range(4))) == [0, 2, 4, 6]


def test_as_completed_and_wait(executor):
    futures = [executor.submit(sleep_then, i, 0.05 * (3 - i)) for i in range(3)]
    assert sorted(f.result() for f in concurrent.futures.as_completed(futures, 10)) == [0, 1, 2]
    done, not_done = concurrent.futures.wait(futures, 10)
    assert len(done) == 3 and not not_done


def test_a_dead_worker_breaks_the_executor(ctx):
    ex = ProcessPoolExecutor(1, mp_context=ctx)
    try:
        dying = ex.submit(exit_hard, 3)
        queued = ex.submit(square, 4)
        with pytest.raises(BrokenProcessPool, match="exit code 3"):
            dying.result(10)
        with pytest.raises(BrokenProcessPool):
            queued.result(10)
        with pytest.raises(BrokenProcessPool):
            ex.submit(square, 5)
    finally:
        ex.shutdown(wait=True)


def test_a_failing_initializer_breaks_the_executor(ctx):
    ex = ProcessPoolExecutor(1, mp_context=ctx, initializer=failing_initializer)
    try:
        with pytest.raises(BrokenProcessPool, match="cannot initialise"):
            ex.submit(square, 2).result(20)
    finally:
        ex.shutdown(wait=True)


def test_shutdown_with_cancel_futures(ctx):
    ex = ProcessPoolExecutor(1, mp_context=ctx)
    running = ex.submit(sleep_then, 1, 30)
    queued = [ex.submit(square, i) for i in range(3)]
    ex.shutdown(wait=True, cancel_futures=True)
    assert all(f.cancelled() for f in [running, *queued])
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(square, 1)


def test_shutdown_waits_for_submitted_work(ctx):
    with ProcessPoolExecutor(2, mp_context=ctx, max_tasks_per_child=2) as ex:
        futures = [ex.submit(square, i) for i in range(6)]
    assert [f.result(0) for f in futures] == [i * i for i in range(6)]


def test_max_workers_must_be_positive():
    with pytest.raises(ValueError, match="max_workers"):
        ProcessPoolExecutor(0)
