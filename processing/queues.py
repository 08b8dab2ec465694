"""Process-shared queues: ``Queue``, ``BufferedQueue``, ``JoinableQueue`` and ``SimpleQueue``.

A queue is a pipe plus a feeder thread in the putting process that pickles and writes
what ``put()`` buffers, so ``put()`` returns before the data is written; the feeder is
flushed when the process exits, so an object put just before exit is never lost.
"""

from __future__ import annotations

import sys
from multiprocessing import queues as _stdlib
from multiprocessing.synchronize import SEM_VALUE_MAX
from queue import Empty, Full
from typing import Any, Iterable

from processing.synchronize import InheritOnly

__all__ = ["BufferedQueue", "Empty", "Full", "JoinableQueue", "Queue", "SimpleQueue"]


class _CamelCase(InheritOnly):
    """The processing 0.52 spellings and ``putMany``; shared by inheritance only."""

    def putNoWait(self, obj: Any) -> None:
        self.put_nowait(obj)  # type: ignore[attr-defined]

    def getNoWait(self) -> Any:
        return self.get_nowait()  # type: ignore[attr-defined]

    def joinThread(self) -> None:
        self.join_thread()  # type: ignore[attr-defined]

    def cancelJoin(self) -> None:
        self.cancel_join_thread()  # type: ignore[attr-defined]

    def putMany(self, iterable: Iterable[Any]) -> None:
        """Put every object of ``iterable``, in order; one wake-up of the feeder for all."""
        if self._maxsize < SEM_VALUE_MAX:  # type: ignore[attr-defined]
            for obj in iterable:
                self.put(obj)  # type: ignore[attr-defined]
            return
        items = list(iterable)
        if self._closed:  # type: ignore[attr-defined]
            raise ValueError(f"Queue {self!r} is closed")
        for _ in items:
            self._sem.acquire()  # type: ignore[attr-defined]
        with self._notempty:  # type: ignore[attr-defined]
            if self._thread is None:  # type: ignore[attr-defined]
                self._start_thread()  # type: ignore[attr-defined]
            self._buffer.extend(items)  # type: ignore[attr-defined]
            self._notempty.notify()  # type: ignore[attr-defined]

    put_many = putMany


class Queue(_CamelCase, _stdlib.Queue):
    """A FIFO queue for processes. With ``maxsize`` > 0, ``put()`` blocks while it is full."""

    def __init__(self, maxsize: int = 0, *, ctx: Any) -> None:
        super().__init__(maxsize, ctx=ctx)


class _ItemCount:
    """Takes the place of a queue's free-slot semaphore but counts items instead: ``put()``
    (its ``acquire``) never waits, ``get()`` (its ``release``) counts one down."""

    def __init__(self, ctx: Any) -> None:
        self._count = ctx.Semaphore(0)

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        self._count.release()
        return True

    def release(self) -> None:
        self._count.acquire(False)

    def value(self) -> int:
        return self._count.get_value()


class BufferedQueue(Queue):
    """A queue whose ``put()`` never blocks, however much is put before anything is got
    (the guarantee the programming guidelines ask for to avoid deadlocks)."""

    def __init__(self, *, ctx: Any) -> None:
        super().__init__(0, ctx=ctx)
        self._sem = _ItemCount(ctx)

    def qsize(self) -> int:
        if sys.platform == "darwin":
            raise NotImplementedError("qsize() is not available on macOS (no sem_getvalue)")
        return self._sem.value()

    def full(self) -> bool:
        return False


class JoinableQueue(_CamelCase, _stdlib.JoinableQueue):
    """A ``Queue`` whose ``join()`` waits until ``task_done()`` was called for every item."""

    def taskDone(self) -> None:
        self.task_done()


class SimpleQueue(InheritOnly, _stdlib.SimpleQueue):
    """A queue without a feeder thread: ``put()`` writes at once, under a lock."""

