"""Windowed programs: children and the bootstrap's error paths with no stdout and no stderr.

A program frozen with ``--windowed`` (Windows, macOS app bundles) has ``sys.stdout`` and
``sys.stderr`` set to ``None``, and so does each of its children. Here a ``sitecustomize``
on PYTHONPATH does the same to every interpreter of the test program (parent, spawn and
forkserver children, the fork server); file descriptors 1 and 2 stay open, as they can in a
GUI program started from a console, so that the tests can see where reports go.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import processing
from processing import report
from processing._backend import bootstrap
from processing.freezing import MARKER, dispatch_launch

SCRIPTS = Path(__file__).parent / "scripts"
REPO = Path(__file__).parents[2]
pytestmark = pytest.mark.usefixtures("no_leftover_children")

NO_STREAMS = "import sys\nsys.stdout = sys.stderr = sys.__stdout__ = sys.__stderr__ = None\n"


@pytest.fixture
def windowed_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_STREAMS)
    path = os.pathsep.join([str(site), str(REPO), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=90, env=env,
                          cwd=REPO, check=False)


@pytest.mark.parametrize("method", processing.allStartMethods())
def test_children_of_a_program_without_streams_run_and_report_failures(
        method: str, windowed_env: dict[str, str], tmp_path: Path) -> None:
    result_file = tmp_path / "report.json"
    result = _run([sys.executable, str(SCRIPTS / "windowed.py"), method, str(result_file)],
                  windowed_env)
    assert result.returncode == 0, result.stderr
    got = json.loads(result_file.read_text())
    assert got["parent_stdout"] is False
    assert got["other_pid"] and got["child_exitcode"] == 0
    # A failing target exits 1 (not a crash on None.write, which cx_Freeze turns into 255).
    assert got["failing_exitcode"] == 1
    if method != "fork":
        # The child runs with stand-in streams where its parent had none.
        assert got["child"]["stdout"] and got["child"]["stderr"]
        # A spawned child starts with nothing, as a windowed program's child does.
        assert got["child"]["original_stderr"] is False
        # Its error report reached the open file descriptor 2 through the stand-in stream.
        assert "ValueError: the target failed in a windowed child" in result.stderr
        assert "a child's write to sys.stderr too" in result.stderr


def test_bootstrap_refuses_an_unknown_launch_without_streams(windowed_env) -> None:
    code = "from processing._backend.bootstrap import main; main()"
    result = _run([sys.executable, "-c", code, MARKER, "nonsense"], windowed_env)
    assert result.returncode == 2
    assert "unknown launch ['nonsense']" in result.stderr


def test_bootstrap_reports_a_main_module_that_fails_to_import_without_streams(
        windowed_env, tmp_path: Path) -> None:
    app = tmp_path / "breaks_in_child.py"
    app.write_text(
        "import processing\n"
        "if __name__ != '__main__':\n"
        "    raise ImportError('the app cannot be imported here')\n"
        "def noop():\n    pass\n"
        "if __name__ == '__main__':\n"
        "    p = processing.getContext('spawn').Process(target=noop)\n"
        "    p.start()\n    p.join(30)\n"
        "    raise SystemExit(10 + p.exitcode)\n")
    result = _run([sys.executable, str(app)], windowed_env)
    assert result.returncode == 11
    assert "the main module could not be imported in the child" in result.stderr
    assert "ImportError: the app cannot be imported here" in result.stderr


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_bootstrap_reports_an_unreceivable_target_without_streams(method, windowed_env) -> None:
    env = {**windowed_env, "PROCESSING_START_METHOD": method}
    result = _run([sys.executable, str(SCRIPTS / "target_under_guard.py")], env)
    assert result.returncode == 1
    assert "could not receive its process object" in result.stderr


def test_write_error_falls_back_to_the_original_stderr_then_fd_2(monkeypatch, capfd) -> None:
    monkeypatch.setattr(sys, "stderr", None)
    report.write_error("first\n")
    monkeypatch.setattr(sys, "__stderr__", None)
    report.write_error("second\n")
    assert capfd.readouterr().err == "first\nsecond\n"


def test_write_error_never_raises_when_nothing_is_open(monkeypatch) -> None:
    class Closed:
        def write(self, text):
            raise ValueError("I/O operation on closed file")

    monkeypatch.setattr(sys, "stderr", Closed())
    monkeypatch.setattr(sys, "__stderr__", None)
    monkeypatch.setattr(os, "write", lambda fd, data: (_ for _ in ()).throw(OSError(9, "bad")))
    report.write_error("lost, but no exception\n")


def test_stand_in_streams_uses_the_null_device_when_the_descriptors_are_closed(
        monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    real_fstat = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: (_ for _ in ()).throw(OSError(9, "bad"))
                        if fd in (1, 2) else real_fstat(fd))
    report.stand_in_streams()
    try:
        assert sys.stdout.name == os.devnull and sys.stderr.name == os.devnull
        print("harmless")
        sys.stderr.write("harmless\n")
    finally:
        sys.stdout.close()
        sys.stderr.close()


def test_dispatch_of_a_launch_stands_in_for_missing_streams(monkeypatch, capfd) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    with pytest.raises(SystemExit) as exit_info:
        dispatch_launch(["exe", MARKER, "nonsense"])
    assert exit_info.value.code == 2
    assert sys.stderr is not None and sys.stdout is not None
    sys.stderr.flush()
    assert "unknown launch ['nonsense']" in capfd.readouterr().err
    assert bootstrap.main  # the path exercised is processing's bootstrap
