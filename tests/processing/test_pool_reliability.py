"""Pool: the reliability defects of issue 12 and the stdlib/0.52 gaps of issue 14.

A map whose tasks cannot be pickled, callbacks that raise anything, references kept after
``map`` returns, results that cannot be pickled (``MaybeEncodingError``), ``successful()``
too early, a pool that is garbage collected, a worker that fails to start, and the
stdlib's and processing 0.52's own pool examples (which read ``_pool`` and ``_cache``).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
import time
import unittest.mock
import weakref
from pathlib import Path

import pytest

import processing
from freezekit.guard import run_guarded
from processing.pool import (
    MaybeEncodingError,
    RemoteTraceback,
    ResultNotReadyError,
)

pytestmark = pytest.mark.timeout(90)

SCRIPTS = Path(__file__).resolve().parent / "scripts"


def square(x):
    return x * x


def identity(x):
    return x


def one(_):
    return 1


def sleep_for(seconds):
    time.sleep(seconds)
    return seconds


def return_a_lock(_=None):
    return threading.Lock()


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("this exception refuses to be pickled")


def raise_unpicklable(_=None):
    raise Unpicklable("no")


def divide(x):
    return 1 / x


class Payload:
    """An argument the test can watch with a weak reference."""


def wait_until(predicate, limit=10.0):
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            return False
        gc.collect()
        time.sleep(0.01)
    return True


# --------------------------------------------------------- issue 12, defect 2


@pytest.mark.parametrize("args", [
    pytest.param([lambda: 0] * 10, id="10-lambdas"),
    pytest.param([threading.Lock() for _ in range(100)], id="100-locks"),
    pytest.param([threading.Lock()] * 3 + list(range(20)), id="mixed"),
])
def test_a_map_whose_arguments_cannot_be_pickled_leaves_the_pool_working(ctx, args):
    with ctx.Pool(4) as pool:
        with pytest.raises(pickle.PicklingError, match="cannot be pickled"):
            pool.map(square, args)
        assert pool.mapAsync(square, range(10)).get(20) == [x * x for x in range(10)]
        assert pool.apply_async(square, (7,)).get(20) == 49
        assert wait_until(lambda: not pool._cache)


def test_an_unpicklable_task_raises_what_the_stdlib_lets_through_too(ctx):
    """CPython's test_map_unplicklable catches RuntimeError: the error is also of the type
    pickling raised, as well as a PicklingError with our explanation."""

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("cannot pickle")

    with ctx.Pool(2) as pool:
        with pytest.raises(RuntimeError, match="cannot send the task") as info:
            pool.map(square, [Unpicklable()])
        assert isinstance(info.value, pickle.PicklingError)
        with pytest.raises(TypeError):
            pool.map(square, [threading.Lock()])


# --------------------------------------------------------- issue 12, defect 3


def raise_system_exit(_):
    raise SystemExit(3)


def raise_keyboard_interrupt(_):
    raise KeyboardInterrupt


def raise_value_error(_):
    raise ValueError("the callback failed")


@pytest.mark.parametrize("callback, error", [
    (raise_system_exit, SystemExit),
    (raise_keyboard_interrupt, KeyboardInterrupt),
    (raise_value_error, ValueError),
])
def test_a_raising_callback_fails_its_result_and_the_pool_goes_on(pool, callback, error,
                                                                   capsys):
    result = pool.applyAsync(square, (3,), callback=callback)
    with pytest.raises(error):
        result.get(20)
    assert result.ready() and not result.successful()
    mapped = pool.mapAsync(square, range(4), callback=callback)
    with pytest.raises(error):
        mapped.get(20)
    failed = pool.applyAsync(divide, (0,), error_callback=callback)
    with pytest.raises(error) as info:
        failed.get(20)
    assert isinstance(info.value.__context__, ZeroDivisionError)
    assert pool.map(square, range(5)) == [0, 1, 4, 9, 16]
    assert pool.apply(square, (5,)) == 25
    assert "the result's get() raises it" in capsys.readouterr().err


# -------------------------------------------------------- issue 12, defect 11


def test_task_arguments_are_released_once_map_returns(pool):
    payloads = [Payload() for _ in range(10)]
    refs = [weakref.ref(p) for p in payloads]
    assert pool.map(one, payloads) == [1] * 10
    del payloads
    assert wait_until(lambda: all(r() is None for r in refs), 5.0), \
        f"{sum(r() is not None for r in refs)} of 10 arguments still alive"


def test_task_arguments_and_results_are_released_after_apply_async(pool):
    payloads = [Payload() for _ in range(10)]
    refs = [weakref.ref(p) for p in payloads]
    results = [pool.applyAsync(one, (p,)) for p in payloads]
    assert [r.get(20) for r in results] == [1] * 10
    del payloads, results
    assert wait_until(lambda: all(r() is None for r in refs), 5.0)


def test_results_are_released_once_the_caller_drops_them(pool):
    result = pool.applyAsync(identity, (Payload(),))
    ref = weakref.ref(result.get(20))
    del result
    assert wait_until(lambda: ref() is None, 5.0)


# ------------------------------------------------------------------- issue 14


def test_an_unpicklable_result_is_a_maybe_encoding_error(pool):
    with pytest.raises(MaybeEncodingError) as info:
        pool.apply(return_a_lock)
    error = info.value
    assert isinstance(error, pickle.PicklingError)
    assert "lock" in error.value and error.exc
    assert str(error).endswith(f"Error sending result: '{error.value}'. Reason: '{error.exc}'")
    assert pickle.loads(pickle.dumps(error)).value == error.value
    with pytest.raises(MaybeEncodingError):
        pool.map(return_a_lock, range(3))


def test_an_unpicklable_exception_is_a_maybe_encoding_error(pool):
    with pytest.raises(MaybeEncodingError, match="Unpicklable: no"):
        pool.apply(raise_unpicklable)


def test_remote_traceback_has_tb(pool):
    with pytest.raises(ZeroDivisionError) as info:
        pool.apply(divide, (0,))
    cause = info.value.__cause__
    assert isinstance(cause, RemoteTraceback)
    assert "ZeroDivisionError" in cause.tb and str(cause) == "\n" + cause.tb


def test_successful_too_early_is_both_assertion_error_and_value_error(pool):
    result = pool.applyAsync(sleep_for, (0.5,))
    for caught in (AssertionError, ValueError, ResultNotReadyError):
        with pytest.raises(caught, match="not ready"):
            result.successful()
    assert result.get(20) == 0.5 and result.successful()


def test_cache_and_pool_are_read_only_views(ctx):
    pool = ctx.Pool(2)
    try:
        workers = pool._pool
        assert len(workers) == 2 and all(w.is_alive() for w in workers)
        result = pool.applyAsync(sleep_for, (0.3,))
        assert len(pool._cache) == 1
        with pytest.raises(TypeError):
            pool._cache[0] = None
        result.get(20)
        assert not pool._cache
    finally:
        pool.terminate()
    pool.join(20)
    assert not any(w.is_alive() for w in workers)


def test_a_collected_pool_is_terminated_at_once(ctx):
    pool = ctx.Pool(2)
    workers = pool._pool
    results = [pool.applyAsync(sleep_for, (10,)) for _ in range(6)]
    del results, pool
    assert wait_until(lambda: not any(w.is_alive() for w in workers), 5.0)


def test_a_pool_in_a_reference_cycle_is_terminated_by_gc(ctx):
    pool = ctx.Pool(1)
    pool.cycle = pool
    workers = pool._pool
    del pool
    gc.collect()
    assert wait_until(lambda: not any(w.is_alive() for w in workers), 5.0)


def test_workers_start_through_the_contexts_process(ctx):
    made = []
    custom = processing.getContext(ctx.get_start_method())
    original = custom.Process

    def recording(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    with unittest.mock.patch.object(custom, "Process", recording), \
            processing.pool.Pool(2, context=custom) as pool:
        assert pool.apply(square, (4,)) == 16
    assert len(made) == 2 and all(p.name.startswith("PoolWorker-") for p in made)


def test_a_worker_that_fails_to_start_fails_the_pool_and_leaks_none():
    # As CPython's TestPoolNotLeakOnFailure: the fourth start fails.
    made = []

    class FailingProcess:
        def __init__(self, **kwargs):
            self.name = "Fake Process"
            self.exitcode = None
            self.state = None
            made.append(self)

        def start(self):
            if len(made) > 3:
                raise OSError("Manually induced OSError")
            self.state = "started"

        def terminate(self):
            self.state = "stopping"

        def join(self):
            if self.state == "stopping":
                self.state = "stopped"

        def is_alive(self):
            return self.state in ("started", "stopping")

    context = unittest.mock.MagicMock(Process=FailingProcess)
    with pytest.raises(OSError, match="Manually induced OSError"):
        processing.pool.Pool(5, context=context)
    assert len(made) == 4
    assert not any(p.is_alive() for p in made)


def test_a_pool_subclass_may_override_process(ctx):
    class Counting(processing.pool.Pool):
        made = 0

        @staticmethod
        def Process(context, *args, **kwds):
            Counting.made += 1
            return context.Process(*args, **kwds)

    with Counting(3, context=ctx) as pool:
        assert pool.map(square, range(4)) == [0, 1, 4, 9]
    assert Counting.made == 3


def _run_script(name: str, start_method: str):
    env = dict(os.environ, PROCESSING_START_METHOD=start_method)
    result = run_guarded([sys.executable, str(SCRIPTS / name)], timeout=80, max_procs=16,
                         cwd=SCRIPTS, env=env)
    assert not result.bomb_stopped and not result.timed_out, result.stderr
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cpython_mp_pool_example_runs(start_method):
    out = _run_script("mp_pool.py", start_method)
    for line in ("callbacks succeeded", "close() succeeded", "terminate() succeeded",
                 "garbage collection succeeded"):
        assert line in out, out


def test_processing_052_ex_pool_example_runs():
    out = _run_script("ex_pool.py", "fork")
    for line in ("callbacks succeeded", "close() succeeded", "terminate() succeeded",
                 "garbage collection succeeded"):
        assert line in out, out


FORK_WARNING_PROGRAM = """
import warnings, processing
from processing.futures import ProcessPoolExecutor
def square(x):
    return x * x
