"""The fork template of a fork Pool: a single-threaded process that forks its replacement workers.

A fork pool replaces a worker (after ``maxtasksperchild`` tasks, a death, a timeout) from
its manager thread, so a direct ``fork()`` would happen in a multi-threaded process: the
child could inherit a lock that another thread of the parent held (a deadlock the first
time the worker prints or logs), and Python 3.12+ rightly warns about it. Instead the pool
forks this template once, with its first workers and before its manager thread starts;
the template forks each replacement from its single thread, and hands the manager the
worker's connection and sentinel over a Unix socket. A worker forked by the template sees
the program as it was when the pool started, like the pool's first workers.

Only the manager thread (and ``Pool._pool`` readers, under a lock) talk to the template,
one request and one reply at a time.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import sys
import threading
import time
from multiprocessing import process as _stdlib_process
from multiprocessing.connection import wait as _wait
from typing import Any, Callable

from processing import _defaultctx, _stdlib
from processing.connection import Connection, Pipe

#: How often (seconds) the template checks that the pool's process is still its parent.
_HEARTBEAT = 0.5
#: The longest the template is kept waiting for one worker's exit (seconds).
_JOIN_SLICE = 0.1
_MAX_MESSAGE = 1 << 16


def available(ctx: Any, process_factory: Callable[..., Any], default_factory: Any) -> bool:
    """Whether a pool with this context and ``Process`` hook forks workers with the stock
    fork Process, so the template can start the same workers (Linux: SOCK_SEQPACKET)."""
    try:
        return (sys.platform.startswith("linux") and process_factory is default_factory
                and ctx.get_start_method() == "fork"
                and ctx.Process is _defaultctx.process_class("fork"))
    except Exception:  # noqa: BLE001 - a substituted context may be anything
        return False


class ForkTemplate:
    """The pool's side of the template process."""

    def __init__(self, ctx: Any, target: Callable[..., None], args: tuple) -> None:
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._lock = threading.Lock()
        self.gone = False  # the template has exited (or was killed)
        self._process = ctx.Process(target=_serve,
                                    args=(theirs, self._sock, ctx, target, args), daemon=True)
        self._process.name = self._process.name.replace("Process", "PoolForkTemplate")
        try:
            self._process.start()
        except BaseException:
            self._sock.close()
            raise
        finally:
            theirs.close()

    def start_worker(self) -> tuple[TemplateWorker, Connection]:
        """Have the template fork a worker: its process handle and our end of its pipe."""
        with self._lock:
            self._sock.sendall(pickle.dumps(("start",)))
            data, fds, _flags, _addr = socket.recv_fds(self._sock, _MAX_MESSAGE, 2)
            if not data:
                self.gone = True
                raise OSError("the pool's fork template has exited")
            reply = pickle.loads(data)
            if reply[0] != "started" or len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                error = BlockingIOError if reply[0] == "busy" else OSError
                raise error(f"the pool's fork template could not start a worker: {reply[1]}")
        _, pid, name = reply
        return TemplateWorker(self, pid, name, fds[1]), Connection(fds[0])

    def request(self, *message: Any) -> Any:
        """One request to the template and its reply (None if the template has gone)."""
        with self._lock:
            try:
                self._sock.sendall(pickle.dumps(message))
                data = self._sock.recv(_MAX_MESSAGE)
            except OSError:
                data = b""
            if not data:
                self.gone = True
                return None
        return pickle.loads(data)[1]

    def close(self, timeout: float = 5.0) -> None:
        """End the template (it ends the workers it still has) and reap it."""
        with self._lock:
            # Said, not left to EOF: processes forked later by this program hold copies
            # of our end of the socket.
            try:
                self._sock.sendall(pickle.dumps(("exit",)))
            except OSError:
                pass
            self._sock.close()
            self.gone = True
        self._process.join(timeout)
        if self._process.exitcode is None:
            self._process.kill()
            self._process.join(timeout)


