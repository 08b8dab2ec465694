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
        elif _stdlib.is_closed(self):
            status = "closed"
        elif _stdlib.creator_pid(self) != os.getpid():
            status = "unknown"
        elif _stdlib.launcher_of(self) is None:
            status = "initial"
        else:
            code = _stdlib.launcher_of(self).poll()
            if code is None:
                status = "started"
            elif code == 0:
                status = "stopped"
            else:
                status = f"stopped[{_exit_code_name(code)}]"
        daemon = ", daemon" if self.daemon else ""
        kind = type(self).__dict__.get("_display_name", type(self).__name__)
        return f"<{kind}({self.name}, {status}{daemon})>"


class Process(_ProcessApi, _stdlib.ProcessBase):
    """Activity run in a separate process; the equivalent of ``threading.Thread``.

    Its start method is the default context's, chosen when ``start()`` is first called;
    each context's ``Process`` class (``context.py``) fixes its own (``_method``) and owns
    its launcher.
    """

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
            self.name = "Process-" + ":".join(str(i) for i in _stdlib.identity_path(self))

    def _make_launcher(self) -> Any:
        if self._method is None:  # the default context's start method, chosen now if not yet
            return _defaultctx.context().get_context().Process._launcher_class()(self)
        return self._launcher_class()(self)

    def start(self) -> None:
        """Start the child; it runs ``run()``. At most once per process object."""
        refuse_while_importing_main()
        # The child inherits the mask: a stop() before its handler exists waits for it.
        with signals.held_back():
            super().start()

    @classmethod
    def _launcher_class(cls) -> Any:
        """The ``Popen`` class that starts processes of this class."""
        raise NotImplementedError("a Process of the default context launches through the "
                                  "Process class of the default context's start method")

    def _run_in_child(self, parent_sentinel: Any) -> int:
        # The one place every child of ours (fork, spawn, forkserver) installs the stop
        # handler. The signal is unblocked after the after-fork hooks, which the stdlib
        # runs inside the block that turns SystemExit into the exit code: a stop() that
        # came during the launch ends the child with 127.
        signals.install_stop_handler()
        return super()._run_in_child(parent_sentinel)

    def _after_fork_hooks(self) -> None:
        signals.unblock_stop_signal()

    def stop(self) -> None:
        """Raise ``ProcessExit`` in the child (a ``SystemExit``; it may catch it)."""
        _stdlib.refuse_if_closed(self)
        launcher = _stdlib.launcher_of(self)
        if launcher is None:
            raise ValueError("cannot stop a process that has not been started")
        launcher.stop()


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


class ParentProcess(_ProcessApi, _stdlib.ParentProcessBase):
    """The parent as seen from a child (``parent_process()``), with the 0.52 spellings."""

    _display_name = "_ParentProcess"

    def __repr__(self) -> str:
        status = "started" if self.is_alive() else "stopped"
        return f"<{self._display_name}({self.name}, {status})>"


def currentProcess() -> _stdlib_process.BaseProcess:
    """The process object of the running process (the main one is ``MainProcess``)."""
    return _stdlib_process.current_process()


def activeChildren() -> list[_stdlib_process.BaseProcess]:
    """Live children of this process; finished children are joined as a side effect."""
    return _stdlib_process.active_children()


def parent_process() -> _stdlib_process.BaseProcess | None:
    """The parent's process object in a child, None in the main process."""
    parent = _stdlib_process.parent_process()
    if type(parent) is _stdlib.ParentProcessBase:
        parent.__class__ = ParentProcess
    return parent


current_process = currentProcess
active_children = activeChildren
parentProcess = parent_process
