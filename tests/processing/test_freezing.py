"""Frozen programs: recognising child launches, ``freezeSupport()``, the child command line."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

import processing
from freezekit.guard import run_guarded
from processing import freezing
from processing.freezing import MARKER, child_command, dispatch_launch, recognise_launch

SCRIPTS = Path(__file__).parent / "scripts"
TRACKER = "from multiprocessing.resource_tracker import main;main(5)"
FORKSERVER = ("from multiprocessing.forkserver import main; "
              "main(7, 8, ['__main__'], **{'sys_path': ['/x'], 'main_path': None})")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["app"], None),
        (["app", "--verbose", "input.txt"], None),
        (["app", MARKER, "child", "7"], ("processing", ["child", "7"])),
        (["app", MARKER], ("processing", [])),
        (["app", "--multiprocessing-fork", "tracker_fd=5", "pipe_handle=7"],
         ("stdlib-spawn", ["tracker_fd=5", "pipe_handle=7"])),
        (["app", "-c", TRACKER], ("stdlib-helper", [TRACKER])),
        (["app", "-B", "-s", "-W", "ignore", "-X", "faulthandler", "-O", "-c", TRACKER],
         ("stdlib-helper", [TRACKER])),
        (["app", "-c", FORKSERVER], ("stdlib-helper", [FORKSERVER])),
        # Newer CPython patch releases prefix the forkserver code with ``import sys;``.
        (["app", "-c", "import sys; " + FORKSERVER],
         ("stdlib-helper", ["import sys; " + FORKSERVER])),
    ],
)
def test_recognise_launch(argv, expected):
    assert recognise_launch(argv) == expected


@pytest.mark.parametrize(
    "code",
    [
        "from multiprocessing.resource_tracker import main;main(__import__('os').system('x'))",
        "from multiprocessing.resource_tracker import main;main(x)",
        "from multiprocessing.resource_tracker import main;main(5);print(1)",
        "import os; os.system('echo pwned')",
        "from os import system; system('echo pwned')",
        "from multiprocessing.resource_tracker import main as m; m(5)",
        "from multiprocessing.resource_tracker import main; other(5)",
        "not python (",
        "from multiprocessing.forkserver import main; main(**{'a': open('f')})",
        "import subprocess; from multiprocessing.resource_tracker import main;main(5)",
        "import sys as s; from multiprocessing.resource_tracker import main;main(5)",
    ],
)
def test_non_literal_or_foreign_c_code_is_not_a_launch(code):
    assert recognise_launch(["app", "-c", code]) is None
    assert recognise_launch(["app", "-B", "-c", code]) is None


def test_a_c_not_first_after_options_is_not_a_launch():
    assert recognise_launch(["app", "input.txt", "-c", TRACKER]) is None
    assert recognise_launch(["app", "-c"]) is None


def test_dispatch_launch_returns_for_an_ordinary_start():
    assert dispatch_launch(["app", "--flag"]) is None


def test_freeze_support_is_a_no_op_when_not_frozen(monkeypatch):
    assert not freezing.is_frozen()
    monkeypatch.setattr(sys, "argv", ["app", MARKER, "child", "0"])
    assert processing.freezeSupport() is None  # it did not try to run a child
    assert processing.freeze_support() is None
    assert processing.getContext("spawn").freezeSupport() is None


def test_is_frozen_follows_sys_frozen(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert freezing.is_frozen()


def test_child_command_runs_our_bootstrap_with_the_marker():
    cmd = child_command(["child", "9"])
    assert cmd[-3:] == [MARKER, "child", "9"]
    i = cmd.index("-c")
    assert "from processing.bootstrap import main; main()" in cmd[i + 1]


def test_child_command_when_frozen_is_the_executable_and_the_marker(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/app/app")
    monkeypatch.setattr("multiprocessing.spawn._python_exe", "/opt/app/app")
    assert child_command(["child", "9"]) == ["/opt/app/app", MARKER, "child", "9"]


@pytest.mark.guarded
def test_a_simulated_frozen_program_starts_children_through_its_own_executable(tmp_path):
    """Children, the resource tracker and the fork server all re-enter through the program's
    own "executable", and dispatch happens in freezeSupport() right after the main guard."""
    exe = tmp_path / "app"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{SCRIPTS / "frozen_app.py"}" "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, FROZEN_EXE=str(exe))
    result = run_guarded([str(exe), "spawn", "forkserver"], timeout=60, max_procs=8,
                         cwd=tmp_path, env=env)
    assert not result.bomb_stopped and not result.timed_out, result.stderr
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["spawn_exe"] == str(exe)
    # /bin/sh exec'ed the interpreter: the tracker runs frozen_app.py with "-c <tracker code>"
    tracker_cmd = report["tracker_cmd"]
    assert tracker_cmd[1] == str(SCRIPTS / "frozen_app.py")
    assert "resource_tracker import main" in tracker_cmd[tracker_cmd.index("-c") + 1]
    for method in ("spawn", "forkserver"):
        doubled, child_argv, name, exitcode = report["results"][method]
        assert (doubled, exitcode) == (42, 0)
        assert child_argv == report["argv"]  # no marker reaches the child's sys.argv
        assert name.startswith("Process-")
