"""Who is at the other end of a connection, and telling when that process has ended.

A manager's server uses this to release what a client process owned when the process dies
without saying goodbye (SIGKILL, a crash): the proxies of a process add and drop their
references over short-lived connections, so a reference belongs to the *process* that
connected, which the kernel names for a Unix socket (``SO_PEERCRED``, Linux). Its end is
seen through a pidfd (Linux 5.3+), which cannot be confused by a reused pid, or else by
polling the pid.
"""

from __future__ import annotations

import os
import selectors
import socket
import struct
import threading
import time
from multiprocessing import util
from typing import Any, Callable

from processing.ownedlock import process_alive as _alive

__all__ = ["ProcessWatch", "peer_pid", "wait_for_exit"]

_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid

#: Seconds between two looks at the pids that cannot be watched through a pidfd.
POLL_INTERVAL = 0.5


def peer_pid(conn: Any) -> int | None:
    """The pid of the process that opened the Unix socket connection ``conn`` (None where
    the system does not say: TCP, Windows pipes, systems without ``SO_PEERCRED``)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    try:
        fd = conn.fileno()
        with socket.socket(fileno=os.dup(fd)) as sock:
            if sock.family != socket.AF_UNIX:
                return None
            pid, _uid, _gid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, option,
                                                            _UCRED.size))
    except (OSError, AttributeError, ValueError):
        return None
    return pid or None


def wait_for_exit(pid: int) -> None:
    """Return once process ``pid`` has ended (at once if it has)."""
    pidfd = _pidfd(pid)
    if pidfd is None:
        while _alive(pid):
            time.sleep(POLL_INTERVAL)
        return
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(pidfd, selectors.EVENT_READ)
            while not selector.select():
                pass
    finally:
        os.close(pidfd)


def _pidfd(pid: int) -> int | None:
    """A pidfd for ``pid``: None without pidfd support (or if the process is gone)."""
    try:
        return os.pidfd_open(pid)  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return None


class ProcessWatch:
    """Calls ``on_exit(pid)`` once, from its own thread, after each watched process ends."""

    def __init__(self, on_exit: Callable[[int], None]) -> None:
        self._on_exit = on_exit
        self._closed = False
        self._lock = threading.Lock()
        self._watched: set[int] = set()
        self._polled: set[int] = set()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name="processing process watch",
                                        daemon=True)
        self._thread.start()

    def watch(self, pid: int) -> None:
        """Start watching ``pid`` (a no-op if it is watched already)."""
        with self._lock:
            if pid in self._watched or self._closed:
                return
            self._watched.add(pid)
            pidfd = _pidfd(pid)
            if pidfd is None:
                self._polled.add(pid)  # (one already gone is reported by the next poll)
            else:
                self._selector.register(pidfd, selectors.EVENT_READ, pid)
        try:
            os.write(self._wake_w, b"\0")
        except BlockingIOError:
            pass  # a wake-up is pending already

    def close(self) -> None:
        """Stop watching (the thread ends; nothing more is reported)."""
        with self._lock:
            self._closed = True
        try:
            os.write(self._wake_w, b"\0")
        except BlockingIOError:
            pass
        self._thread.join(5)

    def _run(self) -> None:
        try:
            self._watch_until_closed()
        finally:
            for key in list(self._selector.get_map().values()):
                if key.fileobj != self._wake_r:
                    os.close(key.fileobj)  # type: ignore[arg-type]
            self._selector.close()
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _watch_until_closed(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                timeout = POLL_INTERVAL if self._polled else None
            ended = []
            for key, _ in self._selector.select(timeout):
                if key.fileobj == self._wake_r:
                    os.read(self._wake_r, 4096)
                    continue
                self._selector.unregister(key.fileobj)
                os.close(key.fileobj)  # type: ignore[arg-type]
                ended.append(key.data)
            with self._lock:
                gone = [pid for pid in self._polled if not _alive(pid)]
                self._polled.difference_update(gone)
                ended.extend(gone)
                self._watched.difference_update(ended)
            for pid in ended:
                try:
                    self._on_exit(pid)
                except Exception as exc:  # noqa: BLE001 - one failure must not stop the watch
                    util.info("cleaning up after process %d failed: %r", pid, exc)
