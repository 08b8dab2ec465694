"""A pool of worker processes that never hangs: ``Pool`` and its result objects.

Each worker has a connection of its own, and one manager thread in the parent sends tasks
to the workers and reads their results. So the parent always knows which tasks a worker
holds: when a worker dies (a signal, ``os._exit``, a crash), when a result or exception
cannot be pickled or unpickled, or when a task overruns its timeout, exactly that task fails
with an error that says what happened, and the dead worker is replaced. Workers watch their
parent and exit as soon as it is gone. A fork pool forks its replacements from a template
process (``_forktemplate``), never from the parent once the manager thread runs.
"""

from __future__ import annotations

import collections
import copyreg
import functools
import io
import itertools
import os
import pickle
import selectors
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import types
import weakref
from collections.abc import Iterable, Iterator, Mapping
from multiprocessing import ProcessError, TimeoutError
from multiprocessing import process as _stdlib_process
from multiprocessing.connection import wait as _wait
from multiprocessing.reduction import ForkingPickler
from typing import Any, Callable, ClassVar

from processing import _forktemplate
from processing.connection import Pipe
from processing.reduction import pickling_error

__all__ = [
    "ApplyResult",
    "AsyncResult",
    "BrokenPoolError",
    "IMapIterator",
    "IMapUnorderedIterator",
    "MapResult",
    "MaybeEncodingError",
    "Pool",
    "RemoteTraceback",
    "ResultNotReadyError",
    "WorkerLostError",
]

_loads = pickle.loads
_HEADER = struct.Struct("!i")
_LONG_HEADER = struct.Struct("!Q")

# What a task asks the worker to do with its function.
_APPLY, _MAP, _STARMAP = 0, 1, 2

#: A worker holds at most this many tasks while tasks are short (see ``_Core._depth``).
_MAX_DEPTH = 8
#: Tasks whose results take longer than this (seconds) are sent one at a time, so a free
#: worker always takes the next task instead of it waiting behind a long one.
_SHORT_TASK = 0.002
#: The largest message sent to a worker that is busy. A busy worker may be blocked writing
#: a result while the manager writes to it: the message must fit in the socket's buffer.
_BUSY_SEND_LIMIT = 1 << 16
#: How often (seconds) a worker checks that its parent is alive, and the manager that its
#: busy workers are (a safety net under the sentinels, which report a death at once).
_HEARTBEAT = 0.5


class _Pickler(pickle.Pickler):
    # ForkingPickler's reducers (connections, sockets ...) as a live view, without the copy
    # of the whole table that ``ForkingPickler()`` makes on every call.
    dispatch_table: ClassVar[Mapping] = collections.ChainMap(ForkingPickler._extra_reducers, copyreg.dispatch_table)


class _Dumper:
    """Pickles like ``ForkingPickler.dumps`` but reuses one pickler: for the small messages
    of a pool, setting up a pickler is most of the cost. One per thread."""

    def __init__(self) -> None:
        self._buf = io.BytesIO()
        self._pickler = _Pickler(self._buf)

    def __call__(self, obj: Any) -> bytes:
        buf = self._buf
        buf.seek(0)
        buf.truncate()
        try:
            self._pickler.dump(obj)
        finally:
            # The memo holds every object just pickled: clear it now, not before the next
            # call, so that a task's arguments are not kept alive after it was sent.
            self._pickler.clear_memo()
        return buf.getvalue()


class RemoteTraceback(Exception):
    """The worker's traceback, attached as ``__cause__`` to an exception raised by a task;
    ``tb`` is its text, as on the stdlib's."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return "\n" + self.tb


class MaybeEncodingError(pickle.PicklingError):
    """A task's result (or exception) could not be pickled to send it back to the parent.

    As the stdlib's: ``exc`` and ``value`` are the ``repr()`` of the pickling error and of
    the object; it is also a ``pickle.PicklingError``.
    """

    def __init__(self, exc: Any, value: Any, note: str = "") -> None:
        self.exc = exc if isinstance(exc, str) else repr(exc)
        self.value = value if isinstance(value, str) else _safe_repr(value)
        self.note = note
        super().__init__(self.exc, self.value, note)

    def __reduce__(self) -> Any:
        return type(self), (self.exc, self.value, self.note)

    def __str__(self) -> str:
        text = f"Error sending result: '{self.value}'. Reason: '{self.exc}'"
        return f"{self.note}. {text}" if self.note else text


class ResultNotReadyError(ValueError, AssertionError):
    """``successful()`` on a result that is not ready: a ``ValueError`` as the stdlib raises,
    and an ``AssertionError`` as processing 0.52 raised."""


class WorkerLostError(ProcessError):
    """The worker running a task ended before finishing it (killed, crashed or exited)."""

    def __init__(self, message: str, exitcode: int | None = None, pid: int | None = None):
        super().__init__(message)
        self.exitcode = exitcode
        self.pid = pid


class BrokenPoolError(ProcessError):
    """The pool cannot run tasks any more (its initializer failed, or its manager did)."""


# ---------------------------------------------------------------------------- worker side


def _summary(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - str() of a user's exception may raise anything
        text = "<str() failed>"
    return f"{type(exc).__qualname__}: {text}" if text else type(exc).__qualname__


def _safe_repr(obj: Any) -> str:
    try:
        return repr(obj)
    except Exception:  # noqa: BLE001 - repr() of a user's object may raise anything
        return f"<{type(obj).__qualname__} object; repr() failed>"


def _failure(dumps: _Dumper, exc: BaseException, note: str | None = None) -> bytes:
    """The message that fails a task with ``exc``, or with a stand-in if ``exc`` won't pickle."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    summary = _summary(exc)
    if note is not None:
        exc = pickle.UnpicklingError(f"{note} ({summary})")
    try:
        return dumps((False, dumps(exc), tb, summary))
    except BaseException as err:  # noqa: BLE001 - whatever stops pickling, the task fails
        stand_in = MaybeEncodingError(
            err, exc, f"the task raised {summary}, and that exception could not be pickled "
            f"to send it back to the parent ({_summary(err)})")
        return dumps((False, dumps(stand_in), tb, summary))


