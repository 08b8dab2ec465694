"""The self-test that runs inside a built program: every launch re-enters, data round-trips.

``freezekit build`` runs the program as ``<exe> --freezekit-self-test LAUNCH`` with
``FREEZEKIT_SELF_TEST=1`` (both, so that neither an app's own argument nor a stray
environment variable can trigger it), once for each launch in :func:`available_launches`,
each in its own run under the process-count guard (see ``freezekit.smoke``), so that a
failure names the launch that failed. The launches are every way the running Python starts
a child of a frozen program:

- ``processing-spawn``, ``processing-forkserver``: processing's children (our marker);
- ``stdlib-spawn``: the stdlib's ``--multiprocessing-fork`` children;
- ``stdlib-forkserver``: the stdlib's fork server and its resource tracker (the ``-c``
  launches whose form changes between CPython releases), and a child forked by it;
- ``process-pool-executor``: a ``concurrent.futures.ProcessPoolExecutor`` with the running
  Python's default start method, as an app gets it;
- ``joblib``, ``loky``, ``multiprocess``: those libraries' workers (and resource trackers),
  when the app imports the library.

Each child gets a random token through a Pipe and sends it back through a Queue. The last
line of the output is ``freezekit-self-test: ok`` followed by JSON, or the run fails; the
line also goes to the file named by ``FREEZEKIT_SELF_TEST_REPORT`` if set, since a windowed
program has no standard output. Without a LAUNCH, all available launches run in turn.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import secrets
import sys
from collections.abc import Iterable
from typing import Any, Callable

__all__ = ["ENV", "FLAG", "LAUNCHES", "OK", "REPORT_ENV", "available_launches", "main"]

FLAG = "--freezekit-self-test"
ENV = "FREEZEKIT_SELF_TEST"
OK = "freezekit-self-test: ok"
REPORT_ENV = "FREEZEKIT_SELF_TEST_REPORT"

_TIMEOUT = 60.0


def _echo(conn: Any, queue: Any) -> None:
    """Child: read a token from the pipe and send it back, with this child's pid."""
    queue.put((conn.recv(), os.getpid()))


def _pid_of_worker(token: str) -> tuple[str, int]:
    return token, os.getpid()


def _round_trip(ctx: Any) -> dict[str, Any]:
    """One child started with ``ctx`` echoes a random token back; its pid."""
    token = secrets.token_hex(8)
    receiver, sender = ctx.Pipe(duplex=False)
    queue = ctx.Queue()
    # Daemonic, so that a failure here cannot leave the child waiting.
    child = ctx.Process(target=_echo, args=(receiver, queue), daemon=True)
    child.start()
    try:
        sender.send(token)
        echoed, pid = _answer(queue, child)
    finally:
        child.join(_TIMEOUT)
    if echoed != token or child.exitcode != 0 or pid == os.getpid():
        raise RuntimeError(f"child {child.name} returned {echoed!r} for {token!r} and exited "
                           f"with {child.exitcode}")
    return {"child_pid": pid}


def _answer(queue: Any, child: Any) -> Any:
    """The child's answer; RuntimeError as soon as it is dead without one, or too late."""
    import queue as stdlib_queue
    import time

    deadline = time.monotonic() + _TIMEOUT
    while time.monotonic() < deadline:
        try:
            return queue.get(timeout=0.1)
        except stdlib_queue.Empty:
            if child.exitcode is not None:
                raise RuntimeError(
                    f"child {child.name} exited with {child.exitcode} without answering; "
                    "its error is above") from None
    raise RuntimeError(f"child {child.name} did not answer within {_TIMEOUT:g} s")


def _processing(method: str) -> Callable[[], dict[str, Any]]:
    def run() -> dict[str, Any]:
        import processing

        return _round_trip(processing.getContext(method))

    return run


def _stdlib_spawn() -> dict[str, Any]:
    return _round_trip(multiprocessing.get_context("spawn"))


def _stdlib_forkserver() -> dict[str, Any]:
    from processing import _stdlib

    result = _round_trip(multiprocessing.get_context("forkserver"))
    server = _stdlib.stdlib_forkserver_pid()
    tracker = _stdlib.stdlib_resource_tracker_pid()
    # The fork server started the resource tracker (a second -c launch) before any child;
    # it must be running, not an app that exited.
    if tracker is None or not _alive(tracker):
        raise RuntimeError("the resource tracker is not running")
    if server is None or not _alive(server):
        raise RuntimeError("the fork server is not running")
    return {**result, "forkserver_pid": server, "resource_tracker_pid": tracker}


