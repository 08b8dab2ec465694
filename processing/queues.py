"""Process-shared queues: ``Queue``, ``BufferedQueue``, ``JoinableQueue`` and ``SimpleQueue``.

A queue is a pipe. ``put()`` pickles the object in the caller, so an object that cannot be
pickled raises there and nothing is queued, then writes its frame (a 4-byte length and the
pickle) straight into the pipe when it can do so without waiting: the pipe's write end is
non-blocking and the write lock is only tried. What cannot be written at once waits in a
backlog for a *feeder* thread, started for it and gone as soon as it is written, so a
process that forks while its queues are idle has no helper thread to warn about (Python
3.12+); during a burst of puts the putting thread also writes the backlog itself, in large
writes (see "the writer side" below). The feeder is flushed when the process exits, so an
object put just before exit is never lost (``cancelJoin()`` opts out). On Linux the pipe
holds 1 MiB.

Readers share a *read buffer*, a small shared-memory area used under the read lock: a
reader takes its frames from the buffer and, when it needs more, fills the buffer with one
``read()`` of whatever the pipe holds (up to 64 KiB), so a ``get()`` costs one system call
per many objects, and what one reader read stays available to every reader, in order.
``putMany()`` sends its objects as *batch frames* (one frame whose payload is a count and
the frames of many pickles), each small enough to fit the read buffer whole: a ``getMany()``
that wants all of a batch copies it out in one piece, else the buffer unwraps it. A frame
too big for the buffer (only ever a single pickle) is read straight into its own bytes.

Nothing waits for ever on another process's behalf: the read and write locks record their
holder (``processing.ownedlock``), reads are bounded by the caller's deadline, and a reader
that finds a writer died in the middle of a frame drops that partial object and resumes.
"""

from __future__ import annotations

import collections
import ctypes
import errno
import io
import os
import select
import struct
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable
from multiprocessing import queues as _stdlib
from multiprocessing import sharedctypes, util
from multiprocessing.synchronize import SEM_VALUE_MAX
from queue import Empty, Full
from typing import Any

from processing import _stdlib as _seam
from processing import _wire
from processing.ownedlock import OwnedLock
from processing.synchronize import InheritOnly, check_inheriting

__all__ = ["BufferedQueue", "Empty", "Full", "JoinableQueue", "Queue", "SimpleQueue"]

_HEADER = _wire.HEADER  # the stdlib's frame header: payload length, big-endian
_LONG_HEADER = _wire.LONG_HEADER  # after a header of -1, for payloads over 2 GiB - 1
_BATCH = b"B"  # first byte of a batch frame; a pickle starts with PROTO (0x80) instead
_BATCH_BYTE = _BATCH[0]
_COUNT = struct.Struct("!I")  # after _BATCH: how many pickles the batch frame holds
_BATCH_HEAD = len(_BATCH) + _COUNT.size

#: The shared state in front of the read buffer: the unread bytes' start and end in the
#: buffer, then a big frame being read (its length, how much of it was read from the pipe,
#: how much of that is saved in the spill file), then the read and write locks' holders.
#: Position and big frame are written together, in one ``pack_into``.
_STATE = struct.Struct("=IIQQQ")
_POSITION = struct.Struct("=II")
_BIG = struct.Struct("=QQQ")
_BIG_AT = _POSITION.size
_HAVE = struct.Struct("=Q")  # the second field of _BIG
_RLOCK_HOLDER_AT = _STATE.size
_WLOCK_HOLDER_AT = _STATE.size + 4
_BASE = _STATE.size + 8  # where the read buffer's bytes begin

#: The read buffer's size; every frame of at most ``_MAX_FRAME`` bytes of payload fits in
#: it whole, header included. Batch frames are never bigger, so a reader always finds a
#: batch's head in the buffer; only a single pickle can be a big frame.
_BUFFER_BYTES = 64 * 1024
_MAX_FRAME = _BUFFER_BYTES - _HEADER.size
#: The most bytes of the backlog one write takes (a pipe's usual capacity): what a
#: non-blocking write can hope to place, in one ``writev`` of whole frames.
_WRITE_BYTES = 64 * 1024
_POSIX = sys.platform != "win32"
#: What a queue's pipe holds, where the system lets it (Linux: ``F_SETPIPE_SZ``).
_PIPE_BYTES = 1 << 20
#: A put within this many seconds of the previous one is part of a burst: it goes to the
#: backlog, whose large writes cost the readers far fewer wake-ups than a write per object.
_BURST_GAP = 0.001
#: During a burst, the putting thread itself writes the backlog each time this many more
#: bytes came in (if no other thread is writing): the feeder, which needs the GIL to write,
#: can wait up to a switch interval (5 ms) for it while the putting thread runs, and the
#: readers would starve meanwhile.
_TRY_EVERY = 16 * 1024
_ONE = (1,)
_BYTES_FRAME = (0, 0, 1)  # the counts of ``_wire.bytes_frame``'s parts (see ``_write_backlog``)
#: How long an idle feeder waits for more before it ends.
_LINGER = 0.05
#: How long a fork waits for a busy feeder to write what it took and end: one that waits
#: for room in the pipe (nobody reads yet) is left running at once, as it must be.
_PAUSE_WAIT = 0.1

