"""Connections between threads: ``Pipe``, ``Listener`` and ``Client`` over in-memory queues."""

from __future__ import annotations

from multiprocessing.dummy import connection as _stdlib
from typing import Any

__all__ = ["Client", "Connection", "Listener", "Pipe"]

families = [None]


class Connection(_stdlib.Connection):
    """One end of a thread pipe; objects pass by reference, nothing is pickled."""

    def sendBytes(self, buf: Any) -> None:
        self.send_bytes(buf)

    def recvBytes(self) -> Any:
        return self.recv_bytes()


class Listener(_stdlib.Listener):
    """Accepts ``Client(listener.address)`` calls made by other threads."""

    def accept(self) -> Connection:
        conn = super().accept()
        conn.__class__ = Connection
        return conn


def Client(address: Any) -> Connection:
    """A connection to the thread ``Listener`` whose ``address`` is given."""
    conn = _stdlib.Client(address)
    conn.__class__ = Connection
    return conn


def Pipe(duplex: bool = True) -> tuple[Connection, Connection]:
    """Two connected ends (always two-way between threads)."""
    first, second = _stdlib.Pipe(duplex)
    first.__class__ = second.__class__ = Connection
    return first, second
