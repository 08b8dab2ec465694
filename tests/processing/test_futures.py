"""processing.futures.ProcessPoolExecutor: concurrent.futures semantics on processing's Pool.

Every test body runs against our executor and, side by side, against the stdlib's
``concurrent.futures.ProcessPoolExecutor``: what the stdlib's does is the specification.
"""

from __future__ import annotations

import concurrent.futures
import gc
import multiprocessing
import os
import sys
import time
from pathlib import Path

import pytest

import processing
from processing.futures import BrokenProcessPool, ProcessPoolExecutor
from tests.conftest import START_METHODS

pytestmark = pytest.mark.timeout(60)

KINDS = ["processing", "stdlib"]


def make_executor(kind: str, method: str, workers: int, **kwargs):
    """An executor of ``kind`` whose workers start with ``method``."""
    if kind == "processing":
        return ProcessPoolExecutor(workers, mp_context=processing.getContext(method), **kwargs)
    return concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context(method), **kwargs)


@pytest.fixture(scope="module", params=START_METHODS)
def method(request: pytest.FixtureRequest) -> str:
    """Module-scoped here, so that one executor per kind and start method serves most tests."""
    return request.param


@pytest.fixture(scope="module", params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def executor(kind: str, method: str):
    with make_executor(kind, method, 2) as ex:
        yield ex


@pytest.fixture
def new_executor(kind: str, method: str):
    """Make executors of this test's kind and method; each is shut down at teardown."""
    made = []

    def make(workers: int = 1, **kwargs):
        made.append(make_executor(kind, method, workers, **kwargs))
        return made[-1]

    yield make
    for ex in made:
        ex.shutdown(wait=True, cancel_futures=True)


def square(x):
    return x * x


def add(a, b=0):
    return a + b


def fail(x):
    raise ValueError(f"bad {x}")


def sleep_then(x, seconds):
    time.sleep(seconds)
    return x


def exit_hard(code, delay=0.0):
    time.sleep(delay)  # so that a test can submit more before the worker dies
    os._exit(code)


def failing_initializer():
    raise RuntimeError("cannot initialise")


def wait_for_file(path, value, limit=30.0):
    """Block until ``path`` exists (at most ``limit`` seconds), then return ``value``."""
    deadline = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.01)
    return value


def touch_then(path, value):
    Path(path).touch()
    return value


def wait_until(predicate, limit=20.0):
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


# -------------------------------------------------------------------------- results


def test_submit_returns_a_future_with_the_result(executor):
    future = executor.submit(add, 2, b=3)
    assert future.result(10) == 5
    assert future.done() and not future.cancelled() and not future.running()


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


def test_map_raises_the_first_error_in_order(executor):
    results = executor.map(fail, range(3))
    with pytest.raises(ValueError, match="bad 0"):
        next(results)


def test_map_timeout_raises_timeout_error(executor):
    results = executor.map(sleep_then, [1, 2], [0.0, 3.0], timeout=0.5)
    with pytest.raises(concurrent.futures.TimeoutError):
        list(results)


def test_map_rejects_a_bad_chunksize(executor):
    with pytest.raises(ValueError):
        executor.map(square, range(3), chunksize=0)


def test_as_completed_and_wait(executor):
    futures = [executor.submit(sleep_then, i, 0.05 * (3 - i)) for i in range(3)]
    assert sorted(f.result() for f in concurrent.futures.as_completed(futures, 10)) == [0, 1, 2]
    done, not_done = concurrent.futures.wait(futures, 10)
    assert len(done) == 3 and not not_done


# ---------------------------------------------------------------- running and cancel


def test_a_started_call_is_running_and_cannot_be_cancelled(new_executor, tmp_path):
    ex = new_executor(1)
    release = tmp_path / "release"
    first = ex.submit(wait_for_file, str(release), "first")
    wait_until(first.running)
    assert not first.cancel()
    assert first.running() and not first.cancelled()
    release.touch()
    assert first.result(20) == "first"


def test_a_cancelled_call_never_runs_and_shutdown_does_not_wait_for_it(new_executor,
                                                                       tmp_path):
    ex = new_executor(1)
    release, ran = tmp_path / "release", tmp_path / "ran"
    first = ex.submit(wait_for_file, str(release), "first")
    wait_until(first.running)
    # The stdlib's executor also marks one queued call running; the third never is.
    ex.submit(square, 2)
    third = ex.submit(touch_then, str(ran), "third")
    assert third.cancel()
    assert third.cancelled() and third.done() and not third.running()
    with pytest.raises(concurrent.futures.CancelledError):
        third.result(0)
    release.touch()
    ex.shutdown(wait=True)
    assert first.result(0) == "first"
    assert not ran.exists()