_DROPPED = object()  # what a read returns for an object whose writer died mid-frame


class BoundedPutManyError(ValueError, AssertionError):
    """``putMany()`` on a queue with a ``maxsize`` (an ``AssertionError`` in 0.52, a
    ``ValueError`` as Python would raise today: catch either)."""


# ------------------------------------------------------------------------- pickling


def _dump_batch(objs: list[Any]) -> tuple[list[Any], list[int]]:
    """The frames of ``objs`` and the objects each completes: batch frames of at most
    ``_MAX_FRAME`` bytes of payload (a lone pickle as its own frame; a big bytes object as
    ``_wire.bytes_frame``'s parts, not copied). All are pickled into one buffer with this
    thread's pickler, its memo cleared between objects so that they share no identity, as
    with ``put()``. The first that cannot be pickled raises, and then none is sent."""
    state = _wire.borrow_pickler()
    buf, pickler = state
    try:
        dump, clear_memo, tell, write = pickler.dump, pickler.clear_memo, buf.tell, buf.write
        entries: list[Any] = []
        counts: list[int] = []
        starts: list[int] = []  # where each pickle's frame header is in ``buf``

        def close(end: int) -> None:
            frame, count = _close_batch(buf, starts, end)
            entries.append(frame)
            counts.append(count)
            starts.clear()

        write(_BATCH_START)
        for obj in objs:
            if type(obj) is bytes and len(obj) >= _wire.DIRECT_BYTES:
                if starts:
                    close(tell())
                    buf.seek(0)
                    buf.truncate()
                    write(_BATCH_START)
                entries += _wire.bytes_frame(obj)
                counts += _BYTES_FRAME
                continue
            at = tell()
            write(b"\0\0\0\0")
            try:
                dump(obj)
            finally:
                clear_memo()
            if tell() - _HEADER.size > _MAX_FRAME and starts:  # close the batch before it
                rest = buf.getvalue()[at:]
                close(at)
                buf.seek(0)
                buf.truncate()
                write(_BATCH_START)
                write(rest)
                at = len(_BATCH_START)
            starts.append(at)
        if starts:
            close(tell())
        return entries, counts
    finally:
        _wire.return_pickler(state)


#: How a batch frame begins in the batch buffer: its header (filled in when it is closed),
#: the batch mark and the count.
_BATCH_START = bytes(_HEADER.size) + _BATCH + bytes(_COUNT.size)


def _close_batch(buf: io.BytesIO, starts: list[int], end: int) -> tuple[bytes, int]:
    """The frame of the pickles at ``starts`` in ``buf`` (ending at ``end``), their headers
    filled in: a batch frame, or a lone pickle's own frame."""
    pack_into = _HEADER.pack_into
    n = len(starts)
    if n == 1 and end - starts[0] - _HEADER.size > _wire.SHORT_LIMIT:
        payload = buf.getvalue()[starts[0] + _HEADER.size : end]
        return _wire.frame_header(len(payload)) + payload, 1
    with buf.getbuffer() as view:
        for at, nxt in zip(starts, [*starts[1:], end]):
            pack_into(view, at, nxt - at - _HEADER.size)
        if n > 1:
            pack_into(view, 0, end - _HEADER.size)
            _COUNT.pack_into(view, _HEADER.size + len(_BATCH), n)
    return buf.getvalue()[0 if n > 1 else starts[0] : end], n


# ------------------------------------------------------------------------- the writer side
#
# What a process put and did not yet write waits in its queue's *backlog*: whole frames (a
# put's, or a batch's), or the parts of one frame, the last completing it, each with the
# number of objects it completes (0 for a part that is not a frame's last). The rest of a
# part cut by a short write goes back to the front. Whoever holds the queue's *writer token*
# (a thread lock) may take entries from the front and write them: the putting thread,
# without waiting, once enough has come in since it last tried, and the feeder, which waits
# for room in the pipe without the token, so that a putting thread that holds the GIL never
# waits for the feeder to get it. The process-shared write lock is held from a frame's first
# byte to its last.


#: The queues of this process whose feeder runs, and those paused for a fork under way.
_feeding: weakref.WeakSet[Queue] = weakref.WeakSet()
_paused_for_fork: list[Queue] = []


def _before_fork() -> None:
    """Let every feeder of this process write what it has begun, then end, so that a fork
    sees no thread of ours (Python 3.12+ warns about forking a multi-threaded process)."""
    for queue in list(_feeding):
        queue._pause_feeder()
        _paused_for_fork.append(queue)


def _after_fork_in_parent() -> None:
    while _paused_for_fork:
        _paused_for_fork.pop()._resume_feeder()


