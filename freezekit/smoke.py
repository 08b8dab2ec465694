"""Verify a built program: import its app as a child would, then run its self-test, each
under a process-count guard (DESIGN.md, 4).

A program whose children cannot re-enter fails here, with what it printed, instead of in
front of its users.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from freezekit import appcheck, selftest
from freezekit.guard import run_guarded

__all__ = ["SmokeFailed", "smokeTest", "smoke_test"]

#: The self-test starts two children, each with a resource tracker at most; a program that
#: re-runs its app in every child goes far past this.
MAX_PROCS = 12
TIMEOUT = 90.0


class SmokeFailed(Exception):
    """The built program failed its self-test; the message holds its output."""


def smoke_test(executable: str | os.PathLike[str], timeout: float = TIMEOUT) -> dict[str, Any]:
    """Run ``executable``'s app check, then its self-test; the self-test's report (a dict,
    with the app check's under ``"app_check"``) or raise SmokeFailed."""
    # Side by side: each is mostly the program's start-up, so the build waits about as long
    # as for the self-test alone. A failed app check is reported first: it is the cause.
    with ThreadPoolExecutor(2) as pool:
        app_check = pool.submit(_run_mode, executable, appcheck.FLAG, appcheck.OK, timeout,
                                "app check")
        report = pool.submit(_run_mode, executable, selftest.FLAG, selftest.OK, timeout,
                             "self-test")
        checked = app_check.result()
        return {**report.result(), "app_check": checked}


def _run_mode(executable: str | os.PathLike[str], flag: str, ok: str, timeout: float,
              what: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="freezekit-smoke-") as tmp:
        report = Path(tmp) / "report.txt"
        env = {**os.environ, selftest.ENV: "1", selftest.REPORT_ENV: str(report)}
        result = run_guarded([str(executable), flag], timeout=timeout,
                             max_procs=MAX_PROCS, cwd=Path(executable).parent, env=env)
        output = report.read_text("utf-8") if report.is_file() else result.stdout
    last = (output.strip().splitlines() or [""])[-1]
    if result.returncode == 0 and last.startswith(ok):
        return json.loads(last[len(ok):])
    if result.bomb_stopped:
        why = (f"it started more than {MAX_PROCS} processes (stopped): its children run "
               "the app instead of re-entering through the bootstrap")
    elif result.timed_out:
        why = f"it did not finish within {timeout:g} s (stopped)"
    elif last.startswith(appcheck.FAILED):
        why = last[len(appcheck.FAILED):].strip()
        missing = re.search(r"ModuleNotFoundError: No module named '([\w.]+)'", why)
        if missing:
            why += (f"; if the app needs it, bundle it with --hidden-import {missing.group(1)} "
                    "(installed in this Python)")
    else:
        why = f"it exited with status {result.returncode}"
    raise SmokeFailed(
        f"the {what} of {executable} failed: {why}.\n"
        f"--- stdout ---\n{_tail(result.stdout)}\n--- stderr ---\n{_tail(result.stderr)}")


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:]) or "(nothing)"


smokeTest = smoke_test