def _run_task(payload: Any, dumps: _Dumper) -> bytes:
    """Run one pickled task; the message that reports its result."""
    try:
        kind, func, args, kwds = _loads(payload)
    except BaseException as exc:  # noqa: BLE001 - a task that cannot be unpickled fails alone
        return _failure(
            dumps, exc,
            "the task could not be unpickled in the worker: a function sent to a pool must "
            "be importable there (defined at module level of an importable module)",
        )
    try:
        if kind == _APPLY:
            value = func(*args, **kwds)
        elif kind == _MAP:
            value = list(map(func, args))
        else:
            value = list(itertools.starmap(func, args))
    except BaseException as exc:  # noqa: BLE001 - the task's exception, whatever it is, goes back
        return _failure(dumps, exc)
    finally:
        func = args = kwds = None  # nothing of the task outlives it in the worker
    try:
        return dumps((True, value))
    except BaseException as exc:  # noqa: BLE001 - whatever stops pickling, the task fails
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        stand_in = MaybeEncodingError(
            exc, value, f"the result of the task, a {type(value).__qualname__}, could not be "
            f"pickled to send it back to the parent ({_summary(exc)})")
        return dumps((False, dumps(stand_in), tb, _summary(exc)))


def _split(data: bytes) -> Iterator[memoryview]:
    """The task pickles of one batch message: each is preceded by its 4-byte length."""
    view = memoryview(data)
    pos, end = 0, len(view)
    while pos < end:
        size = int.from_bytes(view[pos : pos + 4], "little")
        yield view[pos + 4 : pos + 4 + size]
        pos += 4 + size


def _watch_parent() -> None:
    """Exit this worker as soon as the parent is gone, even if it was killed with SIGKILL."""
    parent = _stdlib_process.parent_process()
    sentinel = parent.sentinel if parent is not None else None
    ppid = os.getppid()

    def watch() -> None:
        while True:
            if sentinel is not None:
                if _wait([sentinel], _HEARTBEAT):
                    os._exit(1)
            else:
                time.sleep(_HEARTBEAT)
            # The sentinel can be held open by a sibling forked later; a new parent cannot.
            if os.getppid() != ppid:
                os._exit(1)

    for attempt in range(10):
        try:
            threading.Thread(target=watch, name="processing-pool-parent-watch",
                             daemon=True).start()
            return
        except RuntimeError:  # no thread to be had now (EAGAIN): try again shortly
            time.sleep(0.05 * (attempt + 1))
    # Still none: work on without it; the worker then ends only when its connection does.


def _worker(conn: Any, initializer: Callable[..., object] | None, initargs: tuple,
            maxtasks: int | None) -> None:
    """A worker's life: run tasks from ``conn`` one by one, send each result back."""
    _watch_parent()
    if initializer is not None:
        try:
            initializer(*initargs)
        except BaseException as exc:  # noqa: BLE001 - the initializer's failure is reported
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            conn.send_bytes(_Dumper()((None, None, tb, _summary(exc))))
            return
    recv, send = conn.recv_bytes, conn.send_bytes
    dumps = _Dumper()
    done = 0
    while maxtasks is None or done < maxtasks:
        try:
            data = recv()
        except (EOFError, OSError):
            return
        if not data:
            return
        for payload in _split(data):
            send(_run_task(payload, dumps))
            done += 1


# ---------------------------------------------------------------------------- result objects
#
# Each result is two objects. The job (``_ApplyJob``, ``_MapJob``, ``_IMapJob``) is what the
# manager thread fills in; the handle the caller gets (``ApplyResult``, ``MapResult``,
# ``IMapIterator``) holds the job and the pool. So a pool whose handles are all gone is
# garbage (and terminated, as in processing 0.52) even while its manager still holds jobs,
# and a handle still keeps an otherwise unreferenced pool alive until its result is in.

_job_counter = itertools.count()


class _Job:
    """What the manager knows of a submitted call: where its results go."""

    #: Whether the manager must ask ``_claim()`` before it sends a task of this job.
    _claims = False

    def __init__(self, jobs: dict[int, _Job]) -> None:
        self._key = next(_job_counter)
        self._jobs = jobs  # the pool's unfinished jobs (``Pool._cache``); we leave it when done

    def _claim(self) -> bool:
        """Whether the task may still run (a cancelled future's may not)."""
        return True

    def _deliver(self, index: int, success: bool, value: Any) -> None:
        raise NotImplementedError

    def _abort(self, error: BaseException) -> None:
        raise NotImplementedError


class _ApplyJob(_Job):
    def __init__(self, jobs: dict[int, _Job], callback: Callable[[Any], object] | None,
                 error_callback: Callable[[BaseException], object] | None) -> None:
        super().__init__(jobs)
        self._event = threading.Event()
        self._callback = callback
        self._error_callback = error_callback
        self._success: bool | None = None
        self._value: Any = None

    def _finish(self, success: bool, value: Any) -> None:
        """Run the matching callback, record the outcome, then wake the waiters.

        Whatever a callback raises (``SystemExit`` included) becomes the result's error, so
        ``get()`` raises it; it is also printed, as nobody may ever call ``get()``.
        """
        callback = self._callback if success else self._error_callback
        self._callback = self._error_callback = None
        if callback is not None:
            error = _run_callback(callback, value)
            if error is not None:
                if not success and error.__context__ is None:
                    error.__context__ = value
                success, value = False, error
        self._success, self._value = success, value
        self._jobs.pop(self._key, None)
        self._event.set()

    def _deliver(self, index: int, success: bool, value: Any) -> None:
        self._finish(success, value)

    def _abort(self, error: BaseException) -> None:
        if not self._event.is_set():
            self._finish(False, error)

    def __repr__(self) -> str:
        state = ("pending" if not self._event.is_set()
                 else "ok" if self._success else "failed")
        return f"<{type(self).__name__} {state}>"


