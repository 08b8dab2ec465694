"""Connections: ``Pipe()``, and ``Listener``/``Client`` for processes that share only an address.

The wire format, authentication protocol and platform handles are the stdlib's
(``multiprocessing.connection``); this module adds the camelCase names, makes sure a
connection sent to a child arrives as one of ours, and hardens the listening side: the
authentication handshake reads only small frames, gives up after a timeout, and a peer that
fails it is logged and dropped without anything of it being unpickled.
"""

from __future__ import annotations

import collections
import copyreg
import io
import os
import pickle
import socket
import struct
import sys
import threading
import time
from collections.abc import Mapping
from multiprocessing import AuthenticationError, BufferTooShort, reduction, util
from multiprocessing import connection as _stdlib
from multiprocessing import process as _stdlib_process
from multiprocessing.connection import answer_challenge, deliver_challenge, wait
from typing import Any, ClassVar

__all__ = [
    "AuthenticationError",
    "BufferTooShort",
    "Client",
    "Connection",
    "Listener",
    "Pipe",
    "answerChallenge",
    "answer_challenge",
    "authenticate_peer",
    "deliverChallenge",
    "deliver_challenge",
    "families",
    "wait",
]

#: The address families this platform supports ('AF_INET', 'AF_UNIX', 'AF_PIPE'), as the
#: stdlib's ``multiprocessing.connection.families``.
families = list(_stdlib.families)


class _CamelCase:
    """The processing 0.52 names of the byte-level methods."""

    def sendBytes(self, buf: Any, offset: int = 0, size: int | None = None) -> None:
        self.send_bytes(buf, offset, size)  # type: ignore[attr-defined]

    def recvBytes(self, maxlength: int | None = None) -> bytes:
        return self.recv_bytes(maxlength)  # type: ignore[attr-defined]

    def recvBytesInto(self, buf: Any, offset: int = 0) -> int:
        """Read one message into ``buf``; ``BufferTooShort`` carries it if it does not fit."""
        return self.recv_bytes_into(buf, offset)  # type: ignore[attr-defined]

    # The spellings of processing 0.33 to 0.51, which 0.52 kept as aliases.
    sendbytes = sendBytes
    recvbytes = recvBytes
    recvbytes_into = recvBytesInto


class Connection(_CamelCase, _stdlib.Connection):
    """A connection over a socket or pipe file descriptor (a handle on Windows).

    On POSIX, messages go out with one ``writev()`` (header and payload, no concatenation)
    and come in with reads straight into the message's buffer; a large ``bytes`` object
    is sent without being copied into a pickle first. The bytes on the wire are the
    stdlib's, so either side may be a stdlib connection.
    """

    if sys.platform != "win32":

        def _send_bytes(self, buf: Any) -> None:
            n = len(buf)
            if n < _SMALL_READ:
                # One write of a small copy beats writev's per-call setup.
                message = _HEADER.pack(n) + buf
                written = os.write(self._handle, message)
                if written < len(message):
                    _write_frame(self._handle, [memoryview(message)[written:]])
                return
            _write_frame(self._handle, [_frame_header(n), buf])

        def send(self, obj: Any) -> None:
            """Send a picklable object; the other end gets it with ``recv()``."""
            self._check_closed()
            self._check_writable()
            if type(obj) is bytes and len(obj) >= _DIRECT_BYTES:
                # The pickle of a bytes object is a few opcodes around its payload: write
                # them around the object itself instead of copying it into a pickle.
                n = len(obj)
                opcode = b"B" + n.to_bytes(4, "little") if n < 1 << 32 else (
                    b"\x8e" + n.to_bytes(8, "little"))
                size = len(_PROTO4) + len(opcode) + n + 1
                _write_frame(self._handle, [_frame_header(size) + _PROTO4 + opcode, obj, b"."])
            else:
                self._send_bytes(_dumps(obj))

        def recv(self) -> Any:
            """Receive an object sent with ``send()``; ``EOFError`` when the other end closed."""
            self._check_closed()
            self._check_readable()
            return _ForkingPickler.loads(read_frame(self._handle))

        def recv_bytes(self, maxlength: int | None = None) -> bytes:
            """Receive one message as bytes; ``OSError`` if it is longer than ``maxlength``."""
            self._check_closed()
            self._check_readable()
            if maxlength is not None and maxlength < 0:
                raise ValueError("negative maxlength")
            data = read_frame(self._handle, maxlength)
            if data is None:
                self._bad_message_length()
            return data if type(data) is bytes else bytes(data)


