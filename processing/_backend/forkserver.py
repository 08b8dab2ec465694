"""The fork server: a clean process, started through our bootstrap, that forks children.

The first forkserver child makes this process start the server as
``<python|exe> ... --processing-launch forkserver CONFIG_FD LISTENER_FD ALIVE_FD`` (see
``launch.py``), which enters through the bootstrap like any child of ours. The server reads
its configuration (paths, modules to preload, the main module) from CONFIG_FD, imports
those, then waits on a Unix socket. For each child the parent sends over that socket the
ends of two pipes and the fds the child must inherit; the server forks, sends back the pid,
and later the exit code. The forked child reads its payload from the pipe and runs it with
``bootstrap.run_child`` exactly as a spawned child does.
"""

from __future__ import annotations

import errno
import os
import pickle
import selectors
import signal
import socket
import struct
import sys
import threading
import warnings
from multiprocessing import connection, reduction, util
from multiprocessing import process as _stdlib_process
from typing import Any

from processing import _stdlib
from processing._backend import mainmodule, signals
from processing._backend.launch import command_line, our_launch
from processing._backend.popen_fork import run_atexit_in_fork_child

__all__ = [
    "ForkServer",
    "connect_to_new_process",
    "ensure_running",
    "inherited_fds",
    "serve",
    "set_preload",
]

MAX_FDS_TO_SEND = 256
_SIGNED = struct.Struct("q")


class ForkServer:
    """The parent's handle on its fork server; started on first use, one per process."""

    def __init__(self) -> None:
        self._address: Any = None
        self._alive_w: int | None = None
        self._pid: int | None = None
        self._inherited_fds: list[int] | None = None
        self._inherited_alive: int | None = None
        self._lock = threading.Lock()
        self._preload = ["__main__"]

    def set_preload(self, module_names: list[str]) -> None:
        if not all(isinstance(name, str) for name in module_names):
            raise TypeError("module_names must be a list of strings")
        self._preload = list(module_names)

    def _forget(self) -> None:
        """In a forked child: the server belongs to the parent; start our own if needed."""
        if self._alive_w is not None:
            os.close(self._alive_w)
        self._address = self._alive_w = self._pid = None
        self._lock = threading.Lock()

    def connect_to_new_process(self, fds: list[int]) -> tuple[int, int]:
        """Ask the server for a child; return the parent's ends of its (status, data) pipes."""
        from multiprocessing import resource_tracker

        if len(fds) + 4 >= MAX_FDS_TO_SEND:
            raise ValueError("too many fds to pass to a forkserver child")
        self.ensure_running()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(self._address)
            parent_r, child_w = os.pipe()
            child_r, parent_w = os.pipe()
            allfds = [child_r, child_w, self._alive_w, resource_tracker.getfd(), *fds]
            try:
                reduction.sendfds(client, allfds)
                return parent_r, parent_w
            except BaseException:
                os.close(parent_r)
                os.close(parent_w)
                raise
            finally:
                os.close(child_r)
                os.close(child_w)

    def ensure_running(self) -> None:
        """Start the server unless it is running; restart it if it died."""
        from multiprocessing import resource_tracker

        from processing.freezing import is_frozen

        with self._lock:
            resource_tracker.ensure_running()
            if self._pid is not None:
                try:
                    pid, _status = os.waitpid(self._pid, os.WNOHANG)
                except ChildProcessError:
                    pid = self._pid  # already reaped by someone else: it is gone too
                if not pid:
                    return
                os.close(self._alive_w)  # type: ignore[arg-type]
                self._address = self._alive_w = self._pid = None
            config = {
                "preload": self._preload,
                "main": mainmodule.main_module_spec() if "__main__" in self._preload else None,
                "sys_path": list(sys.path),
                "dir": os.getcwd(),
                "authkey": bytes(_stdlib_process.current_process().authkey),
            }
            with socket.socket(socket.AF_UNIX) as listener:
                address = connection.arbitrary_address("AF_UNIX")
                listener.bind(address)
                if not util.is_abstract_socket_namespace(address):
                    os.chmod(address, 0o600)
                listener.listen()
                config_r, config_w = os.pipe()
                alive_r, alive_w = os.pipe()
                try:
                    fds = [config_r, listener.fileno(), alive_r]
                    cmd = command_line(our_launch("forkserver", *fds), frozen=is_frozen())
                    self._pid = util.spawnv_passfds(cmd[0], cmd, fds)
                except BaseException:
                    os.close(alive_w)
                    os.close(config_w)
                    raise
                finally:
                    os.close(alive_r)
                    os.close(config_r)
                with open(config_w, "wb") as sink:
                    try:
                        pickle.dump(config, sink)
                    except BrokenPipeError:
                        pass
                self._address = address
                self._alive_w = alive_w


_forkserver = ForkServer()
os.register_at_fork(after_in_child=_forkserver._forget)
ensure_running = _forkserver.ensure_running
connect_to_new_process = _forkserver.connect_to_new_process
set_preload = _forkserver.set_preload