class TemplateWorker:
    """A worker the template forked, with the parts of ``Process`` that a pool uses."""

    daemon = True

    def __init__(self, template: ForkTemplate, pid: int, name: str, sentinel: int) -> None:
        self._template = template
        self.pid = pid
        self.name = name
        self.sentinel = sentinel
        self._exitcode: int | None = None
        self._closed = False

    @property
    def exitcode(self) -> int | None:
        if self._exitcode is None and not self._closed:
            self.join(0)
        return self._exitcode

    @property
    def ident(self) -> int:
        return self.pid

    def join(self, timeout: float | None = None) -> None:
        # In short slices, so that a long join never keeps the manager from the template.
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._exitcode is None:
            left = _JOIN_SLICE if deadline is None else min(_JOIN_SLICE,
                                                            deadline - time.monotonic())
            self._exitcode = self._template.request("join", self.pid, max(0.0, left))
            if self._exitcode is None and (
                    self._template.gone or (deadline is not None and left <= 0)):
                return

    def is_alive(self) -> bool:
        if self._closed:
            raise ValueError("process object is closed")
        return self.exitcode is None

    isAlive = is_alive  # processing 0.52's spelling

    def terminate(self) -> None:
        self._template.request("signal", self.pid, signal.SIGTERM)

    def kill(self) -> None:
        self._template.request("signal", self.pid, signal.SIGKILL)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            os.close(self.sentinel)
            self._template.request("forget", self.pid)

    def __repr__(self) -> str:
        state = "started" if self._exitcode is None else f"stopped exitcode={self._exitcode}"
        return f"<{self.name} pid={self.pid} {state} daemon (forked by the pool's template)>"


# ---------------------------------------------------------------------------- the template


def _serve(sock: socket.socket, pools_end: socket.socket, ctx: Any,
           target: Callable[..., None], args: tuple) -> None:
    """The template's life: fork a worker on each request, until the pool goes."""
    pools_end.close()  # inherited by the fork; the pool's closing it must read as EOF here
    # The template is daemonic (it must not outlive the pool) yet starts processes: the
    # stdlib's rule against that protects children a daemon would orphan, and ours are
    # ended when the template ends.
    _stdlib.set_process_may_have_children(_stdlib_process.current_process())
    workers: dict[int, Any] = {}
    ppid = os.getppid()
    try:
        while True:
            if not _wait([sock], _HEARTBEAT):
                if os.getppid() != ppid:
                    return
                continue
            data = sock.recv(_MAX_MESSAGE)
            if not data:
                return
            request = pickle.loads(data)
            if request[0] == "exit":
                return
            if request[0] == "start":
                _start(sock, ctx, target, args, workers)
            else:
                sock.sendall(pickle.dumps(("ok", _answer(request, workers))))
    finally:
        for process in workers.values():
            if process.exitcode is None:
                process.kill()
        for process in workers.values():
            process.join(5.0)


def _start(sock: socket.socket, ctx: Any, target: Callable[..., None], args: tuple,
           workers: dict[int, Any]) -> None:
    parent_end, child_end = Pipe(duplex=True)
    try:
        process = ctx.Process(target=target, args=(child_end, *args), daemon=True)
        process.name = process.name.replace("Process", "PoolWorker")
        process.start()
    except Exception as exc:  # noqa: BLE001 - the pool reports it as a failed start
        parent_end.close()
        kind = "busy" if isinstance(exc, BlockingIOError) else "failed"
        sock.sendall(pickle.dumps((kind, f"{type(exc).__name__}: {exc}")))
        return
    finally:
        child_end.close()
    workers[process.pid] = process
    try:
        socket.send_fds(sock, [pickle.dumps(("started", process.pid, process.name))],
                        [parent_end.fileno(), process.sentinel])
    finally:
        parent_end.close()


def _answer(request: tuple, workers: dict[int, Any]) -> Any:
    kind, pid = request[0], request[1]
    process = workers.get(pid)
    if process is None:
        return None
    if kind == "join":
        process.join(request[2])
        return process.exitcode
    if kind == "signal":
        if process.exitcode is None:
            os.kill(pid, request[2])
        return None
    if kind == "forget":
        process.join(0)
        if process.exitcode is not None:
            del workers[pid]
            process.close()
        return None
    raise ValueError(f"unknown request to the pool's fork template: {kind!r}")
