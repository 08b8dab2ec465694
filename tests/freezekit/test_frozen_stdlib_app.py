"""The app of issue 11 frozen as it is (stdlib only, no freeze_support(), the default start
method: forkserver on Linux since 3.14): it prints 285 with at most 6 processes, with
PyInstaller (onedir, onefile) and cx_Freeze, under every start method; and an unrecognised
launch of the executable by itself stops with one clear line, starting nothing.

Each executable is built once per session; run on 3.14 through ``../shared/tools/py314``
(``.ci/run`` does), on the machine's Python otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from freezekit.guard import run_guarded
from processing.freezing import PARENT_ENV, UNRECOGNISED_EXIT
from tests.freezekit.test_frozen_pyinstaller import _built, _freezekit_build

pytestmark = [pytest.mark.frozen, pytest.mark.guarded,
              pytest.mark.skipif(sys.platform != "linux", reason="process guard reads /proc")]

APP = Path(__file__).with_name("apps") / "pool285.py"
# main program, resource tracker, fork server, two workers: 5; one to spare. A one-file
# executable's bootloader adds a process to each executable start (the program, the
# resource tracker and the fork server; workers are forked), which the guard counts.
MAX_PROCS = 6
ONEFILE_BOOTLOADERS = 3
METHODS = [None, *(m for m in ("spawn", "forkserver") if m in
                   __import__("multiprocessing").get_all_start_methods())]
cx_freeze = pytest.mark.skipif(importlib.util.find_spec("cx_Freeze") is None,
                               reason="cx_Freeze is not installed: pip install '.[cxfreeze]'")


@pytest.fixture(scope="session")
def pool_onedir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built(_freezekit_build(tmp_path_factory.mktemp("pool-onedir"), APP, "-q"))


@pytest.fixture(scope="session")
def pool_onefile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built(_freezekit_build(tmp_path_factory.mktemp("pool-onefile"), APP, "-q",
                                   "--onefile"))


@pytest.fixture(scope="session")
def pool_cx_freeze(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built(_freezekit_build(tmp_path_factory.mktemp("pool-cx"), APP, "-q",
                                   "--backend", "cx_freeze"))


def _executable(request: pytest.FixtureRequest, kind: str) -> Path:
    return request.getfixturevalue(f"pool_{kind}")


KINDS = ["onedir", "onefile", pytest.param("cx_freeze", marks=cx_freeze)]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in (PARENT_ENV, "POOL_APP_METHOD", "POOL_APP_SELFRUN")}
    return {**env, **extra}


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m or "default")
@pytest.mark.parametrize("kind", KINDS)
def test_the_issue_app_prints_285_with_at_most_6_processes(
        request: pytest.FixtureRequest, kind: str, method: str | None) -> None:
    exe = _executable(request, kind)
    env = _env(**({"POOL_APP_METHOD": method} if method else {}))
    limit = MAX_PROCS + (ONEFILE_BOOTLOADERS if kind == "onefile" else 0)
    result = run_guarded([str(exe)], timeout=90, max_procs=limit, env=env)
    assert not result.bomb_stopped, result.stderr[-3000:]
    assert (result.returncode, result.stdout) == (0, "285\n"), result.stderr[-3000:]
    assert result.max_procs_seen <= limit
    print(f"{kind} {method or 'default'} on {sys.version.split()[0]}: "
          f"max {result.max_procs_seen} processes")


@pytest.mark.parametrize("kind", KINDS)
def test_a_made_up_launch_by_the_program_itself_stops_with_one_clear_line(
        request: pytest.FixtureRequest, kind: str) -> None:
    """The program runs its own executable: with ordinary arguments the app runs; with a
    launch no release makes, the child exits 2 with the error, before the app starts."""
    exe = _executable(request, kind)
    result = run_guarded([str(exe)], timeout=120, max_procs=MAX_PROCS * 2,
                         env=_env(POOL_APP_SELFRUN="1"))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["ordinary"][:2] == [0, "285\n"], report["ordinary"][2][-2000:]
    code, out, err = report["made_up"]
    assert (code, out) == (UNRECOGNISED_EXIT, "")
    assert err.count("\n") == 1, err
    assert "does not recognise as a launch" in err and "argv_fd=9" in err
    assert "Upgrade processing-freezekit (pip install -U processing-freezekit)" in err


@pytest.mark.parametrize("kind", KINDS)
def test_a_made_up_launch_from_its_parent_starts_no_process(
        request: pytest.FixtureRequest, kind: str) -> None:
    """Run from here as the program's child would be (the marker names this process): exit 2,
    one line, and never more processes than the executable itself."""
    from tests.freezekit.apps.pool285 import MADE_UP

    exe = _executable(request, kind)
    marker = f"{os.getpid()}:{os.path.realpath(exe)}"
    result = run_guarded([str(exe), *MADE_UP], timeout=60, max_procs=MAX_PROCS,
                         env=_env(**{PARENT_ENV: marker}))
    assert result.returncode == UNRECOGNISED_EXIT, result.stderr[-3000:]
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "does not recognise" in result.stderr
    assert result.max_procs_seen <= (2 if kind == "onefile" else 1)
    # Without the marker (a user typing it), it is an ordinary start: the app runs.
    ordinary = run_guarded([str(exe), *MADE_UP], timeout=90, max_procs=MAX_PROCS + 3,
                           env=_env())
    assert (ordinary.returncode, ordinary.stdout) == (0, "285\n"), ordinary.stderr[-3000:]
