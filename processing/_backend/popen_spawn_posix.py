"""Start a child as a fresh interpreter (or frozen executable) entering our bootstrap (POSIX)."""

from __future__ import annotations

import os
from multiprocessing import util
from typing import Any

from processing._backend import bootstrap, popen_fork
from processing._backend.launch import command_line, our_launch
from processing.freezing import is_frozen

__all__ = ["Popen"]


class _DupFd:
    """An fd that the child inherits under the same number (see ``reduction.DupFd``)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def detach(self) -> int:
        return self.fd


class Popen(popen_fork.Popen):
    """``<python> -c '...bootstrap main()' --processing-launch child FD`` (``<exe>
    --processing-launch child FD`` when frozen); the payload is written to FD."""

    method = "spawn"
    DupFd = _DupFd

    def __init__(self, process_obj: Any) -> None:
        self._fds: list[int] = []
        super().__init__(process_obj)

    def duplicate_for_child(self, fd: int) -> int:
        self._fds.append(fd)
        return fd

    def _launch(self, process_obj: Any) -> None:
        from multiprocessing import resource_tracker

        tracker_fd = resource_tracker.getfd()
        self._fds.append(tracker_fd)
        data = bootstrap.payload(process_obj, self, tracker_fd)
        parent_r = child_w = child_r = parent_w = None
        try:
            parent_r, child_w = os.pipe()
            child_r, parent_w = os.pipe()
            self._fds.extend([child_r, child_w])
            cmd = command_line(our_launch("child", child_r), frozen=is_frozen())
            self.pid = util.spawnv_passfds(cmd[0], cmd, self._fds)
            self.sentinel = parent_r
            _write_all(parent_w, data)
        finally:
            self.finalizer = util.Finalize(
                self, util.close_fds, tuple(fd for fd in (parent_r, parent_w) if fd is not None)
            )
            for fd in (child_r, child_w):
                if fd is not None:
                    os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """Write the payload; a child that died before reading it reports its own error."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:
        pass