_ForkingPickler = reduction.ForkingPickler
_HEADER = struct.Struct("!i")
_LONG_HEADER = struct.Struct("!Q")
_PROTO4 = b"\x80\x04"
#: ``send()`` writes bytes objects at least this long straight from the object.
_DIRECT_BYTES = 64 * 1024
#: Reads of messages up to this size go through one ``os.read()`` call.
_SMALL_READ = 64 * 1024


# Objects of these types pickle the same with or without ForkingPickler's reducers.
_PLAIN = frozenset({bytes, str, int, float, bool, type(None)})


class _Pickler(pickle.Pickler):
    # ForkingPickler's reducers (connections, sockets ...) as a live view, without the copy
    # of the whole table that ``ForkingPickler()`` makes on every call.
    dispatch_table: ClassVar[Mapping] = collections.ChainMap(
        _ForkingPickler._extra_reducers, copyreg.dispatch_table
    )


#: A pickle at least this long makes its thread's pickler start afresh, so that the
#: buffer it grew to is not kept for the life of the thread.
_KEEP_BUFFER = 1 << 20

_local = threading.local()


def _dumps(obj: Any) -> Any:
    """``ForkingPickler.dumps(obj)``, without its cost of creating a pickler (1.8 us, ten
    times that of pickling a small object): plain data goes to ``pickle.dumps``, the rest
    to a pickler reused by this thread."""
    kind = type(obj)
    if kind in _PLAIN or (kind is tuple and all(type(x) in _PLAIN for x in obj)):
        return pickle.dumps(obj)
    # Taken out while in use: a reducer that itself sends (re-entry) gets a fresh one.
    state = _local.__dict__.pop("pickler", None)
    if state is None:
        buf = io.BytesIO()
        state = (buf, _Pickler(buf))
    buf, pickler = state
    buf.seek(0)
    buf.truncate()
    try:
        pickler.dump(obj)
    finally:
        pickler.clear_memo()  # drop the references the memo holds to ``obj``
    data = buf.getvalue()
    if len(data) < _KEEP_BUFFER:
        _local.pickler = state
    return data


def _frame_header(n: int) -> bytes:
    """The stdlib's message header: the length, or -1 and a 64-bit length from 2 GiB on."""
    return _HEADER.pack(n) if n <= 0x7FFFFFFF else _HEADER.pack(-1) + _LONG_HEADER.pack(n)


def _write_frame(fd: int, parts: list[Any]) -> None:
    """Write ``parts`` (a message: header first) with ``writev``, resuming after a short
    write."""
    views = [memoryview(p).cast("B") for p in parts]
    while views:
        done = os.writev(fd, views) if len(views) > 1 else os.write(fd, views[0])
        while views and done >= len(views[0]):
            done -= len(views.pop(0))
        if views:
            views[0] = views[0][done:]


def read_exact(fd: int, n: int) -> bytes | bytearray:
    """Read exactly ``n`` bytes from ``fd``: ``EOFError`` at a clean end, ``OSError`` if the
    end comes in the middle of a message."""
    data = os.read(fd, min(n, _SMALL_READ)) if n else b""
    if len(data) == n:
        return data
    if not data:
        raise EOFError
    buf = bytearray(n)
    buf[: len(data)] = data
    view = memoryview(buf)
    got = len(data)
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            raise OSError("got end of file during message")
        got += k
    return buf


def read_frame(fd: int, maxlength: int | None = None) -> bytes | bytearray | None:
    """Read one message in the stdlib's format; None (payload unread) if it is longer than
    ``maxlength``."""
    header = os.read(fd, 4)
    (n,) = _HEADER.unpack(header if len(header) == 4 else header + read_exact(fd, 4 - len(header)))
    if n == -1:
        (n,) = _LONG_HEADER.unpack(read_exact(fd, 8))
    if maxlength is not None and n > maxlength:
        return None
    return read_exact(fd, n)


def _reduce_connection(conn: Connection) -> tuple[Any, tuple[Any, ...]]:
    return _rebuild_connection, (reduction.DupFd(conn.fileno()), conn.readable, conn.writable)


