"""Run a program that might start processes without end, and stop it if it does.

freezekit runs executables it has just built, and the tests run unguarded apps; a broken one
could re-run its app in every child. ``ulimit -u`` does nothing for root, so this is a
watchdog: the program runs in a session (POSIX) of its own, a thread counts the processes in
it, and past ``max_procs`` or the timeout it kills them all; whatever the program leaves
behind is killed when it ends. On Windows the program runs in a job object whose process
limit is ``max_procs + 1`` (see ``freezekit.winjob``): Windows itself refuses a process past
it, the watchdog counts the job's live processes, and closing the job kills what is left.
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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.winjob import ProcessLimitJob

__all__ = ["GuardedResult", "run_guarded", "session_pids"]

_POLL = 0.02


@dataclass
class GuardedResult:
    """Like ``subprocess.CompletedProcess``, plus what the watchdog saw and did."""

    args: list[str]
    session_id: int
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
    return _ps_session_pids(sid)


def _proc_session_pids(sid: int) -> list[int]:
    """Linux: the session id is a field of /proc/PID/stat."""
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


def _ps_session_pids(sid: int) -> list[int]:
    """macOS and other POSIX without /proc: the session leader's process group, from ps."""
    out = subprocess.run(["ps", "-A", "-o", "pid=,pgid=,stat="], check=False,
                         capture_output=True, text=True).stdout
    return [int(pid) for pid, pgid, stat in
            (line.split(None, 2) for line in out.splitlines() if line.strip())
            if int(pgid) == sid and not stat.startswith("Z")]


def _kill_session(sid: int) -> None:
    """Stop, then kill, everything in the session, so that none can start a replacement."""
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for _ in range(3):
            for pid in session_pids(sid):
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass


def _kill_all(proc: subprocess.Popen, job: ProcessLimitJob | None) -> None:
    """Kill the program and everything it started."""
    if job is not None:
        job.terminate()
    else:
        _kill_session(proc.pid)


def run_guarded(
    cmd: Sequence[str],
    timeout: float,
    max_procs: int,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> GuardedResult:
    """Run ``cmd`` in a new session; kill the session past ``max_procs`` or ``timeout``."""
    posix = sys.platform != "win32"
    job = None
    flags = 0
    if not posix:
        from freezekit.winjob import CREATE_SUSPENDED, ProcessLimitJob

        # One more than max_procs, so that going past it is seen (and the next refused).
        job = ProcessLimitJob(max_procs + 1)
        flags = subprocess.CREATE_NEW_PROCESS_GROUP | CREATE_SUSPENDED
    try:
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=posix,
            creationflags=flags,
        )
        if job is not None:
            try:
                job.adopt(proc.pid)
            except OSError:
                proc.kill()
                proc.communicate()
                raise
    except BaseException:
        if job is not None:
            job.close()
        raise
    seen = {"max": 1, "bomb": False}
    done = threading.Event()

    def watch() -> None:
        while not done.wait(_POLL):
            if proc.poll() is not None:
                # The program is done: whatever it left behind would hold our pipes open.
                if job is not None:
                    job.terminate()
                else:
                    _kill_session(proc.pid)
                return
            count = job.active_processes() if job else len(session_pids(proc.pid))
            seen["max"] = max(seen["max"], count)
            if count > max_procs:
                seen["bomb"] = True
                _kill_all(proc, job)

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_all(proc, job)
        stdout, stderr = proc.communicate()
    finally:
        done.set()
        watchdog.join()
        if job is not None:
            job.close()
        else:
            _kill_session(proc.pid)
    return GuardedResult(list(cmd), proc.pid, proc.returncode, stdout, stderr, seen["max"],
                         seen["bomb"], timed_out)
