"""The compat runner itself: it runs a class of CPython's suite against both libraries,
really substitutes processing, compares honestly and refuses bad arguments."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit.guard import run_guarded
from tests.compat import LIBRARY_ENV, START_METHOD_ENV
from tests.compat.__main__ import compare

REPO = Path(__file__).parents[2]
needs_suite = pytest.mark.skipif(importlib.util.find_spec("test._test_multiprocessing") is None,
                                 reason="this Python has no test._test_multiprocessing")


def _runner(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    result = run_guarded([sys.executable, "-m", "tests.compat", *args], timeout=timeout,
                         max_procs=60, cwd=REPO)
    assert not result.timed_out and not result.bomb_stopped, result.stderr
    return result


@needs_suite
@pytest.mark.guarded
@pytest.mark.timeout(300)
def test_one_class_under_fork_both_libraries_pass(tmp_path):
    out = tmp_path / "report.json"
    result = _runner("WithProcessesTestConnection", "--methods", "fork", "--json", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"== start method fork (Python {sys.version.split()[0]}) =="
    row = next(line for line in lines if line.startswith("WithProcessesTestConnection"))
    stdlib_cell, ours_cell = row.split()[1:3]
    assert stdlib_cell == ours_cell and int(stdlib_cell.split("/")[0]) >= 5
    assert "processing fails, the stdlib passes: 0" in lines
    report = json.loads(out.read_text())
    runs = report["methods"]["fork"]["runs"]
    assert runs["stdlib"]["outcomes"].keys() == runs["processing"]["outcomes"].keys()
    assert runs["processing"]["header"]["library"] == "processing"


@needs_suite
@pytest.mark.timeout(120)
def test_the_suite_sees_processing_and_the_stdlib_run_sees_the_stdlib():
    code = (
        "import multiprocessing, processing, sys\n"
        "from tests.compat import cases\n"
        "from tests.compat.substitute import stdlib_submodules_used\n"
        "s = cases.suite\n"
        "assert cases.WithProcessesTestProcess.Process is processing.Process\n"
        "assert s.multiprocessing.connection.Listener is processing.connection.Listener\n"
        "assert s.multiprocessing.managers.SyncManager is processing.managers.SyncManager\n"
        "assert s.Value is processing.sharedctypes.Value\n"
        "assert s.multiprocessing.process._dangling is multiprocessing.process._dangling\n"
        "assert s.multiprocessing.heap is multiprocessing.heap\n"
        "assert sys.modules['multiprocessing'] is multiprocessing\n"
        "assert 'multiprocessing.log' not in sys.modules\n"
        "try:\n"
        "    s.multiprocessing.connection.NoSuchName\n"
        "except AttributeError as exc:\n"
        "    assert 'multiprocessing.connection.NoSuchName' in str(exc)\n"
        "else:\n"
        "    raise AssertionError('a missing public name was filled in')\n"
        "print(stdlib_submodules_used())\n"
    )
    env = dict(os.environ, **{LIBRARY_ENV: "processing", START_METHOD_ENV: "spawn"})
    result = run_guarded([sys.executable, "-c", code], timeout=100, max_procs=10, cwd=REPO,
                         env=env)
    assert result.returncode == 0, result.stderr
    assert "multiprocessing.heap" in result.stdout
    code = ("import multiprocessing\nfrom tests.compat import cases\n"
            "assert cases.WithProcessesTestProcess.Process is multiprocessing.Process\n")
    env[LIBRARY_ENV] = "stdlib"
    result = run_guarded([sys.executable, "-c", code], timeout=100, max_procs=10, cwd=REPO,
                         env=env)
    assert result.returncode == 0, result.stderr


def test_an_unknown_start_method_is_a_usage_error():
    result = _runner("--methods", "fork,vfork", timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        ("python -m tests.compat: --methods: unknown start method 'vfork'; "
         "choose from fork, spawn, forkserver")]
    assert result.stdout == ""


def _outcomes(**by_id: str) -> dict:
    return {"outcomes": {f"tests.compat.cases.{test}": {"id": f"tests.compat.cases.{test}",
                                                          "outcome": outcome, "detail": outcome}
                         for test, outcome in by_id.items()}}


def test_compare_counts_per_class_and_lists_only_what_processing_loses():
    stdlib = _outcomes(**{"WithA.test_1": "pass", "WithA.test_2": "pass", "WithA.test_3": "fail",
                          "WithB.test_1": "skip", "WithB.test_2": "expected-failure"})
    ours = _outcomes(**{"WithA.test_1": "pass", "WithA.test_2": "error", "WithA.test_3": "fail",
                        "WithB.test_1": "timeout"})
    ours["outcomes"]["setUpClass (tests.compat.cases.WithC)"] = {
        "id": "setUpClass (tests.compat.cases.WithC)", "outcome": "error", "detail": "boom"}
    lines, regressions = compare({"stdlib": stdlib, "processing": ours})
    assert lines[1:] == [
        f"{'WithA':<46} {'2/1/0/0':>16} {'1/1/1/0':>19}  <- differs",
        f"{'WithB':<46} {'1/0/0/1':>16} {'0/0/0/0 +1t':>19}  <- differs",
        f"{'WithC':<46} {'0/0/0/0':>16} {'0/0/1/0':>19}  <- differs",
    ]
    assert regressions == [
        ("tests.compat.cases.WithA.test_2", "pass", "error: error"),
        ("tests.compat.cases.WithB.test_1", "skip", "timeout: timeout"),
        ("tests.compat.cases.WithB.test_2", "expected-failure", "not run"),
    ]
