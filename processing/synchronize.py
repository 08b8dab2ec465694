"""Locks, semaphores, conditions, events and barriers shared between processes.

These are the stdlib's semaphore-backed primitives (``multiprocessing.synchronize``), with
the 0.52 spellings and an error that says how to share one when it is pickled the wrong way.
"""

from __future__ import annotations

from multiprocessing import context as _stdlib_context
from multiprocessing import synchronize as _stdlib
from typing import Any

__all__ = [
    "Barrier",
    "BoundedSemaphore",
    "Condition",
    "Event",
    "InheritOnly",
    "Lock",
    "RLock",
    "Semaphore",
    "check_inheriting",
]


def check_inheriting(obj: object) -> None:
    """Refuse to pickle ``obj`` unless a child is being launched, saying what to do instead.

    Semaphores and pipes live in the kernel: only a child being created can receive them.
    """
    if _stdlib_context.get_spawning_popen() is None:
        raise RuntimeError(
            f"{type(obj).__name__} objects can only be shared with a child process by "
            "inheritance: pass it to Process(args=...) or to Pool(initializer=..., "
            "initargs=...), not through a Queue, a Pipe or a manager"
        )


class InheritOnly:
    """Mixin: pickled only while a child is being launched (see ``check_inheriting``)."""

    def __getstate__(self) -> Any:
        check_inheriting(self)
        state = getattr(super(), "__getstate__", None)  # object has none before 3.11
        return self.__dict__ if state is None else state()


class Lock(InheritOnly, _stdlib.Lock):
    pass


class RLock(InheritOnly, _stdlib.RLock):
    pass


class Semaphore(InheritOnly, _stdlib.Semaphore):
    def getValue(self) -> int:
        return self.get_value()


class BoundedSemaphore(InheritOnly, _stdlib.BoundedSemaphore):
    def getValue(self) -> int:
        return self.get_value()


class Condition(InheritOnly, _stdlib.Condition):
    def notifyAll(self) -> None:
        self.notify_all()


class Event(InheritOnly, _stdlib.Event):
    def isSet(self) -> bool:
        return self.is_set()


class Barrier(InheritOnly, _stdlib.Barrier):
    def getParties(self) -> int:
        return self.parties
