"""Start a child by asking the fork server (``forkserver.py``) to fork one."""

from __future__ import annotations

import os
from multiprocessing import util
from multiprocessing.connection import wait
from typing import Any

from processing._backend import bootstrap, forkserver, popen_fork

__all__ = ["Popen"]


class _DupFd:
    """An fd passed to the fork server with the child's request; index into the child's list."""

    def __init__(self, index: int) -> None:
        self.index = index

    def detach(self) -> int:
        return forkserver.inherited_fds()[self.index]  # type: ignore[index]


class Popen(popen_fork.Popen):
    """The child is the fork server's, so its exit code comes back over the status pipe."""

    method = "forkserver"
    DupFd = _DupFd

    def __init__(self, process_obj: Any) -> None:
        self._fds: list[int] = []
        super().__init__(process_obj)

    def duplicate_for_child(self, fd: int) -> int:
        self._fds.append(fd)
        return len(self._fds) - 1

    def _launch(self, process_obj: Any) -> None:
        data = bootstrap.payload(process_obj, self)
        self.sentinel, data_w = forkserver.connect_to_new_process(self._fds)
        parent_w = os.dup(data_w)  # held open: the child watches its end as its parent sentinel
        self.finalizer = util.Finalize(self, util.close_fds, (parent_w, self.sentinel))
        with open(data_w, "wb", closefd=True) as sink:
            try:
                sink.write(data)
            except BrokenPipeError:
                pass
        self.pid = forkserver.read_signed(self.sentinel)

    def poll(self, flag: int = os.WNOHANG) -> int | None:
        if self.returncode is None:
            timeout = 0 if flag == os.WNOHANG else None
            if not wait([self.sentinel], timeout):
                return None
            try:
                self.returncode = forkserver.read_signed(self.sentinel)
            except (OSError, EOFError):
                self.returncode = 255  # the fork server died: the status is lost
        return self.returncode
