"""Executables built with PyInstaller: children re-enter through our bootstrap, never the app.

One multi-scenario app (tests/freezekit/apps/scenarios.py) is built once per session as a
folder, once as a single file, and once by plain ``pyinstaller`` with our hook directory;
each test runs one scenario under the process-count guard and checks what it printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit.guard import run_guarded

pytestmark = [pytest.mark.frozen, pytest.mark.guarded,
              pytest.mark.skipif(sys.platform != "linux", reason="process guard reads /proc"),
              # The first test of a build pays for it (with joblib, loky and multiprocess in
              # the app, a minute or two on a busy machine).
              pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).with_name("apps") / "scenarios.py"
METHODS = ["spawn", "forkserver", "fork"]
# A scenario starts at most a handful of processes at once; a fork bomb goes far past this.
MAX_PROCS = 16
BUILD_TIMEOUT = 300


def _freezekit_build(tmp: Path, script: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "freezekit", "build", str(script), "--distpath",
         str(tmp / "dist"), "--workpath", str(tmp / "build"), *options],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)


def _built(result: subprocess.CompletedProcess) -> Path:
    assert result.returncode == 0, result.stderr[-3000:]
    executable = Path(result.stdout.strip().splitlines()[-1])
    assert executable.is_absolute() and executable.is_file()
    return executable


@pytest.fixture(scope="session")
def onedir_build(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess:
    # --no-check: the app calls freeze_support() in unusual places on purpose.
    return _freezekit_build(tmp_path_factory.mktemp("onedir"), SCENARIOS, "--no-check")


@pytest.fixture(scope="session")
def onedir(onedir_build: subprocess.CompletedProcess) -> Path:
    return _built(onedir_build)


@pytest.fixture(scope="session")
def onefile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built(_freezekit_build(tmp_path_factory.mktemp("onefile"), SCENARIOS,
                                   "--no-check", "--onefile", "-q"))


@pytest.fixture(scope="session")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pyinstaller scenarios.py``: only our hook directory, found through its entry point."""
    tmp = tmp_path_factory.mktemp("plain")
    # --paths: in an editable install PyInstaller cannot see processing otherwise.
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--paths", str(REPO), "--distpath", str(tmp / "dist"), "--workpath",
         str(tmp / "build"), "--specpath", str(tmp), str(SCENARIOS)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp / "dist" / "scenarios" / "scenarios"


def run(executable: Path, *args: str, env: dict[str, str] | None = None,
        timeout: float = 90) -> tuple[dict, object]:
    """Run one scenario under the guard; its JSON report and the guard's result."""
    result = run_guarded([str(executable), *args], timeout=timeout, max_procs=MAX_PROCS,
                         env={**os.environ, **(env or {})})
    assert not result.bomb_stopped, result.stderr[-3000:]
    assert not result.timed_out, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines, f"no output; exit status {result.returncode}\n{result.stderr[-3000:]}"
    return json.loads(lines[-1]), result


# --------------------------------------------------------------------- the build itself


def test_build_prints_the_executable_last_and_progress_on_stderr(
        onedir_build: subprocess.CompletedProcess, onedir: Path) -> None:
    assert onedir_build.stdout.strip().splitlines()[-1] == str(onedir)
    assert "froze" in onedir_build.stderr
    assert "verified: the app imports as its children import it; children re-enter" in (
        onedir_build.stderr)
    assert onedir.parent.name == "scenarios"


# ------------------------------------------------------------------------- onedir matrix


@pytest.mark.parametrize("method", METHODS)
def test_processing_children_pool_queue_pipe_manager(onedir: Path, method: str) -> None:
    report, result = run(onedir, "processing", "--method", method)
    assert report == {"queue": "queue", "pipe": "pipe", "child_exitcode": 0,
                      "other_pid": True, "pool": [0, 1, 4, 9, 16, 25],
                      "manager": ["child"], "filler_exitcode": 0}
    assert result.returncode == 0


@pytest.mark.parametrize("method", METHODS)
def test_stdlib_multiprocessing_without_freeze_support(onedir: Path, method: str) -> None:
    report, result = run(onedir, "stdlib", "--method", method)
    assert report == {"queue": "stdlib child", "child_exitcode": 0,
                      "pool": [0, 1, 4, 9, 16, 25], "shared_memory": "hello",
                      "writer_exitcode": 0}
    assert result.returncode == 0


