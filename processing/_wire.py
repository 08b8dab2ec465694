"""The wire: how a message is framed, pickled, written and read on a POSIX pipe or socket.

One copy of what connections, queues and the pool share:

- the frame header, in the stdlib's format (``multiprocessing.connection``): a signed
  big-endian 32-bit length, or ``-1`` and an unsigned 64-bit length for payloads over
  ``0x7FFFFFFF`` bytes, so either end of a pipe may be the stdlib's;
- pickling with one pickler reused per thread (``ForkingPickler``'s reducers, without the
  cost of building a pickler for every message);
- writing all of a message (``write_all``, blocking descriptors) or what a non-blocking
  descriptor takes now (``write_some``), header and payload in one ``writev`` and never
  concatenated;
- reading an exact number of bytes (``read_exact``, ``read_into``) and a header
  (``read_header``) from a blocking descriptor, what a non-blocking one holds
  (``read_some``), and splitting a chunk of bytes that holds many frames
  (``split_frames``).

Nothing here knows about queues, locks or processes.
"""

from __future__ import annotations

import collections
import copyreg
import io
import os
import pickle
import struct
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

from processing import _stdlib

__all__ = [
    "HEADER",
    "IOV_MAX",
    "LONG_HEADER",
    "borrow_pickler",
    "bytes_frame",
    "dumps",
    "dumps_framed",
    "frame_header",
    "frame_size",
    "loads",
    "read_exact",
    "read_header",
    "read_into",
    "read_some",
    "return_pickler",
    "split_frames",
    "write_all",
    "write_some",
]

#: The frame header: the payload's length, big-endian.
HEADER = struct.Struct("!i")
#: After a header of -1: the length of a payload over ``SHORT_LIMIT`` bytes.
LONG_HEADER = struct.Struct("!Q")
#: The longest payload a 4-byte header announces (the stdlib's limit, inclusive).
SHORT_LIMIT = 0x7FFFFFFF
#: Most buffers in one ``writev()`` (POSIX guarantees 16; Linux takes 1024).
IOV_MAX = min(os.sysconf("SC_IOV_MAX"), 1024) if hasattr(os, "sysconf") else 16
#: Reads of at most this many bytes go through one ``os.read()`` into a new bytes object.
SMALL_READ = 64 * 1024

_LONG_MARK = HEADER.pack(-1)


def frame_header(n: int) -> bytes:
    """The header of an ``n``-byte payload."""
    return HEADER.pack(n) if n <= SHORT_LIMIT else _LONG_MARK + LONG_HEADER.pack(n)


def frame_size(n: int) -> int:
    """How many bytes the frame of an ``n``-byte payload takes on the wire, header included."""
    return n + (HEADER.size if n <= SHORT_LIMIT else HEADER.size + LONG_HEADER.size)


# ------------------------------------------------------------------------------ pickling

#: Objects of these types pickle the same with or without ForkingPickler's reducers.
_PLAIN = frozenset({bytes, str, int, float, bool, type(None)})
#: A pickle at least this long makes its thread's pickler start afresh, so that the buffer
#: it grew to is not kept for the life of the thread.
_KEEP_BUFFER = 1 << 20


class Pickler(pickle.Pickler):
    """A pickler with ``ForkingPickler``'s reducers (connections, sockets ...), seen live,
    without the copy of the whole table that ``ForkingPickler()`` makes on every call."""

    dispatch_table: ClassVar[Mapping] = collections.ChainMap(
        _stdlib.forking_pickler_reducers(), copyreg.dispatch_table
    )


_local = threading.local()


def borrow_pickler() -> tuple[io.BytesIO, Pickler]:
    """This thread's reused pickler and its buffer, emptied; give it back with
    ``return_pickler``. It is taken out while in use, so a reducer that itself pickles
    (re-entry) gets a fresh one."""
    state = _local.__dict__.pop("pickler", None)
    if state is None:
        buf = io.BytesIO()
        return buf, Pickler(buf)
    buf = state[0]
    buf.seek(0)
    buf.truncate()
    return state


def return_pickler(state: tuple[io.BytesIO, Pickler]) -> None:
    """Keep ``state`` (from ``borrow_pickler``) for this thread's next pickle, unless its
    buffer grew big."""
    state[1].clear_memo()  # drop the references the memo holds to what was pickled
    if state[0].tell() < _KEEP_BUFFER:
        _local.pickler = state


def dumps(obj: Any) -> bytes:
    """``ForkingPickler.dumps(obj)``, without its cost of creating a pickler (1.8 us, ten
    times that of pickling a small object): plain data goes to ``pickle.dumps``, the rest
    to the pickler this thread reuses. Raises what pickling raises."""
    kind = type(obj)
    if kind in _PLAIN or (kind is tuple and all(type(x) in _PLAIN for x in obj)):
        return pickle.dumps(obj)
    state = borrow_pickler()
    try:
        state[1].dump(obj)
        return state[0].getvalue()
    finally:
        return_pickler(state)


def dumps_framed(obj: Any) -> bytes:
    """The whole frame of ``obj``'s pickle, header first, in one bytes object (for a writer
    that joins many small frames into one write)."""
    kind = type(obj)
    if kind in _PLAIN or (kind is tuple and all(type(x) in _PLAIN for x in obj)):
        data = pickle.dumps(obj)
        return frame_header(len(data)) + data
    state = borrow_pickler()
    buf, pickler = state
    try:
        buf.write(b"\0\0\0\0")
        pickler.dump(obj)
        n = buf.tell() - HEADER.size
        if n > SHORT_LIMIT:
            return frame_header(n) + buf.getvalue()[HEADER.size:]
        buf.seek(0)
        buf.write(HEADER.pack(n))
        buf.seek(0, io.SEEK_END)
        return buf.getvalue()
    finally:
        return_pickler(state)


