"""processing.dummy: the processing API on threads, so a program switches with one import.

``Process`` is a thread, queues are ``queue.Queue``, locks are ``threading``'s, ``Pool`` is a
thread pool and ``Manager()`` hands out plain objects (threads already share memory).
``Value``/``Array`` and the shared types are the same classes as in ``processing``, so code
that uses ``.value``, ``getlock()`` or ``tolist()`` behaves the same on both.
"""

from __future__ import annotations

import os
import queue
import threading
from multiprocessing import dummy as _stdlib
from multiprocessing.pool import ThreadPool as _ThreadPool
from threading import Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore
from typing import TYPE_CHECKING, Any, Callable

from processing import sharedctypes
from processing.dummy.connection import Client, Listener, Pipe
from processing.process import ThreadLikeApi
from processing.sharedtypes import SharedArray, SharedStruct, SharedValue

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "Array",
    "Barrier",
    "BoundedSemaphore",
    "BufferedQueue",
    "Client",
    "Condition",
    "Event",
    "JoinableQueue",
    "Listener",
    "LocalManager",
    "Lock",
    "Manager",
    "Namespace",
    "Pipe",
    "Pool",
    "Process",
    "Queue",
    "RLock",
    "RawArray",
    "RawValue",
    "Semaphore",
    "SharedArray",
    "SharedStruct",
    "SharedValue",
    "SimpleQueue",
    "Value",
    "activeChildren",
    "active_children",
    "cpuCount",
    "cpu_count",
    "currentProcess",
    "current_process",
    "freezeSupport",
    "freeze_support",
]

Namespace = _stdlib.Namespace
Queue = queue.Queue
JoinableQueue = queue.Queue
BufferedQueue = queue.Queue
SimpleQueue = queue.SimpleQueue

current_process = currentProcess = threading.current_thread
active_children = activeChildren = _stdlib.active_children
freeze_support = freezeSupport = _stdlib.freeze_support


def cpu_count() -> int:
    """The number of CPUs (``NotImplementedError`` if it cannot be told)."""
    count = os.cpu_count()
    if count is None:
        raise NotImplementedError("cannot determine the number of CPUs")
    return count


cpuCount = cpu_count


class Process(ThreadLikeApi, _stdlib.DummyProcess):
    """A thread with the interface of ``processing.Process``."""


def _lock_for(lock: Any) -> Any:
    return threading.RLock() if lock is True or lock is None else lock


def RawValue(typecode_or_type: Any, *args: Any) -> Any:
    return sharedctypes.RawValue(typecode_or_type, *args)


def RawArray(typecode_or_type: Any, size_or_initializer: Any) -> Any:
    return sharedctypes.RawArray(typecode_or_type, size_or_initializer)


def Value(typecode_or_type: Any, *args: Any, lock: Any = True) -> Any:
    """A ctypes object guarded by ``lock`` (True: a new ``threading.RLock``; False: none)."""
    obj = RawValue(typecode_or_type, *args)
    return obj if lock is False else sharedctypes.synchronized(obj, _lock_for(lock))


def Array(typecode_or_type: Any, size_or_initializer: Any, *, lock: Any = True) -> Any:
    """A ctypes array guarded by ``lock`` (True: a new ``threading.RLock``; False: none)."""
    obj = RawArray(typecode_or_type, size_or_initializer)
    return obj if lock is False else sharedctypes.synchronized(obj, _lock_for(lock))


class _Pool(_ThreadPool):
    """A pool of worker threads with the 0.52 method names."""

    def applyAsync(
        self,
        func: Callable[..., Any],
        args: tuple = (),
        kwds: dict | None = None,
        callback: Any = None,
    ) -> Any:
        return self.apply_async(func, args, kwds or {}, callback)

    def mapAsync(
        self,
        func: Callable[[Any], Any],
        iterable: Any,
        chunksize: int | None = None,
        callback: Any = None,
    ) -> Any:
        return self.map_async(func, iterable, chunksize, callback)

    def imapUnordered(self, func: Callable[[Any], Any], iterable: Any, chunksize: int = 1) -> Any:
        return self.imap_unordered(func, iterable, chunksize)


def Pool(
    processes: int | None = None,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
) -> Any:
    """A pool of ``processes`` worker threads (default: one per CPU)."""
    return _Pool(processes, initializer, initargs)


class _Manager:
    """What ``Manager()`` returns on threads: the creator methods, making plain objects."""

    list = list
    dict = dict
    Namespace = Namespace
    Queue = queue.Queue
    JoinableQueue = queue.Queue
    Lock = threading.Lock
    RLock = threading.RLock
    Semaphore = threading.Semaphore
    BoundedSemaphore = threading.BoundedSemaphore
    Condition = threading.Condition
    Event = threading.Event
    Barrier = threading.Barrier
    Value = staticmethod(Value)
    Array = staticmethod(Array)
    RawValue = staticmethod(RawValue)
    RawArray = staticmethod(RawArray)
    SharedValue = SharedValue
    SharedStruct = SharedStruct
    SharedArray = SharedArray
    Pool = staticmethod(Pool)

    def start(self) -> None:
        """Nothing to start: the objects live in this process."""

    def shutdown(self) -> None:
        """Nothing to stop."""

    def join(self, timeout: float | None = None) -> None:
        """Nothing to wait for."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def Manager() -> _Manager:
    """A manager for threads: its creator methods make ordinary shared objects."""
    return _Manager()


LocalManager = Manager
