"""Connections: ``Pipe()``, and ``Listener``/``Client`` for processes that share only an address.

The wire format, authentication protocol and platform handles are the stdlib's
(``multiprocessing.connection``); this module adds the camelCase names, makes sure a
connection sent to a child arrives as one of ours, and hardens the listening side: the
authentication handshake reads only small frames, gives up after a timeout, runs for each
peer side by side with the others (``_handshakes.py``), and a peer that fails it is logged
and dropped without anything of it being unpickled.
"""

from __future__ import annotations

import atexit
import io
import os
import socket
import stat
import sys
import threading
import time
from multiprocessing import AuthenticationError, BufferTooShort, reduction, util
from multiprocessing import connection as _stdlib
from multiprocessing import process as _stdlib_process
from multiprocessing.connection import answer_challenge, deliver_challenge, wait
from typing import Any

from processing import _stdlib as _seam
from processing import _wire
from processing._handshakes import ConcurrentAcceptor
from processing._peers import peer_pid

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


class Connection(_CamelCase, _seam.ConnectionBase):
    """A connection over a socket or pipe file descriptor (a handle on Windows).

    On POSIX, messages go out with one ``writev()`` (header and payload, no concatenation)
    and come in with reads straight into the message's buffer; a large ``bytes`` object
    is sent without being copied into a pickle first. The bytes on the wire are the
    stdlib's, so either side may be a stdlib connection.
    """

    #: The file descriptor, kept by the seam's ``ConnectionBase`` (read after the checks).
    _fd: int

    if sys.platform != "win32":

        def _write_message(self, buf: Any) -> None:
            # What the stdlib's ``send_bytes()`` writes with, after its checks.
            fd = self._fd
            n = len(buf)
            if n < _SMALL_READ:
                # One write of a small copy beats writev's per-call setup.
                message = _HEADER.pack(n) + buf
                written = os.write(fd, message)
                if written < len(message):
                    _wire.write_all(fd, [memoryview(message)[written:]])
                return
            header = _wire.frame_header(n)
            _wire.write_all(fd, [header, buf], len(header) + n)

        def send(self, obj: Any) -> None:
            """Send a picklable object; the other end gets it with ``recv()``."""
            fd = _writable_handle(self)
            if type(obj) is bytes and len(obj) >= _wire.DIRECT_BYTES:
                parts = _wire.bytes_frame(obj)  # the object itself, not a copy
                _wire.write_all(fd, parts, len(parts[0]) + len(obj) + 1)
            else:
                self._write_message(_wire.dumps(obj))

        def recv(self) -> Any:
            """Receive an object sent with ``send()``; ``EOFError`` when the other end closed."""
            fd = _readable_handle(self)
            n = _wire.read_header(fd)
            if n <= _SMALL_READ:
                return _wire.loads(_wire.read_exact(fd, n))
            # Unpickled straight from this thread's receive buffer: no copy of the message.
            buf = _borrow_buffer(n)
            try:
                view = memoryview(buf)[:n]
                _read_into(fd, _socket_info(self), view)
                return _wire.loads(view)
            finally:
                _return_buffer(buf)

        def recv_bytes(self, maxlength: int | None = None) -> bytes:
            """Receive one message as bytes; ``OSError`` if it is longer than ``maxlength``."""
            fd = _readable_handle(self)
            if maxlength is not None and maxlength < 0:
                raise ValueError("negative maxlength")
            n = _wire.read_header(fd)
            if maxlength is not None and n > maxlength:
                _seam.refuse_message_length(self)
            return self._read_bytes(fd, n)

        def recv_bytes_into(self, buf: Any, offset: int = 0) -> int:
            """Read one message into ``buf`` at byte ``offset``; ``BufferTooShort`` carries
            the message if it does not fit."""
            fd = _readable_handle(self)
            with memoryview(buf) as m:
                target = m.cast("B") if m.itemsize > 1 or m.format != "B" else m
                if offset < 0:
                    raise ValueError("negative offset")
                if offset > target.nbytes:
                    raise ValueError("offset too large")
                n = _wire.read_header(fd)
                if target.nbytes < offset + n:
                    # The whole message is read, so the stream stays in step.
                    raise BufferTooShort(self._read_bytes(fd, n))
                _read_into(fd, _socket_info(self) if n > _SMALL_READ else None,
                           target[offset : offset + n])
                return n

        def _read_bytes(self, fd: int, n: int) -> bytes:
            """The ``n``-byte payload after a header, as one new ``bytes`` object."""
            if n <= _SMALL_READ:
                data = _wire.read_exact(fd, n)
                return data if type(data) is bytes else bytes(data)
            sock = _socket_info(self)
            if sock is not None:
                return _socket_recv_bytes(fd, sock, n)
            buf = _borrow_buffer(n)
            try:
                view = memoryview(buf)[:n]
                _read_into(fd, None, view)
                return bytes(view)
            finally:
                _return_buffer(buf)