def _after_fork_in_child() -> None:
    # A child started by processing resets its queues (``Queue._reset_state``); this is for a
    # bare ``os.fork()``, whose child must not find its queues paused.
    while _paused_for_fork:
        _paused_for_fork.pop()._paused = False


if _POSIX:
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)

def _grow_pipe(fd: int) -> None:
    """Linux: make the pipe hold ``_PIPE_BYTES``, so that a writer puts several big frames in
    it without waiting and a reader takes them with fewer reads and far fewer wake-ups than
    with the default 64 KiB (an unprivileged process may be refused: it keeps the default)."""
    if sys.platform.startswith("linux"):
        import fcntl

        try:
            fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
        except OSError:
            pass


# ------------------------------------------------------------------------- the reader side


def _loads_all(chunks: list[Any]) -> list[Any]:
    """Unpickle what ``Queue._take`` returned: a pickle on its own, or the frames of a batch
    and their number. Each object gets its own ``loads()``: an unpickler reused across
    them keeps its memo count, which would break objects that refer to themselves."""
    loads = _wire.loads
    unpack_from = _HEADER.unpack_from
    out: list[Any] = []
    append = out.append
    for chunk in chunks:
        if type(chunk) is not tuple:
            append(loads(chunk))
            continue
        data, count = chunk
        at = 0
        for _ in range(count):
            (n,) = unpack_from(data, at)
            at += 4 + n
            append(loads(data[at - n : at]))
    return out


