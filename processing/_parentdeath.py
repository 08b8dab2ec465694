"""Daemonic children die with their parent, even when the parent is killed.

processing 0.52 promises that a daemonic process "is terminated when its parent process
exits". ``atexit`` keeps that promise when the parent exits normally; this module keeps it
when the parent is killed (SIGKILL, a crash, the task manager), so a killed program leaves
no daemonic workers behind, nor the helpers (fork server, resource tracker) that they would
keep alive.

* Linux, a child forked by the parent's main thread: the kernel's parent-death signal
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), set first thing in the child; the race with a
  parent that died before that is closed by checking ``getppid()`` afterwards.
* Otherwise on POSIX (a fork from another thread, whose exit would fire the signal
  although the parent lives on; a forkserver child, whose parent is the fork server; a
  child behind an intermediate process, such as a one-file executable's bootloader; other
  systems): a daemon thread in the child watches the parent and SIGKILLs the child when it
  is gone. It waits for the parent sentinel to hang up (a pipe whose only writer is the
  parent) or, for a fork child, polls ``getppid()``.
* Windows: the parent puts each daemonic child, created suspended, in a job object that
  kills its processes when its last handle closes; the parent holds the only handle.

Non-daemonic children are left running when the parent is killed, as the stdlib leaves them.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from typing import Any

__all__ = ["DeathPlan", "die_with_parent", "plan_for_child"]

#: Seconds between two looks at ``getppid()`` by a watcher that cannot wait on a sentinel.
POLL_INTERVAL = 0.1

_PR_SET_PDEATHSIG = 1
_prctl: Any = None


def _load_prctl() -> Any:
    """libc's ``prctl``, looked up once (in the parent, so a fork child does no work)."""
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        import ctypes

        try:
            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            _prctl = False
    return _prctl or None


class DeathPlan:
    """What a daemonic child needs to know to die with its parent: the parent's pid, and
    whether the parent's main thread started it (only then is the parent-death signal the
    parent's and not a thread's)."""

    __slots__ = ("by_main_thread", "parent_pid")

    def __init__(self, parent_pid: int, by_main_thread: bool) -> None:
        self.parent_pid = parent_pid
        self.by_main_thread = by_main_thread

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return DeathPlan, (self.parent_pid, self.by_main_thread)


def plan_for_child(process_obj: Any) -> DeathPlan | None:
    """In the parent, at launch: the plan for ``process_obj`` (None unless daemonic)."""
    if not process_obj.daemon:
        return None
    _load_prctl()
    return DeathPlan(os.getpid(), threading.current_thread() is threading.main_thread())


def die_with_parent(plan: DeathPlan, sentinel: int | None = None) -> None:
    """In the child, as early as possible: arrange to be killed when the parent dies.

    ``sentinel`` is a readable fd that reaches EOF when the parent dies (None for a fork
    child, whose sentinel pipe later siblings may hold open too).
    """
    # A fork child's parent is the process that forked it; any other child may sit
    # behind a fork server or a bootloader, and then only its sentinel tells.
    direct = sentinel is None or os.getppid() == plan.parent_pid
    if direct and plan.by_main_thread and _set_death_signal():
        pass
    elif sentinel is None:
        _start_watcher(_poll_parent, plan.parent_pid)
    else:
        _start_watcher(_wait_for_eof, sentinel)
    if direct and os.getppid() != plan.parent_pid:  # it died before we were ready
        _die()


def _set_death_signal() -> bool:
    prctl = _load_prctl()
    return prctl is not None and prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _start_watcher(target: Any, arg: Any) -> None:
    threading.Thread(target=target, args=(arg,), name="processing parent watcher",
                     daemon=True).start()


def _poll_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_INTERVAL)
    _die()


def _wait_for_eof(sentinel: int) -> None:
    # Wait for the hang-up without reading: the sentinel may be the pipe the launch data
    # is still being read from. poll() reports POLLHUP whatever events are asked for.
    watched = os.dup(sentinel)  # ours: the process object may close its own copy
    try:
        poller = select.poll()
        poller.register(watched, 0)
        while not any(events & (select.POLLHUP | select.POLLERR | select.POLLNVAL)
                      for _, events in poller.poll()):
            pass
    finally:
        os.close(watched)
    _die()


# -- Windows ----------------------------------------------------------------------------

_job: Any = None


def windows_kill_on_close_job() -> int:
    """The handle of this process's job object for daemonic children, created on first use.

    ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE``: "causes all processes associated with the job to
    terminate when the last handle to the job is closed" (JOBOBJECT_BASIC_LIMIT_INFORMATION).
    The handle is not inheritable and lives as long as this process, so the job's
    processes end when this process does, however it ends.
    """
    global _job
    if _job is None:
        import ctypes
        from ctypes import wintypes

        class _Basic(ctypes.Structure):
            _fields_ = [
                ("PerProcessUserTimeLimit", ctypes.c_int64),
                ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", wintypes.DWORD),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", wintypes.DWORD),
                ("Affinity", ctypes.c_size_t),
                ("PriorityClass", wintypes.DWORD),
                ("SchedulingClass", wintypes.DWORD),
            ]

        class _Extended(ctypes.Structure):
            _fields_ = [
                ("BasicLimitInformation", _Basic),
                ("IoInfo", ctypes.c_uint64 * 6),  # IO_COUNTERS: six ULONGLONGs
                ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t),
            ]

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        job = kernel32.CreateJobObjectW(None, None)
        if not job:
            raise ctypes.WinError(ctypes.get_last_error())
        info = _Extended()
        info.BasicLimitInformation.LimitFlags = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        extended_limit_information = 9  # JobObjectExtendedLimitInformation
        if not kernel32.SetInformationJobObject(
            wintypes.HANDLE(job), extended_limit_information, ctypes.byref(info),
            ctypes.sizeof(info),
        ):
            raise ctypes.WinError(ctypes.get_last_error())
        _job = job
    return _job


def windows_start_in_job(process_handle: int, thread_handle: int) -> None:
    """Put a child created with ``CREATE_SUSPENDED`` in the job, then let it run: it runs
    no instruction outside the job. If the job cannot take it (a parent in a job that
    forbids nesting, before Windows 8), the child runs anyway, as a stdlib child would."""
    import ctypes
    from ctypes import wintypes
    from multiprocessing import util

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.ResumeThread.restype = wintypes.DWORD  # (DWORD)-1 on failure
    try:
        job = windows_kill_on_close_job()
        if not kernel32.AssignProcessToJobObject(
            wintypes.HANDLE(job), wintypes.HANDLE(process_handle)
        ):
            raise ctypes.WinError(ctypes.get_last_error())
    except OSError as exc:
        util.get_logger().warning(
            "a daemonic child could not be tied to this process's lifetime (%s); it will "
            "outlive this process if this process is killed", exc)
    finally:
        if kernel32.ResumeThread(wintypes.HANDLE(thread_handle)) == 0xFFFFFFFF:
            raise ctypes.WinError(ctypes.get_last_error())