class _MapJob(_ApplyJob):
    def __init__(self, jobs: dict[int, _Job], length: int, chunksize: int, callback: Any,
                 error_callback: Any) -> None:
        super().__init__(jobs, callback, error_callback)
        self._chunksize = chunksize
        self._items: list[Any] = [None] * length
        self._remaining = -(-length // chunksize)
        if not length:
            self._finish(True, [])

    def _deliver(self, index: int, success: bool, value: Any) -> None:
        if self._event.is_set():
            return  # an earlier chunk failed; the map has already failed
        if not success:
            self._items = []
            self._finish(False, value)
            return
        start = index * self._chunksize
        self._items[start : start + len(value)] = value
        self._remaining -= 1
        if not self._remaining:
            items, self._items = self._items, []
            self._finish(True, items)


class _IMapJob(_Job):
    def __init__(self, jobs: dict[int, _Job], ordered: bool) -> None:
        super().__init__(jobs)
        self._ordered = ordered
        self._cond = threading.Condition(threading.Lock())
        self._ready: collections.deque[tuple[bool, Any]] = collections.deque()
        self._early: dict[int, tuple[bool, Any]] = {}
        self._next_chunk = 0
        self._delivered = 0
        self._length: int | None = None

    def next(self, timeout: float | None) -> Any:
        with self._cond:
            if not self._ready:
                if self._finished():
                    raise StopIteration
                self._cond.wait_for(lambda: self._ready or self._finished(), timeout)
                if not self._ready:
                    if self._finished():
                        raise StopIteration
                    raise TimeoutError(f"no result arrived within {timeout} seconds")
            success, value = self._ready.popleft()
        if success:
            return value
        raise value

    def _finished(self) -> bool:
        return self._length is not None and self._delivered >= self._length

    def _push(self, success: bool, value: Any) -> None:
        if success:
            self._ready.extend((True, item) for item in value)
        else:
            self._ready.append((False, value))

    def _deliver(self, index: int, success: bool, value: Any) -> None:
        with self._cond:
            if not self._ordered or index == self._next_chunk:
                self._push(success, value)
                self._next_chunk += 1
                while self._next_chunk in self._early:
                    self._push(*self._early.pop(self._next_chunk))
                    self._next_chunk += 1
            else:
                self._early[index] = (success, value)
            self._delivered += 1
            self._check_done()

    def _set_length(self, length: int) -> None:
        with self._cond:
            self._length = length
            self._check_done()

    def _check_done(self) -> None:
        if self._finished():
            self._jobs.pop(self._key, None)
        self._cond.notify_all()

    def _abort(self, error: BaseException) -> None:
        with self._cond:
            if self._finished():
                return
            for index in sorted(self._early):
                self._push(*self._early.pop(index))
            self._ready.append((False, error))
            self._delivered = self._length = 0
            self._check_done()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'done' if self._finished() else 'pending'}>"


class ApplyResult:
    """The result of ``applyAsync()``: ``get()`` it, ``wait()`` for it, or poll ``ready()``."""

    __slots__ = ("_job", "_pool")

    def __init__(self, job: _ApplyJob, pool: Pool | None) -> None:
        self._job = job
        self._pool = pool  # kept alive until the result is in

    def ready(self) -> bool:
        """Whether the task has finished (successfully or not)."""
        return self._job._event.is_set()

    def successful(self) -> bool:
        """Whether the task finished without raising; ``ResultNotReadyError`` (both a
        ``ValueError`` and an ``AssertionError``) if it has not finished."""
        if not self._job._event.is_set():
            raise ResultNotReadyError(
                f"{self!r} is not ready: call successful() after wait() or get()")
        return bool(self._job._success)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the result is ready, or ``timeout`` seconds have passed."""
        if self._job._event.wait(timeout):
            self._pool = None

    def get(self, timeout: float | None = None) -> Any:
        """The result; re-raises the task's exception; ``TimeoutError`` after ``timeout``."""
        job = self._job
        if not job._event.wait(timeout):
            raise TimeoutError(f"the result was not ready within {timeout} seconds")
        self._pool = None
        if job._success:
            return job._value
        raise job._value

    def __repr__(self) -> str:
        job = self._job
        state = "pending" if not job._event.is_set() else ("ok" if job._success else "failed")
        return f"<{type(self).__name__} {state}>"


AsyncResult = ApplyResult


class MapResult(ApplyResult):
    """The result of ``mapAsync()``: the list of results, in the order of the input."""

    __slots__ = ()


class IMapIterator:
    """The iterator of ``imap()``: results in input order; ``next(timeout)`` waits at most so long."""

    __slots__ = ("_job", "_pool")

    def __init__(self, job: _IMapJob, pool: Pool | None) -> None:
        self._job = job
        self._pool = pool  # kept alive until every result is in

    def __iter__(self) -> IMapIterator:
        return self

    def next(self, timeout: float | None = None) -> Any:
        """The next result; raises the task's exception for a failed one."""
        try:
            return self._job.next(timeout)
        except StopIteration:
            self._pool = None
            raise

    __next__ = next

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'done' if self._job._finished() else 'pending'}>"


class IMapUnorderedIterator(IMapIterator):
    """The iterator of ``imapUnordered()``: results in the order they finish."""

    __slots__ = ()


def _run_callback(callback: Callable[[Any], object], value: Any) -> BaseException | None:
    """Run a result's callback; what it raised, if anything (printed too)."""
    # Whatever the callback raises must not take the manager thread (the pool) down.
    try:
        callback(value)
    except BaseException as exc:  # noqa: BLE001 - it becomes the result's error
        sys.stderr.write(f"processing.Pool: the callback {callback!r} raised (the result's "
                         "get() raises it):\n")
        traceback.print_exception(type(exc), exc, exc.__traceback__)
        return exc
    return None


# ---------------------------------------------------------------------------- the manager


