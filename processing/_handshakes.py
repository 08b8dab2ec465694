"""Accepting peers on a listening socket while their handshakes run side by side.

A ``Listener`` with a key must make every peer prove it knows the key before ``accept()``
hands its connection out. Run inline, one idle or slow peer would hold ``accept()`` for the
whole handshake timeout and every real client behind it would wait (or time out). Here
``accept()`` takes peers off the listening socket as they arrive and gives each one a
thread of its own to complete the handshake within its own deadline; only connections
whose handshake succeeded are handed out, in the order they succeeded.

Peers are taken from the kernel only while some thread is in ``accept()`` (as with a
plain listener, the backlog holds the rest), and at most ``limit`` are in the handshake
at a time. ``close()`` ends every handshake in progress (their sockets are shut down, so
their threads return at once) and wakes threads blocked in ``accept()``. In a forked
child the parent's handshakes are forgotten: the child accepts its own peers.
"""

from __future__ import annotations

import collections
import os
import socket
import threading
import time
import weakref
from multiprocessing import util
from multiprocessing.connection import wait
from typing import Any, Callable

__all__ = ["ConcurrentAcceptor"]

#: Seconds ``close()`` waits, in all, for the threads of interrupted handshakes to return.
_CLOSE_GRACE = 2.0


def _close_fds(fds: list[int]) -> None:
    while fds:
        os.close(fds.pop())


class ConcurrentAcceptor:
    """The accepting side of one listening socket (see the module's docstring).

    ``wrap(sock)`` turns an accepted socket into the connection to hand out, and
    ``authenticate(conn, address)`` runs the handshake (``None``: no handshake); it raises
    on failure, having logged why and closed ``conn``.
    """

    def __init__(
        self,
        listening: socket.socket,
        wrap: Callable[[socket.socket], Any],
        authenticate: Callable[[Any, Any], None] | None,
        limit: int,
    ) -> None:
        listening.setblocking(False)
        self._listening = listening
        self._wrap = wrap
        self._authenticate = authenticate
        self._limit = max(1, limit)
        self._fresh_state()
        _acceptors.add(self)

    def _fresh_state(self) -> None:
        self._lock = threading.Lock()
        self._ready: collections.deque[tuple[Any, Any]] = collections.deque()
        # Socket -> its handshake thread. The socket is a second fd of the peer's
        # connection, ours alone, so close() can shut the peer down however far its
        # handshake got.
        self._pending: dict[socket.socket, threading.Thread] = {}
        self._closed = False
        self._waiting = 0
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        self._wake_fds = [wake_r, wake_w]
        self._wake_r, self._wake_w = wake_r, wake_w
        self._finalizer = weakref.finalize(self, _close_fds, self._wake_fds)

    def _forget_parent(self) -> None:
        """In a forked child: the parent's handshakes and ready peers are the parent's."""
        self._finalizer.detach()
        _close_fds(self._wake_fds)
        ready = [conn for conn, _ in self._ready]
        pending = list(self._pending)
        self._fresh_state()
        # Closing our copies of their fds leaves the parent's untouched.
        for conn in ready:
            conn.close()
        for sock in pending:
            sock.close()

    def accept(self, timeout: float | None = None) -> tuple[Any, Any]:
        """The next authenticated connection and its peer's address; ``TimeoutError``
        after ``timeout`` seconds without one, ``OSError`` once closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                if self._closed:
                    raise OSError("listener is closed")
                if self._ready:
                    return self._ready.popleft()
                listening = self._listening.fileno()
                watch = [self._wake_r]
                if len(self._pending) < self._limit:
                    watch.append(listening)
                self._waiting += 1
            try:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"no connection was accepted within {timeout:g} s")
                ready = wait(watch, remaining)
                if self._wake_r in ready:
                    try:
                        os.read(self._wake_r, 4096)
                    except BlockingIOError:
                        pass  # another accept() drained it
                if listening in ready:
                    self._take_one()
            finally:
                with self._lock:
                    self._waiting -= 1
                    if self._closed and not self._waiting:
                        _close_fds(self._wake_fds)

    def _take_one(self) -> None:
        with self._lock:
            if self._closed:
                return  # the socket is being closed; accept() reports that
            try:
                sock, address = self._listening.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return  # taken by another accept(), or gone before we got to it
        sock.setblocking(True)
        # close() may run between the accept above and the registration below: it then
        # found nothing of this peer to shut down, so the peer is dropped here, at once,
        # instead of handing out a connection or running its whole handshake.
        if self._authenticate is None:
            conn = self._wrap(sock)
            with self._lock:
                if not self._closed:
                    self._ready.append((conn, address))
                    return
            conn.close()
            return
        conn = self._wrap(socket.socket(fileno=os.dup(sock.fileno())))
        thread = threading.Thread(
            target=self._handshake,
            args=(sock, conn, address),
            name=f"processing handshake {address!r}",
            daemon=True,
        )
        with self._lock:
            closed = self._closed
            if not closed:
                self._pending[sock] = thread
        if closed:
            sock.close()
            conn.close()
            return
        try:
            thread.start()
        except RuntimeError as exc:  # no thread to be had: refuse this peer, keep serving
            util.get_logger().warning("dropped connection from %r: %s", address, exc)
            with self._lock:
                del self._pending[sock]
            sock.close()
            conn.close()

    def _handshake(self, sock: socket.socket, conn: Any, address: Any) -> None:
        authenticated = False
        try:
            self._authenticate(conn, address)  # type: ignore[misc]
            authenticated = True
        except Exception as exc:  # noqa: BLE001 - a failed peer never stops the listener
            if not conn.closed:
                util.get_logger().warning("dropped connection from %r: %r", address, exc)
                conn.close()
        finally:
            with self._lock:
                self._pending.pop(sock, None)
                sock.close()
                if authenticated and self._closed:
                    conn.close()
                elif authenticated:
                    self._ready.append((conn, address))
                if not self._closed:
                    try:
                        os.write(self._wake_w, b"\0")
                    except BlockingIOError:
                        pass  # the pipe is full: accept() is woken already

    def close(self) -> None:
        """Refuse everything from now on: interrupt handshakes, drop ready connections."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            ready = [conn for conn, _ in self._ready]
            self._ready.clear()
            pending = list(self._pending.items())
            for sock, _ in pending:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # the peer is gone already
            if self._waiting:
                try:
                    os.write(self._wake_w, b"\0")
                except BlockingIOError:
                    pass
            else:
                _close_fds(self._wake_fds)
        _acceptors.discard(self)
        for conn in ready:
            conn.close()
        deadline = time.monotonic() + _CLOSE_GRACE
        for _, thread in pending:
            thread.join(max(0.0, deadline - time.monotonic()))


_acceptors: weakref.WeakSet[ConcurrentAcceptor] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for acceptor in list(_acceptors):
        acceptor._forget_parent()


os.register_at_fork(after_in_child=_after_fork_in_child)
