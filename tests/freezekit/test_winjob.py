"""freezekit.winjob's start of the guarded program, over a made kernel32 (it is Windows').

The program starts suspended and is put in the job; then its threads are resumed. A program
none of whose threads could be resumed would wait, suspended, for the guard's timeout: that
is an error at once.
"""

from __future__ import annotations

import pytest

from freezekit import winjob


class FakeKernel32:
    """Thread32First/Next over ``(thread id, owner pid)``, OpenThread, ResumeThread."""

    def __init__(self, threads: list[tuple[int, int]], resume_result: int = 1,
                 openable: bool = True) -> None:
        self.threads = threads
        self.resume_result = resume_result
        self.openable = openable
        self.resumed: list[int] = []
        self.handles: set[int] = set()
        self.position = 0

    def CreateToolhelp32Snapshot(self, flags: int, pid: int) -> int:  # kernel32 names
        assert flags == winjob.TH32CS_SNAPTHREAD
        self.handles.add(1)
        return 1

    def _fill(self, entry) -> bool:
        entry = entry._obj  # ctypes.byref(...)
        assert entry.dwSize == 28  # sizeof(THREADENTRY32): Thread32First needs it set
        if self.position >= len(self.threads):
            return False
        entry.th32ThreadID, entry.th32OwnerProcessID = self.threads[self.position]
        self.position += 1
        return True

    def Thread32First(self, snapshot: int, entry) -> bool:
        self.position = 0
        return self._fill(entry)

    def Thread32Next(self, snapshot: int, entry) -> bool:
        return self._fill(entry)

    def OpenThread(self, access: int, inherit: bool, thread_id: int) -> int | None:
        assert access == winjob.THREAD_SUSPEND_RESUME
        if not self.openable:
            return None
        self.handles.add(100 + thread_id)
        return 100 + thread_id

    def ResumeThread(self, thread: int) -> int:
        self.resumed.append(thread - 100)
        return self.resume_result

    def CloseHandle(self, handle: int) -> bool:
        self.handles.remove(handle)
        return True


def _job(k32: FakeKernel32) -> winjob.ProcessLimitJob:
    job = object.__new__(winjob.ProcessLimitJob)  # without CreateJobObjectW
    job._kernel32 = k32
    return job


def test_the_programs_threads_and_only_they_are_resumed() -> None:
    k32 = FakeKernel32([(7, 300), (8, 500), (9, 500), (10, 301)])
    _job(k32)._resume_threads(500)
    assert k32.resumed == [8, 9]
    assert k32.handles == set()


@pytest.mark.parametrize("k32", [
    FakeKernel32([(7, 300)]),  # the program has no thread in the snapshot
    FakeKernel32([(8, 500)], openable=False),  # OpenThread refused
    FakeKernel32([(8, 500)], resume_result=winjob.RESUME_FAILED),  # ResumeThread failed
], ids=["no-thread", "not-openable", "resume-failed"])
def test_a_program_left_suspended_is_an_error_at_once(k32: FakeKernel32) -> None:
    with pytest.raises(OSError, match="could not resume the guarded process 500"):
        _job(k32)._resume_threads(500)
    assert k32.handles == set()
