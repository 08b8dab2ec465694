"""Run a command that might create processes recursively without risking the machine.

`ulimit -u` does nothing for root, so the guard is a watchdog: the command runs in a session of
its own, a thread counts the processes in that session, and past `max_procs` it stops them all
(a fork bomb stopped). Whatever the command leaves behind is killed when it ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_POLL = 0.02


@dataclass
class GuardedResult:
    """Like subprocess.CompletedProcess, plus what the watchdog saw and did."""

    args: list[str]
    session_id: int
    returncode: int
    stdout: str
    stderr: str
    max_procs_seen: int
    bomb_stopped: bool
    timed_out: bool


def session_pids(sid: int) -> list[int]:
    """Pids of live processes whose session id is `sid`, read from /proc/PID/stat."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp session ...
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 3 and int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def _kill_session(sid: int) -> None:
    """Freeze then kill every process in the session, so that none can fork a replacement."""
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for _ in range(3):
            for pid in session_pids(sid):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass


def run_guarded(
    cmd: list[str],
    timeout: float,
    max_procs: int,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> GuardedResult:
    """Run `cmd` in a new session; kill the session past `max_procs` processes or `timeout`."""
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    sid = proc.pid
    seen = {"max": 1, "bomb": False}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if proc.poll() is not None:
                # The command is done: whatever it left behind would hold our pipes open.
                _kill_session(sid)
                return
            count = len(session_pids(sid))
            seen["max"] = max(seen["max"], count)
            if count > max_procs:
                seen["bomb"] = True
                _kill_session(sid)
            time.sleep(_POLL)

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_session(sid)
        stdout, stderr = proc.communicate()
    finally:
        done.set()
        watchdog.join()
        _kill_session(sid)
    return GuardedResult(list(cmd), sid, proc.returncode, stdout, stderr, seen["max"],
                         seen["bomb"], timed_out)
