"""A process-shared lock that knows its holder, so that a holder's death does not wedge it.

A semaphore-backed lock held by a process that is killed stays held for ever. An
``OwnedLock`` writes its holder's pid into shared memory beside the lock; a process that
waits for it checks now and then whether that holder still lives and, if not, releases the
lock in its place (under a second, briefly held *repair* lock, so that two waiters never
release it twice). What the dead holder was protecting is the caller's to repair: a queue's
read lock guards a read buffer that is kept consistent at every step, for instance.

Two windows remain, each a few instructions wide: a holder killed after taking the lock but
before writing its pid, or after clearing its pid but before releasing, leaves the lock held.
A recycled pid of a dead holder is taken for a live holder until that process exits too.
"""

from __future__ import annotations

import os
import struct
import sys
import time
from typing import Any

from processing import _stdlib

__all__ = ["OwnedLock", "process_alive"]

_PID = struct.Struct("=i")
#: The first and the longest wait between two checks of the holder.
_FIRST_CHECK = 0.02
_LONGEST_CHECK = 0.5


class _ThisProcess:
    """This process's pid, read once and again in the child of every fork (``os.getpid()`` is
    a system call, and the lock records its holder on every acquire)."""

    pid = os.getpid()

    @classmethod
    def refresh(cls) -> None:
        cls.pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ThisProcess.refresh)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` is running (a zombie, dead but not yet joined, is not)."""
    if sys.platform == "win32":
        return _stdlib.windows_process_running(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                line = stat.read()
        except OSError:
            return False
        return line[line.rindex(b")") + 2 :][:1] not in (b"Z", b"X")
    return True


class OwnedLock:
    """``lock`` (a process-shared ``Lock``) whose holder's pid is kept at ``offset`` in the
    shared buffer ``view``; ``repair`` is a second shared lock, held only to release the lock
    of a dead holder. Each process builds its own ``OwnedLock`` over the same three.

    With ``waiters_repair`` false, ``acquire()`` waits even for a dead holder: only a caller
    that knows the protected state is whole calls ``release_for()`` (a queue's reader, for
    its write lock, once it read all that the dead writer wrote)."""

    def __init__(self, lock: Any, repair: Any, view: memoryview, offset: int,
                 waiters_repair: bool = True) -> None:
        self._lock = lock
        self._try = _stdlib.semlock(lock).acquire
        self._release = _stdlib.semlock(lock).release
        self._repair = repair
        self._view = view
        self._offset = offset
        self._waiters_repair = waiters_repair

    def acquire(self, deadline: float | None = None) -> bool:
        """Take the lock, waiting until ``deadline`` (``time.monotonic()``; ``None``: for
        ever); releases it first if its holder died. False if the deadline passed."""
        if self._try(False):
            _PID.pack_into(self._view, self._offset, _ThisProcess.pid)
            return True
        step = _FIRST_CHECK
        while True:
            wait = step if deadline is None else min(step, deadline - time.monotonic())
            if wait > 0 and self._try(True, wait):
                _PID.pack_into(self._view, self._offset, _ThisProcess.pid)
                return True
            repaired = self._waiters_repair and self.release_if_holder_died()
            if not repaired and deadline is not None and time.monotonic() >= deadline:
                return False
            step = min(step * 2, _LONGEST_CHECK)

    def acquire_nowait(self) -> bool:
        """Take the lock if it is free."""
        if self._try(False):
            _PID.pack_into(self._view, self._offset, _ThisProcess.pid)
            return True
        return False

    def release(self) -> None:
        _PID.pack_into(self._view, self._offset, 0)
        self._release()

    def holder(self) -> int:
        """The pid of the process holding the lock, 0 if none (or not yet written)."""
        return _PID.unpack_from(self._view, self._offset)[0]

    def dead_holder(self) -> int:
        """The pid of the process holding the lock if that process has died, else 0."""
        pid = self.holder()
        if not pid or pid == _ThisProcess.pid or process_alive(pid):
            return 0
        return pid

    def release_if_holder_died(self) -> bool:
        """Release the lock if the process holding it has died; whether it did."""
        return self.release_for(self.dead_holder())

    def release_for(self, pid: int) -> bool:
        """Release the lock in the place of ``pid``, a dead holder (see ``dead_holder``),
        unless another process did first; whether this call did."""
        if not pid:
            return False
        with self._repair:
            if self.holder() != pid:  # another waiter repaired it first
                return False
            _PID.pack_into(self._view, self._offset, 0)
            self._release()
        return True
