"""The process-count guard that every test running untrusted app code relies on."""

import sys
import textwrap

import pytest

from freezekit.guard import run_guarded, session_pids

pytestmark = pytest.mark.guarded


def test_runs_a_command_and_captures_its_output():
    result = run_guarded([sys.executable, "-c", "print('hello')"], timeout=30, max_procs=5)
    assert result.returncode == 0
    assert result.stdout == "hello\n"
    assert not result.bomb_stopped and not result.timed_out


def test_stops_a_fork_bomb(tmp_path):
    bomb = tmp_path / "bomb.py"
    # A chain: every process starts one more and waits, so the count grows by one every
    # 10 ms, past the limit long before the chain's own end. (A doubling bomb grows faster
    # than any watchdog polls when the machine is loaded; this one never has more than 201.)
    bomb.write_text(textwrap.dedent("""\
        import os, time
        for _ in range(200):
            time.sleep(0.01)
            try:
                if os.fork():
                    break
            except OSError:
                break
        time.sleep(30)
    """))
    result = run_guarded([sys.executable, str(bomb)], timeout=30, max_procs=8)
    assert result.bomb_stopped
    assert result.max_procs_seen > 8
    assert not result.timed_out
    assert session_pids(result.session_id) == []


def test_kills_what_a_command_leaves_behind():
    code = "import subprocess, sys; subprocess.Popen(['sleep', '30']); print('left')"
    result = run_guarded([sys.executable, "-c", code], timeout=30, max_procs=5)
    assert result.stdout == "left\n"
    assert not result.bomb_stopped
    assert session_pids(result.session_id) == []


def test_timeout_kills_the_command():
    result = run_guarded([sys.executable, "-c", "import time; time.sleep(30)"],
                         timeout=0.5, max_procs=5)
    assert result.timed_out
    assert result.returncode != 0



def test_windows_job_structures_have_the_win32_layout():
    """The job object's structures as winnt.h lays them out on 64-bit Windows (checked
    here on any 64-bit platform: the fields use fixed-size types)."""
    from ctypes import sizeof

    from freezekit import winjob

    if sizeof(winjob.c_size_t) != 8:
        pytest.skip("the layouts below are those of a 64-bit process")
    assert sizeof(winjob.IO_COUNTERS) == 48
    assert sizeof(winjob.JOBOBJECT_BASIC_LIMIT_INFORMATION) == 64
    assert sizeof(winjob.JOBOBJECT_EXTENDED_LIMIT_INFORMATION) == 144
    assert sizeof(winjob.JOBOBJECT_BASIC_ACCOUNTING_INFORMATION) == 48
    assert sizeof(winjob.THREADENTRY32) == 28
    assert winjob.JOBOBJECT_BASIC_LIMIT_INFORMATION.ActiveProcessLimit.offset == 40
    info = winjob.limit_information(7)
    assert info.BasicLimitInformation.ActiveProcessLimit == 7
    # JOB_OBJECT_LIMIT_ACTIVE_PROCESS | JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    assert info.BasicLimitInformation.LimitFlags == 0x2008


@pytest.mark.skipif(sys.platform != "win32", reason="job objects are Windows'")
def test_windows_job_stops_a_process_bomb_at_its_limit(tmp_path):
    bomb = tmp_path / "bomb.py"
    bomb.write_text(textwrap.dedent("""\
        import subprocess, sys, time
        for _ in range(3):
            try:
                subprocess.Popen([sys.executable, __file__])
            except OSError:
                pass
        time.sleep(30)
    """))
    result = run_guarded([sys.executable, str(bomb)], timeout=60, max_procs=6)
    assert result.bomb_stopped
    assert result.max_procs_seen == 7
    assert not result.timed_out


@pytest.mark.skipif(sys.platform != "win32", reason="job objects are Windows'")
def test_windows_job_counts_and_ends_what_a_command_leaves_behind():
    code = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(30)']); time.sleep(1); print('left')")
    result = run_guarded([sys.executable, "-c", code], timeout=60, max_procs=8)
    assert result.stdout.strip() == "left"
    assert result.max_procs_seen >= 2
    assert not result.bomb_stopped and not result.timed_out
