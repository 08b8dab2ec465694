"""Windows: a job object that caps how many processes a guarded program can have at once.

Windows has no process sessions to list and kill as POSIX has, so the guard puts the program
in a job object (Win32 ``CreateJobObjectW``) with ``JOB_OBJECT_LIMIT_ACTIVE_PROCESS``: every
process the program starts, and theirs, belongs to the job, and past the limit Windows refuses
to create another one. ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`` ends them all when the guard
closes the job, and ``JobObjectBasicAccountingInformation`` counts the live ones.

The program is started suspended (``CREATE_SUSPENDED``) and assigned to the job before its
first thread runs, so that not even its first child escapes; its main thread is then found
with a Toolhelp snapshot and resumed. Structures as documented for winnt.h (the DWORD fields
are 32-bit, SIZE_T and ULONG_PTR pointer-sized, LARGE_INTEGER 64-bit).
"""

from __future__ import annotations

import ctypes
from ctypes import c_int64, c_size_t, c_uint32, c_uint64

__all__ = ["CREATE_SUSPENDED", "ProcessLimitJob"]

CREATE_SUSPENDED = 0x00000004

JOB_OBJECT_LIMIT_ACTIVE_PROCESS = 0x00000008
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
JOB_OBJECT_BASIC_ACCOUNTING_INFORMATION = 1  # JOBOBJECTINFOCLASS
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9
PROCESS_SET_QUOTA = 0x0100
PROCESS_TERMINATE = 0x0001
THREAD_SUSPEND_RESUME = 0x0002
TH32CS_SNAPTHREAD = 0x00000004
INVALID_HANDLE_VALUE = ctypes.c_void_p(-1).value
RESUME_FAILED = 0xFFFFFFFF  # ResumeThread's (DWORD)-1