if __name__ == "__main__":
    warnings.simplefilter("error", DeprecationWarning)
    ctx = processing.getContext("fork")
    with ctx.Pool(2) as pool:
        assert pool.map(square, range(10)) == [x * x for x in range(10)]
    with ProcessPoolExecutor(2, mp_context=ctx) as ex:
        assert list(ex.map(square, range(4))) == [0, 1, 4, 9]
    print("no warning")
"""


@pytest.mark.skipif(sys.version_info < (3, 12) or "fork" not in processing.allStartMethods(),
                    reason="Python 3.12+ warns when a multi-threaded process forks")
def test_starting_a_fork_pool_does_not_warn_about_threads(tmp_path):
    # The workers are forked before the pool's manager thread starts (issue 11 item 7).
    script = tmp_path / "app.py"
    script.write_text(FORK_WARNING_PROGRAM)
    result = run_guarded([sys.executable, "-W", "error::DeprecationWarning", str(script)],
                         timeout=60, max_procs=10, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no warning"
    assert "multi-threaded" not in result.stderr


# ------------------------------------------------------------ the manager thread's life


def test_an_idle_pool_lets_its_manager_thread_go_and_still_serves(ctx):
    with ctx.Pool(2) as pool:
        assert pool.map(square, range(4)) == [0, 1, 4, 9]
        assert wait_until(lambda: not pool._core._thread.is_alive(), 10.0)
        victim = pool._pool[0]
        os.kill(victim.pid, signal.SIGKILL)
        assert wait_until(lambda: not victim.is_alive(), 10.0)
        assert pool.map(square, range(6)) == [x * x for x in range(6)]
        assert victim not in pool._pool, pool._pool  # replaced on the next call
        assert len(pool._pool) == 2


AT_EXIT_PROGRAM = """
import time, processing
from processing.futures import ProcessPoolExecutor
def square(x):
    return x * x
