"""processing: processes with the API of ``threading``, on Python 3.

The documented API of processing 0.52 (``Process``, ``currentProcess``, ``Queue``,
``freezeSupport`` ...), the early names that its guidelines use (``Process.stop()`` and
``ProcessExit``, ``BufferedQueue``), and the stdlib ``multiprocessing`` spellings as aliases,
so code written for either runs unchanged. Every child that processing starts with the
spawn or forkserver method enters through its bootstrap (``processing._backend``), in
frozen programs too.
"""

from multiprocessing import AuthenticationError, BufferTooShort, ProcessError, TimeoutError

from processing.context import default_context as _default
from processing.freezing import freeze_support, freezeSupport
from processing.log import enableLogging, get_logger, getLogger, log_to_stderr
from processing.pool import BrokenPoolError, WorkerLostError
from processing.process import (
    Process,
    ProcessExit,
    active_children,
    activeChildren,
    current_process,
    currentProcess,
    parent_process,
    parentProcess,
)
from processing.queues import Empty, Full

__version__ = "0.1.0"

# Everything that depends on the start method comes from the default context, as bound
# methods, so ``processing.Lock()`` and ``processing.getContext('spawn').Lock()`` agree.
Pipe = _default.Pipe
Queue = _default.Queue
BufferedQueue = _default.BufferedQueue
JoinableQueue = _default.JoinableQueue
SimpleQueue = _default.SimpleQueue
Lock = _default.Lock
RLock = _default.RLock
Semaphore = _default.Semaphore
BoundedSemaphore = _default.BoundedSemaphore
Condition = _default.Condition
Event = _default.Event
Barrier = _default.Barrier
Manager = _default.Manager
Pool = _default.Pool
Value = _default.Value
Array = _default.Array
RawValue = _default.RawValue
RawArray = _default.RawArray
LocalManager = _default.LocalManager
SharedValue = _default.SharedValue
SharedStruct = _default.SharedStruct
SharedArray = _default.SharedArray

cpuCount = cpu_count = _default.cpu_count
getContext = get_context = _default.get_context
getStartMethod = get_start_method = _default.get_start_method
setStartMethod = set_start_method = _default.set_start_method
allStartMethods = get_all_start_methods = _default.get_all_start_methods
setExecutable = set_executable = _default.set_executable
setForkserverPreload = set_forkserver_preload = _default.set_forkserver_preload
allow_connection_pickling = _default.allow_connection_pickling

__all__ = [
    "Array",
    "AuthenticationError",
    "Barrier",
    "BoundedSemaphore",
    "BrokenPoolError",
    "BufferTooShort",
    "BufferedQueue",
    "Condition",
    "Empty",
    "Event",
    "Full",
    "JoinableQueue",
    "LocalManager",
    "Lock",
    "Manager",
    "Pipe",
    "Pool",
    "Process",
    "ProcessError",
    "ProcessExit",
    "Queue",
    "RLock",
    "RawArray",
    "RawValue",
    "Semaphore",
    "SharedArray",
    "SharedStruct",
    "SharedValue",
    "SimpleQueue",
    "TimeoutError",
    "Value",
    "WorkerLostError",
    "activeChildren",
    "active_children",
    "allStartMethods",
    "allow_connection_pickling",
    "cpuCount",
    "cpu_count",
    "currentProcess",
    "current_process",
    "enableLogging",
    "freezeSupport",
    "freeze_support",
    "getContext",
    "getLogger",
    "getStartMethod",
    "get_all_start_methods",
    "get_context",
    "get_logger",
    "get_start_method",
    "log_to_stderr",
    "parentProcess",
    "parent_process",
    "setExecutable",
    "setForkserverPreload",
    "setStartMethod",
    "set_executable",
    "set_forkserver_preload",
    "set_start_method",
]
