"""How a pool's messages travel: pickling, frames and batches, and writes that never block.

The one module of the pool that knows the bytes on the wire; the frame header and the
pickler are ``processing._wire``'s, as for connections and queues. A frame is the stdlib's connection message (``!i``
length, or -1 and a ``!Q`` length), so a worker reads it with ``Connection.recv_bytes()``
and writes its results with ``send_bytes()``. A frame to a worker holds a batch of task
pickles, each preceded by its 4-byte little-endian length.

The scheduler's side is made for one thread that must never wait on a worker:
``FrameReader`` takes every result waiting on a connection in one read, and ``Outbox``
writes what the connection accepts now and keeps the rest for when it is writable, so a
worker blocked sending a result never deadlocks with a scheduler sending it a task.
"""

from __future__ import annotations

import collections
import os
import pickle
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from processing import _wire

__all__ = [
    "BLOCKING_SEND_LIMIT",
    "FrameReader",
    "Outbox",
    "PartsDumper",
    "batch_parts",
    "loads",
    "split_batch",
]

loads = pickle.loads

_HEADER = _wire.HEADER
_LONG_HEADER = _wire.LONG_HEADER
#: One read takes at most this much beyond what the message being read still needs.
_READ_SIZE = 65536
#: A frame at least this long is read into a buffer of its own, not cut out of reads.
_BIG_FRAME = 4 * _READ_SIZE
#: Frames smaller than this are joined into one buffer and written with one ``write()``.
_JOIN_BELOW = 65536
#: At most this many buffers go to one ``writev()``.
_MAX_IOV = _wire.IOV_MAX
#: Where writes block (Windows pipes), the largest frame that may be sent to a busy worker:
#: it must fit in the pipe's buffer while the worker is blocked writing a result.
BLOCKING_SEND_LIMIT = 1 << 16


