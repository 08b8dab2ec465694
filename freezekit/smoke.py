"""Verify a built program: run its self-test under a process-count guard (DESIGN.md, 4).

A program whose children cannot re-enter fails here, with what it printed, instead of in
front of its users.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from freezekit import selftest
from freezekit.guard import run_guarded

__all__ = ["SmokeFailed", "smokeTest", "smoke_test"]

#: The self-test starts two children, each with a resource tracker at most; a program that
#: re-runs its app in every child goes far past this.
MAX_PROCS = 12
TIMEOUT = 90.0


class SmokeFailed(Exception):
    """The built program failed its self-test; the message holds its output."""


def smoke_test(executable: str | os.PathLike[str], timeout: float = TIMEOUT) -> dict[str, Any]:
    """Run ``executable``'s self-test; its report (a dict) or raise SmokeFailed."""
    with tempfile.TemporaryDirectory(prefix="freezekit-smoke-") as tmp:
        report = Path(tmp) / "report.txt"
        env = {**os.environ, selftest.ENV: "1", selftest.REPORT_ENV: str(report)}
        result = run_guarded([str(executable), selftest.FLAG], timeout=timeout,
                             max_procs=MAX_PROCS, cwd=Path(executable).parent, env=env)
        output = report.read_text("utf-8") if report.is_file() else result.stdout
    last = (output.strip().splitlines() or [""])[-1]
    if result.returncode == 0 and last.startswith(selftest.OK):
        return json.loads(last[len(selftest.OK):])
    if result.bomb_stopped:
        why = (f"it started more than {MAX_PROCS} processes (stopped): its children run "
               "the app instead of re-entering through the bootstrap")
    elif result.timed_out:
        why = f"it did not finish within {timeout:g} s (stopped)"
    else:
        why = f"it exited with status {result.returncode}"
    raise SmokeFailed(
        f"the self-test of {executable} failed: {why}.\n"
        f"--- stdout ---\n{_tail(result.stdout)}\n--- stderr ---\n{_tail(result.stderr)}")


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:]) or "(nothing)"


smokeTest = smoke_test
