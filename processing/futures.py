"""``ProcessPoolExecutor``: a ``concurrent.futures`` executor on processing's ``Pool``.

It behaves like the stdlib's: when a worker dies, the future of the task it ran and every
pending future fail with ``BrokenProcessPool``, and ``submit()`` refuses new work. Unlike
the stdlib's, the error says which worker died and how (its exit code or signal).
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from processing.pool import BrokenPoolError, Pool, WorkerLostError

__all__ = ["BrokenProcessPool", "ProcessPoolExecutor"]


def _run_chunk(fn: Callable[..., Any], chunk: list[tuple]) -> list[Any]:
    return [fn(*args) for args in chunk]


class ProcessPoolExecutor(Executor):
    """Runs calls in ``max_workers`` worker processes (default: the number of CPUs)."""

    def __init__(self, max_workers: int | None = None, mp_context: Any = None,
                 initializer: Callable[..., object] | None = None, initargs: tuple = (), *,
                 max_tasks_per_child: int | None = None) -> None:
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise ValueError(f"max_workers must be a positive integer, not {max_workers!r}")
        self._pool = Pool(max_workers, initializer, initargs, max_tasks_per_child,
                          context=mp_context)
        self._lock = threading.Lock()
        self._pending: set[Future] = set()  # submitted, not yet settled
        self._broken: str | None = None
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Schedule ``fn(*args, **kwargs)``; the future holds its result or exception."""
        with self._lock:
            if self._broken is not None:
                raise BrokenProcessPool(self._broken)
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future = Future()
            self._pending.add(future)
        try:
            self._pool.applyAsync(fn, args, kwargs,
                                  callback=functools.partial(self._settle, future, True),
                                  error_callback=functools.partial(self._settle, future, False))
        except BrokenPoolError as exc:
            self._break(exc)
            raise BrokenProcessPool(self._broken) from exc
        return future

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any],
            timeout: float | None = None, chunksize: int = 1) -> Iterator[Any]:
        """Like ``map(fn, *iterables)``; ``chunksize`` items travel to a worker together."""
        if chunksize < 1:
            raise ValueError(f"chunksize must be a positive integer, not {chunksize!r}")
        args = zip(*iterables)
        chunks = iter(lambda: list(itertools.islice(args, chunksize)), [])
        results = super().map(functools.partial(_run_chunk, fn), chunks, timeout=timeout)
        return itertools.chain.from_iterable(results)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No new work; ``cancel_futures`` cancels what has not finished (and stops it)."""
        with self._lock:
            self._shutdown = True
            pending = list(self._pending) if cancel_futures else []
        if cancel_futures:
            for future in pending:
                future.cancel()
            self._pool.terminate()
        else:
            self._pool.close()
        if wait:
            self._pool.join()

    def _settle(self, future: Future, success: bool, value: Any) -> None:
        # Runs in the pool's manager thread; each future is settled once, by whoever
        # removes it from ``_pending``.
        with self._lock:
            if future not in self._pending:
                return
            self._pending.discard(future)
        if not future.set_running_or_notify_cancel():
            return
        if success:
            future.set_result(value)
        elif isinstance(value, (WorkerLostError, BrokenPoolError)):
            error = BrokenProcessPool(f"the process pool is broken: {value}")
            error.__cause__ = value
            future.set_exception(error)
            self._break(value)
        else:
            future.set_exception(value)

    def _break(self, cause: BaseException) -> None:
        """Fail every pending future with ``BrokenProcessPool`` and stop the workers."""
        with self._lock:
            if self._broken is not None:
                return
            self._broken = (f"a worker of the pool ended abruptly, so the executor cannot be "
                            f"used any more: {cause}")
            pending = list(self._pending)
            self._pending.clear()
        for future in pending:
            if future.set_running_or_notify_cancel():
                future.set_exception(BrokenProcessPool(self._broken))
        self._pool.terminate()