class IO_COUNTERS(ctypes.Structure):
    _fields_ = [(name, c_uint64) for name in (
        "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
        "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]


class JOBOBJECT_BASIC_LIMIT_INFORMATION(ctypes.Structure):
    _fields_ = [
        ("PerProcessUserTimeLimit", c_int64),
        ("PerJobUserTimeLimit", c_int64),
        ("LimitFlags", c_uint32),
        ("MinimumWorkingSetSize", c_size_t),
        ("MaximumWorkingSetSize", c_size_t),
        ("ActiveProcessLimit", c_uint32),
        ("Affinity", c_size_t),
        ("PriorityClass", c_uint32),
        ("SchedulingClass", c_uint32),
    ]


class JOBOBJECT_EXTENDED_LIMIT_INFORMATION(ctypes.Structure):
    _fields_ = [
        ("BasicLimitInformation", JOBOBJECT_BASIC_LIMIT_INFORMATION),
        ("IoInfo", IO_COUNTERS),
        ("ProcessMemoryLimit", c_size_t),
        ("JobMemoryLimit", c_size_t),
        ("PeakProcessMemoryUsed", c_size_t),
        ("PeakJobMemoryUsed", c_size_t),
    ]


class JOBOBJECT_BASIC_ACCOUNTING_INFORMATION(ctypes.Structure):
    _fields_ = [
        ("TotalUserTime", c_int64),
        ("TotalKernelTime", c_int64),
        ("ThisPeriodTotalUserTime", c_int64),
        ("ThisPeriodTotalKernelTime", c_int64),
        ("TotalPageFaultCount", c_uint32),
        ("TotalProcesses", c_uint32),
        ("ActiveProcesses", c_uint32),
        ("TotalTerminatedProcesses", c_uint32),
    ]


class THREADENTRY32(ctypes.Structure):
    _fields_ = [
        ("dwSize", c_uint32),
        ("cntUsage", c_uint32),
        ("th32ThreadID", c_uint32),
        ("th32OwnerProcessID", c_uint32),
        ("tpBasePri", ctypes.c_int32),
        ("tpDeltaPri", ctypes.c_int32),
        ("dwFlags", c_uint32),
    ]


def limit_information(max_procs: int) -> JOBOBJECT_EXTENDED_LIMIT_INFORMATION:
    """The limits the guard's job gets: at most ``max_procs`` processes at once, and all of
    them killed when the job's last handle is closed."""
    info = JOBOBJECT_EXTENDED_LIMIT_INFORMATION()
    info.BasicLimitInformation.LimitFlags = (JOB_OBJECT_LIMIT_ACTIVE_PROCESS
                                             | JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE)
    info.BasicLimitInformation.ActiveProcessLimit = max_procs
    return info


class ProcessLimitJob:
    """A job object holding one started-suspended program and everything it starts."""

    def __init__(self, max_procs: int) -> None:
        from ctypes import wintypes

        self._kernel32 = k32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        k32.CreateJobObjectW.restype = wintypes.HANDLE
        k32.CreateJobObjectW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
        k32.SetInformationJobObject.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p,
                                                wintypes.DWORD]
        k32.QueryInformationJobObject.argtypes = [wintypes.HANDLE, ctypes.c_int,
                                                  ctypes.c_void_p, wintypes.DWORD,
                                                  ctypes.c_void_p]
        k32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
        k32.TerminateJobObject.argtypes = [wintypes.HANDLE, wintypes.UINT]
        k32.OpenProcess.restype = wintypes.HANDLE
        k32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
        k32.OpenThread.restype = wintypes.HANDLE
        k32.OpenThread.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
        k32.ResumeThread.argtypes = [wintypes.HANDLE]
        k32.ResumeThread.restype = wintypes.DWORD
        k32.CloseHandle.argtypes = [wintypes.HANDLE]
        k32.CreateToolhelp32Snapshot.restype = wintypes.HANDLE
        k32.CreateToolhelp32Snapshot.argtypes = [wintypes.DWORD, wintypes.DWORD]
        k32.Thread32First.argtypes = [wintypes.HANDLE, ctypes.POINTER(THREADENTRY32)]
        k32.Thread32Next.argtypes = [wintypes.HANDLE, ctypes.POINTER(THREADENTRY32)]
        self._job = k32.CreateJobObjectW(None, None)
        if not self._job:
            raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined]
        info = limit_information(max_procs)
        if not k32.SetInformationJobObject(self._job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
                                           ctypes.byref(info), ctypes.sizeof(info)):
            error = ctypes.get_last_error()  # type: ignore[attr-defined]
            self.close()
            raise ctypes.WinError(error)  # type: ignore[attr-defined]

    def adopt(self, pid: int) -> None:
        """Put the suspended process ``pid`` in the job, then let its main thread run."""
        k32 = self._kernel32
        process = k32.OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, False, pid)
        if not process:
            raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined]
        try:
            if not k32.AssignProcessToJobObject(self._job, process):
                raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined]
        finally:
            k32.CloseHandle(process)
        self._resume_threads(pid)

    def _resume_threads(self, pid: int) -> None:
        """Resume the threads of ``pid`` (a suspended process has one); OSError if none
        could be, since the program would then wait, suspended, for the guard's timeout."""
        k32 = self._kernel32
        snapshot = k32.CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0)
        if not snapshot or snapshot == INVALID_HANDLE_VALUE:
            raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined]
        resumed = 0
        try:
            entry = THREADENTRY32()
            entry.dwSize = ctypes.sizeof(entry)
            more = k32.Thread32First(snapshot, ctypes.byref(entry))
            while more:
                if entry.th32OwnerProcessID == pid:
                    thread = k32.OpenThread(THREAD_SUSPEND_RESUME, False, entry.th32ThreadID)
                    if thread:
                        # ResumeThread gives the previous suspend count, or (DWORD)-1.
                        if k32.ResumeThread(thread) != RESUME_FAILED:
                            resumed += 1
                        k32.CloseHandle(thread)
                more = k32.Thread32Next(snapshot, ctypes.byref(entry))
        finally:
            k32.CloseHandle(snapshot)
        if not resumed:
            raise OSError(f"could not resume the guarded process {pid}: no thread of it could "
                          "be opened and resumed")

    def active_processes(self) -> int:
        """How many processes of the job are alive now."""
        info = JOBOBJECT_BASIC_ACCOUNTING_INFORMATION()
        if not self._kernel32.QueryInformationJobObject(
                self._job, JOB_OBJECT_BASIC_ACCOUNTING_INFORMATION, ctypes.byref(info),
                ctypes.sizeof(info), None):
            return 0
        return int(info.ActiveProcesses)

    def terminate(self) -> None:
        """Kill every process in the job."""
        if self._job:
            self._kernel32.TerminateJobObject(self._job, 1)

    def close(self) -> None:
        """Close the job; KILL_ON_JOB_CLOSE ends whatever is still in it."""
        if self._job:
            self._kernel32.CloseHandle(self._job)
            self._job = None
