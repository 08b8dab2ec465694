"""Run a program that might start processes without end, and stop it if it does.

freezekit runs executables it has just built; a broken one could re-run its app in every
child. ``ulimit -u`` does nothing for root, so this is a watchdog: the program runs in a
session (POSIX) of its own, a thread counts the processes in it, and past ``max_procs`` or
the timeout it kills them all. On Windows only the timeout applies, and the whole process
tree is killed when it expires.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GuardedResult", "runGuarded", "run_guarded", "sessionPids", "session_pids"]

_POLL = 0.02


@dataclass
class GuardedResult:
    """Like ``subprocess.CompletedProcess``, plus what the watchdog saw and did."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    max_procs_seen: int
    bomb_stopped: bool
    timed_out: bool


def session_pids(sid: int) -> list[int]:
    """Pids of the live processes in session ``sid`` (process group on non-Linux POSIX)."""
    if sys.platform == "win32":
        return []
    if Path("/proc/self/stat").exists():
        return _proc_session_pids(sid)
    out = subprocess.run(["ps", "-A", "-o", "pid=,pgid=,stat="], check=False,
                         capture_output=True, text=True).stdout
    return [int(pid) for pid, pgid, stat in
            (line.split(None, 2) for line in out.splitlines() if line.strip())
            if int(pgid) == sid and not stat.startswith("Z")]


def _proc_session_pids(sid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        # After the parenthesised command: state ppid pgrp session ...
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 3 and fields[0] != "Z" and int(fields[3]) == sid:
            pids.append(int(entry.name))
    return pids


def _kill_all(proc: subprocess.Popen) -> None:
    """Stop, then kill, everything the program started, so none can start a replacement."""
    if sys.platform == "win32":
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)],
                       check=False, capture_output=True)
        return
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for _ in range(3):
            for pid in session_pids(proc.pid):
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass


def run_guarded(
    cmd: Sequence[str],
    timeout: float,
    max_procs: int,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> GuardedResult:
    """Run ``cmd`` in a new session; kill the session past ``max_procs`` or ``timeout``."""
    flags = subprocess.CREATE_NEW_PROCESS_GROUP if sys.platform == "win32" else 0
    proc = subprocess.Popen(
        list(cmd), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, errors="replace",
        start_new_session=sys.platform != "win32", creationflags=flags,
    )
    seen = {"max": 1, "bomb": False}
    done = threading.Event()

    def watch() -> None:
        while not done.wait(_POLL):
            count = len(session_pids(proc.pid))
            seen["max"] = max(seen["max"], count)
            if count > max_procs:
                seen["bomb"] = True
                _kill_all(proc)

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_all(proc)
        stdout, stderr = proc.communicate()
    finally:
        done.set()
        watchdog.join()
        # Leftovers on POSIX; on Windows the pid may be reused once the program has ended.
        if sys.platform != "win32":
            _kill_all(proc)
    return GuardedResult(list(cmd), proc.returncode, stdout, stderr, seen["max"],
                         seen["bomb"], timed_out)


runGuarded = run_guarded
sessionPids = session_pids