class _Source:
    """The tasks of one ``imap()``, made lazily from its iterable as workers need them."""

    def __init__(self, job: _IMapJob, chunks: Iterator[list], kind: int, func: Any):
        self.job, self._chunks, self._kind, self._func = job, chunks, kind, func
        self._count = 0

    def take(self) -> tuple | None:
        """The next task, or None when the iterable is exhausted (or raised)."""
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self.job._set_length(self._count)
            return None
        except Exception as exc:  # noqa: BLE001 - the iterable's error goes to the imap
            self.job._deliver(self._count, False, exc)
            self.job._set_length(self._count + 1)
            return None
        task = (self.job, self._count, None, (self._kind, self._func, chunk, None))
        self._count += 1
        return task


class _Worker:
    """One worker process as the manager sees it: its connection and the tasks it holds."""

    __slots__ = ("budget", "buf", "conn", "held", "lost", "need", "process", "sentinel", "since")

    def __init__(self, process: Any, conn: Any, budget: int | None) -> None:
        self.process = process
        self.conn = conn
        self.sentinel = process.sentinel
        self.held: collections.deque[tuple] = collections.deque()
        self.budget = budget
        self.since = 0.0  # when the first held task started running (approximately)
        self.lost: str | None = None  # why we killed it, for the error of its task
        self.buf = bytearray()  # the start of a message not wholly received
        self.need = 0  # how many more bytes that message needs

    def receive(self) -> list[Any]:
        """The messages that have arrived (at least one byte must be readable)."""
        if sys.platform == "win32":
            return [self.conn.recv_bytes()]
        # One read takes every result waiting, where ``recv_bytes()`` would make two reads
        # per result. The framing is that of ``Connection.send_bytes()``.
        chunk = os.read(self.conn.fileno(), max(self.need, 65536))
        if not chunk:
            raise EOFError
        data: Any = chunk
        if self.buf:
            self.buf += chunk
            data = self.buf
        messages, pos, end = [], 0, len(data)
        while end - pos >= 4:
            size, head = _HEADER.unpack_from(data, pos)[0], 4
            if size == -1:
                if end - pos < 12:
                    break
                size, head = _LONG_HEADER.unpack_from(data, pos + 4)[0], 12
            if end - pos - head < size:
                self.need = head + size - (end - pos)
                break
            messages.append(data[pos + head : pos + head + size])
            pos += head + size
        else:
            self.need = 0
        if data is self.buf:
            del self.buf[:pos]
        elif pos < end:
            self.buf = bytearray(data[pos:])
        return messages


