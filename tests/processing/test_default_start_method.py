"""The default start method is the running Python's, and a program mixing processing and
stdlib objects works under either; ``set_forkserver_preload`` configures our fork server."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from pathlib import Path

import pytest

import processing
from freezekit.guard import run_guarded

SCRIPTS = Path(__file__).parent / "scripts"
REPO = Path(__file__).parents[2]
TIMEOUT = 60
pytestmark = pytest.mark.usefixtures("no_leftover_children")


def _run(script: str, *args: str, **env: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != "PROCESSING_START_METHOD"}
    environ.update(env, PYTHONPATH=str(REPO))  # the preloaded module is tests.processing._...
    result = run_guarded([sys.executable, str(SCRIPTS / script), *args], timeout=120,
                         max_procs=20, cwd=REPO, env=environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_start_methods_and_the_default_are_the_running_pythons():
    # The stdlib's list, less what other packages registered there (loky does on 3.14).
    assert processing.allStartMethods() == [
        m for m in multiprocessing.get_all_start_methods() if m in ("fork", "spawn", "forkserver")]
    expected = "forkserver" if sys.version_info >= (3, 14) else "fork"
    if sys.platform == "linux":
        assert processing.allStartMethods()[0] == expected


def test_a_fresh_program_starts_with_the_stdlibs_default():
    code = ("import multiprocessing, processing; "
            "print(processing.get_start_method(), multiprocessing.get_all_start_methods()[0])")
    environ = {k: v for k, v in os.environ.items() if k != "PROCESSING_START_METHOD"}
    result = run_guarded([sys.executable, "-c", code], timeout=60, max_procs=5, env=environ)
    ours, stdlib = result.stdout.split()
    assert ours == stdlib


@pytest.mark.timeout(240)
def test_a_program_mixing_both_libraries_at_their_defaults():
    seen = _run("mixed_objects.py")
    assert seen["methods"][0] == seen["methods"][1] == multiprocessing.get_all_start_methods()[0]
    assert seen["values"] == [2, 20]
    for who in ("processing", "stdlib"):
        assert seen["results"][who] == {
            "exitcode": 0,
            "got": [f"{who} to a processing queue", f"{who} to a stdlib queue"],
            "proxy": [who],
        }


@pytest.mark.timeout(240)
@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_a_program_mixing_both_libraries_under_fork_and_forkserver(method):
    """Either default (fork before 3.14, forkserver from 3.14) on any Python we run."""
    code = (f"import multiprocessing, runpy; multiprocessing.set_start_method({method!r}); "
            f"runpy.run_path({str(SCRIPTS / 'mixed_objects.py')!r}, run_name='__main__')")
    environ = {k: v for k, v in os.environ.items() if k != "PROCESSING_START_METHOD"}
    environ["PROCESSING_START_METHOD"] = method
    result = run_guarded([sys.executable, "-c", code], timeout=120, max_procs=20, cwd=REPO,
                         env=environ)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["methods"] == [method, method]
    assert seen["values"] == [2, 20]
    assert [seen["results"][who]["exitcode"] for who in ("processing", "stdlib")] == [0, 0]


def _exchange(stdlib_q, our_q, stdlib_lock, our_lock, stdlib_value, our_value):
    with stdlib_lock, our_lock:
        stdlib_value.value += 1
        our_value.value += 1
    stdlib_q.put("stdlib")
    our_q.put("processing")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("who", ["processing", "stdlib"])
def test_objects_of_both_libraries_cross_a_child_of_either(start_method, who):
    ours, stdlib = processing.get_context(start_method), multiprocessing.get_context(start_method)
    args = (stdlib.Queue(), ours.Queue(), stdlib.Lock(), ours.Lock(), stdlib.Value("i", 0),
            ours.Value("i", 0))
    p = (ours if who == "processing" else stdlib).Process(target=_exchange, args=args)
    p.start()
    got = {args[0].get(timeout=TIMEOUT), args[1].get(timeout=TIMEOUT)}
    p.join(TIMEOUT)
    assert p.exitcode == 0
    assert got == {"stdlib", "processing"}
    assert (args[4].value, args[5].value) == (1, 1)


@pytest.mark.timeout(180)
def test_set_forkserver_preload_reaches_our_fork_server():
    seen = _run("preload_report.py", "--preload")
    assert seen["exitcode"] == 0
    assert seen["preloaded"] is True
    # Imported by the process that forked the child, our fork server, not by the parent.
    assert seen["imported_in"] == seen["forked_by"]
    assert seen["parent_imported_it"] is False
    assert seen["stdlib_server_started"] is False


@pytest.mark.timeout(180)
def test_without_preload_the_fork_server_imports_only_main():
    seen = _run("preload_report.py")
    assert (seen["exitcode"], seen["preloaded"]) == (0, False)


def test_set_forkserver_preload_wants_module_names():
    with pytest.raises(TypeError, match="list of strings"):
        processing.set_forkserver_preload(["json", 3])
    assert processing.setForkserverPreload == processing.set_forkserver_preload
