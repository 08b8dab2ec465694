"""``ProcessPoolExecutor``: a ``concurrent.futures`` executor on processing's ``Pool``.

It keeps the stdlib executor's semantics: a future is running (``running()`` is True and
``cancel()`` returns False) from the moment its call is handed to a worker; a cancelled
future's call never runs; ``shutdown(cancel_futures=True)`` cancels what has not started and
lets the running calls finish; when a worker dies, the future of the call it ran and every
other unfinished future fail with ``BrokenProcessPool``, and ``submit()`` refuses new work.
Unlike the stdlib's, the error says which worker died and how (its exit code or signal).
"""

from __future__ import annotations

import atexit
import functools
import itertools
import threading
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future, InvalidStateError
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from processing.pool import BrokenPoolError, Pool, WorkerLostError
from processing.pool._jobs import Job

__all__ = ["BrokenProcessPool", "ProcessPoolExecutor"]


def _run_chunk(fn: Callable[..., Any], chunk: list[tuple]) -> list[Any]:
    return [fn(*args) for args in chunk]


class _State:
    """What the executor and its futures' jobs share; it holds no executor, so that an
    executor nobody references is collected (and its pool closed) like the stdlib's."""

    def __init__(self, pool: Pool) -> None:
        self.lock = threading.Lock()
        self.core = pool._core
        self.broken: str | None = None
        self.shutdown = False

    def break_with(self, message: str, cause: BaseException | None) -> None:
        """Fail every unfinished future with ``BrokenProcessPool`` and stop the workers."""
        with self.lock:
            if self.broken is not None:
                return
            self.broken = message
        for job in list(self.core.jobs.values()):
            if isinstance(job, _FutureJob):
                job._fail(_broken_error(message, cause))
        self.core.terminate()


def _broken_error(message: str, cause: BaseException | None) -> BrokenProcessPool:
    error = BrokenProcessPool(message)
    error.__cause__ = cause
    return error


class _FutureJob(Job):
    """The pool job of one submitted call: it settles the call's future."""

    claims = True

    def __init__(self, state: _State, future: Future) -> None:
        super().__init__(state.core.jobs)
        self._state = state
        self._future = future
        self._claimed = False

    def claim(self) -> bool:
        # Called by the scheduler thread just before it hands the call to a worker.
        if self._claimed:
            return True  # taken before, then put back to be sent later
        self._claimed = True
        if self.key not in self._jobs:
            return False  # already failed (the pool broke while it waited)
        try:
            if self._future.set_running_or_notify_cancel():
                return True
        except RuntimeError:
            pass  # failed by another thread between the check above and now
        self._jobs.pop(self.key, None)
        return False

    def deliver(self, index: int, success: bool, value: Any) -> None:
        if isinstance(value, (WorkerLostError, BrokenPoolError)) and not success:
            self._state.break_with(
                f"a worker of the pool ended abruptly, so the executor cannot be used any "
                f"more: {value}", value)
            return
        if self._jobs.pop(self.key, None) is None:
            return
        try:
            if success:
                self._future.set_result(value)
            else:
                self._future.set_exception(value)
        except InvalidStateError:
            pass  # cancelled before it was handed to a worker

    def abort(self, error: BaseException) -> None:
        self._state.break_with(f"the process pool stopped before this call finished: {error}",
                               error)

    def _fail(self, error: BaseException) -> None:
        if self._jobs.pop(self.key, None) is None:
            return
        try:
            self._future.set_exception(error)
        except InvalidStateError:
            pass  # cancelled: a cancelled future stays cancelled


def _close_pool(core: Any, wait: bool) -> None:
    core.close()
    if wait:
        core.join()


#: The pools of executors not shut down; at interpreter exit their calls are waited for.
_unfinished: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _finish_at_exit() -> None:
    for core in list(_unfinished):
        _close_pool(core, True)


class ProcessPoolExecutor(Executor):
    """Runs calls in ``max_workers`` worker processes (default: the number of CPUs)."""

    def __init__(self, max_workers: int | None = None, mp_context: Any = None,
                 initializer: Callable[..., object] | None = None, initargs: tuple = (), *,
                 max_tasks_per_child: int | None = None) -> None:
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise ValueError(f"max_workers must be a positive integer, not {max_workers!r}")
        self._pool = Pool(max_workers, initializer, initargs, max_tasks_per_child,
                          context=mp_context)
        self._state = _State(self._pool)
        # Collected unshut, the executor lets the submitted calls finish without waiting
        # for them, as the stdlib's does, so its pool must not terminate when the Pool
        # object goes; at interpreter exit they are waited for, as by the stdlib.
        self._pool._finalizer.detach()
        self._finalizer = weakref.finalize(self, _close_pool, self._pool._core, False)
        self._finalizer.atexit = False
        _unfinished.add(self._pool._core)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Schedule ``fn(*args, **kwargs)``; the future holds its result or exception."""
        state = self._state
        with state.lock:
            if state.broken is not None:
                raise BrokenProcessPool(state.broken)
            if state.shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future = Future()
        try:
            self._pool._submit_job(_FutureJob(state, future), fn, args, kwargs)
        except BrokenPoolError as exc:
            state.break_with(f"the process pool is broken: {exc}", exc)
            raise BrokenProcessPool(state.broken) from exc
        except ValueError as exc:  # the pool stopped since the check above
            if state.broken is not None:
                raise BrokenProcessPool(state.broken) from exc
            raise RuntimeError("cannot schedule new futures after shutdown") from exc
        return future

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any],
            timeout: float | None = None, chunksize: int = 1, **kwargs: Any) -> Iterator[Any]:
        """Like ``map(fn, *iterables)``; ``chunksize`` items travel to a worker together.
        Other keywords (``buffersize`` on Python 3.14+) go to ``Executor.map``."""
        if chunksize < 1:
            raise ValueError(f"chunksize must be a positive integer, not {chunksize!r}")
        args = zip(*iterables)
        chunks = iter(lambda: list(itertools.islice(args, chunksize)), [])
        results = super().map(functools.partial(_run_chunk, fn), chunks, timeout=timeout,
                              **kwargs)
        return itertools.chain.from_iterable(results)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No new work; ``cancel_futures`` cancels the calls not yet started; ``wait``
        waits until the started ones have finished and the workers have exited."""
        state = self._state
        with state.lock:
            state.shutdown = True
        if cancel_futures:
            for job in list(state.core.jobs.values()):
                if isinstance(job, _FutureJob) and job._future.cancel():
                    state.core.jobs.pop(job.key, None)
        self._finalizer.detach()
        _unfinished.discard(state.core)
        _close_pool(state.core, wait)

    def terminate_workers(self) -> None:
        """Stop every worker now with SIGTERM (Python 3.14's API): calls not started are
        cancelled, running ones fail with ``BrokenProcessPool``."""
        self._force_shutdown("terminated")

    def kill_workers(self) -> None:
        """Like ``terminate_workers()``, with SIGKILL where the platform has it."""
        self._force_shutdown("killed")

    def _force_shutdown(self, how: str) -> None:
        self.shutdown(wait=False, cancel_futures=True)
        if how == "killed":
            for process in self._pool._pool:
                try:
                    process.kill()
                except (OSError, ValueError, AttributeError):
                    pass
        self._state.break_with(f"the executor's workers were {how}", None)
        self._pool.join()