def test_shutdown_with_cancel_futures_lets_running_calls_finish(new_executor, kind, tmp_path):
    ex = new_executor(1)
    release = tmp_path / "release"
    running = ex.submit(wait_for_file, str(release), "done")
    wait_until(running.running)
    queued = [ex.submit(square, i) for i in range(4)]
    ex.shutdown(wait=False, cancel_futures=True)
    release.touch()
    assert running.result(20) == "done"
    # The stdlib's executor moves up to max_workers + 1 calls into its call queue before
    # they run (EXTRA_QUEUED_CALLS), and those can no longer be cancelled: with one worker,
    # the first two queued calls may still run there. Processing's executor hands a call
    # to a worker only when it starts, so only the first may have started.
    committed = 2 if kind == "stdlib" else 1
    assert all(f.cancelled() for f in queued[committed:])
    for i, f in enumerate(queued[:committed]):
        assert f.cancelled() or f.result(20) == i * i
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(square, 1)


def test_shutdown_waits_for_submitted_work(kind, method):
    with make_executor(kind, method, 2) as ex:
        futures = [ex.submit(sleep_then, i, 0.01) for i in range(6)]
    assert [f.result(0) for f in futures] == list(range(6))


def test_shutdown_without_wait_still_completes_the_work(new_executor):
    ex = new_executor(2)
    futures = [ex.submit(sleep_then, i, 0.05) for i in range(4)]
    ex.shutdown(wait=False)
    assert [f.result(20) for f in futures] == list(range(4))


def test_an_executor_nobody_references_still_completes_its_calls(kind, method):
    future = make_executor(kind, method, 1).submit(sleep_then, 7, 0.1)
    gc.collect()
    assert future.result(20) == 7


def test_submit_after_shutdown_raises_runtime_error(new_executor):
    ex = new_executor(1)
    ex.shutdown()
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        ex.submit(square, 1)
    ex.shutdown()  # a second shutdown does nothing


# ------------------------------------------------------------------- broken pools


def test_a_dead_worker_breaks_the_executor(new_executor):
    ex = new_executor(1)
    dying = ex.submit(exit_hard, 3, 0.5)
    queued = ex.submit(sleep_then, 4, 0.0)
    with pytest.raises(BrokenProcessPool):
        dying.result(20)
    with pytest.raises(BrokenProcessPool):
        queued.result(20)
    with pytest.raises(BrokenProcessPool):
        ex.submit(square, 5)


def test_our_broken_pool_error_says_how_the_worker_died(method):
    with ProcessPoolExecutor(1, mp_context=processing.getContext(method)) as ex, \
            pytest.raises(BrokenProcessPool, match="exit code 3"):
        ex.submit(exit_hard, 3).result(20)


def test_a_failing_initializer_breaks_the_executor(new_executor):
    ex = new_executor(1, initializer=failing_initializer)
    with pytest.raises(BrokenProcessPool):
        ex.submit(square, 2).result(30)


def test_our_failing_initializer_error_names_it(method):
    ex = ProcessPoolExecutor(1, mp_context=processing.getContext(method),
                             initializer=failing_initializer)
    try:
        with pytest.raises(BrokenProcessPool, match="cannot initialise"):
            ex.submit(square, 2).result(30)
    finally:
        ex.shutdown(wait=True)


@pytest.mark.parametrize("how", ["terminate_workers", "kill_workers"])
def test_terminate_and_kill_workers(new_executor, kind, tmp_path, how):
    if kind == "stdlib" and sys.version_info < (3, 14):
        pytest.skip("the stdlib's executor has these from Python 3.14")
    ex = new_executor(1)
    running = ex.submit(wait_for_file, str(tmp_path / "never"), 1)
    wait_until(running.running)
    queued = [ex.submit(square, i) for i in range(3)]
    getattr(ex, how)()
    with pytest.raises(BrokenProcessPool):
        running.result(20)
    assert all(f.cancelled() for f in queued[1:])
    with pytest.raises((RuntimeError, BrokenProcessPool)):
        ex.submit(square, 1)


def test_max_workers_must_be_positive(kind):
    cls = ProcessPoolExecutor if kind == "processing" else concurrent.futures.ProcessPoolExecutor
    with pytest.raises(ValueError, match="max_workers"):
        cls(0)