def _rebuild_connection(df: Any, readable: bool, writable: bool) -> Connection:
    return Connection(df.detach(), readable, writable)


reduction.register(Connection, _reduce_connection)

if sys.platform == "win32":

    class PipeConnection(_CamelCase, _stdlib.PipeConnection):
        """A connection over a Windows named pipe handle."""

    def _reduce_pipe_connection(conn: PipeConnection) -> tuple[Any, tuple[Any, ...]]:
        import _winapi

        access = (_winapi.FILE_GENERIC_READ if conn.readable else 0) | (
            _winapi.FILE_GENERIC_WRITE if conn.writable else 0
        )
        handle = reduction.DupHandle(conn.fileno(), access)
        return _rebuild_pipe_connection, (handle, conn.readable, conn.writable)

    def _rebuild_pipe_connection(dh: Any, readable: bool, writable: bool) -> PipeConnection:
        return PipeConnection(dh.detach(), readable, writable)

    reduction.register(PipeConnection, _reduce_pipe_connection)
    _OURS: type = PipeConnection
else:
    _OURS = Connection


def Pipe(duplex: bool = True) -> tuple[Any, Any]:
    """Two connected connections; with ``duplex=False`` the first only receives."""
    first, second = _stdlib.Pipe(duplex)
    # The stdlib builds its own classes; ours add only methods, so adopting them is safe.
    first.__class__ = second.__class__ = _OURS
    return first, second


deliverChallenge = deliver_challenge
answerChallenge = answer_challenge


# -- listeners and clients ------------------------------------------------------------------

#: The largest frame read from a peer before it has authenticated (the stdlib's handshake
#: messages are at most a few dozen bytes); a larger announced length drops the peer unread.
HANDSHAKE_FRAME_LIMIT = 256

#: Seconds a peer has to complete the authentication handshake before it is dropped.
HANDSHAKE_TIMEOUT = 10.0


def _as_authkey(authkey: Any, argument: str = "authkey") -> bytes | None:
    """``authkey`` as bytes (a str is UTF-8 encoded, as 0.52 programs pass str keys)."""
    if authkey is None or isinstance(authkey, bytes):
        return authkey
    if isinstance(authkey, str):
        return authkey.encode("utf-8")
    if isinstance(authkey, (bytearray, memoryview)):
        return bytes(authkey)
    raise TypeError(f"{argument} must be bytes (or str), not {type(authkey).__name__}")


def _resolve_authkey(authenticate: bool, authkey: Any) -> bytes | None:
    """The key to authenticate with: ``authkey``, else this process's key if ``authenticate``."""
    key = _as_authkey(authkey)
    if key is None and authenticate:
        key = bytes(_stdlib_process.current_process().authkey)
    return key


class _Handshake:
    """A connection seen through the handshake: small frames only, each within the deadline.

    The stdlib's challenge functions talk to this object, so the protocol (and its digest
    negotiation on newer Pythons) stays theirs while the reads are bounded in size and time.
    """

    def __init__(self, conn: Any, timeout: float) -> None:
        self._conn = conn
        self._deadline = time.monotonic() + timeout
        self._timeout = timeout
        # Windows pipe handles cannot be read byte-wise with a deadline; their reads are
        # still capped by the stdlib's maxlength, which is all they need.
        self._fd = None if sys.platform == "win32" else conn.fileno()

    def send_bytes(self, buf: bytes) -> None:
        self._conn.send_bytes(buf)

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        limit = min(maxlength or HANDSHAKE_FRAME_LIMIT, HANDSHAKE_FRAME_LIMIT)
        if self._fd is None:
            return self._conn.recv_bytes(limit)
        (size,) = struct.unpack("!i", self._read(4))
        if not 0 <= size <= limit:
            raise AuthenticationError(
                f"the peer announced a {size}-byte message during authentication "
                f"(the limit is {limit} bytes)"
            )
        return self._read(size)

    def _read(self, size: int) -> bytes:
        chunks = []
        while size:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0 or not wait([self._fd], remaining):
                raise AuthenticationError(
                    f"the peer did not complete authentication within {self._timeout:g} s"
                )
            chunk = os.read(self._fd, size)
            if not chunk:
                raise EOFError("the peer closed the connection during authentication")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)