class Queue(_seam.QueueBase):
    """A FIFO queue for processes. With ``maxsize`` > 0, ``put()`` blocks while it is full.

    ``get(timeout=t)`` returns or raises ``Empty`` within ``t`` seconds whatever other
    processes do: a reader killed while holding the read lock is detected and its lock
    released (every object fully written is still got, once); a writer killed in the middle
    of an object leaves a partial frame that the next reader drops (that object was never
    put whole). A big object whose reading a timeout interrupts is kept, in a spill file in
    the temporary directory, for the next reader to finish.
    """

    def __init__(self, maxsize: int = 0, *, ctx: Any) -> None:
        self._state = sharedctypes.RawArray(ctypes.c_char, _BASE + _BUFFER_BYTES)
        self._repair = ctx.Lock()
        self._spill_path = os.path.join(
            tempfile.gettempdir(), f"processing-queue-{os.getpid()}-{id(self):x}.part")
        _stdlib.Queue.__init__(self, maxsize, ctx=ctx)
        _grow_pipe(self._wfd)

    def __getstate__(self) -> tuple:
        check_inheriting(self)
        return _seam.queue_state(self, (self._state, self._repair, self._spill_path))

    def __setstate__(self, state: tuple) -> None:
        stdlib_state, (self._state, self._repair, self._spill_path) = (
            _seam.split_queue_state(state, 3))
        _seam.restore_queue_state(self, stdlib_state)

    def _reset_state(self) -> None:
        # The stdlib's fields, under names of ours (set again here after every unpickling).
        (self._in_conn, self._out_conn, self._read_lock, self._write_lock, self._room,
         self._bound, self._drop_epipe) = _seam.queue_fields(self)
        self._feed_lock = threading.Lock()
        # The backlog (see "the writer side" above): entries, and the objects each completes.
        self._backlog: collections.deque[Any] = collections.deque()
        self._counts: collections.deque[int] = collections.deque()
        self._token = threading.Lock()  # held by the thread that writes the backlog
        self._mid_frame = False  # the write lock is held: the backlog's front is a cut frame
        self._since_try = 0  # bytes put since the putting thread last tried to write
        self._feeder: threading.Thread | None = None
        self._exit_flush: Any = None
        self._last_send = 0.0
        self._wake = threading.Lock()  # released to wake a waiting feeder
        self._wake.acquire()
        self._feeder_waits = False
        self._blocked = False  # the feeder waits for room in the pipe
        self._paused = False
        self._linger = _LINGER
        self._join_cancelled = False
        self._is_closed = False
        self._close_when_idle = False
        self._poll_pipe = self._in_conn.poll
        self._recv_message = self._in_conn.recv_bytes
        self._fd = self._in_conn.fileno()
        self._wfd = self._out_conn.fileno()
        if _POSIX:  # every reader and writer of the pipe is ours, and none may wait in it
            os.set_blocking(self._fd, False)
            os.set_blocking(self._wfd, False)
        self._view = memoryview(self._state).cast("B")  # type: ignore[arg-type]
        self._reading = OwnedLock(self._read_lock, self._repair, self._view, _RLOCK_HOLDER_AT)
        # A writer that dies inside a frame leaves the pipe cut: only a reader, once it read
        # all that writer wrote, may release its lock (see ``_wait_readable``).
        self._writing = (OwnedLock(self._write_lock, self._repair, self._view, _WLOCK_HOLDER_AT,
                                   waiters_repair=False)
                         if self._write_lock is not None else None)

    # -- putting ------------------------------------------------------------------------

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        """Put ``obj``; with ``maxsize`` > 0 wait up to ``timeout`` for room, else ``Full``.
        An object that cannot be pickled raises here, and is not put."""
        if self._is_closed:
            raise ValueError(f"Queue {self!r} is closed")
        if type(obj) is bytes and len(obj) >= _wire.DIRECT_BYTES:
            entries, counts = _wire.bytes_frame(obj), _BYTES_FRAME  # the object, not a copy
        else:
            entries, counts = (_wire.dumps_framed(obj),), _ONE
        if not self._room.acquire(block, timeout):
            raise Full
        if self._counts_tasks:
            self._accept(1)
        self._send(entries, counts)

    _counts_tasks = False  # whether ``_accept`` must count puts in (``JoinableQueue``)

    def _accept(self, count: int) -> None:
        """Count ``count`` objects in, once they are sure to be sent (``JoinableQueue``)."""

    def _check_open(self) -> None:
        if self._is_closed:
            raise ValueError(f"Queue {self!r} is closed")

    def putMany(self, iterable: Iterable[Any]) -> None:
        """Put every object of ``iterable``, in order, as few batch frames. Only for an
        unbounded queue (as in processing 0.52); all are pickled first, so one that cannot
        be pickled raises here and none of them is put."""
        self._check_open()
        if self._bound < SEM_VALUE_MAX:
            raise BoundedPutManyError(
                f"putMany() is for unbounded queues and this one has maxsize={self._bound}:"
                " put its objects one at a time with put(), which waits for room")
        items = list(iterable)
        if not items:
            return
        entries, counts = _dump_batch(items)
        acquire = self._room.acquire
        for _ in items:
            acquire()
        self._accept(len(items))
        self._send(entries, counts)

    def _send(self, entries: Any, counts: Any) -> None:
        """Add ``entries`` (``counts``: the objects each completes) to the backlog,
        and write what the pipe takes of it now, if nothing else is writing and either no
        burst of puts is under way or enough came in since the last try; the rest is the
        feeder's, which is started (or woken) for it."""
        with self._feed_lock:
            self._backlog.extend(entries)
            self._counts.extend(counts)
            if self._feeder is not None:  # a burst: the feeder writes, or this thread helps
                self._since_try += (len(entries[0]) if len(entries) == 1
                                    else sum(map(len, entries)))
                if self._since_try < _TRY_EVERY or not _POSIX:
                    if self._feeder_waits:
                        self._wake_feeder()
                    return
                self._since_try = 0
            else:
                now = time.monotonic()
                idle = now - self._last_send > _BURST_GAP and len(self._backlog) == len(entries)
                self._last_send = now
                if not (idle and _POSIX):
                    if not self._paused:
                        self._start_feeder()
                    return
        if self._token.acquire(False):
            try:
                if self._write_backlog(False):
                    return
            except Exception as exc:  # noqa: BLE001 (reported as the feeder reports it)
                self._write_failed(exc)
            finally:
                self._token.release()
        with self._feed_lock:
            if self._feeder is None:
                if self._backlog and not self._paused:
                    self._start_feeder()
            elif self._feeder_waits:
                self._wake_feeder()

    def _write_backlog(self, wait: bool) -> bool:
        """Holding the writer token: write the backlog, in order, while the pipe takes it
        without waiting. True once the backlog is empty; False when the pipe is full or,
        unless ``wait``, another process holds the write lock. A write that fails counts
        its objects out of the queue and raises."""
        backlog, counts, fd, limit = self._backlog, self._counts, self._wfd, _wire.IOV_MAX
        while True:
            with self._feed_lock:
                if not backlog:
                    return True
                parts = [backlog.popleft()]
                objs = [counts.popleft()]
                size = len(parts[0])
                while backlog and size < _WRITE_BYTES and len(parts) < limit:
                    size += len(backlog[0])
                    parts.append(backlog.popleft())
                    objs.append(counts.popleft())
            if not self._mid_frame and not (
                    self._writing.acquire() if wait else self._writing.acquire_nowait()):
                self._put_back(parts, objs)
                return False
            try:
                written = _wire.write_some(fd, parts)
            except BaseException:
                self._mid_frame = False
                self._writing.release()
                for _ in range(sum(objs)):
                    self._room.release()
                raise
            done = 0
            while done < len(parts) and written >= len(parts[done]):
                written -= len(parts[done])
                done += 1
            if done or written:
                # Cut inside a part, or after a part that completes no object (the head of a
                # frame written from several parts): the frame goes on.
                self._mid_frame = written > 0 or objs[done - 1] == 0
            if not self._mid_frame:
                self._writing.release()
            if done < len(parts):
                if written:
                    parts[done] = memoryview(parts[done]).cast("B")[written:]
                self._put_back(parts[done:], objs[done:])
                return False

    def _put_back(self, parts: list[Any], objs: list[int]) -> None:
        """Return the unwritten ``parts`` to the front of the backlog."""
        with self._feed_lock:
            self._backlog.extendleft(reversed(parts))
            self._counts.extendleft(reversed(objs))

    def _write_failed(self, exc: Exception) -> None:
        """Report a write that failed (its objects were counted out), as the stdlib's feeder
        does."""
        if self._drop_epipe and getattr(exc, "errno", 0) == errno.EPIPE:
            return
        if util.is_exiting():
            util.info("error in queue thread: %s", exc)
            return
        _seam.report_feeder_error(self, exc)

    def _start_feeder(self) -> None:
        """Under the feed lock: start a feeder for the backlog (see ``_feed``)."""
        thread = threading.Thread(target=self._feed_backlog, name="QueueFeederThread", daemon=True)
        self._feeder = thread
        self._since_try = 0
        _feeding.add(self)
        thread.start()
        if self._exit_flush is None and not self._join_cancelled:
            # At exit, wait for the feeder to write what was put (the stdlib's promise).
            self._exit_flush = util.Finalize(self, Queue._flush_at_exit,
                                             [weakref.ref(self)], exitpriority=-5)

    @staticmethod
    def _flush_at_exit(queue_ref: Any) -> None:
        queue = queue_ref()
        thread = queue._feeder if queue is not None else None
        if thread is not None and not queue._join_cancelled:
            util.debug("joining queue feeder thread")
            with queue._feed_lock:
                queue._linger = 0.0
                queue._wake_feeder()
            thread.join()

    def _wake_feeder(self) -> None:
        """Under the feed lock: wake the feeder if it waits for more."""
        if self._feeder_waits:
            self._feeder_waits = False
            self._wake.release()

    def _feed_backlog(self) -> None:
        """The feeder thread: write the backlog, in order; when it is empty, wait a moment
        for more (a burst of puts), then end. It ends sooner when a fork is coming."""
        lock, wake = self._feed_lock, self._wake
        while True:
            with lock:
                if not self._backlog and not self._paused and self._linger:
                    self._feeder_waits = True
                    lock.release()
                    try:
                        wake.acquire(True, self._linger)
                    finally:
                        lock.acquire()
                    if self._feeder_waits:  # timed out, nobody woke it
                        self._feeder_waits = False
                    else:
                        wake.acquire(False)  # consume a wake-up that raced the timeout
                if not self._backlog or self._paused:
                    self._feeder = None
                    _feeding.discard(self)
                    if self._close_when_idle and not self._backlog:
                        self._close_pipe()
                    return
            try:
                if not _POSIX:
                    self._send_messages()
                    continue
                with self._token:
                    flushed = self._write_backlog(True)
                if not flushed:
                    self._wait_for_room()
            except Exception as exc:  # noqa: BLE001 (reported like the stdlib's feeder does)
                self._write_failed(exc)

    def _wait_for_room(self) -> None:
        """Wait until the pipe takes more, or the backlog is gone (written by a putting
        thread): the feeder waits without the writer token."""
        step = 0.02
        self._blocked = True
        try:
            while self._backlog and not select.select([], [self._wfd], [], step)[1]:
                step = min(step * 2, 0.5)
        finally:
            self._blocked = False

    def _send_messages(self) -> None:
        """Windows (message-mode pipes): send the backlog's frames as one message each."""
        with self._feed_lock:
            entries, objs = list(self._backlog), sum(self._counts)
            self._backlog.clear()
            self._counts.clear()
        try:
            payloads, _, _ = _wire.split_frames(b"".join(entries))
            for payload in payloads:
                self._out_conn.send_bytes(payload)
        except BaseException:
            for _ in range(objs):
                self._room.release()
            raise

    def _pause_feeder(self) -> None:
        """Before a fork: end the feeder once it wrote what it took (bounded: a feeder that
        cannot write, because nobody reads yet, is left running)."""
        with self._feed_lock:
            thread = self._feeder
            if thread is None:
                return
            self._paused = True
            self._wake_feeder()
        deadline = time.monotonic() + _PAUSE_WAIT
        while thread.is_alive() and not self._blocked and time.monotonic() < deadline:
            thread.join(0.005)

    def _resume_feeder(self) -> None:
        with self._feed_lock:
            self._paused = False
            if self._feeder is None and self._backlog:
                self._start_feeder()

    def close(self) -> None:
        """No more puts from this process; the pipe closes once the feeder wrote its backlog."""
        self._is_closed = True
        with self._feed_lock:
            if self._feeder is None:
                self._close_pipe()
            else:
                self._close_when_idle = True
                self._linger = 0.0  # nothing more will come
                self._wake_feeder()

    def _close_pipe(self) -> None:
        self._in_conn.close()
        self._out_conn.close()

    def join_thread(self) -> None:
        """After ``close()``: wait until the feeder wrote everything this process put."""
        util.debug("Queue.join_thread()")
        assert self._is_closed, f"Queue {self!r} not closed"
        thread = self._feeder
        if thread is not None and not self._join_cancelled:
            thread.join()

    def cancel_join_thread(self) -> None:
        """Do not wait for the feeder at exit (what was not yet written may be lost)."""
        util.debug("Queue.cancel_join_thread()")
        self._join_cancelled = True
        if self._exit_flush is not None:
            self._exit_flush.cancel()

    def _close_broken(self) -> None:
        self._in_conn.close()
        self.cancel_join_thread()
        self.close()

    # -- getting ------------------------------------------------------------------------

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """Remove and return the oldest object; wait up to ``timeout``, else ``Empty``
        (never longer, whatever other processes do: see the class docstring)."""
        return _wire.loads(self._get_pickles(1, block, timeout)[0])

    def getMany(self, max_items: int, block: bool = True,
                timeout: float | None = None) -> list[Any]:
        """Remove and return the oldest objects, at least one and at most ``max_items``:
        waits (up to ``timeout``) only for the first; ``Empty`` if none came."""
        if not isinstance(max_items, int) or max_items < 1:
            raise ValueError(f"max_items must be a positive int, not {max_items!r}")
        return _loads_all(self._get_pickles(max_items, block, timeout))

    def _get_pickles(self, limit: int, block: bool, timeout: float | None) -> list[Any]:
        if self._is_closed:
            raise ValueError(f"Queue {self!r} is closed")
        if block and timeout is None:  # the common case, kept short
            reading = self._reading
            if not reading.acquire_nowait():
                reading.acquire()
            try:
                return self._take(limit, None)
            finally:
                reading.release()
        if not block:
            deadline: float | None = 0.0
        elif timeout is None:
            deadline = None
        else:
            deadline = time.monotonic() + max(timeout, 0.0)
        if not self._reading.acquire(deadline):
            raise Empty
        try:
            chunks = self._take(limit, deadline)
        finally:
            self._reading.release()
        if not chunks:
            raise Empty
        return chunks

    def _has_pending(self) -> bool:
        """Whether the read buffer holds a whole frame (so a get() needs not wait)."""
        view = self._view
        start, end = _POSITION.unpack_from(view, 0)
        while end - start >= 4:
            (n,) = _HEADER.unpack_from(view, _BASE + start)
            if n > 0 and end - start >= 4 + _BATCH_HEAD and view[_BASE + start + 4] == _BATCH_BYTE:
                start += 4 + _BATCH_HEAD  # a batch frame: look at its first pickle
                continue
            return 0 <= n <= end - start - 4
        return False

    def _take(self, limit: int, deadline: float | None) -> list[Any]:
        """Under the read lock: up to ``limit`` pickles from the read buffer, refilled from
        the pipe while more are wanted (waiting, until ``deadline``, only when there is
        nothing at all), each counted out of the queue. A whole batch, when all of it is
        here and wanted, comes as one chunk (see ``_loads_all``): one copy under the lock
        rather than one per object. The shared position is written after every step, so a
        reader killed at any point leaves the buffer as it found it or one object on."""
        view = self._view
        unpack_from = _HEADER.unpack_from
        store = _POSITION.pack_into
        release = self._room.release
        chunks: list[Any] = []
        count = 0
        if _BIG.unpack_from(view, _BIG_AT)[0]:  # a big frame that a reader began
            payload = self._finish_big_frame(deadline)
            if payload is None:
                return chunks
            release()
            if payload is not _DROPPED:
                chunks.append(payload)
                count = 1
        start, end = _POSITION.unpack_from(view, 0)
        batch_head = 4 + _BATCH_HEAD  # a batch frame's header and its payload's head
        while count < limit:
            avail = end - start
            if avail >= 4:
                at = _BASE + start
                (n,) = unpack_from(view, at)
                if n > 0 and avail >= batch_head and view[at + 4] == _BATCH_BYTE:
                    # A batch frame: its payload is the frames of its pickles. Taken whole
                    # when all of it is here and wanted, else unwrapped: its frames follow.
                    (k,) = _COUNT.unpack_from(view, at + 4 + len(_BATCH))
                    if n <= avail - 4 and count + k <= limit:
                        chunks.append((bytes(view[at + batch_head : at + 4 + n]), k))
                        count += k
                        start += 4 + n
                        store(view, 0, start, end)
                        for _ in range(k):
                            release()
                    else:
                        start += batch_head
                        store(view, 0, start, end)
                    continue
                if 0 <= n <= avail - 4:
                    chunks.append(bytes(view[at + 4 : at + 4 + n]))
                    count += 1
                    start += 4 + n
                    store(view, 0, start, end)
                    release()
                    continue
                if not 0 <= n <= _MAX_FRAME and (n != -1 or avail >= 4 + _LONG_HEADER.size):
                    # A frame too big for the buffer (its header whole): read on its own.
                    if count:
                        break
                    payload = self._read_big_frame(start, end, deadline)
                    if payload is None:
                        break
                    release()
                    if payload is not _DROPPED:
                        chunks.append(payload)
                        count += 1
                    start, end = _POSITION.unpack_from(view, 0)
                    continue
            if not _POSIX:
                message = self._receive_message(count, deadline)
                if message is None:
                    break
                if message is not True:  # a lone pickle
                    chunks.append(message)
                    count += 1
                    release()
                    continue
                start, end = _POSITION.unpack_from(view, 0)
                continue
            filled = self._refill(start, end, deadline if not count else 0.0)
            if filled is None:
                break
            start, end = filled
        return chunks

    def _receive_message(self, count: int, deadline: float | None) -> Any:
        """Windows (message-mode pipes): the next message, a lone pickle, or True when it
        was a batch, whose frames are now in the read buffer; None if none came by
        ``deadline`` (at once, once something was taken). The buffer is empty here: it only
        ever holds the frames of one batch."""
        wait = 0.0 if count else (None if deadline is None else deadline - time.monotonic())
        if not self._poll_pipe(wait if wait is None else max(wait, 0.0)):
            return None
        payload = self._recv_message()
        if payload[:1] != _BATCH:
            return payload
        end = len(payload) - _BATCH_HEAD
        self._view[_BASE : _BASE + end] = memoryview(payload)[_BATCH_HEAD:]
        _POSITION.pack_into(self._view, 0, 0, end)
        return True

    def _refill(self, start: int, end: int, deadline: float | None) -> tuple[int, int] | None:
        """POSIX: read what the pipe holds into the read buffer, waiting until ``deadline``
        for a first byte; the new position, or None if nothing came in time. A partial
        frame whose writer died is dropped while waiting (see ``_wait_readable``)."""
        view = self._view
        if start == end:
            start = end = 0
        elif start and end > _BUFFER_BYTES // 2:  # move the unread part to the front for room
            view[_BASE : _BASE + end - start] = view[_BASE + start : _BASE + end]
            start, end = 0, end - start
        _POSITION.pack_into(view, 0, start, end)
        while True:
            got = _wire.read_some(self._fd, view[_BASE + end : _BASE + _BUFFER_BYTES])
            if got is None:
                ready = self._wait_readable(deadline)
                if ready is False:
                    return None
                if ready is _DROPPED and start != end:
                    util.info("queue: dropped %d bytes of a frame whose writer died", end - start)
                    start = end = 0
                    _POSITION.pack_into(view, 0, 0, 0)
                continue
            if not got:
                if start != end:
                    raise OSError("got end of file during message")
                raise EOFError
            end += got
            _POSITION.pack_into(view, 0, start, end)
            return start, end

    def _wait_readable(self, deadline: float | None) -> Any:
        """Wait until the pipe is readable (True) or ``deadline`` passed (False). While it
        waits, a dead holder of the write lock is looked for: once it is dead and the pipe
        is empty, that writer can add nothing more, so its lock is released and ``_DROPPED``
        returned, for the caller to drop what it left of its frame (every frame before it
        was whole: the write lock is held from a frame's first byte to its last)."""
        step = 0.02
        fd = self._fd
        while True:
            wait = step if deadline is None else min(step, deadline - time.monotonic())
            if wait <= 0:
                return False
            if select.select([fd], [], [], wait)[0]:
                return True
            dead = self._writing.dead_holder()
            if dead:
                if select.select([fd], [], [], 0)[0]:  # it wrote more before it died
                    return True
                if self._writing.release_for(dead):
                    return _DROPPED
            step = min(step * 2, 0.5)

    def _read_big_frame(self, start: int, end: int, deadline: float | None) -> Any:
        """POSIX: the payload of the frame at the front of the read buffer (its header
        whole), too big for the buffer: the part already read, then the rest straight from
        the pipe (None if the deadline passed first, the part kept for the next reader;
        ``_DROPPED`` if its writer died before writing all of it)."""
        view = self._view
        (n,) = _HEADER.unpack_from(view, _BASE + start)
        head = 4
        if n == -1:
            (n,) = _LONG_HEADER.unpack_from(view, _BASE + start + 4)
            head = 12
        have = end - start - head
        payload = bytearray(n)
        payload[:have] = view[_BASE + start + head : _BASE + end]
        _STATE.pack_into(view, 0, 0, 0, n, have, 0)  # the frame leaves the buffer for good
        return self._read_rest(payload, have, deadline)

    def _read_rest(self, payload: bytearray, have: int, deadline: float | None) -> Any:
        """Read the rest of a big frame from the pipe into ``payload`` (``have`` bytes of it
        are there); see ``_read_big_frame`` for what it returns."""
        view = self._view
        rest = memoryview(payload)[have:]
        store_have = _HAVE.pack_into
        while rest:
            got = _wire.read_some(self._fd, rest)
            if got is None:
                ready = self._wait_readable(deadline)
                if ready is True:
                    continue
                if ready is _DROPPED:
                    util.info("queue: dropped an object of %d bytes whose writer died after "
                              "%d", len(payload), have)
                    _BIG.pack_into(view, _BIG_AT, 0, 0, 0)
                    return _DROPPED
                self._spill(payload, have)
                return None
            if not got:
                raise OSError("got end of file during message")
            have += got
            rest = rest[got:]
            store_have(view, _BIG_AT + 8, have)
        _BIG.pack_into(view, _BIG_AT, 0, 0, 0)
        return payload

    def _spill(self, payload: bytearray, have: int) -> None:
        """Keep the ``have`` bytes read of a big frame in the spill file for the next reader."""
        with open(self._spill_path, "wb") as spill:
            spill.write(memoryview(payload)[:have])
        _BIG.pack_into(self._view, _BIG_AT, len(payload), have, have)

    def _finish_big_frame(self, deadline: float | None) -> Any:
        """Go on with the big frame another reader began (see ``_read_big_frame``). If that
        reader died holding part of it unsaved, the object died with it: the rest of its
        bytes are read and dropped, and ``_DROPPED`` returned."""
        view = self._view
        n, have, spilled = _BIG.unpack_from(view, _BIG_AT)
        payload = bytearray(n)
        if spilled == have:
            if have:
                try:
                    with open(self._spill_path, "rb") as spill:
                        spill.readinto(memoryview(payload)[:have])
                    os.unlink(self._spill_path)
                except OSError:  # removed by someone else: the part read is lost
                    spilled = 0
                    _BIG.pack_into(view, _BIG_AT, n, have, 0)
            if spilled == have:
                return self._read_rest(payload, have, deadline)
        util.info("queue: a reader died while reading an object of %d bytes: dropping it", n)
        while have < n:
            got = _wire.read_some(self._fd, memoryview(payload)[: n - have])
            if got is None:
                ready = self._wait_readable(deadline)
                if ready is False:
                    return None
                if ready is _DROPPED:
                    break
                continue
            if not got:
                raise OSError("got end of file during message")
            have += got
            _BIG.pack_into(view, _BIG_AT, n, have, spilled)
        _BIG.pack_into(view, _BIG_AT, 0, 0, 0)
        return _DROPPED

    def empty(self) -> bool:
        if _BIG.unpack_from(self._view, _BIG_AT)[0]:
            return False
        return not self._has_pending() and not self._poll_pipe()

    # -- the processing 0.52 spellings, and 0.51's that 0.52 kept ----------------------------

    def putNoWait(self, obj: Any) -> None:
        self.put_nowait(obj)

    def getNoWait(self) -> Any:
        return self.get_nowait()

    def joinThread(self) -> None:
        self.join_thread()

    def cancelJoin(self) -> None:
        self.cancel_join_thread()

    put_many = putMany
    putmany = putMany
    get_many = getMany
    jointhread = joinThread
    canceljoin = cancelJoin


