"""Process-shared queues: ``Queue``, ``BufferedQueue``, ``JoinableQueue`` and ``SimpleQueue``.

A queue is a pipe plus a feeder thread in the putting process, so ``put()`` returns before
the data is written; the feeder is flushed when the process exits, so an object put just
before exit is never lost. Unlike the stdlib's feeder, which pickles and writes each object
on its own, ours takes everything buffered so far, pickles it with one reused pickler and
writes it in one ``write()`` under one acquire of the write lock.

Readers share a *read buffer*, a small shared-memory area used under the read lock: a
reader takes its frames from the buffer and, when it needs more, fills the buffer with one
``read()`` of whatever the pipe holds (up to 64 KiB), so a ``get()`` costs one system call
per many objects instead of two per object, and what one reader read stays available to
every reader, in order. ``putMany()`` sends its objects as *batch frames* (one frame whose
payload is a count and the frames of many pickles): a ``getMany()`` that wants all of a
batch copies it out in one piece, else the buffer unwraps it; a frame too big for the
buffer is read straight into its own bytes by the reader that takes it.
"""

from __future__ import annotations

import ctypes
import errno
import io
import os
import queue as _queue_module
import select
import struct
import sys
import threading
import time
import weakref
from collections.abc import Iterable
from multiprocessing import context as _stdlib_context
from multiprocessing import queues as _stdlib
from multiprocessing import sharedctypes, util
from multiprocessing.synchronize import SEM_VALUE_MAX
from queue import Empty, Full
from typing import Any

from processing.synchronize import InheritOnly, check_inheriting

__all__ = ["BufferedQueue", "Empty", "Full", "JoinableQueue", "Queue", "SimpleQueue"]

_ForkingPickler = _stdlib_context.reduction.ForkingPickler
_HEADER = struct.Struct("!i")  # the stdlib's frame header: payload length, big-endian
_LONG_HEADER = struct.Struct("!Q")  # after a header of -1, for payloads of 2 GiB or more
_PENDING_HEADER = struct.Struct("II")  # start and end of the unread bytes in the read buffer
_BASE = _PENDING_HEADER.size  # where the read buffer's bytes begin
_BATCH = b"B"  # first byte of a batch frame; a pickle starts with PROTO (0x80) instead
_BATCH_BYTE = _BATCH[0]
_COUNT = struct.Struct("!I")  # after _BATCH: how many pickles the batch frame holds
_BATCH_HEAD = len(_BATCH) + _COUNT.size

#: Largest batch frame; also the size of the shared read buffer.
_BATCH_BYTES = 64 * 1024
#: The feeder writes at most this much per ``write()`` (bigger objects go alone).
_WRITE_BYTES = 256 * 1024
#: The feeder takes at most this many buffered puts per round.
_RUN_ITEMS = 4096
_POSIX = sys.platform != "win32"


class _Many(list):
    """The objects of one ``putMany()`` call, as one item of the feeder's buffer."""


_sentinel = object()


# ------------------------------------------------------------------------- the feeder side


class _Encoder:
    """Pickles objects with one reused ``ForkingPickler`` (creating one per object, as
    ``ForkingPickler.dumps`` does, costs more than pickling a small object)."""

    def __init__(self) -> None:
        self._buf = io.BytesIO()
        self._pickler = _ForkingPickler(self._buf)

    def dumps(self, obj: Any) -> bytes:
        buf = self._buf
        buf.seek(0)
        buf.truncate()
        try:
            self._pickler.dump(obj)
        finally:
            self._pickler.clear_memo()
        return buf.getvalue()

    def dump_batch(self, objs: list[Any], onerror: Any, queue_sem: Any) -> tuple[list[bytes], int]:
        """The payloads of ``objs`` as batch frames of at most ``_BATCH_BYTES`` (a lone pickle
        as a plain frame) and how many were pickled. All are pickled into one buffer, with
        the memo cleared between objects so that they share no identity, as with ``put()``;
        one that cannot be pickled is reported and counted out."""
        buf, pickler = self._buf, self._pickler
        dump, clear_memo, tell, write = pickler.dump, pickler.clear_memo, buf.tell, buf.write
        payloads: list[bytes] = []
        starts: list[int] = []  # where each pickle's frame header is in ``buf``
        count = 0
        buf.seek(0)
        buf.truncate()
        write(_BATCH + bytes(_COUNT.size))
        for obj in objs:
            at = tell()
            write(b"\0\0\0\0")
            try:
                dump(obj)
            except Exception as exc:  # noqa: BLE001 (any pickling error is the caller's)
                buf.seek(at)
                buf.truncate()
                queue_sem.release()
                onerror(exc, obj)
                continue
            finally:
                clear_memo()
            count += 1
            if tell() > _BATCH_BYTES and starts:  # does not fit: close the batch before it
                rest = buf.getvalue()[at:]
                payloads.append(_close_batch(buf, starts, at))
                buf.seek(0)
                buf.truncate()
                write(_BATCH + bytes(_COUNT.size))
                write(rest)
                starts = []
                at = _BATCH_HEAD
            starts.append(at)
        if starts:
            payloads.append(_close_batch(buf, starts, tell()))
        return payloads, count