_HEADER = _wire.HEADER
_readable_handle = _seam.readable_handle
_writable_handle = _seam.writable_handle
#: Reads of messages up to this size go through one ``os.read()`` call.
_SMALL_READ = _wire.SMALL_READ

_local = threading.local()


def _socket_info(conn: Any) -> tuple[int, int] | None:
    """``(family, type)`` of the connection's socket, or None for a pipe (cached on it).

    None as well while the program has set a default socket timeout: a socket object made
    then would switch the descriptor to non-blocking mode.
    """
    if socket.getdefaulttimeout() is not None:
        return None
    info = conn.__dict__.get("_socket_info", False)
    if info is False:
        info = None
        fd = conn.fileno()
        if stat.S_ISSOCK(os.fstat(fd).st_mode):
            sock = socket.socket(fileno=fd)
            try:
                info = (sock.family, sock.type)
            finally:
                sock.detach()
        conn.__dict__["_socket_info"] = info
    return info


def _on_socket(fd: int, info: tuple[int, int]) -> Any:
    """A socket object for ``fd`` that must be ``detach()``ed, never closed: the C type
    itself (``socket.SocketType``), a third of the cost of a ``socket.socket``."""
    return _SocketType(info[0], info[1], 0, fd)


_SocketType = socket.SocketType
_WAITALL = socket.MSG_WAITALL
_DONTWAIT = socket.MSG_DONTWAIT


