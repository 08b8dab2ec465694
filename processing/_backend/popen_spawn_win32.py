"""Start a child as a fresh interpreter (or frozen executable) entering our bootstrap (Windows).

The same bootstrap as on POSIX; the launch-data pipe is a handle that the child duplicates
out of this process, so nothing but the marker, our pid and a handle number is on its command
line. The child gets its own process group so that ``stop()`` can send it CTRL_BREAK, and
a daemonic child is put in a kill-on-close job object (``_parentdeath.py``), so it ends with
this process even when this process is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from multiprocessing import util
from typing import Any

from processing import _parentdeath, _stdlib
from processing._backend import bootstrap
from processing._backend.launch import command_line, our_launch
from processing.freezing import is_frozen

if sys.platform == "win32":
    import msvcrt
    from multiprocessing import reduction

    _winapi = _stdlib.winapi()

__all__ = ["Popen"]

TERMINATE_EXIT_CODE = 0x10000  # TerminateProcess() exit code, read back as -SIGTERM
_CREATE_SUSPENDED = 0x00000004


def _executable_and_env(exe: str) -> tuple[str, dict[str, str] | None]:
    """In a venv, start the base interpreter directly (as CPython does, bpo-35797): the venv
    launcher would otherwise be the process that ``stop()``/``terminate()`` reach."""
    if is_frozen() or not _path_eq(exe, sys.executable):
        return exe, None
    base = _stdlib.base_executable()
    if not _path_eq(sys.executable, base):
        env = dict(os.environ, __PYVENV_LAUNCHER__=sys.executable)
        return base, env
    return exe, None


def _path_eq(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _close_handles(*handles: int) -> None:
    for handle in handles:
        _winapi.CloseHandle(handle)


class Popen:
    """``<python> -c '...bootstrap main()' --processing-launch child PARENT_PID HANDLE``."""

    method = "spawn"

    def __init__(self, process_obj: Any) -> None:
        # The child duplicates the read end out of this process, which keeps it open until
        # the finalizer runs: stealing it (DUPLICATE_CLOSE_SOURCE) was racy (bpo-33929).
        rhandle, whandle = _winapi.CreatePipe(None, 0)
        wfd = msvcrt.open_osfhandle(whandle, 0)
        cmd = command_line(our_launch("child", os.getpid(), rhandle), frozen=is_frozen())
        exe, env = _executable_and_env(cmd[0])
        cmd[0] = exe
        # A daemonic child starts suspended, to be put in the job that ends it with us.
        suspended = _CREATE_SUSPENDED if process_obj.daemon else 0
        try:
            hp, ht, pid, _tid = _winapi.CreateProcess(
                exe, subprocess.list2cmdline(cmd), None, None, False,
                subprocess.CREATE_NEW_PROCESS_GROUP | suspended, env, None, None,
            )
            try:
                if suspended:
                    _parentdeath.windows_start_in_job(int(hp), int(ht))
            finally:
                _winapi.CloseHandle(ht)
        except BaseException:
            _winapi.CloseHandle(rhandle)
            os.close(wfd)
            raise
        self.pid = pid
        self.returncode: int | None = None
        self._handle = hp
        self.sentinel = int(hp)
        self.finalizer = util.Finalize(self, _close_handles, (self.sentinel, int(rhandle)))
        with open(wfd, "wb", closefd=True) as sink:
            # Pickled only now: handles of locks and queues are duplicated into the child,
            # which must exist. A pickling error ends the child, which is still waiting.
            try:
                data = bootstrap.payload(process_obj, self)
            except BaseException:
                self.kill()
                self.wait()
                self.close()
                raise
            try:
                sink.write(data)
            except BrokenPipeError:
                pass

    def duplicate_for_child(self, handle: int) -> int:
        return reduction.duplicate(handle, self.sentinel)

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None:
            msecs = _winapi.INFINITE if timeout is None else max(0, int(timeout * 1000 + 0.5))
            if _winapi.WaitForSingleObject(int(self._handle), msecs) == _winapi.WAIT_OBJECT_0:
                code = _winapi.GetExitCodeProcess(self._handle)
                self.returncode = -signal.SIGTERM if code == TERMINATE_EXIT_CODE else code
        return self.returncode

    def poll(self) -> int | None:
        return self.wait(timeout=0)

    def stop(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.CTRL_BREAK_EVENT)

    def terminate(self) -> None:
        if self.returncode is None:
            try:
                _winapi.TerminateProcess(int(self._handle), TERMINATE_EXIT_CODE)
            except PermissionError:
                if _winapi.GetExitCodeProcess(int(self._handle)) == _winapi.STILL_ACTIVE:
                    raise

    kill = terminate

    def close(self) -> None:
        self.finalizer()
