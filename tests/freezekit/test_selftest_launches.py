"""Which launches a build's self-test runs: the running Python's, and the parallel libraries'
that the app imports (joblib, loky, multiprocess), each run here in plain python too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit.runtime import selftest
from freezekit.smoke import app_launches

BASE = selftest.available_launches()


@pytest.mark.parametrize(("source", "extra"), [
    ("import processing\n", []),
    ("from joblib import Parallel, delayed\n", ["joblib"]),
    ("def f():\n    import loky.backend\n", ["loky"]),
    ("import multiprocess as mp\nimport joblib.parallel\n", ["joblib", "multiprocess"]),
    ("from . import loky\n", []),
])
def test_the_libraries_the_app_imports_are_self_tested(tmp_path: Path, source: str,
                                                        extra: list[str]) -> None:
    app = tmp_path / "app.py"
    app.write_text(source)
    assert app_launches(app) == BASE + extra


def test_an_unreadable_app_gets_the_pythons_launches(tmp_path: Path) -> None:
    assert app_launches(tmp_path / "missing.py") == BASE
    assert all(name not in BASE for name in selftest.LIBRARY_LAUNCHES)


@pytest.mark.parametrize("launch", sorted(selftest.LIBRARY_LAUNCHES))
def test_each_library_launch_round_trips_in_plain_python(launch: str) -> None:
    pytest.importorskip(launch)
    result = subprocess.run(
        [sys.executable, "-c", ("import sys; from freezekit.runtime.selftest import main; "
         "sys.exit(main(sys.argv[1:]))"), launch],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, selftest.ENV: "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith(selftest.OK)
    details = json.loads(line[len(selftest.OK):])["launches"][launch]
    pids = details.get("worker_pids") or [details["child_pid"]]
    assert pids and os.getpid() not in pids