class _Poller:
    """Waits for any of the workers' connections and sentinels, and the wake-up socket."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector() if sys.platform != "win32" else None
        self._handlers: dict[Any, Callable[[], None]] = {}

    def add(self, obj: Any, handler: Callable[[], None]) -> None:
        if self._selector is not None:
            self._selector.register(obj, selectors.EVENT_READ, handler)
        self._handlers[obj] = handler

    def remove(self, obj: Any) -> None:
        if self._handlers.pop(obj, None) is not None and self._selector is not None:
            self._selector.unregister(obj)

    def poll(self, timeout: float | None) -> list[Callable[[], None]]:
        if self._selector is not None:
            return [key.data for key, _ in self._selector.select(timeout)]
        return [self._handlers[obj] for obj in _wait(list(self._handlers), timeout)]

    def close(self) -> None:
        if self._selector is not None:
            self._selector.close()


_RUN, _CLOSE, _TERMINATE, _BROKEN = "RUN", "CLOSE", "TERMINATE", "BROKEN"


def _describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "with an unknown status"
    if exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name} (exit code {exitcode})"
        except ValueError:
            return f"killed by signal {-exitcode} (exit code {exitcode})"
    return f"with exit code {exitcode}"


class _Core:
    """The pool's state and its manager thread; the ``Pool`` object is only its face.

    Only the manager thread touches workers and tasks. Other threads hand it work through
    ``_inbox`` and wake it through a socket, so a submission takes no lock that the manager
    holds while it works. The thread starts with the first call and ends when the pool has
    been idle for a heartbeat (the next call starts another); where no thread may start (at
    interpreter exit on 3.12), ``close()`` and ``terminate()`` do its work themselves.
    """

    def __init__(self, ctx: Any, process_factory: Callable[..., Any], processes: int,
                 initializer: Any, initargs: tuple, maxtasks: int | None,
                 use_template: bool = False) -> None:
        self._ctx = ctx
        self._process_factory = process_factory
        self._template: _forktemplate.ForkTemplate | None = None
        self.processes = processes
        self._initializer, self._initargs, self._maxtasks = initializer, initargs, maxtasks
        self.state = _RUN
        self._broken: str | None = None
        self._lock = threading.Lock()
        self._inbox: collections.deque[Any] = collections.deque()
        self._woken = False  # a wake-up byte is on its way
        self._sleeping = False  # the manager is (about to be) blocked waiting for events
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._poller = _Poller()
        self._dumps = _Dumper()
        self._poller.add(self._wake_r, self._on_wake)
        self._pending: collections.deque[Any] = collections.deque()
        self.jobs: dict[int, _Job] = {}  # submitted and not finished, by job key
        self.workers: list[_Worker] = []
        self._stopping = False
        self._timed = 0  # tasks with a timeout that were sent and have not finished
        self._run_time = _SHORT_TASK  # moving average of how long a task takes, in seconds
        self._thread = threading.Thread(target=self._main, name="processing-pool", daemon=True)
        self._thread_started = False
        # The workers (and a fork pool's template, which forks their replacements) start
        # before the manager thread, and that starts with the first call to the pool: so
        # no fork of ours happens in a process that our threads made multi-threaded
        # (Python 3.12+ warns about that, rightly), even when several pools are created.
        launched: list[tuple[Any, Any]] = []
        try:
            for _ in range(processes):
                launched.append(self._launch())
            if use_template:
                self._template = _forktemplate.ForkTemplate(
                    ctx, _worker, (initializer, initargs, maxtasks))
        except BaseException:
            _stop_launched(launched)
            self._close_handles()
            raise
        for process, conn in launched:
            self._adopt(process, conn)

    def _start_thread(self) -> None:
        """Start a manager thread unless one runs (callers hold ``_lock``)."""
        if not self._thread_started:
            self._thread_started = True
            # A new Thread object every time: an earlier one may have ended while the pool
            # idled, or failed to start (a Thread cannot be started twice).
            self._thread = threading.Thread(target=self._main, name="processing-pool",
                                            daemon=True)
            try:
                self._thread.start()
            except BaseException:
                self._thread_started = False
                raise

    # -- called from any thread ---------------------------------------------------------

    def submit(self, job: _Job, entry: Any) -> None:
        """Queue a task, a list of tasks or an imap source of ``job`` for the manager."""
        with self._lock:
            if self.state != _RUN:
                raise self._not_running()
            self.jobs[job._key] = job
            self._inbox.append(entry)
            if not self._thread_started:
                self._start_thread()
        # A busy manager looks at the inbox on every round; only a sleeping one needs waking.
        if self._sleeping and not self._woken:
            self._woken = True
            self._wake()

    def _not_running(self) -> Exception:
        if self._broken is not None:
            return BrokenPoolError(self._broken)
        return ValueError(f"the pool is not running (its state is {self.state}): create a new one")

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # already full of wake-ups, or the manager has finished

    def close(self) -> None:
        with self._lock:
            if self.state == _RUN:
                self.state = _CLOSE
            inline = self._start_or_claim()
        self._wake()
        if inline:
            self._main()

    def terminate(self) -> None:
        with self._lock:
            if self.state in (_RUN, _CLOSE):
                self.state = _TERMINATE
            inline = self._start_or_claim()
        self._wake()
        if inline:
            self._main()
        elif threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join()

    def _start_or_claim(self) -> bool:
        """Start a manager thread if none runs; True if none can be started (at interpreter
        shutdown, Python 3.12) and the caller must do the manager's work itself."""
        try:
            self._start_thread()
        except RuntimeError:
            self._thread_started = True  # no other thread will start: the caller manages
            return True
        return False

    def join(self, timeout: float | None = None) -> None:
        if self.state == _RUN:
            raise ValueError("join() needs close() or terminate() first")
        if threading.current_thread() is self._thread:
            raise RuntimeError("join() cannot be called from a pool callback")
        if self._thread.ident is not None:  # else close() or terminate() did the work
            self._thread.join(timeout)

    # -- the manager thread -------------------------------------------------------------

    def _main(self) -> None:
        done = True
        try:
            done = self._loop()
        except BaseException as exc:  # noqa: BLE001
            traceback.print_exc()
            self._break(f"the pool's manager thread failed ({_summary(exc)}); this is a bug "
                        "in processing: please report it with the traceback printed above")
            self._kill_workers()
        finally:
            if done:
                self._close_handles()

    def _loop(self) -> bool:
        """Manage the pool until it has ended (True), or has been idle for a heartbeat
        (False: the thread exits, and the next call to the pool starts a new one)."""
        poll = self._poller.poll
        while True:
            # Announce the sleep before the last look at the inbox (see ``submit``).
            self._sleeping = True
            handlers = poll(0 if self._inbox else self._timeout())
            self._sleeping = False
            for handler in handlers:
                handler()
            if self._inbox:
                self._take_inbox()
            if self.state != _RUN and self._finish():
                return True
            if self._timed:
                self._check_deadlines()
            if not handlers:
                self._check_alive()
                if self._idle_exit():
                    return False

    def _idle_exit(self) -> bool:
        """Whether the thread may end: nothing to do, and no call can give it work unseen.

        An idle pool without a thread lets the program (or another pool) fork without
        forking a multi-threaded process; a worker that dies meanwhile is seen (and
        replaced) by the next thread at once, its sentinel being ready.
        """
        if self.state != _RUN or self._pending or any(w.held for w in self.workers):
            return False
        with self._lock:
            if self.state != _RUN or self._inbox or self.jobs:
                return False
            self._thread_started = False
        return True

    def _timeout(self) -> float:
        if not self._timed:
            return _HEARTBEAT
        timeout, now = _HEARTBEAT, time.monotonic()
        for worker in self.workers:
            if worker.held and worker.held[0][2] is not None:
                timeout = min(timeout, max(0.0, worker.since + worker.held[0][2] - now))
        return timeout

    def _on_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        self._woken = False

    def _take_inbox(self) -> None:
        inbox, pending = self._inbox, self._pending
        while inbox:
            entry = inbox.popleft()
            if type(entry) is list:
                pending.extend(entry)
            else:
                pending.append(entry)
        self._dispatch()

    def _depth(self) -> int:
        """How many tasks a worker may hold: several when tasks are short, else one."""
        return _MAX_DEPTH if self._run_time < _SHORT_TASK else 1

    def _take(self) -> tuple[tuple, bytes] | None:
        """The next task to send, with its pickle. A task that cannot be pickled fails here,
        and one whose job does not want it any more (a cancelled future) is dropped, so
        what is taken is always sent."""
        pending, dumps = self._pending, self._dumps
        while pending:
            head = pending[0]
            if type(head) is tuple:
                task = pending.popleft()
            else:
                task = head.take()
                if task is None:
                    pending.popleft()
                    continue
            job = task[0]
            if job._claims and not job._claim():
                continue
            try:
                return task, dumps(task[3])
            except BaseException as exc:  # noqa: BLE001 - an unpicklable task fails alone
                job._deliver(task[1], False, _unpicklable_task(task[3], exc))
        return None

    def _take_for(self, worker: _Worker) -> tuple[tuple, bytes] | None:
        """The next pending task for ``worker``, counted against its maxtasksperchild budget."""
        taken = self._take()
        if taken is not None and worker.budget is not None:
            worker.budget -= 1
        return taken

    def _dispatch(self) -> None:
        """Give pending tasks to workers: every idle worker one first, then fill up."""
        if self.state not in (_RUN, _CLOSE) or not self._pending:
            return
        batches = {worker: [] for worker in self.workers if worker.lost is None}
        self._fill_levels(batches, self._depth())
        for worker, tasks in batches.items():
            if tasks:
                self._send(worker, tasks)

    def _fill_levels(self, batches: dict[_Worker, list], depth: int) -> None:
        for level in range(depth):
            for worker, batch in batches.items():
                if len(worker.held) + len(batch) > level or worker.budget == 0:
                    continue
                taken = self._take_for(worker)
                if taken is None:
                    return
                batch.append(taken)

    def _refill(self, worker: _Worker) -> None:
        """After a result: top the worker up once it is down to half its depth."""
        depth = self._depth()
        if len(worker.held) > depth // 2 or worker.budget == 0 or worker.lost is not None:
            return
        batch = []
        while len(worker.held) + len(batch) < depth and worker.budget != 0:
            taken = self._take_for(worker)
            if taken is None:
                break
            batch.append(taken)
        if batch:
            self._send(worker, batch)

    def _send(self, worker: _Worker, taken: list[tuple[tuple, bytes]]) -> None:
        parts = []
        sent = []
        for task, data in taken:
            parts.append(len(data).to_bytes(4, "little"))
            parts.append(data)
            sent.append(task)
        message = b"".join(parts)
        if worker.held and len(message) > _BUSY_SEND_LIMIT:
            # Too big to send while the worker is busy: it goes when the worker is idle.
            self._pending.extendleft(reversed(sent))
            if worker.budget is not None:
                worker.budget += len(sent)
            return
        if not worker.held:
            worker.since = time.monotonic()
        worker.held.extend(sent)
        for task in sent:
            if task[2] is not None:
                self._timed += 1
        try:
            worker.conn.send_bytes(message)
        except OSError:
            self._lose(worker, "its connection to the pool broke")

    def _on_result(self, worker: _Worker) -> None:
        if worker.conn.closed:
            return  # its exit was handled earlier in the same round of events
        try:
            messages = worker.receive()
        except (EOFError, OSError):
            # The worker is usually exiting; its exit code makes the better error.
            self._poller.remove(worker.conn)
            worker.process.join(1.0)
            if worker.process.exitcode is not None:
                self._on_exit(worker)
            elif worker.held:
                self._lose(worker, "it closed its connection to the pool")
            return
        for data in messages:
            self._handle(worker, data)
        if self._pending:
            self._refill(worker)

    def _handle(self, worker: _Worker, data: bytes) -> None:
        """Deliver one message from ``worker``: the result of the first task it holds."""
        try:
            message = _loads(data)
        except BaseException as exc:  # noqa: BLE001 - whatever stops unpickling, the task fails
            outcome: tuple[bool, Any] = (False, pickle.UnpicklingError(
                f"the result of the task could not be unpickled in the parent ({_summary(exc)})"
            ))
        else:
            if message[0] is None:
                self._initializer_failed(message)
                return
            outcome = (True, message[1]) if message[0] else (False, _rebuild_exception(message))
        if not worker.held:
            return
        task = worker.held.popleft()
        now = time.monotonic()
        self._run_time += (now - worker.since - self._run_time) * 0.2
        worker.since = now
        if task[2] is not None:
            self._timed -= 1
        task[0]._deliver(task[1], *outcome)

    def _lose(self, worker: _Worker, reason: str) -> None:
        """Stop using ``worker``: kill it; its exit reports the tasks it held."""
        if worker.lost is None:
            worker.lost = reason
        try:
            worker.process.kill()
        except (OSError, ValueError, AttributeError):
            pass

    def _on_exit(self, worker: _Worker) -> None:
        """A worker ended: fail the task it was running, requeue the others, replace it."""
        conn = worker.conn
        if conn.closed:
            return
        if conn in self._poller._handlers:
            try:
                while worker.held and conn.poll():
                    for data in worker.receive():
                        self._handle(worker, data)
            except (EOFError, OSError):
                pass
            self._poller.remove(conn)
        self._poller.remove(worker.sentinel)
        worker.process.join(1.0)
        exitcode = worker.process.exitcode
        conn.close()
        self.workers.remove(worker)
        if worker.held:
            task = worker.held.popleft()
            if task[2] is not None:
                self._timed -= 1
            pid = worker.process.pid
            if worker.lost is not None:
                what = f"ended: {worker.lost}"
            else:
                what = f"died {_describe_exit(exitcode)}"
            if task[2] is not None and worker.lost and worker.lost.startswith("the task ran"):
                error: BaseException = TimeoutError(f"the worker (pid {pid}) running this task "
                                                    f"was killed: {worker.lost}")
            else:
                error = WorkerLostError(
                    f"the worker process (pid {pid}) running this task {what}; the pool has "
                    "replaced it", exitcode, pid)
            task[0]._deliver(task[1], False, error)
            for other in worker.held:
                if other[2] is not None:
                    self._timed -= 1
            self._pending.extendleft(reversed(worker.held))
            worker.held.clear()
        if exitcode is not None:
            worker.process.close()
        if self.state == _RUN or (self.state == _CLOSE and self._pending):
            try:
                self._start_replacement()
            except Exception as exc:  # noqa: BLE001 - a failed start breaks the pool
                self._break(f"the pool could not start a worker to replace one that ended "
                            f"({_summary(exc)})")
                return
            self._dispatch()

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        for worker in self.workers:
            if worker.held and worker.lost is None:
                limit = worker.held[0][2]
                if limit is not None and now - worker.since >= limit:
                    self._lose(worker, f"the task ran longer than its timeout of {limit} s")

    def _check_alive(self) -> None:
        """A safety net: a worker whose sentinel is held open by another process still ends."""
        for worker in list(self.workers):
            if worker.held and worker.process.exitcode is not None:
                self._on_exit(worker)

    def _start_replacement(self) -> None:
        """Start a worker in place of one that ended; a fork refused for want of resources
        for the moment (EAGAIN) is tried again for a while before the pool gives up."""
        for delay in (0.05, 0.1, 0.2, 0.4, 0.8, None):
            try:
                self._start_worker()
                return
            except BlockingIOError:
                if delay is None:
                    raise
                time.sleep(delay)

    def _start_worker(self) -> None:
        """Start a replacement worker: a fork pool's template forks it (see _forktemplate)."""
        if self._template is not None:
            try:
                self._adopt(*self._template.start_worker())
                return
            except BlockingIOError:
                raise  # no process to be had for now: the caller may try again
            except OSError:
                # The template is gone (killed?): fork directly, as a pool without one.
                self._template.close()
                self._template = None
        self._adopt(*self._launch())

    def _launch(self) -> tuple[Any, Any]:
        """Start a worker process through the context's ``Process``; it and our end of its
        connection."""
        parent_end, child_end = Pipe(duplex=True)
        try:
            process = self._process_factory(
                self._ctx, target=_worker,
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

    def _adopt(self, process: Any, conn: Any) -> None:
        worker = _Worker(process, conn, self._maxtasks)
        self.workers.append(worker)
        self._poller.add(conn, functools.partial(self._on_result, worker))
        self._poller.add(worker.sentinel, functools.partial(self._on_exit, worker))

    def _initializer_failed(self, message: tuple) -> None:
        text = message[2].rstrip()
        self._break(f"the pool's initializer {self._initializer!r} raised {message[3]} in a "
                    f"worker, so the pool cannot run tasks:\n{text}")

    def _break(self, reason: str) -> None:
        """Fail every task that has not finished and refuse new ones, with ``reason``."""
        with self._lock:
            self._broken = reason
            self.state = _BROKEN
        self._abort_all(lambda: BrokenPoolError(reason))

    def _abort_all(self, make_error: Callable[[], BaseException]) -> None:
        # The state is no longer RUN, so nothing is submitted any more: no lock is needed
        # (and none is held here, where a collection could run a pool's finalizer).
        self._inbox.clear()
        jobs = list(self.jobs.values())
        self._pending.clear()
        for worker in self.workers:
            worker.held.clear()
        self._timed = 0
        for job in jobs:
            job._abort(make_error())

    def _finish(self) -> bool:
        """Closing or terminating: whether the manager's work is done."""
        if self.state == _CLOSE:
            if self._inbox:
                self._take_inbox()
            if self._pending or any(w.held for w in self.workers):
                return False
            if not self._stopping:
                self._stopping = True
                for worker in self.workers:
                    try:
                        worker.conn.send_bytes(b"")
                    except OSError:
                        pass
            return not self.workers
        if self.state == _TERMINATE:
            self._abort_all(lambda: ProcessError("the pool was terminated before this task "
                                                 "finished"))
        self._kill_workers()
        return True

    def _kill_workers(self) -> None:
        for worker in self.workers:
            worker.process.terminate()
        deadline = time.monotonic() + 0.5
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                worker.process.kill()
                worker.process.join(5.0)
            worker.conn.close()
        self.workers.clear()

    def _close_handles(self) -> None:
        self._poller.close()
        for worker in self.workers:
            worker.conn.close()
        self._wake_r.close()
        self._wake_w.close()
        if self._template is not None:
            self._template.close()


def _stop_launched(launched: list[tuple[Any, Any]]) -> None:
    """Stop workers started for a pool that failed to start (killed, so joining is bounded)."""
    for process, conn in launched:
        conn.close()
        stop = getattr(process, "kill", None) or process.terminate
        stop()
    for process, _ in launched:
        process.join()


def _rebuild_exception(message: tuple) -> BaseException:
    _, exc_data, tb, summary = message
    try:
        exc = _loads(exc_data)
    except BaseException as err:  # noqa: BLE001 - whatever stops unpickling, the task fails
        exc = pickle.UnpicklingError(
            f"the task raised {summary}, but that exception could not be unpickled in the "
            f"parent ({_summary(err)}); give the exception class an __init__ that accepts "
            "its args, or a __reduce__"
        )
    if tb:
        exc.__cause__ = RemoteTraceback(tb)
    return exc


def _unpicklable_task(payload: tuple, exc: Exception) -> BaseException:
    func = payload[1]
    name = getattr(func, "__qualname__", None) or repr(func)
    # Also of the type pickling raised, as the stdlib lets it through: `except RuntimeError`
    # (or TypeError, AttributeError) written for multiprocessing still catches it.
    error = pickling_error(
        exc,
        f"cannot send the task to a worker: {name} or its arguments cannot be pickled "
        f"({_summary(exc)}). A pool sends tasks by pickling them, so the function must be "
        "defined at module level (not a lambda or a nested function) and its arguments "
        "must be picklable"
    )
    error.__cause__ = exc
    return error


# ---------------------------------------------------------------------------- the pool


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list]:
    it = iter(iterable)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


