"""``--multiprocessing-fork`` children go to the package that started them: the stdlib's to
the stdlib, multiprocess's to multiprocess (the same command line for both)."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from freezekit.guard import run_guarded
from processing._backend.spawn_child import owner_package

pytestmark = [pytest.mark.guarded,
              pytest.mark.skipif(sys.platform == "win32", reason="the stand-in exe is sh")]

SCRIPTS = Path(__file__).parent / "scripts"
REPO = Path(__file__).parents[2]


@pytest.mark.parametrize(("module", "package"), [
    ("multiprocess.context", "multiprocess"), ("multiprocess", "multiprocess"),
    ("multiprocessing.context", "multiprocessing"), ("processing.process", "multiprocessing"),
    ("multiprocessx.context", "multiprocessing"), ("__main__", "multiprocessing"),
])
def test_the_process_objects_class_names_the_package(module: str, package: str) -> None:
    assert owner_package(module) == package


def test_each_package_prepares_its_own_children(tmp_path: Path) -> None:
    pytest.importorskip("multiprocess")
    exe = tmp_path / "program"
    exe.write_text(
        "#!/bin/sh\n"
        f'exec {sys.executable} -c "import sys; from processing.freezing import '
        "dispatch_launch; dispatch_launch([sys.argv[0], *sys.argv[1:]]); "
        "sys.exit('not a launch')\" \"$@\"\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(SCRIPTS)])}
    result = run_guarded([sys.executable, str(SCRIPTS / "spawn_owner.py"), str(exe)],
                         timeout=120, max_procs=12, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for which in ("multiprocessing", "multiprocess"):
        assert report[which] == {"same_authkey": True, "name": f"{which}-child",
                                 "tracker_fd_set": True, "exitcode": 0,
                                 "manager": [which]}, report