class _ItemCount:
    """Takes the place of a queue's free-slot semaphore but counts items instead: ``put()``
    (its ``acquire``) never waits, ``get()`` (its ``release``) counts one down."""

    def __init__(self, ctx: Any) -> None:
        self._count = ctx.Semaphore(0)

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        self._count.release()
        return True

    def release(self) -> None:
        self._count.acquire(False)

    def value(self) -> int:
        return self._count.get_value()


class BufferedQueue(Queue):
    """A queue whose ``put()`` never blocks, however much is put before anything is got
    (the guarantee the programming guidelines ask for to avoid deadlocks)."""

    def __init__(self, *, ctx: Any) -> None:
        super().__init__(0, ctx=ctx)
        self._room = _ItemCount(ctx)
        _seam.replace_queue_semaphore(self, self._room)

    def qsize(self) -> int:
        if sys.platform == "darwin":
            raise NotImplementedError("qsize() is not available on macOS (no sem_getvalue)")
        return self._room.value()

    def full(self) -> bool:
        return False


class JoinableQueue(Queue, _stdlib.JoinableQueue):
    """A ``Queue`` whose ``join()`` waits until ``task_done()`` was called for every item."""

    def __init__(self, maxsize: int = 0, *, ctx: Any) -> None:
        Queue.__init__(self, maxsize, ctx=ctx)
        self._unfinished = ctx.Semaphore(0)
        self._tasks_cond = ctx.Condition()
        # The stdlib's ``task_done()`` and ``join()`` count with the same two.
        _seam.set_task_counter(self, self._tasks_cond, self._unfinished)

    def __getstate__(self) -> tuple:
        return Queue.__getstate__(self) + (self._tasks_cond, self._unfinished)

    def __setstate__(self, state: tuple) -> None:
        Queue.__setstate__(self, state[:-2])
        self._tasks_cond, self._unfinished = state[-2:]
        _seam.set_task_counter(self, self._tasks_cond, self._unfinished)

    _counts_tasks = True

    def _accept(self, count: int) -> None:
        with self._tasks_cond:
            for _ in range(count):
                self._unfinished.release()

    def taskDone(self) -> None:
        self.task_done()


class SimpleQueue(InheritOnly, _stdlib.SimpleQueue):
    """A queue without a feeder thread: ``put()`` writes at once, under a lock."""