@pytest.mark.parametrize(("which", "method"), [("stdlib", "spawn"), ("stdlib", "forkserver"),
                                               ("spawn-context", "spawn"),
                                               ("processing", "fork")])
def test_stdlib_multiprocessing_with_freeze_support(onedir: Path, which: str,
                                                   method: str) -> None:
    report, result = run(onedir, "stdlib", "--method", method, f"--freeze-support={which}")
    assert report["queue"] == "stdlib child"
    assert report["shared_memory"] == "hello"
    assert result.returncode == 0


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_process_pool_executor_without_freeze_support(onedir: Path, method: str) -> None:
    report, _ = run(onedir, "executor", "--method", method)
    assert report == {"executor": [0, 1, 4, 9, 16, 25]}


#: What each library scenario prints, as plain python prints it.
PARALLEL = {
    "joblib": {"joblib": [0, 1, 4, 9, 16, 25]},
    "loky": {"loky": [0, 1, 4, 9, 16, 25], "other_pids": True},
    "multiprocess": {"multiprocess": [0, 1, 4, 9, 16, 25], "child": "multiprocess child",
                     "child_exitcode": 0},
}


@pytest.mark.parametrize("library", sorted(PARALLEL))
def test_joblib_loky_and_multiprocess_children_go_to_their_own_package(
        onedir: Path, library: str) -> None:
    """joblib and loky with no freeze_support(); multiprocess as its examples are written."""
    report, result = run(onedir, library, "--method", "spawn")
    assert report == PARALLEL[library], result.stderr[-3000:]
    assert result.returncode == 0
    # The app and its workers (two), a resource tracker, at most one more in between.
    assert result.max_procs_seen <= 6


def test_children_started_from_several_threads_at_once(onedir: Path) -> None:
    report, _ = run(onedir, "threads", "--method", "spawn")
    assert report == {"threads": [0, 1, 2, 3], "exitcodes": [0, 0, 0, 0]}


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_child_starts_its_own_child(onedir: Path, method: str) -> None:
    report, _ = run(onedir, "nested", "--method", method)
    assert report == {"nested": "grandchild", "child_exitcode": 0, "other_pid": True}


def test_the_app_gets_its_arguments_and_its_exit_status_is_the_programs(onedir: Path) -> None:
    report, result = run(onedir, "argv", "--exit", "3")
    assert report == {"argv": ["argv", "--exit", "3"], "argv0": "scenarios",
                      "name": "__main__", "spec": "scenarios", "file": "scenarios.py"}
    assert result.returncode == 3


def test_strict_argparse_rejects_unknown_arguments_but_children_never_reach_it(
        onedir: Path) -> None:
    result = run_guarded([str(onedir), "argv", "--no-such-option"], timeout=60,
                         max_procs=MAX_PROCS)
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-option" in result.stderr


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_an_unguarded_app_gets_our_error_in_its_child_and_no_fork_bomb(
        onedir: Path, method: str) -> None:
    report, result = run(onedir, "argv", env={"SCENARIO_UNGUARDED": "1",
                                              "PROCESSING_START_METHOD": method})
    assert report == {"unguarded_exitcode": 1}
    assert "tried to start a new process while it was importing the main module" in (
        result.stderr)
    assert "freezekit fix" in result.stderr
    assert result.returncode == 0
    assert result.max_procs_seen <= 6


# ------------------------------------------------------------------------------ onefile


@pytest.mark.parametrize(("scenario", "method"), [("processing", "spawn"),
                                                  ("stdlib", "forkserver"),
                                                  ("executor", "spawn")])
def test_onefile_children(onefile: Path, scenario: str, method: str) -> None:
    report, result = run(onefile, scenario, "--method", method)
    assert result.returncode == 0
    assert all(v == 0 for k, v in report.items() if k.endswith("exitcode"))
    assert report.get("pool", [0, 1, 4, 9, 16, 25]) == [0, 1, 4, 9, 16, 25]


def test_onefile_children_reuse_the_unpacked_files_which_are_gone_after_exit(
        onefile: Path) -> None:
    report, result = run(onefile, "meipass", "--method", "spawn")
    assert result.returncode == 0
    assert report["parent"] and report["child"] == report["parent"]
    assert not Path(report["parent"]).exists()