def slow(x):
    time.sleep(0.3)
    return x
if __name__ == "__main__":
    ctx = processing.getContext()
    used = ctx.Pool(2)
    print(used.map(square, range(4)))
    time.sleep(1.5)  # its manager thread has gone idle
    unused = ctx.Pool(1)  # never had one
    busy = ProcessPoolExecutor(1, mp_context=ctx)
    pending = busy.submit(slow, 5)  # still running at exit: waited for, as by the stdlib
    print(ProcessPoolExecutor(1, mp_context=ctx).submit(square, 3).result(20))
"""


def test_pools_and_executors_left_open_at_exit_end_cleanly(tmp_path, start_method):
    # Python 3.12 refuses to start threads at exit: ending a pool then needs none.
    script = tmp_path / "app.py"
    script.write_text(AT_EXIT_PROGRAM)
    env = dict(os.environ, PROCESSING_START_METHOD=start_method)
    result = run_guarded([sys.executable, str(script)], timeout=60, max_procs=16,
                         cwd=tmp_path, env=env)
    assert not result.timed_out and result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[0,", "1,", "4,", "9]", "9"]
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


def test_a_replacement_refused_for_now_is_tried_again(ctx, monkeypatch):
    # fork(): EAGAIN when the machine is short of processes for a moment.
    refusals = []

    def refusing_twice(start):
        def refuse():
            if len(refusals) < 2:
                refusals.append(1)
                raise BlockingIOError(11, "Resource temporarily unavailable")
            return start()
        return refuse

    with ctx.Pool(1) as pool:
        core = pool._core
        monkeypatch.setattr(core.launcher, "launch", refusing_twice(core.launcher.launch))
        if core.template is not None:  # a fork pool's replacements come from its template
            monkeypatch.setattr(core.template, "start_worker",
                                refusing_twice(core.template.start_worker))
        with pytest.raises(processing.pool.WorkerLostError):
            pool.apply(os._exit, (3,))
        assert pool.apply(square, (6,)) == 36
        assert len(refusals) == 2
