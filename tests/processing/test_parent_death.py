"""A killed parent leaves nothing behind: daemonic children die with it (0.52: "terminated
when the parent exits"), and the fork server and the resource tracker end once their last
client has. Non-daemonic children outlive it, as the stdlib's do."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from freezekit.guard import session_pids
from processing import _parentdeath

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals; Windows uses a job"),
    pytest.mark.timeout(120),
]

SCRIPT = Path(__file__).parent / "scripts" / "killed_parent.py"
REPO = Path(__file__).resolve().parents[2]
#: Seconds the processes have to go; they go in milliseconds, this bounds a hang.
GONE_WITHIN = 20.0


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        return False


def _wait_gone(pids: list[int]) -> list[int]:
    """The pids still alive after GONE_WITHIN seconds (an empty list once all are gone)."""
    deadline = time.monotonic() + GONE_WITHIN
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return [pid for pid in pids if _alive(pid)]


class _KilledParent:
    """Run the script in a session of its own; SIGKILL its parent process on demand; kill
    whatever is left in the session at the end."""

    def __init__(self, method: str, *flags: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), method, *flags], stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL, text=True, start_new_session=True, cwd=REPO,
        )

    def __enter__(self) -> _KilledParent:  # noqa: PYI034 (Self needs 3.11)
        return self

    def report(self) -> dict:
        line = self.proc.stdout.readline()
        assert line, f"the parent ended early (exit code {self.proc.wait(30)})"
        return json.loads(line)

    def kill_parent(self) -> None:
        self.proc.kill()
        self.proc.wait(30)

    def __exit__(self, *exc: object) -> None:
        for pid in session_pids(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.kill()
        self.proc.wait(30)
        self.proc.stdout.close()


@pytest.mark.parametrize("from_thread", [False, True], ids=["main-thread", "other-thread"])
def test_daemonic_children_and_helpers_die_with_a_killed_parent(start_method, from_thread):
    flags = ["--from-thread"] if from_thread else []
    with _KilledParent(start_method, *flags) as parent:
        pids = parent.report()
        assert pids["answered"], "a daemonic child died with the thread that started it"
        watched = [*pids["daemons"], pids["forkserver"], pids["tracker"]]
        assert all(map(_alive, watched))
        parent.kill_parent()
        assert _wait_gone(watched) == []


def test_non_daemonic_children_outlive_a_killed_parent_and_helpers_end_after_them(
        start_method):
    with _KilledParent(start_method, "--plain") as parent:
        pids = parent.report()
        helpers = [pids["forkserver"], pids["tracker"]]
        parent.kill_parent()
        assert _wait_gone(pids["daemons"]) == []
        assert _alive(pids["plain"])  # as the stdlib's: only daemonic children are ended
        os.kill(pids["plain"], signal.SIGKILL)
        assert _wait_gone(helpers) == []  # the last client of each is gone


def test_a_plan_is_made_only_for_daemonic_children():
    class Child:
        daemon = False

    assert _parentdeath.plan_for_child(Child()) is None
    Child.daemon = True
    plan = _parentdeath.plan_for_child(Child())
    assert (plan.parent_pid, plan.by_main_thread) == (os.getpid(), True)
