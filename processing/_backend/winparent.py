"""Windows: the parent of another process, from a Toolhelp snapshot of the running processes.

A child of a one-file program has the program's bootloader as its parent and the program as
its grandparent, so telling that a launch came from a running copy of the program
(``processing.freezing.started_by_frozen_parent``) takes the parent of a process other than
this one. POSIX reads it from ``/proc`` or ``ps``; Windows has neither, and keeps it in the
process list: ``CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0)``, then
``Process32FirstW``/``Process32NextW`` over ``PROCESSENTRY32W`` records (tlhelp32.h), each
with ``th32ProcessID`` and ``th32ParentProcessID``.

Windows reuses process ids and never updates ``th32ParentProcessID``: the id a record gives
may since name another process. That costs nothing here: the id is only compared with the
one the program put in its children's environment, and a launch is refused only when its
command line reads as an interpreter launch that no row of the launch table knows.
"""

from __future__ import annotations

import ctypes
from ctypes import c_int32, c_size_t, c_uint16, c_uint32
from typing import Callable

__all__ = ["PROCESSENTRY32W", "Toolhelp", "parent_of"]

TH32CS_SNAPPROCESS = 0x00000002
MAX_PATH = 260


class PROCESSENTRY32W(ctypes.Structure):
    """One record of the process list (tlhelp32.h), laid out as on Windows on any platform:
    DWORD and LONG are 32-bit, ULONG_PTR pointer-sized, WCHAR 16-bit."""

    _fields_ = [
        ("dwSize", c_uint32),
        ("cntUsage", c_uint32),
        ("th32ProcessID", c_uint32),
        ("th32DefaultHeapID", c_size_t),
        ("th32ModuleID", c_uint32),
        ("cntThreads", c_uint32),
        ("th32ParentProcessID", c_uint32),
        ("pcPriClassBase", c_int32),
        ("dwFlags", c_uint32),
        ("szExeFile", c_uint16 * MAX_PATH),
    ]


class Toolhelp:
    """The three kernel32 calls a process-list walk needs, and CloseHandle.

    ``snapshot()`` gives a handle or None; ``first``/``next`` fill the entry and say whether
    there was one. Tests give their own functions; :meth:`load` binds kernel32's.
    """

    def __init__(self, snapshot: Callable[[], int | None],
                 first: Callable[[int, PROCESSENTRY32W], bool],
                 next_: Callable[[int, PROCESSENTRY32W], bool],
                 close: Callable[[int], object]) -> None:
        self.snapshot = snapshot
        self.first = first
        self.next = next_
        self.close = close

    @classmethod
    def load(cls) -> Toolhelp:
        """kernel32's functions (Windows only)."""
        from ctypes import wintypes

        k32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        k32.CreateToolhelp32Snapshot.restype = wintypes.HANDLE
        k32.CreateToolhelp32Snapshot.argtypes = [wintypes.DWORD, wintypes.DWORD]
        walk = [wintypes.HANDLE, ctypes.POINTER(PROCESSENTRY32W)]
        k32.Process32FirstW.argtypes = walk
        k32.Process32FirstW.restype = wintypes.BOOL
        k32.Process32NextW.argtypes = walk
        k32.Process32NextW.restype = wintypes.BOOL
        k32.CloseHandle.argtypes = [wintypes.HANDLE]
        invalid = ctypes.c_void_p(-1).value  # INVALID_HANDLE_VALUE

        def snapshot() -> int | None:
            handle = k32.CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0)
            return None if not handle or handle == invalid else handle

        return cls(snapshot,
                   lambda handle, entry: bool(k32.Process32FirstW(handle, ctypes.byref(entry))),
                   lambda handle, entry: bool(k32.Process32NextW(handle, ctypes.byref(entry))),
                   k32.CloseHandle)


def parent_of(pid: int, toolhelp: Toolhelp | None = None) -> int | None:
    """The id of the process that started process ``pid``; None if ``pid`` is not running,
    has no parent recorded (0), or the process list cannot be read."""
    try:
        api = toolhelp if toolhelp is not None else Toolhelp.load()
        handle = api.snapshot()
    except (OSError, AttributeError):  # not Windows, or kernel32 refused
        return None
    if handle is None:
        return None
    try:
        entry = PROCESSENTRY32W()
        entry.dwSize = ctypes.sizeof(entry)
        more = api.first(handle, entry)
        while more:
            if entry.th32ProcessID == pid:
                return entry.th32ParentProcessID or None
            more = api.next(handle, entry)
    finally:
        api.close(handle)
    return None
