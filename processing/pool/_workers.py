"""The workers as the scheduler sees them: a handle on each, and their starts and ends.

``Launcher`` starts workers through the context's ``Process`` (via ``Pool.Process``, so a
substituted one is honoured); a fork pool's replacements come from its fork template
(``processing._backend.forktemplate``), never from the parent once the scheduler's thread runs.
"""

from __future__ import annotations

import collections
import signal
import time
from typing import Any, Callable

from processing._backend import forktemplate as _forktemplate
from processing.connection import Pipe
from processing.pool._framing import FrameReader, Outbox
from processing.pool._messages import Task
from processing.pool._worker import serve

__all__ = ["Launcher", "Worker", "describe_exit", "stop_workers"]


class Worker:
    """One worker process: its connection (read by ``reader``, written through ``outbox``)
    and the tasks it holds, oldest (the one running) first."""

    __slots__ = ("budget", "conn", "held", "lost", "outbox", "process", "reader", "sentinel",
                 "since")

    def __init__(self, process: Any, conn: Any, budget: int | None) -> None:
        self.process = process
        self.conn = conn
        self.sentinel = process.sentinel
        self.reader = FrameReader(conn)
        self.outbox = Outbox(conn)
        self.held: collections.deque[Task] = collections.deque()
        self.budget = budget  # tasks it may still be given (maxtasksperchild), None: no limit
        self.since = 0.0  # when the first held task started running (approximately)
        self.lost: str | None = None  # why we killed it, for the error of its task


def describe_exit(exitcode: int | None) -> str:
    """How a worker ended, for an error message: its exit code or signal."""
    if exitcode is None:
        return "with an unknown status"
    if exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name} (exit code {exitcode})"
        except ValueError:
            return f"killed by signal {-exitcode} (exit code {exitcode})"
    return f"with exit code {exitcode}"


class Launcher:
    """Starts the workers of one pool, each with ``serve(conn, initializer, initargs,
    maxtasks)`` as its life."""

    def __init__(self, ctx: Any, process_factory: Callable[..., Any], initializer: Any,
                 initargs: tuple, maxtasks: int | None, use_template: bool) -> None:
        self._ctx = ctx
        self._process_factory = process_factory
        self._initializer, self._initargs, self._maxtasks = initializer, initargs, maxtasks
        self._use_template = use_template
        self.template: _forktemplate.ForkTemplate | None = None

    def start(self, count: int) -> list[tuple[Any, Any]]:
        """The pool's first ``count`` workers (and a fork pool's template): each process and
        our end of its connection. If one cannot start, those started are stopped."""
        launched: list[tuple[Any, Any]] = []
        try:
            for _ in range(count):
                launched.append(self.launch())
            if self._use_template:
                self.template = _forktemplate.ForkTemplate(
                    self._ctx, serve, (self._initializer, self._initargs, self._maxtasks))
        except BaseException:
            _stop_launched(launched)
            raise
        return launched

    def launch(self) -> tuple[Any, Any]:
        """Start a worker through the context's ``Process``: it and our end of its connection."""
        parent_end, child_end = Pipe(duplex=True)
        try:
            process = self._process_factory(
                self._ctx, target=serve,
                args=(child_end, self._initializer, self._initargs, self._maxtasks),
                daemon=True,
            )
            process.name = process.name.replace("Process", "PoolWorker")
            process.start()
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()
        return process, parent_end

    def replace(self) -> tuple[Any, Any]:
        """Start a worker in place of one that ended; a fork refused for want of resources
        for the moment (EAGAIN) is tried again for a while before giving up."""
        delays = [0.05, 0.1, 0.2, 0.4, 0.8]
        while True:
            try:
                return self._start_replacement()
            except BlockingIOError:
                if not delays:
                    raise
                time.sleep(delays.pop(0))

    def _start_replacement(self) -> tuple[Any, Any]:
        if self.template is not None:
            try:
                return self.template.start_worker()
            except BlockingIOError:
                raise  # no process to be had for now: the caller may try again
            except OSError:
                # The template is gone (killed?): fork directly, as a pool without one.
                self.template.close()
                self.template = None
        return self.launch()

    def close(self) -> None:
        """End the fork template, if any (it ends the workers it still has)."""
        if self.template is not None:
            self.template.close()


def stop_workers(workers: list[Worker]) -> None:
    """Terminate ``workers`` (killed if they linger half a second) and close their connections."""
    for worker in workers:
        worker.process.terminate()
    deadline = time.monotonic() + 0.5
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.exitcode is None:
            worker.process.kill()
            worker.process.join(5.0)
        worker.conn.close()


def _stop_launched(launched: list[tuple[Any, Any]]) -> None:
    """Stop workers started for a pool that failed to start (killed, so joining is bounded)."""
    for process, conn in launched:
        conn.close()
        stop = getattr(process, "kill", None) or process.terminate
        stop()
    for process, _ in launched:
        process.join()
