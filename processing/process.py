"""Process objects: the lifecycle, the 0.52 camelCase API and ``stop()``.

Process identity (names like ``Process-1:2``, the authkey, the set of children) is kept in the
stdlib's ``multiprocessing.process`` bookkeeping so that stdlib code running in the same
program (managers, connections, ``multiprocessing.current_process()``) sees the same objects.
How a child is launched and how it starts is ours: see ``context.py`` and ``bootstrap.py``.
"""

from __future__ import annotations

import _signal
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


# The stop-signal calls below go to the C module ``_signal``: the wrappers in ``signal.py``
# turn every result into enum members, which in a fork child costs dozens of copy-on-write
# page faults (the enum machinery is touched for the first time since the fork).
_HAVE_SIGMASK = hasattr(_signal, "pthread_sigmask")
_STOP_NUMBER = int(STOP_SIGNAL)
_STOP_SET = frozenset({_STOP_NUMBER})


def install_stop_handler(unblock: bool = True) -> None:
    """Make ``STOP_SIGNAL`` raise ``ProcessExit`` in this (child) process's main thread.

    Launchers block ``STOP_SIGNAL`` while a child is being created, so a ``stop()`` that
    arrives before this handler exists waits instead of killing the child outright; it is
    delivered when the signal is unblocked.
    """
    _signal.signal(STOP_SIGNAL, _raise_process_exit)
    if unblock:
        _unblock_stop_signal()


def _unblock_stop_signal(_process: object = None) -> None:
    if _HAVE_SIGMASK:
        _signal.pthread_sigmask(_signal.SIG_UNBLOCK, _STOP_SET)


#: BaseProcess._bootstrap calls ``self._after_fork()`` from Python 3.10 on; 3.9 inlines it,
#: so there the unblocking goes through an after-fork hook instead.
_HAVE_AFTER_FORK = hasattr(_stdlib_process.BaseProcess, "_after_fork")

#: ``processing.context``, which imports this module; set on first use, so the start path
#: (parent and fork child) does not go through the import machinery each time.
_context: Any = None


def _import_context() -> Any:
    global _context
    from processing import context

    _context = context
    return context


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
        context = _context or _import_context()
        return context.launcher_for(process_obj._start_method)(process_obj)

    def start(self) -> None:
        """Start the child; it runs ``run()``. At most once per process object."""
        (_context or _import_context()).check_not_importing_main()
        if not _HAVE_SIGMASK:
            super().start()
            return
        # The child inherits the mask: a stop() before its handler exists waits for it.
        held = _signal.pthread_sigmask(_signal.SIG_BLOCK, _STOP_SET)
        try:
            super().start()
        finally:
            if _STOP_NUMBER not in held:
                _signal.pthread_sigmask(_signal.SIG_UNBLOCK, _STOP_SET)

    def _bootstrap(self, parent_sentinel: int | None = None) -> int:
        (_context or _import_context()).force_default_method(self._start_method)
        install_stop_handler(unblock=False)
        # The signal is unblocked after the after-fork hooks, which BaseProcess._bootstrap
        # runs inside the block that turns SystemExit into the exit code: a stop() that came
        # during the launch ends the child with 127.
        if not _HAVE_AFTER_FORK:
            from multiprocessing import util

            util.register_after_fork(self, _unblock_stop_signal)
        return super()._bootstrap(parent_sentinel)

    if _HAVE_AFTER_FORK:

        @staticmethod
        def _after_fork() -> None:
            _stdlib_process.BaseProcess._after_fork()
            _unblock_stop_signal()

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
