"""Start methods and contexts: each context binds the whole API to its start method."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import processing
from processing import context
from processing.context import DefaultContext

pytestmark = pytest.mark.usefixtures("no_leftover_children")

TIMEOUT = 20

CONTEXT_API = [
    "Process", "ProcessExit", "Pipe", "Queue", "BufferedQueue", "JoinableQueue", "SimpleQueue",
    "Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Event", "Barrier",
    "currentProcess", "current_process", "activeChildren", "active_children",
    "parentProcess", "parent_process", "cpuCount", "cpu_count", "freezeSupport",
    "freeze_support", "getContext", "get_context", "getStartMethod", "get_start_method",
    "setStartMethod", "set_start_method", "allStartMethods", "get_all_start_methods",
    "enableLogging", "getLogger", "get_logger", "log_to_stderr", "setExecutable",
    "set_executable",
]

MODULE_API = CONTEXT_API + [
    "TimeoutError", "ProcessError", "BufferTooShort", "AuthenticationError", "Empty", "Full",
]

# Set in the parent after import: a forked child sees it, a spawned or forkserver one not.
_marker = "as imported"


def _how_started(q):
    import multiprocessing

    q.put((os.getppid(), _marker, processing.getStartMethod(),
           multiprocessing.get_start_method(allow_none=True)))


def test_all_start_methods_on_linux():
    assert sorted(processing.allStartMethods()) == ["fork", "forkserver", "spawn"]
    assert processing.get_all_start_methods() == processing.allStartMethods()


def test_start_methods_other_packages_register_are_not_ours(monkeypatch):
    """On 3.14, importing loky adds its own methods to the stdlib's list; processing has no
    launcher for them, so it lists and accepts only its own."""
    import multiprocessing

    stdlib = multiprocessing.get_all_start_methods()
    monkeypatch.setattr(multiprocessing, "get_all_start_methods",
                        lambda: [*stdlib, "loky", "loky_init_main"])
    assert processing.allStartMethods() == [m for m in stdlib if not m.startswith("loky")]
    with pytest.raises(ValueError, match="unknown start method 'loky'"):
        processing.getContext("loky")


def test_get_context_binds_the_start_method(ctx, start_method):
    assert ctx.getStartMethod() == ctx.get_start_method() == start_method
    assert processing.getContext(start_method) is processing.get_context(start_method) is ctx
    assert ctx.getContext() is ctx and ctx.getContext("fork") is processing.getContext("fork")
    assert start_method in repr(ctx)


def test_a_context_has_the_whole_api(ctx):
    missing = [name for name in CONTEXT_API if not hasattr(ctx, name)]
    assert missing == []


def test_the_module_has_the_whole_api_in_both_spellings():
    missing = [name for name in MODULE_API if not hasattr(processing, name)]
    assert missing == []
    assert set(MODULE_API) <= set(processing.__all__)


def test_a_contexts_process_starts_with_its_method(ctx, start_method):
    global _marker
    q = ctx.Queue()
    _marker = "changed after import"
    try:
        p = ctx.Process(target=_how_started, args=(q,))
        p.start()
        ppid, marker, child_default, stdlib_default = q.get(timeout=TIMEOUT)
        p.join(TIMEOUT)
    finally:
        _marker = "as imported"
    assert marker == ("changed after import" if start_method == "fork" else "as imported")
    assert (ppid == os.getpid()) is (start_method != "forkserver")
    assert p.exitcode == 0
    # The child's default is the method it was made with, in both libraries.
    assert child_default == stdlib_default == start_method


def test_the_default_context_is_found_below_context_py(monkeypatch):
    from processing import _defaultctx

    assert _defaultctx.context() is context.default_context
    assert _defaultctx.process_class("fork") is context.ForkProcess
    monkeypatch.setattr(_defaultctx, "default_context", None)
    with pytest.raises(RuntimeError, match="import processing"):
        _defaultctx.context()


def test_primitives_of_a_context_work_across_its_processes(ctx):
    q, lock, event = ctx.Queue(), ctx.Lock(), ctx.Event()
    p = ctx.Process(target=_set_under_lock, args=(lock, event, q))
    p.start()
    assert event.wait(TIMEOUT)
    assert q.get(timeout=TIMEOUT) == "set"
    p.join(TIMEOUT)


def _set_under_lock(lock, event, q):
    with lock:
        event.set()
        q.put("set")


def test_unknown_start_method_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown start method 'threads': choose one of fork"):
        processing.getContext("threads")


def test_a_bound_context_cannot_change_its_method(ctx):
    with pytest.raises(ValueError, match="processing.setStartMethod"):
        ctx.setStartMethod("spawn")


def test_set_start_method_once_then_only_with_force():
    default = DefaultContext()
    assert default.getStartMethod(allow_none=True) is None
    default.setStartMethod("spawn")
    assert default.getStartMethod() == "spawn"
    assert default.Process is processing.Process  # chosen when start() is called
    with pytest.raises(RuntimeError, match="already 'spawn'.*force=True"):
        default.set_start_method("fork")
    default.setStartMethod("forkserver", force=True)
    assert default.get_start_method() == "forkserver"
    with pytest.raises(ValueError, match="unknown start method"):
        default.setStartMethod("nope", force=True)


def test_first_use_fixes_the_default_start_method():
    default = DefaultContext()
    assert default.getStartMethod() == context._initial_method()
    with pytest.raises(RuntimeError, match="already"):
        default.setStartMethod("spawn")


def test_launcher_for_each_method():
    from processing._backend import popen_fork, popen_forkserver, popen_spawn_posix

    assert context.launcher_for("fork") is popen_fork.Popen
    assert context.launcher_for("spawn") is popen_spawn_posix.Popen
    assert context.launcher_for("forkserver") is popen_forkserver.Popen


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_environment_variable_chooses_the_default(method):
    code = "import processing; print(processing.getStartMethod())"
    env = dict(os.environ, PROCESSING_START_METHOD=method)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=False)
    assert out.stdout.strip() == method, out.stderr


def test_bad_environment_variable_names_itself():
    code = "import processing; processing.getStartMethod()"
    env = dict(os.environ, PROCESSING_START_METHOD="threads")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=False)
    assert out.returncode == 1
    assert "PROCESSING_START_METHOD='threads' is not a start method here" in out.stderr


def test_process_of_the_default_context_uses_the_default_method():
    code = (
        "import os, processing\n"
        "processing.setStartMethod('spawn')\n"
        "p = processing.Process(target=os.getpid); p.start(); p.join(30)\n"
        "print(processing.getStartMethod(), p.exitcode, type(p._popen).__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.stdout.split() == ["spawn", "0", "processing._backend.popen_spawn_posix"], out.stderr


def test_the_fork_server_is_restarted_if_it_was_killed():
    from processing._backend import forkserver

    ctx = processing.getContext("forkserver")
    p = ctx.Process(target=os.getpid)
    p.start()
    p.join(TIMEOUT)
    old = forkserver._forkserver._pid
    os.kill(old, 9)
    os.waitpid(old, 0)  # it is our child: reap it, as ensure_running() would
    p = ctx.Process(target=os.getpid)
    p.start()
    p.join(TIMEOUT)
    assert p.exitcode == 0
    assert forkserver._forkserver._pid not in (None, old)


def test_a_child_of_a_killed_fork_server_reports_a_lost_status():
    from processing._backend import forkserver

    ctx = processing.getContext("forkserver")
    ready = ctx.Event()
    p = ctx.Process(target=ready.wait, args=(TIMEOUT,))
    p.start()
    os.kill(forkserver._forkserver._pid, 9)
    ready.set()
    p.join(TIMEOUT)
    assert p.exitcode is not None  # 0 if the child's status was sent in time, else 255
