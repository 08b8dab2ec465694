"""Executables built with Nuitka: the same guarantees as with PyInstaller and cx_Freeze.

The scenario tests of test_frozen_pyinstaller run here again, against the same scenario app
compiled once per session with ``--backend nuitka`` (a test module's own ``onedir`` fixture is
the one its tests get), and once with ``--onefile``. A Nuitka build compiles to C (one to
four minutes here), so these two builds are all. Then what only Nuitka shows: Nuitka's own
self-execution stop is off, so the dispatch is the only judge of a launch.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit.backends.nuitka import c_compiler
from freezekit.guard import run_guarded
from tests.freezekit.test_frozen_pyinstaller import (
    MAX_PROCS,
    PARALLEL,
    SCENARIOS,
    _built,
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
    pytest.mark.skipif(importlib.util.find_spec("nuitka") is None,
                       reason="Nuitka is not installed: pip install '.[nuitka]'"),
    pytest.mark.skipif(c_compiler() is None,
                       reason="Nuitka needs a C compiler, and none was found (apt-get install gcc)"),
    # One compile to C of the scenario app, shared by this module's tests.
    pytest.mark.timeout(900),
]

BUILD_TIMEOUT = 900

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


def _nuitka_build(tmp: Path, script: Path, *options: str) -> subprocess.CompletedProcess:
    """``freezekit build --backend nuitka``, with the time a compile to C can take.

    joblib, loky, multiprocess, dill and cloudpickle are bundled as byte code (our plugin's
    FREEZEKIT_NUITKA_BYTECODE), except the few modules that get load code (their ``spawn``
    modules, dill's and cloudpickle's packages): compiled to C whole, they take the build
    from minutes to a quarter of an hour here, and what is tested is how their launches and
    their pickling of the app's compiled functions reach them, not their code.
    """
    env = {**os.environ,
           "FREEZEKIT_NUITKA_BYTECODE": "joblib,loky,multiprocess,dill,cloudpickle"}
    return subprocess.run(
        [sys.executable, "-m", "freezekit", "build", str(script), "--backend", "nuitka",
         "--distpath", str(tmp / "dist"), "--workpath", str(tmp / "build"), *options],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False, env=env)


@pytest.fixture(scope="session")
def onedir_build(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess:
    # --no-check: the app calls freeze_support() in unusual places on purpose.
    tmp = tmp_path_factory.mktemp("nuitka")
    return _nuitka_build(tmp, SCENARIOS, "--no-check")


@pytest.fixture(scope="session")
def onedir(onedir_build: subprocess.CompletedProcess) -> Path:
    return _built(onedir_build)


@pytest.fixture(scope="session")
def onefile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built(_nuitka_build(tmp_path_factory.mktemp("nuitka-onefile"), SCENARIOS,
                                "--no-check", "--onefile", "-q"))


def test_build_is_a_verified_folder_named_as_the_program(
        onedir_build: subprocess.CompletedProcess, onedir: Path) -> None:
    assert onedir_build.stdout.strip().splitlines()[-1] == str(onedir)
    assert "with nuitka (onedir)" in onedir_build.stderr
    assert "verified: the app imports as its children import it; children re-enter" in (
        onedir_build.stderr)
    # Nuitka's own "scenarios.dist" folder, delivered where the other backends put theirs.
    assert onedir.parent.name == "scenarios"
    assert onedir.parent.parent.name == "dist"


def test_the_app_gets_its_arguments_and_its_exit_status_is_the_programs(onedir: Path) -> None:
    report, result = run(onedir, "argv", "--exit", "3")
    assert report == {"argv": ["argv", "--exit", "3"], "argv0": "scenarios",
                      "name": "__main__", "spec": "scenarios", "file": "scenarios.py"}
    assert result.returncode == 3


def test_a_stray_self_execution_line_runs_the_app_not_nuitkas_error(onedir: Path) -> None:
    """Nuitka's self-execution stop is off: an app's own ``-c`` argument reaches the app."""
    result = run_guarded([str(onedir), "-c", "print(1)"], timeout=60, max_procs=MAX_PROCS)
    assert "tried to call itself" not in result.stderr
    assert result.returncode == 2
    assert "scenarios: error:" in result.stderr
    assert result.max_procs_seen <= 2


@pytest.mark.parametrize(("scenario", "method"), [("processing", "spawn"),
                                                  ("stdlib", "forkserver"),
                                                  ("executor", "spawn"), ("argv", "spawn")])
def test_onefile_children(onefile: Path, scenario: str, method: str) -> None:
    report, result = run(onefile, scenario, "--method", method, "--exit", "4")
    assert result.returncode == 4
    assert all(v == 0 for k, v in report.items() if k.endswith("exitcode"))
    assert report.get("pool", [0, 1, 4, 9, 16, 25]) == [0, 1, 4, 9, 16, 25]
    assert report.get("argv", ["argv", "--method", method, "--exit", "4"])[-2:] == ["--exit", "4"]


@pytest.mark.parametrize("library", sorted(PARALLEL))
def test_onefile_joblib_loky_and_multiprocess(onefile: Path, library: str) -> None:
    report, result = run(onefile, library, "--method", "spawn")
    assert report == PARALLEL[library], result.stderr[-3000:]
    assert result.returncode == 0
