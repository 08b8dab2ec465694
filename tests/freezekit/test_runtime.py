"""freezekit.runtime: what a shipped program runs carries nothing of freezekit's build side."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

RUNTIME = ("freezekit.runtime.appcheck", "freezekit.runtime.selftest")


@pytest.mark.parametrize("module", RUNTIME)
def test_a_runtime_module_imports_no_build_side_module(module: str) -> None:
    # In a fresh interpreter: what importing it (as the entry script does) loads of freezekit.
    probe = (f"import json, sys, {module}; print(json.dumps("
             "sorted(m for m in sys.modules if m.partition('.')[0] == 'freezekit')))")
    names = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                      text=True, check=True, timeout=60).stdout)
    outside = [name for name in names
               if name != "freezekit" and not name.startswith("freezekit.runtime")]
    assert outside == [], f"{module} pulls the build side into shipped programs: {outside}"
    assert module in names


def test_every_backend_bundles_every_runtime_module(tmp_path) -> None:
    from freezekit.backends import BuildSpec, get_backend

    spec = BuildSpec(name="app", entry_script=tmp_path / "entry.py", app_module="app",
                     module_paths=[tmp_path], distpath=tmp_path / "dist",
                     workpath=tmp_path / "build")
    pyinstaller = get_backend("pyinstaller").command(spec)
    assert [module for module in RUNTIME if module in pyinstaller] == list(RUNTIME)
    cx_freeze = get_backend("cx_freeze").options(spec)["build_exe"]["includes"]
    assert [module for module in RUNTIME if module in cx_freeze] == list(RUNTIME)


@pytest.mark.guarded
@pytest.mark.skipif(sys.platform == "win32", reason="the fork server is POSIX's")
def test_the_stdlib_forkserver_launch_reports_its_servers_pids_in_plain_python() -> None:
    # The self-test reads the stdlib's fork server and resource tracker pids through
    # processing._stdlib: both must be live processes other than this one.
    from freezekit.guard import run_guarded
    from freezekit.runtime import selftest

    result = run_guarded(
        [sys.executable, "-c", ("import sys; from freezekit.runtime.selftest import main; "
                                "sys.exit(main(['stdlib-forkserver']))")],
        timeout=120, max_procs=8, env={**os.environ, selftest.ENV: "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    line = result.stdout.strip().splitlines()[-1]
    details = json.loads(line[len(selftest.OK):])["launches"]["stdlib-forkserver"]
    pids = {details["child_pid"], details["forkserver_pid"], details["resource_tracker_pid"]}
    assert len(pids) == 3 and result.session_id not in pids


#: Run in a child of its own: the process it starts would leave a resource tracker behind.
APP_CHECK_SCOPE = """\
import sys
import {lib}
from processing import _stdlib

if __name__ == "__main__":
    ctx = {lib}.{get_context}("spawn")
    _stdlib.set_inheriting(True)
    _stdlib.set_importing_main("app")
    try:
        ctx.Process(target=int).start()
    except RuntimeError as exc:
        print("refused:", " ".join(str(exc).split()))
    else:
        sys.exit("started a process while importing the app")
    finally:
        _stdlib.set_importing_main(None)
        _stdlib.set_inheriting(False)
    child = ctx.Process(target=int)
    child.start()
    child.join(60)
    print("after:", child.exitcode)
"""


@pytest.mark.guarded
@pytest.mark.parametrize("lib", ["processing", "multiprocessing"])
def test_while_the_app_check_imports_the_app_no_process_starts(lib: str, tmp_path) -> None:
    from freezekit.guard import run_guarded

    script = tmp_path / "scope.py"
    script.write_text(APP_CHECK_SCOPE.format(
        lib=lib, get_context="getContext" if lib == "processing" else "get_context"))
    result = run_guarded([sys.executable, str(script)], timeout=120, max_procs=8,
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    refused, after = result.stdout.splitlines()
    assert refused.startswith("refused:")
    if lib == "processing":
        assert "app" in refused  # processing's error names the module being imported
    assert after == "after: 0"
