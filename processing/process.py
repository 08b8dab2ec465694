"""Process objects: the lifecycle, the 0.52 camelCase API and ``stop()``.

Process identity (names like ``Process-1:2``, the authkey, the set of children) is kept in the
stdlib's ``multiprocessing.process`` bookkeeping so that stdlib code running in the same
program (managers, connections, ``multiprocessing.current_process()``) sees the same objects.
How a child is launched and how it starts is ours: see ``context.py`` and ``bootstrap.py``.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterable, Mapping
from multiprocessing import process as _stdlib_process
from typing import Any, Callable

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

#: Exit code of a child that let ``ProcessExit`` (raised by ``stop()``) propagate, as in
#: the original processing package; ``repr()`` shows it as ``stopped[ProcessExit]``.
PROCESS_EXIT_CODE = 127

#: The signal that ``stop()`` sends. On Windows it is a console CTRL_BREAK event, which
#: needs the child to be in its own process group (the spawn launcher arranges that).
STOP_SIGNAL = signal.SIGBREAK if sys.platform == "win32" else signal.SIGUSR1


class ProcessExit(SystemExit):
    """Raised inside a child by ``Process.stop()``; the child should end soon after."""


def _raise_process_exit(signum: int, frame: object) -> None:
    raise ProcessExit(PROCESS_EXIT_CODE)


def install_stop_handler(unblock: bool = True) -> None:
    """Make ``STOP_SIGNAL`` raise ``ProcessExit`` in this (child) process's main thread.

    Launchers block ``STOP_SIGNAL`` while a child is being created, so a ``stop()`` that
    arrives before this handler exists waits instead of killing the child outright; it is
    delivered when the signal is unblocked.
    """
    signal.signal(STOP_SIGNAL, _raise_process_exit)
    if unblock and hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {STOP_SIGNAL})


def _unblock_stop_signal(_process: object) -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {STOP_SIGNAL})


class _StopSignalBlocked:
    """Context manager: hold back ``STOP_SIGNAL`` in this thread while a child is created."""

    def __enter__(self) -> None:
        if hasattr(signal, "pthread_sigmask"):
            self._old = signal.pthread_sigmask(signal.SIG_BLOCK, {STOP_SIGNAL})

    def __exit__(self, *exc: object) -> None:
        if hasattr(signal, "pthread_sigmask") and STOP_SIGNAL not in self._old:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {STOP_SIGNAL})


stop_signal_blocked = _StopSignalBlocked


def _exit_code_name(code: int) -> str:
    if code == PROCESS_EXIT_CODE:
        return "ProcessExit"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            pass
    return str(code)


class _ProcessApi:
    """The processing 0.52 spellings and repr, shared by ``Process`` and the main process."""

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

    def getPid(self) -> int | None:
        return self.pid

    def getExitCode(self) -> int | None:
        """None while running; negative -N when the child was killed by signal N."""
        return self.exitcode

    def getAuthKey(self) -> bytes:
        return self.authkey

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
        super().__init__(group, target, name, tuple(args), dict(kwargs or {}), daemon=daemon)
        if name is None:
            self._name = "Process-" + ":".join(str(i) for i in self._identity)

    @staticmethod
    def _Popen(process_obj: Process) -> Any:
        from processing import context

        return context.launcher_for(process_obj._start_method)(process_obj)

    def start(self) -> None:
        """Start the child; it runs ``run()``. At most once per process object."""
        from processing import context

        context.check_not_importing_main()
        with stop_signal_blocked():
            super().start()

    def _bootstrap(self, parent_sentinel: int | None = None) -> int:
        from processing import context

        context.force_default_method(self._start_method)
        install_stop_handler(unblock=False)
        # Unblocked by the last after-fork hook, which BaseProcess._bootstrap runs inside the
        # block that turns SystemExit into the exit code (on 3.9 too, which has no
        # _after_fork()): a stop() that came during the launch ends the child with 127.
        from multiprocessing import util

        util.register_after_fork(self, _unblock_stop_signal)
        return super()._bootstrap(parent_sentinel)

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