def _alive(pid: int) -> bool:
    """Whether our child ``pid`` still runs (not exited, not a zombie)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child (the fork server's tracker): ask the system
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return done == 0


def _executor() -> dict[str, Any]:
    import concurrent.futures

    method = multiprocessing.get_start_method()
    tokens = [secrets.token_hex(8) for _ in range(4)]
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(_pid_of_worker, tokens, timeout=_TIMEOUT))
    if [token for token, _ in answers] != tokens or os.getpid() in {p for _, p in answers}:
        raise RuntimeError(f"the executor's workers answered {answers!r}")
    return {"start_method": method, "worker_pids": sorted({p for _, p in answers})}


def _worker_answers(answers: list[tuple[str, int]], tokens: list[str], what: str) -> list[int]:
    if [token for token, _ in answers] != tokens or os.getpid() in {p for _, p in answers}:
        raise RuntimeError(f"{what} answered {answers!r}")
    return sorted({p for _, p in answers})


def _library(name: str) -> Any:
    """The parallel library ``name``, imported by a name in a string: an import statement
    here would make every freezer bundle the library (and all it imports) into every
    program, where it is tested only in the programs whose app imports it anyway."""
    return importlib.import_module(name)


def _joblib() -> dict[str, Any]:
    joblib = _library("joblib")
    Parallel, delayed = joblib.Parallel, joblib.delayed
    tokens = [secrets.token_hex(8) for _ in range(4)]
    answers = Parallel(n_jobs=2)(delayed(_pid_of_worker)(token) for token in tokens)
    return {"worker_pids": _worker_answers(answers, tokens, "joblib's loky workers")}


def _loky() -> dict[str, Any]:
    tokens = [secrets.token_hex(8) for _ in range(4)]
    executor = _library("loky").get_reusable_executor(max_workers=2)
    try:
        answers = list(executor.map(_pid_of_worker, tokens, timeout=_TIMEOUT))
    finally:
        executor.shutdown(wait=True)
    return {"worker_pids": _worker_answers(answers, tokens, "loky's workers")}


def _multiprocess() -> dict[str, Any]:
    return _round_trip(_library("multiprocess").get_context("spawn"))


#: The launches of parallel libraries that are not ours: self-tested when the app imports
#: the library (``available_launches(packages)``), since a program bundles it only then.
LIBRARY_LAUNCHES: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "joblib": ("joblib.Parallel's loky workers and resource tracker", _joblib),
    "loky": ("loky's reusable executor: workers and resource tracker", _loky),
    "multiprocess": ("multiprocess spawn child and its resource tracker", _multiprocess),
}

#: name -> (what it exercises, the check). The order is the report's.
LAUNCHES: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "processing-spawn": ("processing spawn child", _processing("spawn")),
    "processing-forkserver": ("processing forkserver child", _processing("forkserver")),
    "stdlib-spawn": ("multiprocessing spawn child", _stdlib_spawn),
    "stdlib-forkserver": ("multiprocessing forkserver with its resource tracker",
                          _stdlib_forkserver),
    "process-pool-executor": ("ProcessPoolExecutor (the default start method)", _executor),
    **LIBRARY_LAUNCHES,
}


def available_launches(packages: Iterable[str] = ()) -> list[str]:
    """The launches this Python can make (the fork server exists on POSIX only), and those
    of the parallel libraries among ``packages`` (the top-level packages the app imports)."""
    methods = multiprocessing.get_all_start_methods()
    wanted = set(packages)
    return [name for name in LAUNCHES
            if (not name.endswith("forkserver") or "forkserver" in methods)
            and (name not in LIBRARY_LAUNCHES or name in wanted)]


def main(argv: list[str] | None = None) -> int:
    """Run the self-test for the launches named in ``argv`` (all if none); 0 and the OK line
    if every child re-entered and answered."""
    names = list(argv if argv is not None else sys.argv[2:]) or available_launches()
    unknown = [name for name in names if name not in LAUNCHES]
    if unknown:
        print(f"freezekit-self-test: unknown launch {unknown[0]!r}; choose from "
              f"{', '.join(LAUNCHES)}", file=sys.stderr)
        return 2
    results = {name: LAUNCHES[name][1]() for name in names}
    line = f"{OK} {json.dumps({'executable': sys.executable, 'launches': results})}"
    if os.environ.get(REPORT_ENV):
        with open(os.environ[REPORT_ENV], "w", encoding="utf-8") as report:
            report.write(line + "\n")
    if sys.stdout is not None:
        print(line, flush=True)
    return 0
