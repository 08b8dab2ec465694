"""Start a child with ``os.fork()``; also the base of the POSIX spawn and forkserver launchers."""

from __future__ import annotations

import os
import signal
import sys
from multiprocessing import util
from typing import Any

from processing import _defaultctx, _stdlib
from processing._backend.signals import STOP_SIGNAL
from processing._parentdeath import die_with_parent, plan_for_child

__all__ = ["Popen", "run_atexit_in_fork_child"]


def run_atexit_in_fork_child() -> None:
    """In a forked child: forget the parent's atexit handlers, keep multiprocessing's own.

    The child ends with ``os._exit()``, so the caller runs the atexit handlers itself
    (``_stdlib.run_atexit_handlers()``); that flushes queue feeder threads on every Python
    version (3.13 moved this out of ``BaseProcess._bootstrap``) and runs handlers the child
    registered.
    """
    _stdlib.forget_parents_atexit_handlers()


#: The /dev/null reader this process made for the ``sys.stdin`` of its fork children, with
#: the pid that made it (a child that starts fork children makes its own).
_spare_stdin: tuple[int, Any] | None = None


def _make_spare_stdin() -> None:
    """In the parent, once: the reader that fork children take as ``sys.stdin``.

    The stdlib's child opens it itself after fork(), and building a text file there
    touches some 25 pages, each then copied; made before the fork it costs a child nothing.
    """
    global _spare_stdin
    if _spare_stdin is None or _spare_stdin[0] != os.getpid():
        try:
            reader = open(os.open(os.devnull, os.O_RDONLY), encoding="utf-8")  # noqa: SIM115
            _spare_stdin = (os.getpid(), reader)
        except OSError:
            _spare_stdin = None


def _close_stdin_in_fork_child() -> None:
    """The stdlib's close-stdin step, for one call in a fork child: the same outcome (the
    parent's stdin closed, a /dev/null reader in its place), with the reader the parent made."""
    _stdlib.restore_close_stdin()
    spare = _spare_stdin[1] if _spare_stdin is not None else None
    if spare is None or spare.closed or spare is sys.stdin:
        _stdlib.close_stdin()
        return
    if sys.stdin is not None:
        try:
            sys.stdin.close()
        except (OSError, ValueError):
            pass
        sys.stdin = spare


class Popen:
    """A child process started by forking this one; it runs the process object."""

    method = "fork"

    def __init__(self, process_obj: Any) -> None:
        _stdlib.flush_std_streams()
        self.returncode: int | None = None
        self.finalizer: util.Finalize | None = None
        self._launch(process_obj)

    def duplicate_for_child(self, fd: int) -> int:
        return fd

    def poll(self, flag: int = os.WNOHANG) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flag)
            except ChildProcessError:
                return None
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None:
            if timeout is not None:
                from multiprocessing.connection import wait

                if not wait([self.sentinel], timeout):
                    return None
            return self.poll(os.WNOHANG if timeout == 0.0 else 0)
        return self.returncode

    def _send_signal(self, sig: int) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            except OSError:
                if self.wait(timeout=0.1) is None:
                    raise

    def stop(self) -> None:
        self._send_signal(STOP_SIGNAL)

    def interrupt(self) -> None:
        """SIGINT: ``Process.interrupt()`` (Python 3.14+) raises KeyboardInterrupt there."""
        self._send_signal(signal.SIGINT)

    def terminate(self) -> None:
        self._send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self._send_signal(signal.SIGKILL)

    def _launch(self, process_obj: Any) -> None:
        code = 1
        _make_spare_stdin()
        parent_r, child_w = os.pipe()
        child_r, parent_w = os.pipe()
        # Made before the fork: every page the parent writes while the child runs is a
        # copy-on-write fault, so the parent does as little as it can after os.fork().
        self.finalizer = util.Finalize(self, util.close_fds, (parent_r, parent_w))
        self.sentinel = parent_r
        death_plan = plan_for_child(process_obj)
        default = _defaultctx.context()
        # Keep the resource tracker's fd in the child (CPython 3.14.10 would close it), so
        # the child reuses the parent's tracker instead of starting one of its own.
        fork_intent = _stdlib.keep_resource_tracker_across_fork()
        if fork_intent is not None:
            fork_intent.preserve_fd = True
        try:
            self.pid = os.fork()
        except BaseException:
            os.close(child_w)
            os.close(child_r)
            self.finalizer()
            raise
        finally:
            if fork_intent is not None:
                fork_intent.preserve_fd = False
        if self.pid == 0:
            try:
                if death_plan is not None:
                    die_with_parent(death_plan)
                run_atexit_in_fork_child()
                if _spare_stdin is not None:
                    _stdlib.replace_close_stdin_once(_close_stdin_in_fork_child)
                os.close(parent_r)
                os.close(parent_w)
                default.adopt_start_method(self.method)
                code = _stdlib.run_process(process_obj, child_r)
            finally:
                _stdlib.run_atexit_handlers()
                os._exit(code)
        os.close(child_w)
        os.close(child_r)

    def close(self) -> None:
        if self.finalizer is not None:
            self.finalizer()