class _Sink:
    """The file a ``PartsDumper``'s pickler writes to: it keeps what it is given."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: Any) -> int:
        # The pickler hands over its frames, and large bytes objects as they are: kept, not
        # copied. Anything mutable is copied, as it could change before it is written.
        self.parts.append(data if type(data) is bytes else bytes(data))
        return len(data)


class PartsDumper:
    """Pickles like ``processing._wire.dumps``, into the list of buffers that make the pickle: a large
    ``bytes`` object in what is pickled is one of them, not a copy. One per thread."""

    def __init__(self) -> None:
        self._sink = _Sink()
        self._pickler = _wire.Pickler(self._sink)

    def __call__(self, obj: Any) -> list[bytes]:
        sink = self._sink
        try:
            self._pickler.dump(obj)
        finally:
            self._pickler.clear_memo()  # as ``_wire.dumps``: keep nothing of ``obj`` alive
            parts, sink.parts = sink.parts, []
        return parts


_frame_header = _wire.frame_header


def batch_parts(pickles: Sequence[Sequence[bytes]]) -> list[bytes]:
    """The payload of one frame carrying ``pickles`` (each as the buffers that make it, as
    ``PartsDumper`` gives them): each after its 4-byte length."""
    parts = []
    for buffers in pickles:
        parts.append(sum(map(len, buffers)).to_bytes(4, "little"))
        parts.extend(buffers)
    return parts


def split_batch(data: Any) -> Iterator[memoryview]:
    """The pickles of one batch frame (the inverse of ``batch_parts``)."""
    view = memoryview(data)
    pos, end = 0, len(view)
    while pos < end:
        size = int.from_bytes(view[pos : pos + 4], "little")
        yield view[pos + 4 : pos + 4 + size]
        pos += 4 + size


class FrameReader:
    """Reads the frames a worker sent on ``conn``, as many as have arrived.

    Small frames are cut out of 64 KiB reads; a large one is read straight into a buffer of
    its size, which is the message handed out (no copy of it in between).
    """

    __slots__ = ("_big", "_buf", "_conn", "_fd", "_got", "_need")

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._fd = conn.fileno()
        self._buf = bytearray()  # the start of a small frame not wholly received
        self._need = 0  # how many more bytes that frame needs
        self._big: bytearray | None = None  # the payload of a large frame being received
        self._got = 0  # how much of it has been

    @property
    def partial(self) -> bool:
        """Whether part of a frame has been read and the rest has not."""
        return bool(self._buf) or self._big is not None

    def read(self) -> list[Any]:
        """The payloads of the frames that have arrived; ``EOFError`` at the end."""
        if sys.platform == "win32":
            return [self._conn.recv_bytes()]
        if self._big is not None:
            return self._read_big(self._big)
        # One read takes every result waiting, where ``recv_bytes()`` would make two reads
        # per result.
        try:
            chunk = os.read(self._fd, max(self._need, _READ_SIZE))
        except BlockingIOError:
            return []
        if not chunk:
            raise EOFError
        data: Any = chunk
        if self._buf:
            self._buf += chunk
            data = self._buf
        messages, pos, end = [], 0, len(data)
        while end - pos >= 4:
            size, head = _HEADER.unpack_from(data, pos)[0], 4
            if size == -1:
                if end - pos < 12:
                    break
                size, head = _LONG_HEADER.unpack_from(data, pos + 4)[0], 12
            if end - pos - head < size:
                if size >= _BIG_FRAME:
                    self._big = bytearray(size)
                    self._got = end - pos - head
                    self._big[: self._got] = memoryview(data)[pos + head : end]
                    pos = end
                else:
                    self._need = head + size - (end - pos)
                break
            messages.append(data[pos + head : pos + head + size])
            pos += head + size
        else:
            self._need = 0
        if data is self._buf:
            del self._buf[:pos]
        elif pos < end:
            self._buf = bytearray(data[pos:])
        return messages

    def _read_big(self, big: bytearray) -> list[Any]:
        try:
            got = os.readv(self._fd, [memoryview(big)[self._got :]])
        except BlockingIOError:
            return []
        if not got:
            raise EOFError
        self._got += got
        if self._got < len(big):
            return []
        self._big = None
        return [big]


class Outbox:
    """Frames on their way to a worker over ``conn``, written as the connection takes them.

    On POSIX the scheduler's end of the connection is made non-blocking: ``send()`` writes
    what fits now, and the scheduler calls ``flush()`` when the connection is writable
    again, or ``flush(block=True)`` when it knows the worker is reading (a wait in the
    kernel costs less than a wake-up of the scheduler for each socket buffer's worth).
    Where writes block (Windows), ``send()`` writes the whole frame, and ``fits_busy()``
    keeps frames that might not fit in the pipe from a busy worker.
    """

    __slots__ = ("_accepted", "_conn", "_fd", "_frames", "_views", "_written", "unsent_tasks")

    blocking = sys.platform == "win32"

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._fd = conn.fileno()
        self._views: collections.deque[memoryview] = collections.deque()
        # Frames not wholly written: (the byte count at their end, the tasks they carry).
        self._frames: collections.deque[tuple[int, int]] = collections.deque()
        self._accepted = 0  # bytes accepted by send(), ever
        self._written = 0  # bytes written, ever
        self.unsent_tasks = 0  # tasks in frames not wholly written
        if not self.blocking:
            os.set_blocking(self._fd, False)

    @property
    def pending(self) -> int:
        """Bytes accepted by ``send()`` and not yet written."""
        return self._accepted - self._written

    def fits_busy(self, size: int) -> bool:
        """Whether a frame of ``size`` bytes may be sent to a worker that is running a task."""
        return not self.blocking or size <= BLOCKING_SEND_LIMIT

    def send(self, parts: list[bytes], tasks: int = 0) -> bool:
        """Send one frame whose payload is ``parts`` joined, carrying ``tasks`` tasks; True
        if it is all written, False if some waits for ``flush()``. ``OSError`` if the
        connection broke."""
        size = sum(map(len, parts))
        if self.blocking:
            self._conn.send_bytes(b"".join(parts))
            return True
        header = _frame_header(size)
        if size < _JOIN_BELOW:
            data = header + b"".join(parts)
            if not self._views:  # the common case: one write, nothing to keep
                try:
                    written = os.write(self._fd, data)
                except BlockingIOError:
                    written = 0
                self._accepted += len(data)
                self._written += written
                if written == len(data):
                    return True
                data = data[written:]
            else:
                self._accepted += len(data)
            self._views.append(memoryview(data))
            self._frames.append((self._accepted, tasks))
            self.unsent_tasks += tasks
            return self.flush()
        else:
            self._views.append(memoryview(header))
            self._views.extend(memoryview(part) for part in parts if part)
            self._accepted += len(header) + size
        self._frames.append((self._accepted, tasks))
        self.unsent_tasks += tasks
        return self.flush()

    def flush(self, block: bool = False) -> bool:
        """Write what the connection accepts now; True once nothing is left to write.

        With ``block``, first wait until the first frame not yet written is, and only that
        one: a worker that reads it then runs its tasks and writes their results, and will
        not read a frame behind it until the scheduler has read those.
        """
        if block and self._frames:
            os.set_blocking(self._fd, True)
            try:
                self._write(self._frames[0][0])
            finally:
                os.set_blocking(self._fd, False)
        self._write()
        return not self._views

    def _write(self, upto: int | None = None) -> None:
        """Write the views (until byte ``upto`` of all ever sent: a frame's end, so the
        views split there) until the connection takes no more."""
        views = self._views
        while views and (upto is None or self._written < upto):
            batch = []
            room = None if upto is None else upto - self._written
            for view in views:
                if len(batch) == _MAX_IOV or (room is not None and room <= 0):
                    break
                batch.append(view)
                if room is not None:
                    room -= len(view)
            try:
                if len(batch) == 1:
                    written = os.write(self._fd, batch[0])
                else:
                    written = os.writev(self._fd, batch)
            except BlockingIOError:
                break
            self._written += written
            while written and written >= len(views[0]):
                written -= len(views.popleft())
            if written:
                views[0] = views[0][written:]
        frames = self._frames
        while frames and frames[0][0] <= self._written:
            self.unsent_tasks -= frames.popleft()[1]
