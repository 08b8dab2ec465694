"""The dedicated bootstrap: how spawned and forkserver children start (DESIGN.md decision 2)."""

from __future__ import annotations

import functools
import io
import json
import os
import pickle
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import processing
from freezekit.guard import run_guarded
from processing._backend import bootstrap
from processing.freezing import MARKER

SCRIPTS = Path(__file__).parent / "scripts"
pytestmark = pytest.mark.usefixtures("no_leftover_children")

TIMEOUT = 20
REPO = Path(__file__).parents[2]


def _run_script(name: str, method: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PROCESSING_START_METHOD=method)
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args], capture_output=True, text=True,
        timeout=60, env=env, cwd=REPO, check=False,
    )


def _argv(q):
    q.put(sys.argv)


def _add(a, b):
    return a + b


class _Unpicklable:
    def __reduce__(self):
        raise TypeError("this object refuses to be pickled")

    def method(self):
        pass


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_child_sees_the_parents_argv_and_main_module_as_mp_main(method):
    result = _run_script("report_main.py", method, "--flag", "value", MARKER[2:])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    child = report["child"]
    assert child["argv"] == report["parent_argv"]
    assert report["parent_argv"][1:] == ["--flag", "value", MARKER[2:]]
    assert MARKER not in child["argv"] and "-c" not in child["argv"]
    assert child["module_name"] == child["main_name"] == "__mp_main__"
    assert child["main_is_mp_main"]
    assert child["name"] == "Process-1"
    assert report["exitcode"] == 0


def test_child_argv_equals_the_parents_in_process(ctx):
    q = ctx.Queue()
    p = ctx.Process(target=_argv, args=(q,))
    p.start()
    assert q.get(timeout=TIMEOUT) == sys.argv
    p.join(TIMEOUT)


@pytest.mark.guarded
@pytest.mark.parametrize(("method", "helpers"), [("spawn", 1), ("forkserver", 2)])
def test_unguarded_main_module_fails_clearly_and_starts_no_grandchild(method, helpers):
    """The guidelines' unsafe module: the child refuses to start a process while importing
    the main module. Processes seen: the parent, the one child, and the helpers (the resource
    tracker; and the fork server)."""
    env = dict(os.environ, PROCESSING_START_METHOD=method)
    result = run_guarded([sys.executable, str(SCRIPTS / "unguarded.py")], timeout=60,
                         max_procs=2 + helpers + 2, cwd=REPO, env=env)
    assert not result.bomb_stopped and not result.timed_out
    assert result.max_procs_seen <= 2 + helpers
    assert result.returncode == 1  # the script exits with its child's exit code
    assert result.stdout == ""  # foo() never ran anywhere
    assert result.stderr.count("RuntimeError: A child process tried to start a new process "
                               "while it was importing the main module") == 1
    assert "if __name__ == '__main__':" in result.stderr
    assert "`freezekit fix unguarded.py`" in result.stderr
    assert "Process Process-1: the main module could not be imported in the child" \
        in result.stderr


def test_starting_a_process_while_importing_main_raises(ctx):
    current = processing.currentProcess()
    current._inheriting = True
    current._importing_main = "/somewhere/app.py"
    try:
        with pytest.raises(RuntimeError, match=r"freezekit fix app\.py") as info:
            ctx.Process(target=_argv).start()
    finally:
        del current._inheriting, current._importing_main
    assert "/somewhere/app.py" in str(info.value)
    assert processing.activeChildren() == []


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_target_defined_under_the_main_guard_fails_clearly_in_the_child(method):
    result = _run_script("target_under_guard.py", method)
    assert result.returncode == 1
    assert "Process Process-1: could not receive its process object" in result.stderr
    # The unpickler's wording: "Can't get attribute 'foo' on <module ...>" up to 3.13,
    # "module '__mp_main__' has no attribute 'foo'" from 3.14.
    assert re.search(r"(Can't get attribute|has no attribute) 'foo'", result.stderr), \
        result.stderr
    assert "move it to module level" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
@pytest.mark.parametrize(
    ("target", "args", "culprit"),
    [
        (lambda: None, (), "its target tests.processing.test_bootstrap.<lambda>"),
        (functools.partial(_add, _Unpicklable()), (), "its target"),
        (_Unpicklable().method, (), "its target"),
        (_add, (1, threading.Lock()), "its args or kwargs"),
    ],
    ids=["lambda", "partial", "bound-method", "args"],
)
def test_unpicklable_target_or_args_fail_in_the_parent_at_start(method, target, args, culprit):
    p = processing.getContext(method).Process(target=target, args=args)
    with pytest.raises(pickle.PicklingError) as info:
        p.start()
    message = str(info.value)
    assert culprit in message
    assert f"with the {method!r} start method" in message
    assert "cannot be pickled" in message
    assert p.pid is None and processing.activeChildren() == []


def test_fork_needs_no_pickling():
    q = processing.getContext("fork").Queue()
    p = processing.getContext("fork").Process(target=lambda: q.put("ran"))
    p.start()
    assert q.get(timeout=TIMEOUT) == "ran"
    p.join(TIMEOUT)


def test_bootstrap_main_refuses_an_unknown_launch():
    code = "from processing._backend.bootstrap import main; main()"
    result = subprocess.run([sys.executable, "-c", code, MARKER, "nonsense"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "unknown launch ['nonsense']" in result.stderr
    assert "only for children started by processing" in result.stderr


def test_launch_data_round_trips_preparation_then_process_object():
    class _Popen:
        method = "spawn"

    p = processing.getContext("spawn").Process(target=_add, args=(1, 2), name="Named")
    data = bootstrap.payload(p, _Popen())
    source = io.BytesIO(data)
    prep = pickle.load(source)
    child = pickle.load(source)
    assert prep["name"] == "Named"
    assert prep["sys_argv"] == sys.argv
    assert prep["authkey"] == bytes(processing.currentProcess().authkey)
    assert (child._target, child._args) == (_add, (1, 2))


def _pid_exists(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_no_child_or_helper_outlives_the_program():
    """Daemon children, the resource tracker and the fork server all end with the program."""
    result = _run_script("helpers_exit.py", "fork")
    assert result.returncode == 0, result.stderr
    pids = json.loads(result.stdout)
    leftovers = [*pids["daemons"], pids["tracker"], pids["forkserver"]]
    assert all(isinstance(pid, int) for pid in leftovers)
    deadline = time.monotonic() + TIMEOUT
    while any(map(_pid_exists, leftovers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [pid for pid in leftovers if _pid_exists(pid)]
    for pid in alive:  # do not leave them to the rest of the suite
        os.kill(pid, 9)
    assert alive == []