def _close_batch(buf: io.BytesIO, starts: list[int], end: int) -> bytes:
    """The batch frame payload of the pickles at ``starts`` in ``buf`` (ending at ``end``),
    their frame headers filled in; a lone pickle as itself."""
    if len(starts) == 1:
        return buf.getvalue()[starts[0] + 4 : end]
    pack_into = _HEADER.pack_into
    with buf.getbuffer() as view:
        _COUNT.pack_into(view, len(_BATCH), len(starts))
        for at, nxt in zip(starts, [*starts[1:], end]):
            pack_into(view, at, nxt - at - 4)
    return buf.getvalue()[:end]


def _frame(payload: bytes) -> bytes:
    n = len(payload)
    return _HEADER.pack(n) if n < 0x7FFFFFFF else _HEADER.pack(-1) + _LONG_HEADER.pack(n)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Writer:
    """Writes frame payloads to the queue's pipe: coalesced into few ``write()`` calls under
    the write lock on POSIX; one message each on Windows (message-mode pipes)."""

    def __init__(self, writer: Any, wlock: Any) -> None:
        self._writer = writer
        self._wlock = wlock

    def write(self, payloads: list[bytes]) -> None:
        if not _POSIX:
            for payload in payloads:
                self._writer.send_bytes(payload)
            return
        fd = self._writer.fileno()
        with self._wlock:
            parts: list[bytes] = []
            size = 0
            for payload in payloads:
                if len(payload) >= _WRITE_BYTES:
                    if parts:
                        _write_all(fd, b"".join(parts))
                        parts, size = [], 0
                    _write_all(fd, _frame(payload))
                    _write_all(fd, payload)
                    continue
                parts += (_frame(payload), payload)
                size += len(payload)
                if size >= _WRITE_BYTES:
                    _write_all(fd, b"".join(parts))
                    parts, size = [], 0
            if parts:
                _write_all(fd, b"".join(parts))


def _feed(buffer: Any, writer: _Writer, reader_close: Any, writer_close: Any,
          ignore_epipe: bool, onerror: Any, queue_sem: Any) -> None:
    """The feeder thread: pickle and write whatever has been put, until the sentinel."""
    get, get_nowait = buffer.get, buffer.get_nowait
    while True:
        run = [get()]
        try:
            while len(run) < _RUN_ITEMS:
                run.append(get_nowait())
        except Empty:
            pass
        encoder = _Encoder()
        payloads: list[bytes] = []
        items = 0
        stop = False
        for item in run:
            if item is _sentinel:
                stop = True
                break
            if type(item) is _Many:
                batches, count = encoder.dump_batch(item, onerror, queue_sem)
                payloads += batches
                items += count
            else:
                pickled = _encode(encoder, item, onerror, queue_sem)
                if pickled is not None:
                    payloads.append(pickled)
                    items += 1
        try:
            if payloads:
                writer.write(payloads)
        except Exception as exc:  # noqa: BLE001 (reported like the stdlib's feeder does)
            if ignore_epipe and getattr(exc, "errno", 0) == errno.EPIPE:
                return
            if util.is_exiting():
                util.info("error in queue thread: %s", exc)
                return
            # The objects were not sent: count them out of the queue, as the stdlib does.
            for _ in range(items):
                queue_sem.release()
            onerror(exc, None)
        if stop:
            util.debug("feeder thread got sentinel -- exiting")
            reader_close()
            writer_close()
            return


