"""processing._backend.winparent: a process's parent from the Windows process list.

kernel32 is Windows', so the walk runs here over a process list the test makes, through the
same ``Toolhelp`` interface kernel32's functions are bound to; the record's layout is checked
against tlhelp32.h's on any 64-bit platform (its fields have fixed sizes here).
"""

from __future__ import annotations

import ctypes
import os
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processing._backend import winparent


class FakeProcessList:
    """A Toolhelp over ``(pid, ppid)`` records, checking the calls as Windows would."""

    def __init__(self, records: list[tuple[int, int]], *, snapshot_fails: bool = False,
                 fail_at: int | None = None) -> None:
        self.records = records
        self.snapshot_fails = snapshot_fails
        self.fail_at = fail_at
        self.open: set[int] = set()
        self.position = 0

    def toolhelp(self) -> winparent.Toolhelp:
        return winparent.Toolhelp(self._snapshot, self._first, self._next, self._close)

    def _snapshot(self) -> int | None:
        if self.snapshot_fails:
            return None
        self.open.add(42)
        return 42

    def _fill(self, handle: int, entry: winparent.PROCESSENTRY32W) -> bool:
        assert handle in self.open
        # Process32FirstW fails unless dwSize is set to the record's size first.
        assert entry.dwSize == ctypes.sizeof(winparent.PROCESSENTRY32W)
        if self.position == self.fail_at:
            raise OSError("the walk broke")
        if self.position >= len(self.records):
            return False
        entry.th32ProcessID, entry.th32ParentProcessID = self.records[self.position]
        self.position += 1
        return True

    def _first(self, handle: int, entry: winparent.PROCESSENTRY32W) -> bool:
        self.position = 0
        return self._fill(handle, entry)

    def _next(self, handle: int, entry: winparent.PROCESSENTRY32W) -> bool:
        return self._fill(handle, entry)

    def _close(self, handle: int) -> None:
        self.open.remove(handle)


def test_the_record_is_laid_out_as_tlhelp32_h_says() -> None:
    if ctypes.sizeof(ctypes.c_size_t) != 8:
        pytest.skip("the offsets below are those of a 64-bit process")
    entry = winparent.PROCESSENTRY32W
    assert ctypes.sizeof(entry) == 568  # sizeof(PROCESSENTRY32W) on x64
    assert entry.th32ProcessID.offset == 8
    assert entry.th32DefaultHeapID.offset == 16  # ULONG_PTR, after 4 bytes of padding
    assert entry.th32ParentProcessID.offset == 32
    assert entry.szExeFile.offset == 44
    assert entry.szExeFile.size == 2 * winparent.MAX_PATH  # WCHAR is 16-bit on Windows


def test_a_one_file_programs_child_finds_the_program_as_its_grandparent() -> None:
    program, bootloader, child = 1200, 1300, 1400
    processes = FakeProcessList([(4, 0), (program, 900), (bootloader, program),
                                 (child, bootloader)])
    toolhelp = processes.toolhelp()
    assert winparent.parent_of(child, toolhelp) == bootloader
    assert winparent.parent_of(bootloader, toolhelp) == program
    assert processes.open == set()


def test_no_answer_for_a_process_not_running_or_without_a_parent() -> None:
    processes = FakeProcessList([(4, 0), (1200, 900)])
    assert winparent.parent_of(4, processes.toolhelp()) is None
    assert winparent.parent_of(5555, processes.toolhelp()) is None
    assert processes.open == set()


def test_no_answer_when_the_process_list_cannot_be_read() -> None:
    assert winparent.parent_of(1, FakeProcessList([], snapshot_fails=True).toolhelp()) is None


def test_the_snapshot_is_closed_when_the_walk_fails() -> None:
    processes = FakeProcessList([(1, 0), (2, 1)], fail_at=1)
    with pytest.raises(OSError, match="the walk broke"):
        winparent.parent_of(2, processes.toolhelp())
    assert processes.open == set()


@pytest.mark.skipif(sys.platform == "win32", reason="kernel32 is there on Windows")
def test_without_kernel32_there_is_no_answer() -> None:
    assert winparent.parent_of(os.getpid()) is None


@pytest.mark.skipif(sys.platform != "win32", reason="kernel32 is Windows'")
def test_on_windows_this_process_has_its_real_parent() -> None:
    assert winparent.parent_of(os.getpid()) == os.getppid()


@given(st.dictionaries(st.integers(1, 2**32 - 1), st.integers(0, 2**32 - 1), max_size=40),
       st.integers(1, 2**32 - 1))
def test_every_process_of_any_list_gets_its_recorded_parent(table: dict[int, int],
                                                            other: int) -> None:
    processes = FakeProcessList(list(table.items()))
    for pid, ppid in table.items():
        assert winparent.parent_of(pid, processes.toolhelp()) == (ppid or None)
    if other not in table:
        assert winparent.parent_of(other, processes.toolhelp()) is None
    assert processes.open == set()