def inherited_fds() -> list[int] | None:
    """In a forkserver child: the fds its parent passed along (see ``popen_forkserver``)."""
    return _forkserver._inherited_fds


def read_signed(fd: int) -> int:
    data = b""
    while len(data) < _SIGNED.size:
        chunk = os.read(fd, _SIGNED.size - len(data))
        if not chunk:
            raise EOFError("unexpected EOF from the fork server")
        data += chunk
    return _SIGNED.unpack(data)[0]


def _write_signed(fd: int, n: int) -> None:
    data = _SIGNED.pack(n)
    while data:
        written = os.write(fd, data)
        if written == 0:
            raise RuntimeError("should not get here")
        data = data[written:]


# ---------------------------------------------------------------------------------- server


def _preload(config: dict[str, Any]) -> None:
    sys.path[:] = config["sys_path"]
    os.chdir(config["dir"])
    _stdlib_process.current_process().authkey = config["authkey"]
    # A main module compiled by Nuitka is not preloaded: once its run has failed in a
    # process (an unguarded app refused by refuse_while_importing_main), running it again in a
    # fork of that process crashes (SIGSEGV); so each child imports it itself.
    if config["main"] is not None and not mainmodule.is_compiled_main(*config["main"]):
        try:
            with mainmodule.importing_main():
                mainmodule.import_main(*config["main"])
        except BaseException as exc:  # noqa: BLE001
            # Each child imports it again itself and reports the error where it belongs.
            util.info("forkserver could not preload the main module: %r", exc)
    for name in config["preload"]:
        if name != "__main__":
            try:
                __import__(name)
            except ImportError:
                pass


def serve(config_fd: int, listener_fd: int, alive_r: int) -> None:
    """Run the fork server until every client process has gone (ALIVE_FD at EOF)."""
    with open(config_fd, "rb") as source:
        config = pickle.load(source)
    # Children inherit this mask; each unblocks the stop signal once its handler is set.
    signals.block_stop_signal()
    _preload(config)
    _stdlib.close_stdin()

    sig_r, sig_w = os.pipe()
    os.set_blocking(sig_r, False)
    os.set_blocking(sig_w, False)
    handlers = {signal.SIGCHLD: lambda *_: None, signal.SIGINT: signal.SIG_IGN}
    old_handlers = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    signal.set_wakeup_fd(sig_w)
    pid_to_fd: dict[int, int] = {}

    with socket.socket(socket.AF_UNIX, fileno=listener_fd) as listener, \
            selectors.DefaultSelector() as selector:
        selector.register(listener, selectors.EVENT_READ)
        selector.register(alive_r, selectors.EVENT_READ)
        selector.register(sig_r, selectors.EVENT_READ)
        while True:
            try:
                ready = [key.fileobj for key, _ in selector.select()]
                if alive_r in ready:
                    return  # every process that could ask for a child has exited
                if sig_r in ready:
                    os.read(sig_r, 65536)
                    _reap(pid_to_fd)
                if listener in ready:
                    with listener.accept()[0] as conn:
                        fds = reduction.recvfds(conn, MAX_FDS_TO_SEND + 1)
                    if len(fds) > MAX_FDS_TO_SEND:
                        raise RuntimeError(f"too many ({len(fds)}) fds sent to the fork server")
                    child_r, child_w, *inherited = fds
                    pid = os.fork()
                    if pid == 0:
                        code = 1
                        try:
                            run_atexit_in_fork_child()
                            listener.close()
                            selector.close()
                            unused = [alive_r, child_w, sig_r, sig_w, *pid_to_fd.values()]
                            code = _serve_one(child_r, inherited, unused, old_handlers)
                        except Exception:  # noqa: BLE001  (reported, then exit code 1)
                            sys.excepthook(*sys.exc_info())
                            sys.stderr.flush()
                        finally:
                            _stdlib.run_atexit_handlers()
                            os._exit(code)
                    try:
                        _write_signed(child_w, pid)
                    except BrokenPipeError:
                        pass
                    pid_to_fd[pid] = child_w
                    os.close(child_r)
                    for fd in inherited:
                        os.close(fd)
            except OSError as exc:
                if exc.errno != errno.ECONNABORTED:
                    raise


def _reap(pid_to_fd: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        child_w = pid_to_fd.pop(pid, None)
        if child_w is None:
            warnings.warn(f"forkserver: waitpid returned unexpected pid {pid}", stacklevel=1)
            continue
        try:
            _write_signed(child_w, os.waitstatus_to_exitcode(status))
        except BrokenPipeError:
            pass
        os.close(child_w)


def _serve_one(child_r: int, fds: list[int], unused: list[int], handlers: dict) -> int:
    from processing._backend import bootstrap

    signal.set_wakeup_fd(-1)
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    for fd in unused:
        os.close(fd)
    # Keeping the server's alive fd open keeps the server up while this child runs.
    _forkserver._inherited_alive, tracker_fd, *rest = fds
    _stdlib.adopt_resource_tracker_fd(tracker_fd)
    _forkserver._inherited_fds = rest
    return bootstrap.run_child(child_r, os.dup(child_r))