def _encode(encoder: _Encoder, obj: Any, onerror: Any, queue_sem: Any) -> bytes | None:
    """Pickle one object; one that cannot be pickled is reported and counted out."""
    try:
        return encoder.dumps(obj)
    except Exception as exc:  # noqa: BLE001 (any pickling error is the caller's, reported)
        queue_sem.release()
        onerror(exc, obj)
        return None


# ------------------------------------------------------------------------- the reader side


def _loads_all(chunks: list[Any]) -> list[Any]:
    """Unpickle what ``Queue._take`` returned: a pickle on its own, or the frames of a batch
    and their number. Each object gets its own ``loads()``: an unpickler reused across
    them keeps its memo count, which would break objects that refer to themselves."""
    loads = _ForkingPickler.loads
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


class Queue(_stdlib.Queue):
    """A FIFO queue for processes. With ``maxsize`` > 0, ``put()`` blocks while it is full."""

    def __init__(self, maxsize: int = 0, *, ctx: Any) -> None:
        self._pending = sharedctypes.RawArray(ctypes.c_char, _PENDING_HEADER.size + _BATCH_BYTES)
        _stdlib.Queue.__init__(self, maxsize, ctx=ctx)

    def __getstate__(self) -> tuple:
        check_inheriting(self)
        return _stdlib.Queue.__getstate__(self) + (self._pending,)

    def __setstate__(self, state: tuple) -> None:
        self._pending = state[-1]
        _stdlib.Queue.__setstate__(self, state[:-1])

    def _reset(self, after_fork: bool = False) -> None:
        self._buffer = _queue_module.SimpleQueue()
        self._start_lock = threading.Lock()
        self._thread = None
        self._jointhread = None
        self._joincancelled = False
        self._closed = False
        self._close = None
        self._poll = self._reader.poll
        self._recv_bytes = self._reader.recv_bytes
        self._fd = self._reader.fileno()
        self._view = memoryview(self._pending).cast("B")  # type: ignore[arg-type]

    # -- putting ------------------------------------------------------------------------

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        """Put ``obj``; with ``maxsize`` > 0 wait up to ``timeout`` for room, else ``Full``."""
        self._reserve_slot(block, timeout)
        self._buffer.put(obj)

    def _reserve_slot(self, block: bool, timeout: float | None) -> None:
        """Take a free slot for one object (``Full`` if none comes) and start the feeder."""
        if self._closed:
            raise ValueError(f"Queue {self!r} is closed")
        if not self._sem.acquire(block, timeout):
            raise Full
        if self._thread is None:
            self._start_thread()

    def putMany(self, iterable: Iterable[Any]) -> None:
        """Put every object of ``iterable``, in order, as few batch frames."""
        items = _Many(iterable)
        if self._closed:
            raise ValueError(f"Queue {self!r} is closed")
        if self._maxsize < SEM_VALUE_MAX:
            for obj in items:  # a bounded queue makes room one object at a time
                self.put(obj)
            return
        if not items:
            return
        acquire = self._sem.acquire
        for _ in items:
            acquire()
        if self._thread is None:
            self._start_thread()
        self._enqueue_many(items)

    def _enqueue_many(self, items: _Many) -> None:
        self._buffer.put(items)

    def _start_thread(self) -> None:
        with self._start_lock:
            if self._thread is not None:
                return
            thread = threading.Thread(
                target=_feed,
                args=(self._buffer, _Writer(self._writer, self._wlock), self._reader.close,
                      self._writer.close, self._ignore_epipe, self._on_queue_feeder_error,
                      self._sem),
                name="QueueFeederThread",
                daemon=True,
            )
            thread.start()
            if not self._joincancelled:
                self._jointhread = util.Finalize(
                    thread, _stdlib.Queue._finalize_join, [weakref.ref(thread)], exitpriority=-5
                )
            # Tell the feeder to finish when the queue is collected or the process exits.
            self._close = util.Finalize(self, Queue._finalize_close, [self._buffer],
                                        exitpriority=10)
            self._thread = thread

    @staticmethod
    def _finalize_close(buffer: Any) -> None:  # type: ignore[override]
        buffer.put(_sentinel)

    # -- getting ------------------------------------------------------------------------

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """Remove and return the oldest object; wait up to ``timeout``, else ``Empty``."""
        return _ForkingPickler.loads(self._get_pickles(1, block, timeout)[0])

    def getMany(self, max_items: int, block: bool = True,
                timeout: float | None = None) -> list[Any]:
        """Remove and return the oldest objects, at least one and at most ``max_items``:
        waits (up to ``timeout``) only for the first; ``Empty`` if none came."""
        if not isinstance(max_items, int) or max_items < 1:
            raise ValueError(f"max_items must be a positive int, not {max_items!r}")
        return _loads_all(self._get_pickles(max_items, block, timeout))

    def _get_pickles(self, limit: int, block: bool, timeout: float | None) -> list[Any]:
        if self._closed:
            raise ValueError(f"Queue {self!r} is closed")
        if block and timeout is None:
            with self._rlock:
                chunks = self._take(limit)
        else:
            deadline = time.monotonic() + timeout if block and timeout is not None else 0.0
            if not self._rlock.acquire(block, timeout):
                raise Empty
            try:
                if not self._has_pending():
                    wait = max(0.0, deadline - time.monotonic()) if block else 0.0
                    if not self._poll(wait):
                        raise Empty
                chunks = self._take(limit)
            finally:
                self._rlock.release()
        return chunks

    def _has_pending(self) -> bool:
        """Whether the read buffer holds a whole frame (so a get() needs not wait)."""
        view = self._view
        start, end = _PENDING_HEADER.unpack_from(view, 0)
        while end - start >= 4:
            (n,) = _HEADER.unpack_from(view, _BASE + start)
            if n > 0 and end - start >= 4 + _BATCH_HEAD and view[_BASE + start + 4] == _BATCH_BYTE:
                start += 4 + _BATCH_HEAD  # a batch frame: look at its first pickle
                continue
            return 0 <= n <= end - start - 4
        return False

    def _take(self, limit: int) -> list[Any]:
        """Under the read lock: up to ``limit`` pickles from the read buffer, refilled from
        the pipe while more are wanted (waiting only when there is nothing at all), each
        counted out of the queue. A whole batch, when all of it is here and wanted, comes as
        one chunk (see ``_loads_all``): one copy under the lock rather than one per object."""
        view = self._view
        unpack_from = _HEADER.unpack_from
        release = self._sem.release
        start, end = _PENDING_HEADER.unpack_from(view, 0)
        chunks: list[Any] = []
        count = 0
        batch_head = 4 + _BATCH_HEAD  # a batch frame's header and its payload's head
        try:
            while count < limit:
                avail = end - start
                if avail >= 4:
                    at = _BASE + start
                    (n,) = unpack_from(view, at)
                    if n > 0 and avail >= batch_head and view[at + 4] == _BATCH_BYTE:
                        # A batch frame: its payload is the frames of its pickles. Taken
                        # whole when all of it is here and wanted, else frame by frame.
                        (k,) = _COUNT.unpack_from(view, at + 4 + len(_BATCH))
                        if n <= avail - 4 and count + k <= limit:
                            chunks.append((bytes(view[at + batch_head : at + 4 + n]), k))
                            count += k
                            start += 4 + n
                            for _ in range(k):
                                release()
                        else:
                            start += batch_head
                        continue
                    if 0 <= n <= avail - 4:
                        chunks.append(bytes(view[at + 4 : at + 4 + n]))
                        count += 1
                        release()
                        start += 4 + n
                        continue
                    if not 0 <= n <= _BATCH_BYTES - 4:  # this frame cannot fit in the buffer
                        if count:
                            break
                        chunks.append(self._read_big_frame(start, end))
                        count += 1
                        release()
                        start = end = 0
                        continue
                if count and not self._readable_now():
                    break
                if _POSIX:
                    start, end = self._refill(start, end)
                    continue
                # Message-mode pipes: one message at a time; the buffer is empty here, as it
                # only ever holds the whole frames of a batch.
                payload = self._recv_bytes()
                if payload[:1] != _BATCH:
                    chunks.append(payload)
                    count += 1
                    release()
                    continue
                start, end = 0, len(payload) - _BATCH_HEAD
                view[_BASE : _BASE + end] = memoryview(payload)[_BATCH_HEAD:]
        finally:
            _PENDING_HEADER.pack_into(view, 0, *((0, 0) if start == end else (start, end)))
        return chunks

    def _refill(self, start: int, end: int) -> tuple[int, int]:
        """POSIX: read what the pipe holds into the read buffer (waiting for at least a byte)."""
        view = self._view
        if start == end:
            start = end = 0
        elif start and end > _BATCH_BYTES // 2:  # move the unread part to the front for room
            view[_BASE : _BASE + end - start] = view[_BASE + start : _BASE + end]
            start, end = 0, end - start
        got = os.readv(self._fd, [view[_BASE + end : _BASE + _BATCH_BYTES]])
        if not got:
            if start != end:
                raise OSError("got end of file during message")
            raise EOFError
        return start, end + got

    def _read_big_frame(self, start: int, end: int) -> bytes | bytearray:
        """POSIX: the payload of the frame at the front of the read buffer, too big for the
        buffer: the part already read, then the rest straight from the pipe."""
        view = self._view
        while end - start < 4 or (
            _HEADER.unpack_from(view, _BASE + start)[0] == -1 and end - start < 12
        ):
            start, end = self._refill(start, end)
        (n,) = _HEADER.unpack_from(view, _BASE + start)
        head = 4
        if n == -1:
            (n,) = _LONG_HEADER.unpack_from(view, _BASE + start + 4)
            head = 12
        payload = bytearray(n)
        have = end - start - head
        payload[:have] = view[_BASE + start + head : _BASE + end]
        rest = memoryview(payload)[have:]
        while rest:
            got = os.readv(self._fd, [rest])
            if not got:
                raise OSError("got end of file during message")
            rest = rest[got:]
        return payload

    def _readable_now(self) -> bool:
        if not _POSIX:
            return self._poll()
        return bool(select.select([self._reader.fileno()], [], [], 0)[0])

    def empty(self) -> bool:
        return not self._has_pending() and not self._poll()

    # -- the processing 0.52 spellings ----------------------------------------------------

    def putNoWait(self, obj: Any) -> None:
        self.put_nowait(obj)

    def getNoWait(self) -> Any:
        return self.get_nowait()

    def joinThread(self) -> None:
        self.join_thread()

    def cancelJoin(self) -> None:
        self.cancel_join_thread()

    put_many = putMany
    get_many = getMany


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
        self._sem = _ItemCount(ctx)

    def qsize(self) -> int:
        if sys.platform == "darwin":
            raise NotImplementedError("qsize() is not available on macOS (no sem_getvalue)")
        return self._sem.value()

    def full(self) -> bool:
        return False


class JoinableQueue(Queue, _stdlib.JoinableQueue):
    """A ``Queue`` whose ``join()`` waits until ``task_done()`` was called for every item."""

    def __init__(self, maxsize: int = 0, *, ctx: Any) -> None:
        Queue.__init__(self, maxsize, ctx=ctx)
        self._unfinished_tasks = ctx.Semaphore(0)
        self._cond = ctx.Condition()

    def __getstate__(self) -> tuple:
        return Queue.__getstate__(self) + (self._cond, self._unfinished_tasks)

    def __setstate__(self, state: tuple) -> None:
        Queue.__setstate__(self, state[:-2])
        self._cond, self._unfinished_tasks = state[-2:]

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        self._reserve_slot(block, timeout)
        with self._cond:
            self._unfinished_tasks.release()
            self._buffer.put(obj)

    def _enqueue_many(self, items: _Many) -> None:
        with self._cond:
            for _ in items:
                self._unfinished_tasks.release()
            self._buffer.put(items)

    def taskDone(self) -> None:
        self.task_done()


class SimpleQueue(InheritOnly, _stdlib.SimpleQueue):
    """A queue without a feeder thread: ``put()`` writes at once, under a lock."""