#: A bytes object at least this long is sent from its own bytes (``bytes_frame``).
DIRECT_BYTES = 64 * 1024
_PROTO4 = b"\x80\x04"


def bytes_frame(obj: bytes) -> list[Any]:
    """The frame of the pickle of the bytes object ``obj`` as three parts, the object itself
    in the middle: the pickle of a bytes object is a few opcodes around its payload, so a
    big one needs no copy into a pickle (the reader unpickles it as any other)."""
    n = len(obj)
    opcode = b"B" + n.to_bytes(4, "little") if n < 1 << 32 else b"\x8e" + n.to_bytes(8, "little")
    size = len(_PROTO4) + len(opcode) + n + 1
    return [frame_header(size) + _PROTO4 + opcode, obj, b"."]


#: ``ForkingPickler.loads``: unpickling needs no reducers, so it is ``pickle.loads``.
loads = pickle.loads


# ------------------------------------------------------------------------------- writing


def write_all(fd: int, parts: list[Any], size: int = -1) -> None:
    """Write every byte of ``parts`` (a message: header first) to the blocking descriptor
    ``fd`` with ``writev``, resuming after a short write. ``size``, their length in bytes
    when the caller knows it, lets the usual case (one ``writev`` takes all) go without
    making a view of each part: 0.7 us of a 64 KiB message's 8."""
    done = 0
    if size >= 0 and len(parts) <= IOV_MAX:
        done = os.writev(fd, parts)
        if done == size:
            return
    views = [memoryview(p).cast("B") for p in parts]
    while done and views:  # what the first writev took
        if done >= len(views[0]):
            done -= len(views.pop(0))
        else:
            views[0] = views[0][done:]
            done = 0
    while views:
        done = os.writev(fd, views[:IOV_MAX]) if len(views) > 1 else os.write(fd, views[0])
        while views and done >= len(views[0]):
            done -= len(views.pop(0))
        if views and done:
            views[0] = views[0][done:]


def write_some(fd: int, parts: list[Any]) -> int:
    """Write, in order, what the non-blocking descriptor ``fd`` takes now of ``parts``; the
    number of bytes written (0 when it takes nothing). Stops at the first short write."""
    total = 0
    while parts:
        batch = parts[:IOV_MAX]
        try:
            done = os.writev(fd, batch) if len(batch) > 1 else os.write(fd, batch[0])
        except BlockingIOError:
            return total
        total += done
        if len(batch) == len(parts) or done < sum(map(len, batch)):
            return total
        parts = parts[len(batch):]
    return total


# ------------------------------------------------------------------------------- reading


def read_exact(fd: int, n: int) -> bytes | bytearray:
    """Read exactly ``n`` bytes from the blocking descriptor ``fd``: ``EOFError`` at a clean
    end, ``OSError`` if the end comes in the middle of a message."""
    data = os.read(fd, min(n, SMALL_READ)) if n else b""
    if len(data) == n:
        return data
    if not data:
        raise EOFError
    buf = bytearray(n)
    buf[: len(data)] = data
    read_into(fd, memoryview(buf)[len(data):])
    return buf


def read_into(fd: int, view: memoryview) -> None:
    """Fill ``view`` from the blocking descriptor ``fd`` (``readv`` straight into it);
    ``OSError`` if the stream ends first."""
    n = len(view)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            raise OSError("got end of file during message")
        got += k


def read_header(fd: int) -> int:
    """Read a frame header from the blocking descriptor ``fd``; the payload's length.
    ``EOFError`` if the stream ended cleanly before it."""
    header = os.read(fd, 4)
    if len(header) < 4:
        if not header:
            raise EOFError
        header += read_exact(fd, 4 - len(header))
    (n,) = HEADER.unpack(header)
    if n == -1:
        (n,) = LONG_HEADER.unpack(read_exact(fd, 8))
    return n


def read_some(fd: int, view: memoryview) -> int | None:
    """Read what the non-blocking descriptor ``fd`` holds now into ``view``: how many bytes
    (0 at the end of the stream), or None if nothing is there yet."""
    try:
        return os.readv(fd, [view])
    except BlockingIOError:
        return None


def split_frames(data: Any, pos: int = 0) -> tuple[list[Any], int, int]:
    """The whole frames in ``data`` from ``pos`` on: ``(payloads, end, need)``, where the
    payloads are slices of ``data``, ``end`` is where the first incomplete frame starts (or
    the end of ``data``), and ``need`` how many more bytes that frame needs (0 if none is
    begun, or its header is not whole yet)."""
    payloads: list[Any] = []
    unpack_from = HEADER.unpack_from
    end = len(data)
    while end - pos >= 4:
        (size,) = unpack_from(data, pos)
        head = 4
        if size == -1:
            if end - pos < 12:
                return payloads, pos, 0
            (size,) = LONG_HEADER.unpack_from(data, pos + 4)
            head = 12
        elif size < 0:
            raise ValueError(f"bad frame header: a length of {size}")
        if end - pos - head < size:
            return payloads, pos, head + size - (end - pos)
        payloads.append(data[pos + head : pos + head + size])
        pos += head + size
    return payloads, pos, 0
