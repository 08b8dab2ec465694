"""Verify a built program: import its app as a child would, and run its self-test one
launch at a time, each under a process-count guard (DESIGN.md, 4).

Each launch the running Python can make (``freezekit.runtime.selftest.available_launches()``; the
built program bundles this same Python) runs in its own guarded run of the executable, all
at once, so that a program whose children re-run the app is stopped within its guard and
the failure names the launch. A program whose children cannot re-enter fails here, with
what it printed, instead of in front of its users.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from freezekit.guard import run_guarded
from freezekit.runtime import appcheck, selftest

__all__ = ["SmokeFailed", "app_launches", "smoke_test"]

#: Processes one launch may have at once: the program, a fork server, a resource tracker,
#: two workers, each doubled by a one-file bootloader. A program that re-runs its app in
#: every child goes far past this.
MAX_PROCS = 16
TIMEOUT = 90.0


class SmokeFailed(Exception):
    """The built program failed its self-test; the message names the launches that failed
    and holds their output. ``failed`` lists their names."""

    def __init__(self, message: str, failed: list[str]) -> None:
        super().__init__(message)
        self.failed = failed


def app_launches(app: str | os.PathLike[str]) -> list[str]:
    """The self-test's launches for the app ``app``: the running Python's, and those of the
    parallel libraries (joblib, loky, multiprocess) that the app's script imports."""
    import ast

    try:
        tree = ast.parse(Path(app).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return selftest.available_launches()
    packages = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            packages.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            packages.add(node.module.partition(".")[0])
    return selftest.available_launches(packages)


def smoke_test(executable: str | os.PathLike[str], timeout: float = TIMEOUT,
               launches: list[str] | None = None) -> dict[str, Any]:
    """Run ``executable``'s app check and its self-test for each launch (all available ones
    by default), side by side: each is mostly the program's start-up.

    Returns ``{"executable": ..., "launches": {name: details}, "app_check": {...}}`` for
    exactly the launches that ran and passed, or raises SmokeFailed naming every launch that
    failed; a failed app check is named first, since it is the cause of the rest.
    """
    names = selftest.available_launches() if launches is None else list(launches)
    runs = [([appcheck.FLAG], appcheck.OK)] + [([selftest.FLAG, name], selftest.OK)
                                                for name in names]
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        outcomes = list(pool.map(lambda run: _run_one(executable, *run, timeout), runs))
    (checked, check_failed), launch_outcomes = outcomes[0], outcomes[1:]
    failures = [(name, why) for name, (report, why) in zip(names, launch_outcomes)
                if report is None]
    if checked is None:
        lines = [f"the app check of {executable} failed: {check_failed}"]
        if failures:
            lines.append(f"(and so did {len(failures)} of {len(names)} self-test launches: "
                         f"{', '.join(name for name, _ in failures)})")
        raise SmokeFailed("\n".join(lines), ["app-check"] + [name for name, _ in failures])
    if failures:
        lines = [(f"the self-test of {executable} failed for "
                 f"{', '.join(name for name, _ in failures)} "
                 f"({len(failures)} of {len(names)} launches):")]
        lines += [f"- {name} ({selftest.LAUNCHES[name][0]}): {why}" for name, why in failures]
        raise SmokeFailed("\n".join(lines), [name for name, _ in failures])
    details: dict[str, Any] = {}
    ran_in = ""
    for report, _ in launch_outcomes:
        assert report is not None
        ran_in = report.get("executable", ran_in)
        details.update(report["launches"])
    return {"executable": ran_in, "launches": details, "app_check": checked}


def _run_one(executable: str | os.PathLike[str], args: list[str], ok: str,
             timeout: float) -> tuple[dict[str, Any] | None, str]:
    """One guarded run's report, or None and why it failed (with the program's output)."""
    with tempfile.TemporaryDirectory(prefix="freezekit-smoke-") as tmp:
        report = Path(tmp) / "report.txt"
        env = {**os.environ, selftest.ENV: "1", selftest.REPORT_ENV: str(report)}
        # The program is not our child's parent: a marker of ours must not reach it.
        env.pop("PROCESSING_FROZEN_PARENT", None)
        result = run_guarded([str(executable), *args], timeout=timeout,
                             max_procs=MAX_PROCS, cwd=Path(executable).parent, env=env)
        output = report.read_text("utf-8") if report.is_file() else result.stdout
    last = (output.strip().splitlines() or [""])[-1]
    if result.returncode == 0 and last.startswith(ok) and not result.bomb_stopped:
        return json.loads(last[len(ok):]), ""
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
    return None, (f"{why}.\n  --- stdout ---\n{_tail(result.stdout)}\n"
                  f"  --- stderr ---\n{_tail(result.stderr)}")


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join("  " + line for line in text.rstrip().splitlines()[-lines:]) or "  (nothing)"
