"""Start methods and the context objects that bind every primitive to our launchers.

A context is compatible with the stdlib's (it subclasses ``BaseContext``), so stdlib
machinery handed one of ours, such as a ``SyncManager(ctx=...)`` or a stdlib ``Queue``,
starts its processes through our launchers and hence through our bootstrap.

This module holds the default context. As in CPython, each start method has its own
``Process`` class, which owns its launcher (``processing._backend.popen_*``); the default
context's ``Process`` (``processing.process.Process``) asks the default context for the
class to use, through ``processing._defaultctx``, so that ``process.py`` imports no context.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from multiprocessing import context as _stdlib_context
from typing import Any

from processing import _defaultctx, process

__all__ = [
    "Context",
    "DefaultContext",
    "ForkContext",
    "ForkProcess",
    "ForkServerContext",
    "ForkServerProcess",
    "SpawnContext",
    "SpawnProcess",
    "all_start_methods",
    "default_context",
    "launcher_for",
]

#: Environment variable that chooses the default start method, for test matrices and for
#: trying a program under Windows semantics (``spawn``) on POSIX.
START_METHOD_ENV = "PROCESSING_START_METHOD"


def all_start_methods() -> list[str]:
    """Start methods available on this platform, the default first.

    The running Python's, so the default is the stdlib's: fork on Linux before 3.14,
    forkserver from 3.14, spawn on macOS and Windows. A program that mixes processing and
    stdlib objects then gets the same start method from both (an object made for one
    start method cannot always be handed to a process of another). Only the methods
    processing has launchers for: others register their own in the stdlib's list (loky
    adds ``loky`` and ``loky_init_main`` when it is imported).
    """
    return [m for m in multiprocessing.get_all_start_methods() if m in _OUR_METHODS]


#: The start methods processing launches children with.
_OUR_METHODS = frozenset({"fork", "spawn", "forkserver"})


def _check_method(method: str) -> str:
    if method not in all_start_methods():
        raise ValueError(
            f"unknown start method {method!r}: choose one of {', '.join(all_start_methods())}"
        )
    return method


def launcher_for(method: str) -> Any:
    """The ``Popen`` class that starts a child with ``method``."""
    if method == "fork":
        from processing._backend.popen_fork import Popen
    elif method == "forkserver":
        from processing._backend.popen_forkserver import Popen
    elif sys.platform == "win32":
        from processing._backend.popen_spawn_win32 import Popen
    else:
        from processing._backend.popen_spawn_posix import Popen
    return Popen


class ForkProcess(process.Process):
    """A process started by forking this one."""

    _display_name = "Process"
    _method = "fork"

    @classmethod
    def _launcher_class(cls) -> Any:
        return launcher_for("fork")


class SpawnProcess(process.Process):
    """A process started as a fresh interpreter (or frozen executable) running our bootstrap."""

    _display_name = "Process"
    _method = "spawn"

    @classmethod
    def _launcher_class(cls) -> Any:
        return launcher_for("spawn")


class ForkServerProcess(process.Process):
    """A process forked by our fork server."""

    _display_name = "Process"
    _method = "forkserver"

    @classmethod
    def _launcher_class(cls) -> Any:
        return launcher_for("forkserver")


_PROCESS_CLASSES = {"fork": ForkProcess, "spawn": SpawnProcess, "forkserver": ForkServerProcess}


class Context(_stdlib_context.BaseContext):
    """The whole processing API bound to one start method."""

    ProcessExit = process.ProcessExit
    Process: type[process.Process] = process.Process
    parent_process = staticmethod(process.parent_process)
    parentProcess = staticmethod(process.parent_process)

    def __init__(self, method: str | None) -> None:
        self._method_name = method
        if method is not None:
            self.Process = _PROCESS_CLASSES[method]

    def __repr__(self) -> str:
        return f"<processing context {self.get_start_method()!r}>"

    # -- start methods ------------------------------------------------------------------

    def get_context(self, method: str | None = None) -> Context:
        if method is None:
            return self
        return _concrete_contexts[_check_method(method)]

    def get_start_method(self, allow_none: bool = False) -> str | None:
        return self._method_name

    def set_start_method(self, method: str | None, force: bool = False) -> None:
        raise ValueError(
            "cannot set the start method of a bound context; use processing.setStartMethod()"
        )

    def get_all_start_methods(self) -> list[str]:
        return all_start_methods()

    def set_forkserver_preload(self, module_names: list[str]) -> None:
        """Modules our fork server imports when it starts (default ``['__main__']``), so
        that forkserver children start with them already imported. A hint, as in the
        stdlib: a module that fails to import there is imported by each child itself."""
        from processing._backend.forkserver import set_preload

        set_preload(module_names)

    setForkserverPreload = set_forkserver_preload

    # -- primitives ------------------------------------------------------------------------

    def Pipe(self, duplex: bool = True) -> tuple[Any, Any]:
        """A pair of connected ``Connection`` objects (one-way when ``duplex`` is False)."""
        from processing.connection import Pipe

        return Pipe(duplex)

    def Lock(self) -> Any:
        from processing.synchronize import Lock

        return Lock(ctx=self.get_context())

    def RLock(self) -> Any:
        from processing.synchronize import RLock

        return RLock(ctx=self.get_context())

    def Condition(self, lock: Any = None) -> Any:
        from processing.synchronize import Condition

        return Condition(lock, ctx=self.get_context())

    def Semaphore(self, value: int = 1) -> Any:
        from processing.synchronize import Semaphore

        return Semaphore(value, ctx=self.get_context())

    def BoundedSemaphore(self, value: int = 1) -> Any:
        from processing.synchronize import BoundedSemaphore

        return BoundedSemaphore(value, ctx=self.get_context())

    def Event(self) -> Any:
        from processing.synchronize import Event

        return Event(ctx=self.get_context())

    def Barrier(self, parties: int, action: Any = None, timeout: float | None = None) -> Any:
        from processing.synchronize import Barrier

        return Barrier(parties, action, timeout, ctx=self.get_context())

    def Queue(self, maxsize: int = 0) -> Any:
        """A process-shared FIFO queue; ``put`` blocks only when ``maxsize`` is reached."""
        from processing.queues import Queue

        return Queue(maxsize, ctx=self.get_context())

    def BufferedQueue(self) -> Any:
        """A queue whose ``put()`` never blocks, however much is put before any ``get()``."""
        from processing.queues import BufferedQueue

        return BufferedQueue(ctx=self.get_context())

    def JoinableQueue(self, maxsize: int = 0) -> Any:
        from processing.queues import JoinableQueue

        return JoinableQueue(maxsize, ctx=self.get_context())

    def SimpleQueue(self) -> Any:
        from processing.queues import SimpleQueue

        return SimpleQueue(ctx=self.get_context())

    def Pool(self, processes: int | None = None, initializer: Any = None,
             initargs: tuple = (), maxtasksperchild: int | None = None) -> Any:
        """A pool of worker processes that never hangs when a worker dies (``pool.py``)."""
        from processing.pool import Pool

        return Pool(processes, initializer, initargs, maxtasksperchild,
                    context=self.get_context())

    # -- shared memory and managers ----------------------------------------------------------

    def Manager(self) -> Any:
        """A started ``SyncManager`` whose server process is one of ours."""
        from processing.managers import SyncManager

        manager = SyncManager(ctx=self.get_context())
        manager.start()
        return manager

    def LocalManager(self) -> Any:
        """The creator methods of a manager for shared-memory objects, with no server."""
        from processing.managers import LocalManager

        return LocalManager(ctx=self.get_context())

    def Value(self, typecode_or_type: Any, *args: Any, lock: Any = True) -> Any:
        """A ctypes object in shared memory, guarded by ``lock`` (True: a new ``RLock``)."""
        from processing.sharedctypes import Value

        return Value(typecode_or_type, *args, lock=lock, ctx=self.get_context())

    def Array(self, typecode_or_type: Any, size_or_initializer: Any, *, lock: Any = True) -> Any:
        """A ctypes array in shared memory, guarded by ``lock`` (True: a new ``RLock``)."""
        from processing.sharedctypes import Array

        return Array(typecode_or_type, size_or_initializer, lock=lock, ctx=self.get_context())

    def RawValue(self, typecode_or_type: Any, *args: Any) -> Any:
        from processing.sharedctypes import RawValue

        return RawValue(typecode_or_type, *args)

    def RawArray(self, typecode_or_type: Any, size_or_initializer: Any) -> Any:
        from processing.sharedctypes import RawArray

        return RawArray(typecode_or_type, size_or_initializer)

    def SharedValue(self, format: str, value: Any = None) -> Any:
        """One ``struct`` item in shared memory: ``SharedValue('i', 0).value``."""
        from processing.sharedtypes import SharedValue

        return SharedValue(format, value)

    def SharedStruct(self, format: str, value: Any = None) -> Any:
        """A ``struct`` in shared memory whose ``value`` is a tuple."""
        from processing.sharedtypes import SharedStruct

        return SharedStruct(format, value)

    def SharedArray(self, format: str, sequence: Any) -> Any:
        """An array of one ``struct`` item format in shared memory."""
        from processing.sharedtypes import SharedArray

        return SharedArray(format, sequence)

    # -- frozen programs and logging -------------------------------------------------------

    def freeze_support(self) -> None:
        """Run this process as a child if a frozen program was launched as one; else nothing."""
        from processing.freezing import freezeSupport

        freezeSupport()

    def enableLogging(self, level: int, HandlerType: Any = None, handlerArgs: tuple = (),
                      format: str | None = None) -> Any:
        from processing.log import enableLogging

        return enableLogging(level, HandlerType, handlerArgs, format)

    def getLogger(self) -> Any:
        from processing.log import getLogger

        return getLogger()

    # -- the processing 0.52 spellings -----------------------------------------------------

    currentProcess = staticmethod(process.currentProcess)
    activeChildren = staticmethod(process.activeChildren)

    def cpuCount(self) -> int:
        return self.cpu_count()

    def freezeSupport(self) -> None:
        self.freeze_support()

    def getContext(self, method: str | None = None) -> Context:
        return self.get_context(method)

    def getStartMethod(self, allow_none: bool = False) -> str | None:
        return self.get_start_method(allow_none)

    def setStartMethod(self, method: str | None, force: bool = False) -> None:
        self.set_start_method(method, force)

    def allStartMethods(self) -> list[str]:
        return all_start_methods()

    def setExecutable(self, executable: str) -> None:
        self.set_executable(executable)


class DefaultContext(Context):
    """The module-level API: the start method is chosen once, on first use."""

    def __init__(self) -> None:
        super().__init__(None)
        self._actual: Context | None = None

    def get_context(self, method: str | None = None) -> Context:
        if method is None:
            if self._actual is None:
                self._actual = _concrete_contexts[_initial_method()]
            return self._actual
        return super().get_context(method)

    def get_start_method(self, allow_none: bool = False) -> str | None:
        if self._actual is None and allow_none:
            return None
        return self.get_context().get_start_method()

    def set_start_method(self, method: str | None, force: bool = False) -> None:
        """Choose the default start method; once chosen, only ``force=True`` changes it."""
        if self._actual is not None and not force:
            raise RuntimeError(
                f"the start method is already {self._actual.get_start_method()!r}; "
                "call setStartMethod() once, early under the main guard, or pass force=True"
            )
        self._actual = None if method is None else _concrete_contexts[_check_method(method)]

    def adopt_start_method(self, method: str | None) -> None:
        """In a child: the default is the start method the child was made with (None: the
        parent had not chosen one, nor will the child until it starts a process)."""
        if method is not None:
            self._actual = _concrete_contexts[method]

    def __repr__(self) -> str:
        return f"<processing default context {self.get_start_method(allow_none=True)!r}>"


def _initial_method() -> str:
    wanted = os.environ.get(START_METHOD_ENV)
    if wanted:
        if wanted not in all_start_methods():
            raise ValueError(
                f"{START_METHOD_ENV}={wanted!r} is not a start method here: "
                f"choose one of {', '.join(all_start_methods())}"
            )
        return wanted
    return all_start_methods()[0]


class ForkContext(Context):
    """The API bound to the fork start method (named as the stdlib's class)."""

    def __init__(self) -> None:
        super().__init__("fork")


class SpawnContext(Context):
    """The API bound to the spawn start method (named as the stdlib's class)."""

    def __init__(self) -> None:
        super().__init__("spawn")


class ForkServerContext(Context):
    """The API bound to the forkserver start method (named as the stdlib's class)."""

    def __init__(self) -> None:
        super().__init__("forkserver")


_concrete_contexts: dict[str, Context] = {
    "fork": ForkContext(),
    "spawn": SpawnContext(),
    "forkserver": ForkServerContext(),
}
default_context = DefaultContext()
_defaultctx.register(default_context, _PROCESS_CLASSES)
