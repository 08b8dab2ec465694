"""What the scheduler knows of each submitted call: where its outcomes go.

Each result is two objects. The job (``ApplyJob``, ``MapJob``, ``IMapJob``) is what the
scheduler's thread fills in; the handle the caller gets (``ApplyResult``, ``MapResult``,
``IMapIterator``, in ``_results``) holds the job and the pool. So a pool whose handles are
all gone is garbage (and terminated, as in processing 0.52) even while its scheduler still
holds jobs, and a handle keeps an otherwise unreferenced pool alive until its result is in.
"""

from __future__ import annotations

import collections
import itertools
import sys
import threading
import traceback
from collections.abc import Iterator
from multiprocessing import TimeoutError
from typing import Any, Callable

from processing.pool._messages import Map, Task

__all__ = ["ApplyJob", "IMapJob", "IMapSource", "Job", "MapJob"]

_job_counter = itertools.count()


class Job:
    """A submitted call (or map) as the scheduler sees it; subclasses say what a finished
    task does. A job is in the pool's ``jobs`` from submission until it has finished."""

    #: Whether the scheduler must ask ``claim()`` before it sends a task of this job.
    claims = False

    def __init__(self, jobs: dict[int, Job]) -> None:
        self.key = next(_job_counter)
        self._jobs = jobs  # the pool's unfinished jobs (``Pool._cache``); we leave it when done

    def claim(self) -> bool:
        """Whether the task may still run (a cancelled future's may not)."""
        return True

    def deliver(self, index: int, success: bool, value: Any) -> None:
        """Task ``index`` of the job returned ``value`` (``success``) or raised ``value``."""
        raise NotImplementedError

    def abort(self, error: BaseException) -> None:
        """Fail what is not finished of the job with ``error``: the pool stopped or broke."""
        raise NotImplementedError


class ApplyJob(Job):
    """One call: ``applyAsync()``."""

    def __init__(self, jobs: dict[int, Job], callback: Callable[[Any], object] | None,
                 error_callback: Callable[[BaseException], object] | None) -> None:
        super().__init__(jobs)
        self.event = threading.Event()
        self._callback = callback
        self._error_callback = error_callback
        self.success: bool | None = None
        self.value: Any = None

    def _finish(self, success: bool, value: Any) -> None:
        """Run the matching callback, record the outcome, then wake the waiters.

        Whatever a callback raises (``SystemExit`` included) becomes the result's error, so
        ``get()`` raises it; it is also printed, as nobody may ever call ``get()``.
        """
        callback = self._callback if success else self._error_callback
        self._callback = self._error_callback = None
        if callback is not None:
            error = _run_callback(callback, value)
            if error is not None:
                if not success and error.__context__ is None:
                    error.__context__ = value
                success, value = False, error
        self.success, self.value = success, value
        self._jobs.pop(self.key, None)
        self.event.set()

    def deliver(self, index: int, success: bool, value: Any) -> None:
        self._finish(success, value)

    def abort(self, error: BaseException) -> None:
        if not self.event.is_set():
            self._finish(False, error)

    def __repr__(self) -> str:
        state = "pending" if not self.event.is_set() else "ok" if self.success else "failed"
        return f"<{type(self).__name__} {state}>"


class MapJob(ApplyJob):
    """A ``mapAsync()``: ``length`` items in tasks of ``chunksize``; one list when all are in."""

    def __init__(self, jobs: dict[int, Job], length: int, chunksize: int, callback: Any,
                 error_callback: Any) -> None:
        super().__init__(jobs, callback, error_callback)
        self._chunksize = chunksize
        self._items: list[Any] = [None] * length
        self._remaining = -(-length // chunksize)
        if not length:
            self._finish(True, [])

    def deliver(self, index: int, success: bool, value: Any) -> None:
        if self.event.is_set():
            return  # an earlier chunk failed; the map has already failed
        if not success:
            self._items = []
            self._finish(False, value)
            return
        start = index * self._chunksize
        self._items[start : start + len(value)] = value
        self._remaining -= 1
        if not self._remaining:
            items, self._items = self._items, []
            self._finish(True, items)


class IMapJob(Job):
    """An ``imap()`` or ``imapUnordered()``: results handed out one by one as they come."""

    def __init__(self, jobs: dict[int, Job], ordered: bool) -> None:
        super().__init__(jobs)
        self._ordered = ordered
        self._cond = threading.Condition(threading.Lock())
        self._ready: collections.deque[tuple[bool, Any]] = collections.deque()
        self._early: dict[int, tuple[bool, Any]] = {}
        self._next_chunk = 0
        self._delivered = 0
        self._length: int | None = None

    def next(self, timeout: float | None) -> Any:
        """The next value (or raise the next error); ``StopIteration`` when all were taken."""
        with self._cond:
            if not self._ready:
                if self.finished():
                    raise StopIteration
                self._cond.wait_for(lambda: self._ready or self.finished(), timeout)
                if not self._ready:
                    if self.finished():
                        raise StopIteration
                    raise TimeoutError(f"no result arrived within {timeout} seconds")
            success, value = self._ready.popleft()
        if success:
            return value
        raise value

    def finished(self) -> bool:
        """Whether every chunk's outcome has arrived (taken or not)."""
        return self._length is not None and self._delivered >= self._length

    def _push(self, success: bool, value: Any) -> None:
        if success:
            self._ready.extend((True, item) for item in value)
        else:
            self._ready.append((False, value))

    def deliver(self, index: int, success: bool, value: Any) -> None:
        with self._cond:
            if not self._ordered or index == self._next_chunk:
                self._push(success, value)
                self._next_chunk += 1
                while self._next_chunk in self._early:
                    self._push(*self._early.pop(self._next_chunk))
                    self._next_chunk += 1
            else:
                self._early[index] = (success, value)
            self._delivered += 1
            self._check_done()

    def set_length(self, length: int) -> None:
        """The iterable is exhausted: the job has ``length`` chunks."""
        with self._cond:
            self._length = length
            self._check_done()

    def _check_done(self) -> None:
        if self.finished():
            self._jobs.pop(self.key, None)
        self._cond.notify_all()

    def abort(self, error: BaseException) -> None:
        with self._cond:
            if self.finished():
                return
            for index in sorted(self._early):
                self._push(*self._early.pop(index))
            self._ready.append((False, error))
            self._delivered = self._length = 0
            self._check_done()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'done' if self.finished() else 'pending'}>"


def _run_callback(callback: Callable[[Any], object], value: Any) -> BaseException | None:
    """Run a result's callback; what it raised, if anything (printed too)."""
    # Whatever the callback raises must not take the scheduler's thread (the pool) down.
    try:
        callback(value)
    except BaseException as exc:  # noqa: BLE001 - it becomes the result's error
        sys.stderr.write(f"processing.Pool: the callback {callback!r} raised (the result's "
                         "get() raises it):\n")
        traceback.print_exception(type(exc), exc, exc.__traceback__)
        return exc
    return None


class IMapSource:
    """The tasks of one ``imap()``, made lazily from its chunks as workers need them."""

    def __init__(self, job: IMapJob, chunks: Iterator[list], func: Any) -> None:
        self.job, self._chunks, self._func = job, chunks, func
        self._count = 0

    def take(self) -> Task | None:
        """The next task, or None when the iterable is exhausted (or raised)."""
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self.job.set_length(self._count)
            return None
        except Exception as exc:  # noqa: BLE001 - the iterable's error goes to the imap
            self.job.deliver(self._count, False, exc)
            self.job.set_length(self._count + 1)
            return None
        task = Task(self.job, self._count, None, Map(self._func, chunk))
        self._count += 1
        return task