@pytest.mark.parametrize("library", sorted(PARALLEL))
def test_onefile_joblib_loky_and_multiprocess(onefile: Path, library: str) -> None:
    report, result = run(onefile, library, "--method", "spawn")
    assert report == PARALLEL[library], result.stderr[-3000:]
    assert result.returncode == 0


def test_onefile_arguments_and_exit_status(onefile: Path) -> None:
    report, result = run(onefile, "argv", "--exit", "5")
    assert report["argv"] == ["argv", "--exit", "5"]
    assert result.returncode == 5


# ------------------------------------------------------ plain pyinstaller with our hook


@pytest.mark.parametrize("method", METHODS)
def test_plain_pyinstaller_processing_children(plain: Path, method: str) -> None:
    report, _ = run(plain, "processing", "--method", method)
    assert report["queue"] == "queue" and report["manager"] == ["child"]
    assert report["pool"] == [0, 1, 4, 9, 16, 25]


@pytest.mark.parametrize(("scenario", "method"), [("stdlib", "spawn"), ("executor", "spawn"),
                                                  ("nested", "forkserver")])
def test_plain_pyinstaller_without_freeze_support(plain: Path, scenario: str,
                                                  method: str) -> None:
    report, result = run(plain, scenario, "--method", method)
    assert result.returncode == 0
    assert all(v == 0 for k, v in report.items() if k.endswith("exitcode"))


def test_plain_pyinstaller_unguarded_app_gets_our_error(plain: Path) -> None:
    report, result = run(plain, "argv", env={"SCENARIO_UNGUARDED": "1",
                                             "PROCESSING_START_METHOD": "spawn"})
    assert report == {"unguarded_exitcode": 1}
    assert "freezekit fix" in result.stderr
    assert result.max_procs_seen <= 6


@pytest.mark.parametrize("kind", ["plain", "onedir"])
def test_an_unrecognised_child_launch_stops_with_one_clear_line(
        request: pytest.FixtureRequest, kind: str) -> None:
    """Through our runtime hook (plain pyinstaller) and our entry: a child of the program
    (the marker names this process) with a launch no release makes exits 2, starting
    nothing; the same command line typed by a user (no marker) reaches the app's argparse."""
    from processing.freezing import PARENT_ENV

    exe = request.getfixturevalue(kind)
    made_up = ["-I", "-c", ("import sys; from multiprocessing.forkserver import main; "
               "main(3, 4, [], sys_argv=sys.argv[1:], future=1)")]
    env = {**os.environ, PARENT_ENV: f"{os.getpid()}:{os.path.realpath(exe)}"}
    result = run_guarded([str(exe), *made_up], timeout=60, max_procs=MAX_PROCS, env=env)
    assert (result.returncode, result.stdout) == (2, ""), result.stderr[-3000:]
    assert result.stderr.count("\n") == 1 and "does not recognise as a launch" in result.stderr
    assert result.max_procs_seen == 1
    env.pop(PARENT_ENV)
    typed = run_guarded([str(exe), *made_up], timeout=60, max_procs=MAX_PROCS, env=env)
    assert typed.returncode == 2 and "usage:" in typed.stderr  # the app's own argparse


# ----------------------------------------------------------------------------- examples


@pytest.mark.timeout(BUILD_TIMEOUT + 120)  # a real build, then two runs
def test_hello_example_builds_and_prints_hello(tmp_path: Path) -> None:
    executable = _built(_freezekit_build(tmp_path, REPO / "examples" / "hello.py", "-q"))
    for method in ("spawn", "forkserver"):
        result = run_guarded([str(executable)], timeout=60, max_procs=MAX_PROCS,
                             env={**os.environ, "PROCESSING_START_METHOD": method})
        assert (result.returncode, result.stdout) == (0, "hello\n"), result.stderr
    # The self-test's checks of other parallel libraries must not drag them (and what they
    # import) into a program whose app does not use them: five times the build time.
    bundled = {p.name.split("-")[0].split(".")[0] for p in executable.parent.rglob("*")}
    assert not bundled & {"joblib", "loky", "multiprocess", "dask", "distributed"}
