"""Process objects: the lifecycle, the 0.52 camelCase API and ``stop()``.

Process identity (names like ``Process-1:2``, the authkey, the set of children) is kept in the
stdlib's ``multiprocessing.process`` bookkeeping so that stdlib code running in the same
program (managers, connections, ``multiprocessing.current_process()``) sees the same objects.
How a child is launched and how it starts is ours: see ``processing/_backend/``. This
module imports no context: a ``Process`` of the default context asks ``processing._defaultctx``
which start method's class launches it, as CPython's ``context.Process`` does.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable, Mapping
from multiprocessing import process as _stdlib_process
from typing import Any, Callable

from processing import _defaultctx, _stdlib
from processing._backend import signals
from processing._backend.mainmodule import refuse_while_importing_main
from processing._backend.signals import PROCESS_EXIT_CODE, STOP_SIGNAL, ProcessExit

__all__ = [
    "PROCESS_EXIT_CODE",
    "STOP_SIGNAL",
    "MainProcess",
    "ParentProcess",
    "Process",
    "ProcessExit",
    "activeChildren",
    "active_children",
    "currentProcess",
    "current_process",
    "parentProcess",
    "parent_process",
]

#: BaseProcess._bootstrap calls ``self._after_fork()`` from Python 3.10 on; 3.9 inlines it,
#: so there the unblocking goes through an after-fork hook instead.
_HAVE_AFTER_FORK = _stdlib.HAVE_AFTER_FORK_HOOK


def _unblock_after_fork(_process: object) -> None:
    signals.unblock_stop_signal()


def _exit_code_name(code: int) -> str:
    if code == PROCESS_EXIT_CODE:
        return "ProcessExit"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            pass
    return str(code)


class ThreadLikeApi:
    """The processing 0.52 spellings that a process shares with a thread (and with
    ``processing.dummy.Process``, which is one)."""

    def isAlive(self) -> bool:
        """Whether the child is running; a finished child is joined (reaped) by this call."""
        return self.is_alive()

    def getName(self) -> str:
        return self.name

    def setName(self, name: str) -> None:
        self.name = name

    def isDaemon(self) -> bool:
        return self.daemon

    def setDaemon(self, daemonic: bool) -> None:
        self.daemon = daemonic

    def getExitCode(self) -> int | None:
        """None while running; negative -N when the child was killed by signal N."""
        return self.exitcode


class _ProcessApi(ThreadLikeApi):
    """The rest of the 0.52 spellings and the repr, shared by ``Process`` and the main
    process."""

    def getPid(self) -> int | None:
        return self.pid

    def getAuthKey(self) -> bytes:
        """The authentication key as plain ``bytes``, which (unlike ``authkey``, which the
        stdlib refuses to pickle) a program can put on a queue or send to another process."""
        return bytes(self.authkey)

    def setAuthKey(self, authkey: bytes) -> None:
        self.authkey = authkey

    def getSentinel(self) -> int:
        return self.sentinel

    def __repr__(self) -> str:
        if self is _stdlib_process.current_process():
            status = "started"
        elif self._closed:
            status = "closed"
        elif self._parent_pid != os.getpid():
            status = "unknown"
        elif self._popen is None:
            status = "initial"
        else:
            code = self._popen.poll()
            if code is None:
                status = "started"
            elif code == 0:
                status = "stopped"
            else:
                status = f"stopped[{_exit_code_name(code)}]"
        daemon = ", daemon" if self.daemon else ""
        kind = type(self).__dict__.get("_display_name", type(self).__name__)
        return f"<{kind}({self._name}, {status}{daemon})>"


class Process(_ProcessApi, _stdlib_process.BaseProcess):
    """Activity run in a separate process; the equivalent of ``threading.Thread``.

    ``_start_method`` is None for the default context (the start method is chosen when
    ``start()`` is called); context-bound subclasses fix it.
    """

    _start_method: str | None = None

    def __init__(
        self,
        group: None = None,
        target: Callable[..., object] | None = None,
        name: str | None = None,
        args: Iterable[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        daemon: bool | None = None,
    ) -> None:
        super().__init__(group, target, name, args, kwargs or {}, daemon=daemon)
        if name is None:
            self._name = "Process-" + ":".join(str(i) for i in self._identity)

    @staticmethod
    def _Popen(process_obj: Process) -> Any:
        # The default context's start method, chosen now if it was not yet.
        return _defaultctx.context().get_context().Process._Popen(process_obj)

    def start(self) -> None:
        """Start the child; it runs ``run()``. At most once per process object."""
        refuse_while_importing_main()
        # The child inherits the mask: a stop() before its handler exists waits for it.
        with signals.held_back():
            super().start()

    def _bootstrap(self, parent_sentinel: int | None = None) -> int:
        # The one place every child of ours (fork, spawn, forkserver) installs the stop
        # handler. The signal is unblocked after the after-fork hooks, which
        # BaseProcess._bootstrap runs inside the block that turns SystemExit into the exit
        # code: a stop() that came during the launch ends the child with 127.
        signals.install_stop_handler()
        if not _HAVE_AFTER_FORK:
            from multiprocessing import util

            util.register_after_fork(self, _unblock_after_fork)
        return super()._bootstrap(parent_sentinel)

    if _HAVE_AFTER_FORK:

        @staticmethod
        def _after_fork() -> None:
            _stdlib.run_stdlib_after_fork()
            signals.unblock_stop_signal()

    def stop(self) -> None:
        """Raise ``ProcessExit`` in the child (a ``SystemExit``; it may catch it)."""
        self._check_closed()
        if self._popen is None:
            raise ValueError("cannot stop a process that has not been started")
        self._popen.stop()


class MainProcess(_ProcessApi, _stdlib_process.BaseProcess):
    """The process object of the main process, with the same API as a ``Process``.

    Never instantiated: the stdlib's ``_MainProcess`` object is adopted (see below).
    """

    _display_name = "_MainProcess"

    def close(self) -> None:
        """Nothing to release: as in the stdlib, the main process cannot be closed."""


def _adopt_main_process() -> None:
    """Give the stdlib's main process object our API, keeping it the same object, so that
    ``currentProcess().getName()`` works and ``multiprocessing.current_process()`` agrees."""
    current = _stdlib_process.current_process()
    # The stdlib deletes the name ``_MainProcess``; its only other method is a no-op close().
    if type(current).__name__ == "_MainProcess":
        current.__class__ = MainProcess


_adopt_main_process()


class ParentProcess(_ProcessApi, _stdlib_process._ParentProcess):
    """The parent as seen from a child (``parent_process()``), with the 0.52 spellings."""

    _display_name = "_ParentProcess"

    def __repr__(self) -> str:
        status = "started" if self.is_alive() else "stopped"
        return f"<{self._display_name}({self._name}, {status})>"


def currentProcess() -> _stdlib_process.BaseProcess:
    """The process object of the running process (the main one is ``MainProcess``)."""
    return _stdlib_process.current_process()


def activeChildren() -> list[_stdlib_process.BaseProcess]:
    """Live children of this process; finished children are joined as a side effect."""
    return _stdlib_process.active_children()


def parent_process() -> _stdlib_process.BaseProcess | None:
    """The parent's process object in a child, None in the main process."""
    parent = _stdlib_process.parent_process()
    if type(parent) is _stdlib_process._ParentProcess:
        parent.__class__ = ParentProcess
    return parent


current_process = currentProcess
active_children = activeChildren
parentProcess = parent_process