def _several_cpus() -> bool:
    """Whether this process may run on more than one CPU (a sender can then be writing
    while the receiver polls)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) > 1
    return (os.cpu_count() or 1) > 1


#: Whether a large message is received by polling while its bytes keep coming (see
#: ``_poll_recv_into``); never on a single CPU, where polling would hold off the sender.
_POLL = _several_cpus()
#: How long in all the polls of one message may find nothing before the receiver sleeps
#: in the kernel for the rest, in nanoseconds: what a stalled sender can cost in CPU.
POLL_IDLE_NS = 50_000
#: ``recv_bytes()`` polls for messages from this size on. A new bytes object cannot be
#: received into piece by piece, so polling needs a BytesIO's buffer, whose sizing (a
#: memset and 0.5 us) costs more than the wake-ups it saves on a message of a few skbs:
#: stdlib time / ours, median of ten rounds, sleeping / polling: 1.09 / 0.95 at 65,540 B,
#: 1.04 / 1.48 at 96 KiB, 1.39 / 1.86 at 128 KiB, 0.89 / 1.13 at 1 MiB.
POLL_BYTES_FROM = 128 * 1024


def _read_into(fd: int, sock: tuple[int, int] | None, view: memoryview) -> None:
    """Fill ``view`` from ``fd``: on a socket by polling while the message keeps coming,
    then with ``recv_into(MSG_WAITALL)`` (one call for the rest); on a pipe with ``readv``."""
    if sock is None:
        _wire.read_into(fd, view)
        return
    n = len(view)
    s = _on_socket(fd, sock)
    try:
        got = _poll_recv_into(s, view) if _POLL else 0
        while got < n:
            k = s.recv_into(view[got:] if got else view, n - got, _WAITALL)
            if k == 0:
                raise OSError("got end of file during message")
            got += k
    finally:
        s.detach()


def _poll_recv_into(s: Any, view: memoryview) -> int:
    """Receive into ``view`` with non-blocking calls while its bytes keep arriving; how many
    arrived before the polls that found nothing added up to ``POLL_IDLE_NS``.

    Why: a socket's sender queues a large message in skbs of about 36 KiB, and wakes a
    receiver asleep in ``recv`` for each one. On a 2-CPU VM those wake-ups made the sender
    the bottleneck: 97 us of CPU per 1 MiB message against 80 us when the receiver polled
    (and the stdlib's receiver, busy copying between reads, wakes rarely). The header has
    already arrived, so the rest is being written: polling waits a few microseconds, and
    a sender that stalls costs at most ``POLL_IDLE_NS`` of it per message.
    """
    n = len(view)
    got = 0
    idle = 0
    since = 0
    while got < n:
        try:
            k = s.recv_into(view[got:] if got else view, n - got, _DONTWAIT)
        except BlockingIOError:
            now = time.perf_counter_ns()
            if since:
                idle += now - since
                if idle > POLL_IDLE_NS:
                    return got
            since = now
            continue
        if k == 0:
            raise OSError("got end of file during message")
        got += k
        since = 0
    return got


def _socket_recv_bytes(fd: int, sock: tuple[int, int], n: int) -> bytes:
    """``n`` bytes from a socket as one new ``bytes`` object, received straight into it."""
    if _POLL and n >= POLL_BYTES_FROM:
        # A BytesIO's buffer is a bytes object that getvalue() hands over without a copy
        # once no view of it is left; sizing it costs a memset (6 us a MiB), not a copy.
        out = io.BytesIO()
        out.seek(n - 1)
        out.write(b"\0")
        with out.getbuffer() as view:
            _read_into(fd, sock, view)
        return out.getvalue()
    s = _on_socket(fd, sock)
    try:
        data = s.recv(n, socket.MSG_WAITALL)
    finally:
        s.detach()
    if len(data) == n:
        return data
    # Cut short by a signal or by the end of the stream: read the rest the slow way.
    buf = bytearray(n)
    buf[: len(data)] = data
    _read_into(fd, sock, memoryview(buf)[len(data):])
    return bytes(buf)


#: A thread keeps its receive buffer for messages up to this size, so that large messages
#: do not each cost a fresh allocation and its page faults (most of a 1 MiB message's time).
_KEEP_RECV_BUFFER = 64 << 20


def _borrow_buffer(n: int) -> bytearray:
    """A receive buffer of at least ``n`` bytes: this thread's kept one, taken out while in
    use (a receive re-entered from an unpickler gets a fresh one), or for a message over
    the keep limit a buffer of its own, leaving the kept one in place."""
    if n > _KEEP_RECV_BUFFER:
        return bytearray(n)
    buf = _local.__dict__.pop("recv_buffer", None)
    if buf is None or len(buf) < n:
        buf = bytearray(n)
    return buf


def _return_buffer(buf: bytearray) -> None:
    if len(buf) <= _KEEP_RECV_BUFFER:
        _local.recv_buffer = buf


def _reduce_connection(conn: Connection) -> tuple[Any, tuple[Any, ...]]:
    return _rebuild_connection, (reduction.DupFd(conn.fileno()), conn.readable, conn.writable)


def _rebuild_connection(df: Any, readable: bool, writable: bool) -> Connection:
    return Connection(df.detach(), readable, writable)


reduction.register(Connection, _reduce_connection)

if sys.platform == "win32":

    class PipeConnection(_CamelCase, _stdlib.PipeConnection):
        """A connection over a Windows named pipe handle."""

    def _reduce_pipe_connection(conn: PipeConnection) -> tuple[Any, tuple[Any, ...]]:
        access = _seam.windows_pipe_access(conn.readable, conn.writable)
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
    if duplex and sys.platform != "win32":
        _widen_send_buffer(first.fileno())
        _widen_send_buffer(second.fileno())
    return first, second


#: What a duplex Pipe's sockets ask for as their send buffer: Linux's stock maximum
#: (``net.core.wmem_max``), which Linux doubles, so 416 KiB may be on the way in each
#: direction instead of the stock default's 208 KiB (macOS: 208 KiB instead of 8 KiB).
PIPE_SEND_BUFFER = 212_992


def _widen_send_buffer(fd: int) -> None:
    """Let the socket ``fd`` queue ``PIPE_SEND_BUFFER`` bytes, unless it may already queue
    more. A message that fits is written without the sender waiting for the receiver to
    drain part of it: 256 KiB send_bytes/recv_bytes took 22.8 us against 33.7 us, 1 MiB
    86 us against 108 us (the stdlib: 26.9 and 114). Nothing relies on the size: it
    differs from system to system, and a send still blocks once the buffer is full."""
    s = _SocketType(socket.AF_UNIX, socket.SOCK_STREAM, 0, fd)
    try:
        if socket.getdefaulttimeout() is not None:
            s.settimeout(None)  # the default timeout made the descriptor non-blocking
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) < 2 * PIPE_SEND_BUFFER:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PIPE_SEND_BUFFER)
    except OSError:
        pass  # a buffer of the system's default size works as well, only slower
    finally:
        s.detach()


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
        (size,) = _HEADER.unpack(self._read(4))
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


#: Seconds between two warnings about failed authentications. The first failure is a
#: warning at once; those that follow within the interval are logged at DEBUG level and
#: counted, and the count goes into the next warning (the first failure after the
#: interval, or the end of the program or server): a peer trying keys, or a port scanner,
#: must not flood the program's stderr.
AUTH_WARNING_INTERVAL = 60.0


class _FailureWarnings:
    """Warns of the first failed authentication, then at most once per interval. (No
    timer thread: a thread left behind would make every later fork() a fork of a
    multi-threaded process.)"""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._quiet_until: float | None = None
        self._count = 0
        self._last = ""

    def report(self, message: str) -> None:
        logger = util.get_logger()
        now = time.monotonic()
        with self._lock:
            warn = self._quiet_until is None or now >= self._quiet_until
            if warn:
                self._quiet_until = now + AUTH_WARNING_INTERVAL
                count, self._count = self._count, 0
            else:
                self._count += 1
                self._last = message
        if not warn:
            logger.debug(message)
        elif count:
            logger.warning("%s (and %d more failures since the last warning, logged at DEBUG "
                           "level)", message, count)
        else:
            logger.warning("%s (more failures within %g s will be counted in one warning)",
                           message, AUTH_WARNING_INTERVAL)

    def flush(self) -> None:
        """Warn of the failures counted since the last warning, if any."""
        with self._lock:
            count, last, self._count = self._count, self._last, 0
            self._quiet_until = None
        if count:
            util.get_logger().warning(
                "%d more connections failed authentication since the last warning; "
                "the last: %s", count, last)


_failed_authentications = _FailureWarnings()
os.register_at_fork(after_in_child=_failed_authentications._reset)
# A program that ends within an interval still reports the failures it counted.
atexit.register(_failed_authentications.flush)


class _Described(str):
    """A peer description that reads as itself in the log, not as a quoted string."""

    def __repr__(self) -> str:
        return str(self)


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
        if not peer and server:
            pid = peer_pid(conn)  # a Unix socket's peer has no address, but has a pid
            peer = None if pid is None else _Described(f"process {pid}")
        who = f"{'from' if server else 'to'} {peer!r} " if peer is not None else ""
        _failed_authentications.report(f"dropped connection {who}during authentication: {reason}")
        conn.close()
        raise AuthenticationError(f"authentication failed: {reason}") from exc


class _SocketListener(_stdlib.SocketListener):
    """The stdlib socket listener, except that a Unix socket file is made mode 0600 before
    it accepts connections, so only its owner (and root) can connect."""

    def __init__(self, address: Any, family: str, backlog: int = 1) -> None:
        if family != "AF_UNIX":
            super().__init__(address, family, backlog)
            return
        sock = socket.socket(socket.AF_UNIX)
        abstract = util.is_abstract_socket_namespace(address)
        try:
            sock.setblocking(True)
            sock.bind(address)
            # Nobody can connect before listen(), so the mode is right before anyone tries.
            if not abstract:
                os.chmod(address, 0o600)
            sock.listen(backlog)
        except OSError:
            sock.close()
            raise
        unlink = (
            None if abstract else util.Finalize(self, os.unlink, args=(address,), exitpriority=0)
        )
        _seam.init_socket_listener(self, sock, family, unlink)


#: How many peers may be in the authentication handshake at once; later ones wait in the
#: listening socket's backlog until one of those finishes (or its deadline passes).
MAX_CONCURRENT_HANDSHAKES = 64


class Listener(_stdlib.Listener):
    """A bound socket (or Windows named pipe) that accepts connections from other processes.

    With ``authenticate=True`` or an ``authkey``, every accepted peer must prove it knows the
    key (``authkey`` defaults to ``currentProcess().authkey``) within ``handshake_timeout``
    seconds. On sockets the handshakes run side by side, each in a thread of its own with
    its own deadline, and ``accept()`` returns only peers that passed: an idle, slow or
    malicious peer is logged and dropped without delaying anyone else. (A Windows named
    pipe listener authenticates inline, as the stdlib's does.)
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
        _seam.validate_family(family)
        if family == "AF_PIPE":
            transport = _stdlib.PipeListener(address, backlog)
        else:
            transport = _SocketListener(address, family, backlog)
        self._peer_key = _resolve_authkey(authenticate, authkey)
        _seam.set_listener_transport(self, transport, self._peer_key)
        self.handshake_timeout = handshake_timeout
        self._acceptor: ConcurrentAcceptor | None = None
        if family != "AF_PIPE":
            self._acceptor = ConcurrentAcceptor(
                _seam.listener_socket(transport),
                _socket_connection,
                None if self._peer_key is None else self._handshake,
                MAX_CONCURRENT_HANDSHAKES,
            )

    def _handshake(self, conn: Any, address: Any) -> None:
        authenticate_peer(conn, self._peer_key, timeout=self.handshake_timeout, peer=address)

    def accept(self, timeout: float | None = None) -> Any:
        """The next connection whose peer authenticated (when a key is set); with a
        ``timeout`` (sockets only), ``TimeoutError`` if none arrives within it."""
        transport = _seam.listener_transport(self)
        if transport is None:
            raise OSError("listener is closed")
        if self._acceptor is None:
            if timeout is not None:
                raise ValueError("accept(timeout=...) needs a socket family, not AF_PIPE")
            conn = transport.accept()
            _adopt(conn)
            if self._peer_key is not None:
                authenticate_peer(
                    conn, self._peer_key, timeout=self.handshake_timeout, peer=self.last_accepted
                )
            return conn
        conn, address = self._acceptor.accept(timeout)
        _seam.set_last_accepted(transport, address)
        return conn

    def close(self) -> None:
        """Stop listening: handshakes in progress end, connections not yet accepted close."""
        if self._acceptor is not None:
            self._acceptor.close()
        super().close()


def _socket_connection(sock: socket.socket) -> Connection:
    return Connection(sock.detach())


def Client(
    address: Any,
    family: str | None = None,
    authenticate: bool = False,
    authkey: Any = None,
) -> Any:
    """A connection to the ``Listener`` at ``address``, authenticated when it asks for a key."""
    family = family or _stdlib.address_type(address)
    _seam.validate_family(family)
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