class Pool:
    """A pool of worker processes that run tasks for this process, and never hang.

    ``processes`` workers (default: the number of CPUs) each run ``initializer(*initargs)``
    first; with ``maxtasksperchild`` a worker is replaced after that many tasks.
    """

    def __init__(self, processes: int | None = None,
                 initializer: Callable[..., object] | None = None, initargs: Iterable[Any] = (),
                 maxtasksperchild: int | None = None, context: Any = None) -> None:
        if processes is None:
            processes = os.cpu_count() or 1
        if not isinstance(processes, int) or processes < 1:
            raise ValueError(f"processes must be a positive integer, not {processes!r}")
        if initializer is not None and not callable(initializer):
            raise TypeError(f"initializer must be callable, not {initializer!r}")
        if maxtasksperchild is not None and (
            not isinstance(maxtasksperchild, int) or maxtasksperchild < 1
        ):
            raise ValueError(
                f"maxtasksperchild must be a positive integer or None, not {maxtasksperchild!r}"
            )
        if context is None:
            from processing.context import default_context

            context = default_context
        # Workers start through ``context.Process`` (via ``Pool.Process``), looked up at each
        # start: code that substitutes the context's Process is honoured, as by the stdlib.
        self._ctx = context
        factory = type(self).Process
        self._core = _Core(context, factory, processes, initializer, tuple(initargs),
                           maxtasksperchild,
                           _forktemplate.available(context, factory, Pool.Process))
        # When the pool is garbage collected, terminate() is called at once (processing
        # 0.52). Results hold the pool, but the manager holds only their jobs (see above).
        self._finalizer = weakref.finalize(self, self._core.terminate)

    @staticmethod
    def Process(ctx: Any, *args: Any, **kwds: Any) -> Any:
        """Make a worker process object; a subclass may override this, as with the stdlib's."""
        return ctx.Process(*args, **kwds)

    @property
    def _processes(self) -> int:
        return self._core.processes

    @property
    def _pool(self) -> list[Any]:
        """The worker processes now (read-only), like the stdlib's ``Pool._pool``."""
        return [worker.process for worker in list(self._core.workers)]

    @property
    def _cache(self) -> Mapping[int, Any]:
        """The unfinished jobs by id (a read-only live view), like the stdlib's
        ``Pool._cache``: empty once every submitted result is in."""
        return types.MappingProxyType(self._core.jobs)

    # -- submitting work ----------------------------------------------------------------

    def apply(self, func: Callable[..., Any], args: Iterable[Any] = (),
              kwds: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """Run ``func(*args, **kwds)`` in a worker and return its result."""
        return self.applyAsync(func, args, kwds, timeout=timeout).get()

    def applyAsync(self, func: Callable[..., Any], args: Iterable[Any] = (),
                   kwds: Mapping[str, Any] | None = None,
                   callback: Callable[[Any], object] | None = None,
                   error_callback: Callable[[BaseException], object] | None = None, *,
                   timeout: float | None = None) -> ApplyResult:
        """Start ``func(*args, **kwds)`` in a worker; ``timeout`` (seconds) bounds its run."""
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        job = _ApplyJob(self._core.jobs, callback, error_callback)
        self._core.submit(job, (job, 0, timeout, (_APPLY, func, tuple(args), dict(kwds or {}))))
        return ApplyResult(job, self)

    def map(self, func: Callable[[Any], Any], iterable: Iterable[Any],
            chunksize: int | None = None) -> list[Any]:
        """``list(map(func, iterable))``, computed by the workers in chunks."""
        return self._map_async(_MAP, func, iterable, chunksize, None, None).get()

    def mapAsync(self, func: Callable[[Any], Any], iterable: Iterable[Any],
                 chunksize: int | None = None, callback: Callable[[Any], object] | None = None,
                 error_callback: Callable[[BaseException], object] | None = None) -> MapResult:
        """Start ``map()``; the result object's ``get()`` returns the list."""
        return self._map_async(_MAP, func, iterable, chunksize, callback, error_callback)

    def starmap(self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]],
                chunksize: int | None = None) -> list[Any]:
        """Like ``map()``, but each item is a tuple of arguments: ``func(*item)``."""
        return self._map_async(_STARMAP, func, iterable, chunksize, None, None).get()

    def starmapAsync(self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]],
                     chunksize: int | None = None,
                     callback: Callable[[Any], object] | None = None,
                     error_callback: Callable[[BaseException], object] | None = None
                     ) -> MapResult:
        """Start ``starmap()``; the result object's ``get()`` returns the list."""
        return self._map_async(_STARMAP, func, iterable, chunksize, callback, error_callback)

    def imap(self, func: Callable[[Any], Any], iterable: Iterable[Any],
             chunksize: int = 1) -> IMapIterator:
        """An iterator of ``func(item)`` in input order; the iterable is read as needed."""
        return self._imap(True, func, iterable, chunksize)

    def imapUnordered(self, func: Callable[[Any], Any], iterable: Iterable[Any],
                      chunksize: int = 1) -> IMapIterator:
        """Like ``imap()``, but results come in the order they finish."""
        return self._imap(False, func, iterable, chunksize)

    def _map_async(self, kind: int, func: Any, iterable: Iterable[Any], chunksize: int | None,
                   callback: Any, error_callback: Any) -> MapResult:
        items = iterable if isinstance(iterable, list) else list(iterable)
        if chunksize is None:
            chunksize, extra = divmod(len(items), self._core.processes * 4)
            chunksize = max(1, chunksize + bool(extra))
        _check_chunksize(chunksize)
        job = _MapJob(self._core.jobs, len(items), chunksize, callback, error_callback)
        if not items:
            return MapResult(job, None)
        self._core.submit(job, [
            (job, index, None, (kind, func, items[start : start + chunksize], None))
            for index, start in enumerate(range(0, len(items), chunksize))
        ])
        return MapResult(job, self)

    def _imap(self, ordered: bool, func: Any, iterable: Iterable[Any],
              chunksize: int) -> IMapIterator:
        _check_chunksize(chunksize)
        job = _IMapJob(self._core.jobs, ordered)
        self._core.submit(job, _Source(job, _chunks(iterable, chunksize), _MAP, func))
        return (IMapIterator if ordered else IMapUnorderedIterator)(job, self)

    def _submit_job(self, job: _Job, func: Any, args: tuple, kwds: dict) -> None:
        """Run ``func(*args, **kwds)`` for ``job`` (the executor's way in)."""
        self._core.submit(job, (job, 0, None, (_APPLY, func, args, kwds)))

    # -- ending ---------------------------------------------------------------------------

    def close(self) -> None:
        """Accept no more tasks; the workers exit once the queued ones are done."""
        self._core.close()

    def terminate(self) -> None:
        """Stop the workers now; tasks not finished fail with ``ProcessError``."""
        self._core.terminate()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the workers to exit, after ``close()`` or ``terminate()``."""
        self._core.join(timeout)

    def __enter__(self) -> Pool:  # noqa: PYI034 (Self needs 3.11)
        if self._core.state != _RUN:
            raise ValueError("the pool is not running")
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()

    def __reduce__(self) -> Any:
        raise NotImplementedError(
            "a pool cannot be pickled or sent to another process: use it only in the "
            "process that created it"
        )

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} processes={self._core.processes} "
                f"state={self._core.state} start_method={self._ctx.get_start_method()!r}>")

    # -- the stdlib spellings -------------------------------------------------------------

    apply_async = applyAsync
    map_async = mapAsync
    starmap_async = starmapAsync
    imap_unordered = imapUnordered


def _check_chunksize(chunksize: Any) -> None:
    if not isinstance(chunksize, int) or chunksize < 1:
        raise ValueError(f"chunksize must be a positive integer, not {chunksize!r}")