def authenticate_peer(
    conn: Any,
    authkey: bytes,
    *,
    server: bool = True,
    timeout: float = HANDSHAKE_TIMEOUT,
    peer: Any = None,
) -> None:
    """Run the challenge-response handshake on ``conn``; on failure log why, close ``conn``
    and raise ``AuthenticationError``. Nothing the peer sends is unpickled."""
    guarded = _Handshake(conn, timeout)
    try:
        if server:
            deliver_challenge(guarded, authkey)
            answer_challenge(guarded, authkey)
        else:
            answer_challenge(guarded, authkey)
            deliver_challenge(guarded, authkey)
    except (AuthenticationError, OSError, EOFError, AssertionError, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, AssertionError):
            reason = "the peer did not speak the authentication protocol"
        who = f"{'from' if server else 'to'} {peer!r} " if peer is not None else ""
        util.get_logger().warning("dropped connection %sduring authentication: %s", who, reason)
        conn.close()
        raise AuthenticationError(f"authentication failed: {reason}") from exc


class _SocketListener(_stdlib.SocketListener):
    """The stdlib socket listener, except that a Unix socket file is made mode 0600 before
    it accepts connections, so only its owner (and root) can connect."""

    def __init__(self, address: Any, family: str, backlog: int = 1) -> None:
        if family != "AF_UNIX":
            super().__init__(address, family, backlog)
            return
        self._socket = socket.socket(socket.AF_UNIX)
        abstract = util.is_abstract_socket_namespace(address)
        try:
            self._socket.setblocking(True)
            self._socket.bind(address)
            # Nobody can connect before listen(), so the mode is right before anyone tries.
            if not abstract:
                os.chmod(address, 0o600)
            self._socket.listen(backlog)
            self._address = self._socket.getsockname()
        except OSError:
            self._socket.close()
            raise
        self._family = family
        self._last_accepted = None
        self._unlink = (
            None if abstract else util.Finalize(self, os.unlink, args=(address,), exitpriority=0)
        )


class Listener(_stdlib.Listener):
    """A bound socket (or Windows named pipe) that accepts connections from other processes.

    With ``authenticate=True`` or an ``authkey``, every accepted peer must prove it knows the
    key (``authkey`` defaults to ``currentProcess().authkey``); one that does not, or sends
    anything malformed, is dropped: ``accept()`` logs the reason and raises
    ``AuthenticationError``, and the listener goes on accepting others.
    """

    def __init__(
        self,
        address: Any = None,
        family: str | None = None,
        backlog: int = 1,
        authenticate: bool = False,
        authkey: Any = None,
        *,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
    ) -> None:
        family = family or (address and _stdlib.address_type(address)) or _stdlib.default_family
        address = address or _stdlib.arbitrary_address(family)
        _stdlib._validate_family(family)
        if family == "AF_PIPE":
            self._listener = _stdlib.PipeListener(address, backlog)
        else:
            self._listener = _SocketListener(address, family, backlog)
        self._authkey = _resolve_authkey(authenticate, authkey)
        self.handshake_timeout = handshake_timeout

    def accept(self) -> Any:
        """The next connection; ``AuthenticationError`` if that peer fails authentication."""
        if self._listener is None:
            raise OSError("listener is closed")
        conn = self._listener.accept()
        _adopt(conn)
        if self._authkey is not None:
            authenticate_peer(
                conn, self._authkey, timeout=self.handshake_timeout, peer=self.last_accepted
            )
        return conn


def Client(
    address: Any,
    family: str | None = None,
    authenticate: bool = False,
    authkey: Any = None,
) -> Any:
    """A connection to the ``Listener`` at ``address``, authenticated when it asks for a key."""
    family = family or _stdlib.address_type(address)
    _stdlib._validate_family(family)
    conn = _stdlib.PipeClient(address) if family == "AF_PIPE" else _stdlib.SocketClient(address)
    _adopt(conn)
    key = _resolve_authkey(authenticate, authkey)
    if key is not None:
        authenticate_peer(conn, key, server=False, peer=address)
    return conn


def _adopt(conn: Any) -> None:
    """Make a stdlib-built connection one of ours (ours add only methods)."""
    if isinstance(conn, _stdlib.Connection):
        conn.__class__ = Connection
    else:
        conn.__class__ = _OURS
